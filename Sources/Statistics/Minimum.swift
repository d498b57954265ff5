/// Where a minimiser stopped, and how it got there.
public struct Minimum: Sendable {
    public enum Method: String, Sendable {
        case lbfgs = "L-BFGS"
        case nelderMead = "Nelder-Mead"
    }

    public var point: [Double]
    public var value: Double
    public var iterations: Int
    public var converged: Bool
    public var method: Method
    /// What an L-BFGS search learned of the objective's curvature, to seed a related search.
    public var curvature = LBFGS.Curvature()
}

/// The search every model fit uses. L-BFGS runs from each starting point in turn until one
/// converges to a finite optimum inside the bounds. If none does, Nelder–Mead, which needs
/// no gradient and does not stall where a line search does (flat ridges, a gradient spoilt
/// by rounding), restarts from the best point reached. Nil when nothing finite was found.
public struct RobustMinimizer: Sendable {
    public var lbfgs = LBFGS()
    public var nelderMead = NelderMead()
    /// Optima with a coordinate beyond ±bound are rejected: in log-parameters, ±30 means a
    /// parameter ran off towards 0 or infinity.
    public var bound = 30.0

    public init() {}

    /// `curvature` seeds the L-BFGS search from the first start (see `LBFGS.minimize`).
    public func minimize(
        from starts: [[Double]], curvature: LBFGS.Curvature = LBFGS.Curvature(),
        _ objective: ([Double]) -> (value: Double, gradient: [Double])
    ) -> Minimum? {
        var finite: [Minimum] = []
        for (attempt, start) in starts.enumerated() {
            let result = lbfgs.minimize(from: start, curvature: attempt == 0 ? curvature : LBFGS.Curvature(), objective)
            guard isAcceptable(result) else { continue }
            if result.converged { return result }
            finite.append(result)
        }
        let restart = finite.min { $0.value < $1.value }?.point ?? starts[0]
        let fallback = nelderMead.minimize(from: restart) { objective($0).value }
        return ([fallback] + finite).filter(isAcceptable).min { $0.value < $1.value }
    }

    private func isAcceptable(_ result: Minimum) -> Bool {
        result.value.isFinite && result.point.allSatisfy { $0.isFinite && abs($0) < bound }
    }
}
