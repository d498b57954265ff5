import Foundation
import LinearAlgebra
import SegflowCore

/// L2-regularised logistic regression fitted by Newton's method (iteratively reweighted
/// least squares), each step solving the normal equations by Cholesky (LAPACK `dposv`).
/// Features are standardised to mean 0, variance 1 first; coefficients are on that scale.
/// The objective is scikit-learn's: C · Σ log-loss + ½ ||w||², intercept not penalised.
public struct LogisticRegression: Sendable {
    /// Inverse regularisation strength, as scikit-learn's `C`.
    public var inverseRegularization: Double
    public var maxIterations = 100
    public var tolerance = 1e-10

    public init(inverseRegularization: Double = 1) { self.inverseRegularization = inverseRegularization }

    public enum FitError: Error, Equatable, CustomStringConvertible {
        case singleClass(label: Bool)
        case singular
        case notConverged(iterations: Int)

        public var description: String {
            switch self {
            case .singleClass(let label):
                return "every training customer is labelled \(label ? "churned" : "retained"): there is nothing to learn"
            case .singular:
                return "the normal equations are singular (collinear or constant features)"
            case .notConverged(let iterations):
                return "Newton's method did not converge in \(iterations) iterations"
            }
        }
    }

    /// `features` is n x d, row-major; `labels` true for the positive class.
    public func fit(features: Matrix<Double>, labels: [Bool]) throws -> LogisticModel {
        let n = features.rows, d = features.columns
        precondition(labels.count == n, "one label per row")
        let positives = labels.filter { $0 }.count
        if positives == 0 || positives == n { throw FitError.singleClass(label: positives == n) }
        var mean = [Double](repeating: 0, count: d), scale = [Double](repeating: 1, count: d)
        for column in 0..<d {
            var sum = 0.0, squares = 0.0
            for row in 0..<n { sum += features[row, column] }
            mean[column] = sum / Double(n)
            for row in 0..<n { squares += (features[row, column] - mean[column]) * (features[row, column] - mean[column]) }
            let deviation = (squares / Double(n)).squareRoot()
            scale[column] = deviation > 0 ? deviation : 1
        }
        // Design matrix: intercept column, then the standardised features.
        let width = d + 1
        var design = [Double](repeating: 1, count: n * width)
        for row in 0..<n {
            for column in 0..<d { design[row * width + column + 1] = (features[row, column] - mean[column]) / scale[column] }
        }
        let lambda = 1 / inverseRegularization
        var beta = [Double](repeating: 0, count: width)
        for iteration in 1...maxIterations {
            // Gradient Xᵀ(p − y) and Hessian Xᵀ diag(p(1−p)) X (upper triangle) in one pass,
            // on all cores in fixed parts, summed in part order (deterministic).
            let coefficients = beta
            let triangle = width * (width + 1) / 2
            let sums = Parallel.sum(count: n, width: width + triangle) { rows in
                var partial = [Double](repeating: 0, count: width + triangle)
                for row in rows {
                    let offset = row * width
                    var z = 0.0
                    for column in 0..<width { z += design[offset + column] * coefficients[column] }
                    let p = 1 / (1 + exp(-z))
                    let residual = p - (labels[row] ? 1 : 0)
                    let curvature = p * (1 - p)
                    var cell = width
                    for i in 0..<width {
                        let value = design[offset + i]
                        partial[i] += residual * value
                        let scaled = curvature * value
                        for j in i..<width {
                            partial[cell] += scaled * design[offset + j]
                            cell += 1
                        }
                    }
                }
                return partial
            }
            var gradient = Array(sums[0..<width])
            var hessian = Matrix<Double>(rows: width, columns: width)
            var cell = width
            for i in 0..<width {
                for j in i..<width {
                    hessian[i, j] = sums[cell]
                    hessian[j, i] = sums[cell]
                    cell += 1
                }
            }
            for column in 1..<width {
                hessian[column, column] += lambda
                gradient[column] += lambda * beta[column]
            }
            let step: Matrix<Double>
            do { step = try hessian.solvingPositiveDefinite(Matrix(rows: width, columns: 1, elements: gradient)) } catch {
                throw FitError.singular
            }
            for column in 0..<width { beta[column] -= step.elements[column] }
            if step.elements.map(abs).max() ?? 0 < tolerance {
                return LogisticModel(intercept: beta[0], coefficients: Array(beta.dropFirst()), mean: mean, scale: scale,
                                     iterations: iteration)
            }
        }
        throw FitError.notConverged(iterations: maxIterations)
    }
}

/// A fitted logistic model: coefficients on standardised features.
public struct LogisticModel: Sendable, Equatable {
    public var intercept: Double
    public var coefficients: [Double]
    public var mean: [Double]
    public var scale: [Double]
    public var iterations: Int

    /// P(positive) for each row of raw (unstandardised) features.
    public func probabilities(_ features: Matrix<Double>) -> [Double] {
        (0..<features.rows).map { row in
            var z = intercept
            for column in 0..<coefficients.count {
                z += coefficients[column] * (features[row, column] - mean[column]) / scale[column]
            }
            return 1 / (1 + exp(-z))
        }
    }
}
