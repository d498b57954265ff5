/// Limited-memory BFGS (Nocedal 1980; Nocedal & Wright, "Numerical Optimization", alg. 7.4)
/// with a backtracking line search on the Armijo condition; curvature pairs that fail
/// s·y > 0 are skipped, which keeps the inverse-Hessian estimate positive definite.
public struct LBFGS: Sendable {
    public var memory = 10
    public var maxIterations = 500
    /// Stop when the largest gradient component is below this.
    public var gradientTolerance = 1e-9
    /// Stop when the objective improves by less than this, relative, over an iteration.
    public var relativeTolerance = 1e-14

    public init() {}

    /// The (step, gradient change) pairs behind the inverse-Hessian estimate.
    public struct Curvature: Sendable {
        var steps: [[Double]] = []
        var changes: [[Double]] = []
        var rhos: [Double] = []

        public init() {}

        init(steps: [[Double]], changes: [[Double]], rhos: [Double]) {
            (self.steps, self.changes, self.rhos) = (steps, changes, rhos)
        }
    }

    /// Minimises `objective`, which returns the value and the gradient at a point. `curvature`
    /// from an earlier search of a similar objective (the same model on a sample of the data)
    /// saves the iterations that would rebuild it.
    public func minimize(
        from start: [Double], curvature: Curvature = Curvature(),
        _ objective: ([Double]) -> (value: Double, gradient: [Double])
    ) -> Minimum {
        var x = start
        var (value, gradient) = objective(x)
        var steps = curvature.steps, changes = curvature.changes, rhos = curvature.rhos
        func result(_ iteration: Int, converged: Bool) -> Minimum {
            Minimum(
                point: x, value: value, iterations: iteration, converged: converged, method: .lbfgs,
                curvature: Curvature(steps: steps, changes: changes, rhos: rhos))
        }
        for iteration in 1...maxIterations {
            guard value.isFinite, gradient.allSatisfy(\.isFinite) else {
                return result(iteration, converged: false)
            }
            if gradient.map(abs).max() ?? 0 < gradientTolerance {
                return result(iteration, converged: true)
            }
            // Two-loop recursion for the search direction -H g.
            var q = gradient
            var alphas = [Double](repeating: 0, count: steps.count)
            for index in stride(from: steps.count - 1, through: 0, by: -1) {
                alphas[index] = rhos[index] * dot(steps[index], q)
                q = axpy(-alphas[index], changes[index], q)
            }
            if let lastStep = steps.last, let lastChange = changes.last {
                let scale = dot(lastStep, lastChange) / dot(lastChange, lastChange)
                q = q.map { $0 * scale }
            } else {
                let norm = dot(gradient, gradient).squareRoot()
                q = q.map { $0 / max(norm, 1) }
            }
            for index in 0..<steps.count {
                let beta = rhos[index] * dot(changes[index], q)
                q = axpy(alphas[index] - beta, steps[index], q)
            }
            var direction = q.map { -$0 }
            var slope = dot(direction, gradient)
            if slope >= 0 {  // not a descent direction: restart from steepest descent
                steps.removeAll()
                changes.removeAll()
                rhos.removeAll()
                direction = gradient.map { -$0 }
                slope = dot(direction, gradient)
            }
            var stepLength = 1.0
            var next = x, nextValue = value, nextGradient = gradient
            var accepted = false
            for _ in 0..<60 {
                next = axpy(stepLength, direction, x)
                (nextValue, nextGradient) = objective(next)
                if nextValue.isFinite, nextValue <= value + 1e-4 * stepLength * slope {
                    accepted = true
                    break
                }
                stepLength *= 0.5
            }
            guard accepted else { return result(iteration, converged: false) }
            let step = zip(next, x).map { $0 - $1 }
            let change = zip(nextGradient, gradient).map { $0 - $1 }
            let curvature = dot(step, change)
            if curvature > 1e-12 {
                steps.append(step)
                changes.append(change)
                rhos.append(1 / curvature)
                if steps.count > memory {
                    steps.removeFirst()
                    changes.removeFirst()
                    rhos.removeFirst()
                }
            }
            let improvement = value - nextValue
            x = next
            value = nextValue
            gradient = nextGradient
            if improvement >= 0, improvement <= relativeTolerance * max(abs(value), 1) {
                return result(iteration, converged: true)
            }
        }
        return result(maxIterations, converged: false)
    }

    private func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
    private func axpy(_ alpha: Double, _ x: [Double], _ y: [Double]) -> [Double] { zip(x, y).map { alpha * $0 + $1 } }
}
