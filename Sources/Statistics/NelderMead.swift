/// The Nelder–Mead simplex search (Nelder & Mead 1965; coefficients of Lagarias et al. 1998:
/// reflection 1, expansion 2, contraction ½, shrink ½). Slow but derivative-free: the
/// fallback when a gradient search fails.
public struct NelderMead: Sendable {
    public var maxIterations = 5_000
    /// Stop when the simplex's values differ by less than this, relative, and its points by
    /// less than `pointTolerance`.
    public var valueTolerance = 1e-12
    public var pointTolerance = 1e-8
    /// The initial simplex: the start and the start moved by this along each axis.
    public var initialStep = 0.5

    public init() {}

    public func minimize(from start: [Double], _ objective: ([Double]) -> Double) -> Minimum {
        let dimension = start.count
        func evaluate(_ point: [Double]) -> Double {
            let value = objective(point)
            return value.isNaN ? .infinity : value
        }
        var simplex =
            [start]
            + (0..<dimension).map { axis -> [Double] in
                var vertex = start
                vertex[axis] += initialStep
                return vertex
            }
        var values = simplex.map(evaluate)
        func combine(_ a: [Double], _ b: [Double], _ weight: Double) -> [Double] {
            zip(a, b).map { $0 + weight * ($1 - $0) }  // a + weight · (b − a)
        }
        for iteration in 1...maxIterations {
            let order = values.indices.sorted { values[$0] < values[$1] }
            simplex = order.map { simplex[$0] }
            values = order.map { values[$0] }
            let best = values[0], worst = values[dimension]
            let spread = simplex.dropFirst().map { vertex in zip(vertex, simplex[0]).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
            if best.isFinite, abs(worst - best) <= valueTolerance * max(abs(best), 1), spread <= pointTolerance {
                return Minimum(point: simplex[0], value: best, iterations: iteration, converged: true, method: .nelderMead)
            }
            let centroid = (0..<dimension).map { axis in simplex.dropLast().reduce(0) { $0 + $1[axis] } / Double(dimension) }
            let reflected = combine(centroid, simplex[dimension], -1)
            let reflectedValue = evaluate(reflected)
            if reflectedValue < best {
                let expanded = combine(centroid, simplex[dimension], -2)
                let expandedValue = evaluate(expanded)
                (simplex[dimension], values[dimension]) = expandedValue < reflectedValue ? (expanded, expandedValue) : (reflected, reflectedValue)
            } else if reflectedValue < values[dimension - 1] {
                (simplex[dimension], values[dimension]) = (reflected, reflectedValue)
            } else {
                // Contract towards the better of the reflected and the worst point.
                let outside = reflectedValue < worst
                let contracted = combine(centroid, outside ? reflected : simplex[dimension], 0.5)
                let contractedValue = evaluate(contracted)
                if contractedValue < min(reflectedValue, worst) {
                    (simplex[dimension], values[dimension]) = (contracted, contractedValue)
                } else {
                    for vertex in 1...dimension {
                        simplex[vertex] = combine(simplex[0], simplex[vertex], 0.5)
                        values[vertex] = evaluate(simplex[vertex])
                    }
                }
            }
        }
        let best = values.indices.min { values[$0] < values[$1] }!
        return Minimum(point: simplex[best], value: values[best], iterations: maxIterations, converged: false, method: .nelderMead)
    }
}
