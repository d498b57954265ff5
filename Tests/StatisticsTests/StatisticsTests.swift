import Foundation
import Statistics
import Testing

@Suite struct SpecialFunctionTests {
    /// Reference values: ψ(1) = −γ (Euler–Mascheroni), ψ(1/2) = −γ − 2 ln 2, ψ(10) = H_9 − γ.
    @Test(arguments: [(1.0, -0.5772156649015329), (0.5, -1.9635100260214235), (10.0, 2.251752589066721), (0.01, -100.56088545786867)])
    func digamma(x: Double, expected: Double) {
        #expect(abs(SpecialFunctions.digamma(x) - expected) <= 1e-12 * max(1, abs(expected)))
    }

    @Test func logBetaAndLogSumExp() {
        #expect(abs(SpecialFunctions.logBeta(2, 3) - log(1.0 / 12)) < 1e-14)
        #expect(abs(SpecialFunctions.logSumExp(1000, 1000) - (1000 + log(2))) < 1e-12)
        #expect(SpecialFunctions.logSumExp(-.infinity, -.infinity) == -.infinity)
    }
}

@Suite struct LBFGSTests {
    /// The Rosenbrock function's minimum is at (1, 1).
    @Test func minimisesRosenbrock() {
        let result = LBFGS().minimize(from: [-1.2, 1]) { point in
            let (x, y) = (point[0], point[1])
            let value = (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x)
            return (value, [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
        }
        #expect(result.converged)
        #expect(abs(result.point[0] - 1) < 1e-6 && abs(result.point[1] - 1) < 1e-6)
    }
}

@Suite struct NelderMeadTests {
    @Test func minimisesRosenbrockWithoutGradients() {
        let result = NelderMead().minimize(from: [-1.2, 1]) { point in
            (1 - point[0]) * (1 - point[0]) + 100 * (point[1] - point[0] * point[0]) * (point[1] - point[0] * point[0])
        }
        #expect(result.converged && result.method == .nelderMead)
        #expect(abs(result.point[0] - 1) < 1e-4 && abs(result.point[1] - 1) < 1e-4, "\(result.point)")
    }

    /// A gradient spoilt by rounding (here: NaN) stops L-BFGS at its start; the minimiser
    /// then falls back to Nelder–Mead from the best point reached.
    @Test func robustMinimizerFallsBackWhenTheGradientSearchFails() throws {
        let result = try #require(
            RobustMinimizer().minimize(from: [[0, 0]]) { point in
                ((point[0] - 3) * (point[0] - 3) + (point[1] + 1) * (point[1] + 1), [.nan, .nan])
            })
        #expect(result.method == .nelderMead)
        #expect(abs(result.point[0] - 3) < 1e-4 && abs(result.point[1] + 1) < 1e-4, "\(result.point)")
    }

    /// f(x) = x has no minimum: every search runs past the bound, and none is reported.
    @Test func robustMinimizerRejectsOptimaOutsideTheBounds() {
        #expect(RobustMinimizer().minimize(from: [[0]]) { point in (point[0], [1]) } == nil)
        let bounded = RobustMinimizer().minimize(from: [[0]]) { point in (exp(point[0]) - point[0], [exp(point[0]) - 1]) }
        #expect(bounded.map { abs($0.point[0]) < 1e-6 } == true)
    }
}
