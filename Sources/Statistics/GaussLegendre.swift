import Foundation

/// Gauss-Legendre quadrature on [−1, 1]: n nodes integrate polynomials of degree 2n − 1
/// exactly. Nodes are the roots of the Legendre polynomial P_n, found by Newton's method from
/// the Chebyshev-like first guess cos(π (i − 1/4) / (n + 1/2)); weights 2 / ((1 − x²) P_n'(x)²).
public enum GaussLegendre {
    public static func rule(_ n: Int) -> (nodes: [Double], weights: [Double]) {
        var nodes = [Double](repeating: 0, count: n), weights = [Double](repeating: 0, count: n)
        for i in 0..<(n + 1) / 2 {
            var x = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
            var derivative = 0.0
            for _ in 0..<100 {
                // P_n(x) and P_{n−1}(x) by the three-term recurrence.
                var current = 1.0, previous = 0.0
                for k in 1...n {
                    (previous, current) = (current, ((2 * Double(k) - 1) * x * current - (Double(k) - 1) * previous) / Double(k))
                }
                derivative = Double(n) * (x * current - previous) / (x * x - 1)
                let step = current / derivative
                x -= step
                if abs(step) < 1e-15 { break }
            }
            nodes[i] = -x
            nodes[n - 1 - i] = x
            weights[i] = 2 / ((1 - x * x) * derivative * derivative)
            weights[n - 1 - i] = weights[i]
        }
        return (nodes, weights)
    }

    private static let thirtyTwo = rule(32)
    public static let nodes32 = thirtyTwo.nodes
    public static let weights32 = thirtyTwo.weights
}
