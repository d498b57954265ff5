import Foundation
import Statistics

/// The BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy way"):
/// while alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each
/// purchase they drop out with probability p ~ Beta(a, b).
public struct BGNBDModel: Sendable, Equatable {
    public var r: Double
    public var alpha: Double
    public var a: Double
    public var b: Double
    /// Total log-likelihood of the fitted summary, and the optimiser's iterations.
    public var logLikelihood: Double
    public var iterations: Int

    public init(r: Double, alpha: Double, a: Double, b: Double, logLikelihood: Double = .nan, iterations: Int = 0) {
        self.r = r
        self.alpha = alpha
        self.a = a
        self.b = b
        self.logLikelihood = logLikelihood
        self.iterations = iterations
    }

    /// P(alive | x, tx, t): eq. (A10) of Fader, Hardie & Lee (2005), in log space.
    public func probabilityAlive(x: Double, tx: Double, t: Double) -> Double {
        guard x > 0 else { return 1 }
        let logRatio = log(a) - log(b + x - 1) + (r + x) * (log(alpha + t) - log(alpha + tx))
        return 1 / (1 + exp(logRatio))
    }

    /// E[purchases in (t, t + horizon] | x, tx, t]: eq. (10) of the paper. The Gauss
    /// hypergeometric term is summed as a series in z = horizon / (alpha + t + horizon) < 1.
    public func expectedPurchases(horizon: Double, x: Double, tx: Double, t: Double) -> Double {
        let z = horizon / (alpha + t + horizon)
        let hypergeometric = Self.gaussHypergeometric(r + x, b + x, a + b + x - 1, z)
        let first = (a + b + x - 1) / (a - 1) * (1 - pow((alpha + t) / (alpha + t + horizon), r + x) * hypergeometric)
        let second = x > 0 ? (a / (b + x - 1)) * pow((alpha + t) / (alpha + tx), r + x) : 0
        return first / (1 + second)
    }

    /// 2F1(a, b; c; z) for |z| < 1 by its power series, summed until terms vanish.
    static func gaussHypergeometric(_ a: Double, _ b: Double, _ c: Double, _ z: Double) -> Double {
        var term = 1.0, sum = 1.0
        for n in 0..<100_000 {
            let k = Double(n)
            term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
            sum += term
            if abs(term) <= 1e-15 * abs(sum) { break }
        }
        return sum
    }
}

public struct BGNBDFitError: Error, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

/// Maximum-likelihood fit of the BG/NBD model.
public struct BGNBD: Sendable {
    /// Adds `penalizer * (r² + α² + a² + b²)` to the mean negative log-likelihood, as
    /// lifetimes' `penalizer_coef` does: it keeps parameters finite on awkward data.
    public var penalizer: Double

    public init(penalizer: Double = 0) { self.penalizer = penalizer }

    /// Fits by L-BFGS on the log-parameters, with analytic gradients, from several starts;
    /// keeps the best finite optimum.
    public func fit(_ summary: RepeatPurchaseSummary) throws -> BGNBDModel {
        let data = WeightedSummary(summary)
        guard data.totalWeight > 0 else { throw BGNBDFitError(reason: "no customers to fit") }
        guard data.x.contains(where: { $0 > 0 }) else {
            throw BGNBDFitError(reason: "no customer made a repeat purchase: the dropout process cannot be estimated")
        }
        let meanT = zip(data.t, data.weight).reduce(0) { $0 + $1.0 * $1.1 } / data.totalWeight
        let starts: [[Double]] = [[0, 0, 0, 0], [0, log(max(meanT, 1e-3)), 0, 0], [log(0.5), log(max(meanT / 4, 1e-3)), log(0.5), log(2)]]
        let results = starts.map { start in LBFGS().minimize(from: start) { objective($0, data) } }
        let best = results.filter { $0.value.isFinite }.min { $0.value < $1.value }
        guard let best, best.point.allSatisfy({ $0.isFinite && abs($0) < 30 }) else {
            throw BGNBDFitError(reason: "the BG/NBD fit did not converge to finite parameters; try a penalizer such as 0.001")
        }
        let parameters = best.point.map(exp)
        return BGNBDModel(r: parameters[0], alpha: parameters[1], a: parameters[2], b: parameters[3],
                          logLikelihood: -(best.value - penalty(parameters)) * data.totalWeight, iterations: best.iterations)
    }

    private func penalty(_ parameters: [Double]) -> Double { penalizer * parameters.reduce(0) { $0 + $1 * $1 } }

    /// Mean negative log-likelihood (plus penalty) and its gradient in log-parameters.
    func objective(_ logParameters: [Double], _ data: WeightedSummary) -> (value: Double, gradient: [Double]) {
        let r = exp(logParameters[0]), alpha = exp(logParameters[1]), a = exp(logParameters[2]), b = exp(logParameters[3])
        let digammaR = SpecialFunctions.digamma(r), digammaA = SpecialFunctions.digamma(a)
        let digammaB = SpecialFunctions.digamma(b), digammaAB = SpecialFunctions.digamma(a + b)
        let logBetaAB = SpecialFunctions.logBeta(a, b), logGammaR = SpecialFunctions.logGamma(r), logAlpha = log(alpha)
        var total = 0.0
        var gradient = [0.0, 0.0, 0.0, 0.0]
        for row in 0..<data.x.count {
            let x = data.x[row], tx = data.tx[row], t = data.t[row], weight = data.weight[row]
            let common = SpecialFunctions.logGamma(r + x) - logGammaR + r * logAlpha - logBetaAB
            let digammaABX = SpecialFunctions.digamma(a + b + x)
            let u1 = SpecialFunctions.logBeta(a, b + x) - (r + x) * log(alpha + t)
            var ll = common + u1
            // Derivatives of u1, then blended with u2's by their softmax weights.
            var dR = -log(alpha + t), dAlpha = -(r + x) / (alpha + t)
            var dA = digammaA - digammaABX, dB = SpecialFunctions.digamma(b + x) - digammaABX
            if x > 0 {
                let u2 = SpecialFunctions.logBeta(a + 1, b + x - 1) - (r + x) * log(alpha + tx)
                let mixed = SpecialFunctions.logSumExp(u1, u2)
                let w1 = exp(u1 - mixed), w2 = exp(u2 - mixed)
                ll = common + mixed
                dR = w1 * dR + w2 * -log(alpha + tx)
                dAlpha = w1 * dAlpha + w2 * -(r + x) / (alpha + tx)
                dA = w1 * dA + w2 * (SpecialFunctions.digamma(a + 1) - digammaABX)
                dB = w1 * dB + w2 * (SpecialFunctions.digamma(b + x - 1) - digammaABX)
            }
            total += weight * ll
            gradient[0] += weight * (SpecialFunctions.digamma(r + x) - digammaR + logAlpha + dR) * r
            gradient[1] += weight * (r / alpha + dAlpha) * alpha
            gradient[2] += weight * (-(digammaA - digammaAB) + dA) * a
            gradient[3] += weight * (-(digammaB - digammaAB) + dB) * b
        }
        let n = data.totalWeight
        let parameters = [r, alpha, a, b]
        let value = -total / n + penalty(parameters)
        let penaltyGradient = parameters.map { 2 * penalizer * $0 * $0 }  // d/dlogθ of θ²
        return (value, zip(gradient, penaltyGradient).map { -$0 / n + $1 })
    }
}
