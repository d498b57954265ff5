import Foundation
import SegflowCore
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

public struct ModelFitError: Error, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

/// Maximum-likelihood fit of the BG/NBD model.
public struct BGNBD: Sendable {
    /// Adds `penalizer * (r² + α² + a² + b²)` to the mean negative log-likelihood, as
    /// lifetimes' `penalizer_coef` does: it keeps parameters finite on awkward data.
    public var penalizer: Double

    public init(penalizer: Double = 0) { self.penalizer = penalizer }

    /// Fits by L-BFGS on the log-parameters, with analytic gradients; further starting
    /// points are tried when a fit does not converge, and the best finite optimum is kept.
    public func fit(_ summary: RepeatPurchaseSummary) throws -> BGNBDModel {
        let data = WeightedSummary(summary)
        guard data.totalWeight > 0 else { throw ModelFitError(reason: "no customers to fit") }
        guard data.x.contains(where: { $0 > 0 }) else {
            throw ModelFitError(reason: "no customer made a repeat purchase: the dropout process cannot be estimated")
        }
        let meanT = zip(data.t, data.weight).reduce(0) { $0 + $1.0 * $1.1 } / data.totalWeight
        let starts: [[Double]] = [[0, 0, 0, 0], [0, log(max(meanT, 1e-3)), 0, 0], [log(0.5), log(max(meanT / 4, 1e-3)), log(0.5), log(2)]]
        // The first start nearly always works; the others are the fallback when it does not.
        var results: [LBFGS.Result] = []
        for start in starts {
            let result = LBFGS().minimize(from: start) { objective($0, data) }
            results.append(result)
            if result.converged, result.value.isFinite, result.point.allSatisfy({ abs($0) < 30 }) { break }
        }
        let best = results.filter { $0.value.isFinite }.min { $0.value < $1.value }
        guard let best, best.point.allSatisfy({ $0.isFinite && abs($0) < 30 }) else {
            throw ModelFitError(reason: "the BG/NBD fit did not converge to finite parameters; try a penalizer such as 0.001")
        }
        let parameters = best.point.map(exp)
        return BGNBDModel(r: parameters[0], alpha: parameters[1], a: parameters[2], b: parameters[3],
                          logLikelihood: -(best.value - penalty(parameters)) * data.totalWeight, iterations: best.iterations)
    }

    private func penalty(_ parameters: [Double]) -> Double { penalizer * parameters.reduce(0) { $0 + $1 * $1 } }

    /// Mean negative log-likelihood (plus penalty) and its gradient in log-parameters.
    /// The special functions depend on x only, so they are computed once per distinct x
    /// (a few hundred values) rather than once per row.
    func objective(_ logParameters: [Double], _ data: WeightedSummary) -> (value: Double, gradient: [Double]) {
        let r = exp(logParameters[0]), alpha = exp(logParameters[1]), a = exp(logParameters[2]), b = exp(logParameters[3])
        let digammaR = SpecialFunctions.digamma(r), digammaA = SpecialFunctions.digamma(a)
        let digammaB = SpecialFunctions.digamma(b), digammaAB = SpecialFunctions.digamma(a + b)
        let logBetaAB = SpecialFunctions.logBeta(a, b), logGammaR = SpecialFunctions.logGamma(r), logAlpha = log(alpha)
        let digammaA1 = SpecialFunctions.digamma(a + 1)
        // Rows are summed in fixed parts on all cores; each part caches its own per-x terms.
        let sums = Parallel.sum(count: data.x.count, width: 5) { rows in
            var perX: [Double: XTerms] = [:]
            var total = 0.0
            var gradient = [0.0, 0.0, 0.0, 0.0]
            for row in rows {
                let x = data.x[row], tx = data.tx[row], t = data.t[row], weight = data.weight[row]
                let terms: XTerms
                if let known = perX[x] {
                    terms = known
                } else {
                    terms = XTerms(
                        common: SpecialFunctions.logGamma(r + x) - logGammaR + r * logAlpha - logBetaAB,
                        logBeta1: SpecialFunctions.logBeta(a, b + x),
                        logBeta2: x > 0 ? SpecialFunctions.logBeta(a + 1, b + x - 1) : 0,
                        digammaRX: SpecialFunctions.digamma(r + x),
                        digammaBX: SpecialFunctions.digamma(b + x),
                        digammaBX1: x > 0 ? SpecialFunctions.digamma(b + x - 1) : 0,
                        digammaABX: SpecialFunctions.digamma(a + b + x))
                    perX[x] = terms
                }
                let logAlphaT = log(alpha + t)
                let u1 = terms.logBeta1 - (r + x) * logAlphaT
                var ll = terms.common + u1
                // Derivatives of u1, then blended with u2's by their softmax weights.
                var dR = -logAlphaT, dAlpha = -(r + x) / (alpha + t)
                var dA = digammaA - terms.digammaABX, dB = terms.digammaBX - terms.digammaABX
                if x > 0 {
                    let logAlphaTx = log(alpha + tx)
                    let u2 = terms.logBeta2 - (r + x) * logAlphaTx
                    let mixed = SpecialFunctions.logSumExp(u1, u2)
                    let w1 = exp(u1 - mixed), w2 = 1 - w1
                    ll = terms.common + mixed
                    dR = w1 * dR - w2 * logAlphaTx
                    dAlpha = w1 * dAlpha - w2 * (r + x) / (alpha + tx)
                    dA = w1 * dA + w2 * (digammaA1 - terms.digammaABX)
                    dB = w1 * dB + w2 * (terms.digammaBX1 - terms.digammaABX)
                }
                total += weight * ll
                gradient[0] += weight * (terms.digammaRX - digammaR + logAlpha + dR)
                gradient[1] += weight * (r / alpha + dAlpha)
                gradient[2] += weight * (-(digammaA - digammaAB) + dA)
                gradient[3] += weight * (-(digammaB - digammaAB) + dB)
            }
            return [total] + gradient
        }
        let total = sums[0], gradient = Array(sums[1...])
        let n = data.totalWeight
        let parameters = [r, alpha, a, b]
        let value = -total / n + penalty(parameters)
        // Chain rule to log-parameters: d/dlogθ = θ · d/dθ; the penalty θ² gives 2θ².
        return (value, (0..<4).map { -gradient[$0] * parameters[$0] / n + 2 * penalizer * parameters[$0] * parameters[$0] })
    }

    /// Per-x parts of the likelihood and its gradient.
    private struct XTerms {
        var common: Double
        var logBeta1: Double
        var logBeta2: Double
        var digammaRX: Double
        var digammaBX: Double
        var digammaBX1: Double
        var digammaABX: Double
    }
}
