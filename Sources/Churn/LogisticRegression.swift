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
        let (mean, scale) = Self.columnMoments(features)
        // Design matrix: intercept column, then the standardised features.
        let width = d + 1
        var design = [Double](repeating: 1, count: n * width)
        design.withUnsafeMutableBufferPointer { design in
            features.elements.withUnsafeBufferPointer { raw in
                Parallel.forEach(parts: 16) { part in
                    for row in Parallel.slice(part, of: 16, count: n) {
                        for column in 0..<d { design[row * width + column + 1] = (raw[row * d + column] - mean[column]) / scale[column] }
                    }
                }
            }
        }
        let lambda = 1 / inverseRegularization
        var start = [Double](repeating: 0, count: width)
        // On large inputs Newton starts from the optimum of every 16th row (with the penalty
        // scaled to the sample's size): two or three full passes then finish the fit.
        let sampleRows = n >= 100_000 ? Array(stride(from: 0, to: n, by: 16)) : []
        let sampleLabels = sampleRows.map { labels[$0] }
        if sampleLabels.contains(true), sampleLabels.contains(false) {
            let sampleDesign = sampleRows.flatMap { design[($0 * width)..<($0 * width + width)] }
            if let warm = try? newton(
                design: sampleDesign, width: width, labels: sampleLabels,
                lambda: lambda * Double(sampleRows.count) / Double(n), from: start)
            {
                start = warm.beta
            }
        }
        let (beta, iterations) = try newton(design: design, width: width, labels: labels, lambda: lambda, from: start)
        return LogisticModel(intercept: beta[0], coefficients: Array(beta.dropFirst()), mean: mean, scale: scale, iterations: iterations)
    }

    /// Newton's method from `start` on a design with the intercept in column 0 (not penalised).
    private func newton(design: [Double], width: Int, labels: [Bool], lambda: Double, from start: [Double]) throws -> (
        beta: [Double], iterations: Int
    ) {
        var beta = start
        for iteration in 1...maxIterations {
            let sums = Self.gradientAndHessian(design: design, width: width, labels: labels, beta: beta)
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
            // Newton converges quadratically: after a step of size h the error is of order h²,
            // so a step below √tolerance leaves the coefficients within tolerance.
            if step.elements.map(abs).max() ?? 0 < tolerance.squareRoot() { return (beta, iteration) }
        }
        throw FitError.notConverged(iterations: maxIterations)
    }

    /// Population mean and standard deviation of each column (1 for a constant column), in
    /// one row-major pass per moment.
    static func columnMoments(_ features: Matrix<Double>) -> (mean: [Double], scale: [Double]) {
        let n = features.rows, d = features.columns
        let sums = features.elements.withUnsafeBufferPointer { raw in
            Parallel.sum(count: n, width: d) { rows in
                var sum = [Double](repeating: 0, count: d)
                for row in rows { for column in 0..<d { sum[column] += raw[row * d + column] } }
                return sum
            }
        }
        let mean = sums.map { $0 / Double(max(n, 1)) }
        let squares = features.elements.withUnsafeBufferPointer { raw in
            Parallel.sum(count: n, width: d) { rows in
                var sum = [Double](repeating: 0, count: d)
                for row in rows {
                    for column in 0..<d {
                        let deviation = raw[row * d + column] - mean[column]
                        sum[column] += deviation * deviation
                    }
                }
                return sum
            }
        }
        let scale = squares.map { value -> Double in
            let deviation = (value / Double(max(n, 1))).squareRoot()
            return deviation > 0 ? deviation : 1
        }
        return (mean, scale)
    }

    /// Gradient Xᵀ(p − y) followed by the upper triangle of the Hessian Xᵀ diag(p(1−p)) X,
    /// row by row, in one pass over the design: on all cores in fixed parts, summed in part
    /// order (deterministic).
    static func gradientAndHessian(design: [Double], width: Int, labels: [Bool], beta: [Double]) -> [Double] {
        let triangle = width * (width + 1) / 2
        return design.withUnsafeBufferPointer { design in
            labels.withUnsafeBufferPointer { labels in
                Parallel.sum(count: labels.count, width: width + triangle) { rows in
                    var partial = [Double](repeating: 0, count: width + triangle)
                    partial.withUnsafeMutableBufferPointer { partial in
                        for row in rows {
                            let values = design.baseAddress! + row * width
                            var z = 0.0
                            for column in 0..<width { z += values[column] * beta[column] }
                            let p = 1 / (1 + exp(-z))
                            let residual = p - (labels[row] ? 1 : 0)
                            let curvature = p * (1 - p)
                            for i in 0..<width { partial[i] += residual * values[i] }
                            var cell = width
                            for i in 0..<width {
                                let scaled = curvature * values[i]
                                for j in i..<width { partial[cell + j - i] += scaled * values[j] }
                                cell += width - i
                            }
                        }
                    }
                    return partial
                }
            }
        }
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
