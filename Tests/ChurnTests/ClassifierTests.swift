import Churn
import Foundation
import LinearAlgebra
import SegflowCore
import Testing

@Suite struct LogisticRegressionTests {
    /// Seeded data from a known logistic model.
    func sample(_ n: Int, seed: UInt64) -> (Matrix<Double>, [Bool]) {
        var random = RandomSource(seed: seed)
        var elements: [Double] = [], labels: [Bool] = []
        for _ in 0..<n {
            let a = random.normal() * 3 + 10, b = random.normal()
            elements += [a, b]
            let z = -0.5 + 0.8 * (a - 10) / 3 - 1.2 * b
            labels.append(random.unit() < 1 / (1 + exp(-z)))
        }
        return (Matrix(rows: n, columns: 2, elements: elements), labels)
    }

    /// At the optimum the penalised gradient vanishes: Σ (p − y)·x̃ + w / C = 0.
    @Test func solutionSatisfiesTheFirstOrderConditions() throws {
        let (features, labels) = sample(2000, seed: 4)
        let model = try LogisticRegression(inverseRegularization: 0.5).fit(features: features, labels: labels)
        let p = model.probabilities(features)
        var gradient = [0.0, 0.0, 0.0]
        for row in 0..<features.rows {
            let residual = p[row] - (labels[row] ? 1 : 0)
            gradient[0] += residual
            for column in 0..<2 { gradient[column + 1] += residual * (features[row, column] - model.mean[column]) / model.scale[column] }
        }
        gradient[1] += model.coefficients[0] / 0.5
        gradient[2] += model.coefficients[1] / 0.5
        #expect(gradient.allSatisfy { abs($0) < 1e-8 }, "\(gradient)")
        #expect(model.coefficients[0] > 0.5 && model.coefficients[1] < -0.8, "recovers the signs and sizes: \(model.coefficients)")
    }

    @Test func singleClassAndSingularInputsAreNamed() {
        let features = Matrix<Double>(rows: 4, columns: 2, elements: [1, 2, 2, 4, 3, 6, 4, 8])
        #expect(throws: LogisticRegression.FitError.singleClass(label: false)) {
            try LogisticRegression().fit(features: features, labels: [false, false, false, false])
        }
        // The second column is twice the first: without regularisation the system is singular.
        #expect(throws: LogisticRegression.FitError.singular) {
            try LogisticRegression(inverseRegularization: .infinity).fit(features: features, labels: [false, true, false, true])
        }
    }
}

@Suite struct ClassifierEvaluationTests {
    /// scikit-learn's roc_auc_score example: [0.1, 0.4, 0.35, 0.8] for [0, 0, 1, 1] gives 0.75.
    @Test func handComputedMetrics() {
        let evaluation = ClassifierEvaluation(probabilities: [0.1, 0.4, 0.35, 0.8], outcomes: [false, false, true, true])
        #expect(evaluation.rocAUC == 0.75)
        let logLoss = -(log(0.9) + log(0.6) + log(0.35) + log(0.8)) / 4
        #expect(abs(evaluation.logLoss - logLoss) < 1e-12)
        #expect(abs(evaluation.brierScore - (0.01 + 0.16 + 0.4225 + 0.04) / 4) < 1e-12)
        // Top 10% of 4 customers is 1 customer (0.8, a positive): lift 1 / 0.5 = 2, capture 1 of 2.
        #expect(evaluation.topDecileLift == 2)
        #expect(evaluation.topDecileCapture == 0.5)
        // 0.35 falls in [0.3, 0.4), 0.4 in [0.4, 0.5).
        #expect(evaluation.calibration[3].count == 1 && evaluation.calibration[3].observedRate == 1)
        #expect(evaluation.calibration[4].count == 1 && evaluation.calibration[4].observedRate == 0)
        #expect(evaluation.calibration.map(\.count).reduce(0, +) == 4)
    }

    @Test func tiesCountHalfInTheAUC() {
        #expect(ClassifierEvaluation(probabilities: [0.5, 0.5], outcomes: [true, false]).rocAUC == 0.5)
        #expect(ClassifierEvaluation(probabilities: [0.2, 0.9], outcomes: [true, true]).rocAUC == nil)
    }
}
