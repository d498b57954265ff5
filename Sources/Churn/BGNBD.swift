import Foundation
import SegflowCore
import Statistics

/// The BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy way"):
/// while alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each
/// repeat purchase they drop out with probability p ~ Beta(a, b).
///
/// `modified` is the MBG/NBD of Batislam, Denizel & Filiztekin (2007): the customer may also
/// drop out right after the first purchase, so a one-time buyer long silent is likely gone
/// (BG/NBD holds them alive). Its expressions are BG/NBD's with b + x − 1 read as b + x
/// wherever the dropout history enters, and the dropout term present for x = 0 too.
public struct BGNBDModel: PurchaseModel {
    public var r: Double
    public var alpha: Double
    public var a: Double
    public var b: Double
    public var modified: Bool
    /// Total log-likelihood of the fitted summary, and the optimiser and its iterations.
    public var logLikelihood: Double
    public var iterations: Int
    public var optimizer: String

    public init(
        r: Double, alpha: Double, a: Double, b: Double, modified: Bool = false, logLikelihood: Double = .nan, iterations: Int = 0,
        optimizer: String = ""
    ) {
        self.r = r
        self.alpha = alpha
        self.a = a
        self.b = b
        self.modified = modified
        self.logLikelihood = logLikelihood
        self.iterations = iterations
        self.optimizer = optimizer
    }

    /// 1 for MBG/NBD: the dropout chances so far are x + 1, not x.
    private var shift: Double { modified ? 1 : 0 }
    /// Whether the customer could have dropped out already (after a repeat purchase, or after
    /// the first under MBG/NBD).
    private func couldHaveDroppedOut(_ x: Double) -> Bool { x > 0 || modified }

    /// ln L(r, α, a, b | x, t_x, T) for one customer: eq. (6) of the paper (Batislam et al.'s
    /// eq. (3) for MBG/NBD).
    public func logLikelihood(x: Double, tx: Double, t: Double) -> Double {
        let common = SpecialFunctions.logGamma(r + x) - SpecialFunctions.logGamma(r) + r * log(alpha) - SpecialFunctions.logBeta(a, b)
        let alive = SpecialFunctions.logBeta(a, b + x + shift) - (r + x) * log(alpha + t)
        guard couldHaveDroppedOut(x) else { return common + alive }
        let gone = SpecialFunctions.logBeta(a + 1, b + x - 1 + shift) - (r + x) * log(alpha + tx)
        return common + SpecialFunctions.logSumExp(alive, gone)
    }

    /// P(alive | x, tx, t): eq. (A10) of Fader, Hardie & Lee (2005), in log space.
    public func probabilityAlive(x: Double, tx: Double, t: Double) -> Double {
        guard couldHaveDroppedOut(x) else { return 1 }
        let logRatio = log(a) - log(b + x - 1 + shift) + (r + x) * (log(alpha + t) - log(alpha + tx))
        return 1 / (1 + exp(logRatio))
    }

    /// E[purchases in (t, t + horizon] | x, tx, t]: eq. (10) of the paper. The Gauss
    /// hypergeometric term is summed as a series in z = horizon / (alpha + t + horizon) < 1.
    public func expectedPurchases(horizon: Double, x: Double, tx: Double, t: Double) -> Double {
        let z = horizon / (alpha + t + horizon)
        let hypergeometric = Self.gaussHypergeometric(r + x, b + x + shift, a + b + x - 1 + shift, z)
        let first = (a + b + x - 1 + shift) / (a - 1) * (1 - pow((alpha + t) / (alpha + t + horizon), r + x) * hypergeometric)
        let second = couldHaveDroppedOut(x) ? (a / (b + x - 1 + shift)) * pow((alpha + t) / (alpha + tx), r + x) : 0
        return first / (1 + second)
    }

    /// A customer alive at T with rate λ makes no purchase in the next h with probability
    /// e^{−λh}, and under BG/NBD (and MBG/NBD) cannot drop out before purchasing again; over λ's posterior
    /// Gamma(r + x, α + T) that is ((α + T) / (α + T + h))^{r + x}. So P(purchase within h) =
    /// P(alive) · (1 − ((α + T) / (α + T + h))^{r + x}).
    public func purchaseProbability(within horizon: Double, x: Double, tx: Double, t: Double) -> Double {
        probabilityAlive(x: x, tx: tx, t: t) * (1 - pow((alpha + t) / (alpha + t + horizon), r + x))
    }

    /// `purchaseProbability` inverted: (α + T) · ((1 − q / P(alive))^{−1 / (r + x)} − 1), and
    /// never when P(alive) ≤ q.
    public func timeToPurchase(probability: Double, x: Double, tx: Double, t: Double, limit: Double) -> Double? {
        let alive = probabilityAlive(x: x, tx: tx, t: t)
        guard alive > probability else { return nil }
        let time = (alpha + t) * (pow(1 - probability / alive, -1 / (r + x)) - 1)
        return time <= limit ? time : nil
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

/// Maximum-likelihood fit of the BG/NBD model, or with `modified` of MBG/NBD.
public struct BGNBD: Sendable {
    /// Adds `penalizer * (r² + α² + a² + b²)` to the mean negative log-likelihood, as
    /// lifetimes' `penalizer_coef` does: it keeps parameters finite on awkward data.
    public var penalizer: Double
    public var modified: Bool

    public init(penalizer: Double = 0, modified: Bool = false) {
        self.penalizer = penalizer
        self.modified = modified
    }

    private var shift: Double { modified ? 1 : 0 }

    /// Fits by L-BFGS on the log-parameters, with analytic gradients, through
    /// `WeightedSummary.minimize`: warm-started from a sample on large inputs, with further
    /// starting points and then Nelder–Mead when a search fails.
    public func fit(_ summary: RepeatPurchaseSummary) throws -> BGNBDModel {
        let data = WeightedSummary(summary)
        guard data.totalWeight > 0 else { throw ModelFitError(reason: "no customers to fit") }
        guard modified || data.xLevels.contains(where: { $0 > 0 }) else {
            throw ModelFitError(reason: "no customer made a repeat purchase: the dropout process cannot be estimated")
        }
        let meanT = (0..<data.count).reduce(0) { $0 + data.t($1) * data.weight[$1] } / data.totalWeight
        let starts: [[Double]] = [[0, 0, 0, 0], [0, log(max(meanT, 1e-3)), 0, 0], [log(0.5), log(max(meanT / 4, 1e-3)), log(0.5), log(2)]]
        guard let best = data.minimize(from: starts, objective) else {
            throw ModelFitError(
                reason: "the \(modified ? "MBG/NBD" : "BG/NBD") fit did not converge to finite parameters; try a penalizer such as 0.001")
        }
        let parameters = best.point.map(exp)
        return BGNBDModel(
            r: parameters[0], alpha: parameters[1], a: parameters[2], b: parameters[3], modified: modified,
            logLikelihood: -(best.value - penalty(parameters)) * data.totalWeight, iterations: best.iterations,
            optimizer: best.method.rawValue)
    }

    private func penalty(_ parameters: [Double]) -> Double { penalizer * parameters.reduce(0) { $0 + $1 * $1 } }

    /// Mean negative log-likelihood (plus penalty) and its gradient in log-parameters.
    /// Terms that depend on x alone (the special functions) or on one time alone (the
    /// logarithms of α + t) are computed once per level; a row then costs one exp, or
    /// nothing transcendental when x = 0.
    func objective(_ logParameters: [Double], _ data: WeightedSummary) -> (value: Double, gradient: [Double]) {
        let r = exp(logParameters[0]), alpha = exp(logParameters[1]), a = exp(logParameters[2]), b = exp(logParameters[3])
        let digammaR = SpecialFunctions.digamma(r), digammaA = SpecialFunctions.digamma(a)
        let digammaB = SpecialFunctions.digamma(b), digammaAB = SpecialFunctions.digamma(a + b)
        let logBetaAB = SpecialFunctions.logBeta(a, b), logGammaR = SpecialFunctions.logGamma(r), logAlpha = log(alpha)
        let digammaA1 = SpecialFunctions.digamma(a + 1)
        let perX = data.xLevels.map { x in
            XTerms(
                x: x,
                common: SpecialFunctions.logGamma(r + x) - logGammaR + r * logAlpha - logBetaAB,
                logBeta1: SpecialFunctions.logBeta(a, b + x + shift),
                logBeta2: x > 0 || modified ? SpecialFunctions.logBeta(a + 1, b + x - 1 + shift) : 0,
                digammaRX: SpecialFunctions.digamma(r + x),
                digammaBX: SpecialFunctions.digamma(b + x + shift),
                digammaBX1: x > 0 || modified ? SpecialFunctions.digamma(b + x - 1 + shift) : 0,
                digammaABX: SpecialFunctions.digamma(a + b + x + shift))
        }
        let logAlphaTime = data.timeLevels.map { log(alpha + $0) }
        let inverseAlphaTime = data.timeLevels.map { 1 / (alpha + $0) }
        // Rows are summed in fixed parts on all cores.
        let sums = Parallel.sum(count: data.count, width: 5) { rows in
            perX.withUnsafeBufferPointer { perX in
                logAlphaTime.withUnsafeBufferPointer { logAlphaTime in
                    inverseAlphaTime.withUnsafeBufferPointer { inverseAlphaTime in
                        data.withRowBuffers { xCode, txCode, tCode, weight in
                            var total = 0.0, gradientR = 0.0, gradientAlpha = 0.0, gradientA = 0.0, gradientB = 0.0
                            // Σ ln(1 + ratio) over unit-weight rows is taken as the log of a running
                            // product, renormalised by exponent: one log per block instead of per row.
                            var product = 1.0, exponent = 0, pending = 0
                            for row in rows {
                                let terms = perX[Int(xCode[row])], rowWeight = weight[row]
                                let t = Int(tCode[row]), x = terms.x
                                let logAlphaT = logAlphaTime[t]
                                let u1 = terms.logBeta1 - (r + x) * logAlphaT
                                var ll = terms.common + u1
                                // Derivatives of u1, then blended with u2's by their softmax weights.
                                var dR = -logAlphaT, dAlpha = -(r + x) * inverseAlphaTime[t]
                                var dA = digammaA - terms.digammaABX, dB = terms.digammaBX - terms.digammaABX
                                if x > 0 || modified {
                                    let tx = Int(txCode[row])
                                    let logAlphaTx = logAlphaTime[tx]
                                    let u2 = terms.logBeta2 - (r + x) * logAlphaTx
                                    // ln(e^u1 + e^u2) = max + ln(1 + ratio), and e^u1 / (e^u1 + e^u2), from one exp.
                                    let ratio = exp(-abs(u1 - u2))
                                    ll = terms.common + max(u1, u2)
                                    if rowWeight == 1 {
                                        product *= 1 + ratio
                                        pending += 1
                                        if pending == 512 {  // (1 + ratio) ≤ 2, so 512 factors stay finite
                                            exponent += Int(product.exponent)
                                            product = product.significand
                                            pending = 0
                                        }
                                    } else {
                                        ll += log(1 + ratio)
                                    }
                                    let w1 = u1 >= u2 ? 1 / (1 + ratio) : ratio / (1 + ratio), w2 = 1 - w1
                                    dR = w1 * dR - w2 * logAlphaTx
                                    dAlpha = w1 * dAlpha - w2 * (r + x) * inverseAlphaTime[tx]
                                    dA = w1 * dA + w2 * (digammaA1 - terms.digammaABX)
                                    dB = w1 * dB + w2 * (terms.digammaBX1 - terms.digammaABX)
                                }
                                total += rowWeight * ll
                                gradientR += rowWeight * (terms.digammaRX + dR)
                                gradientAlpha += rowWeight * dAlpha
                                gradientA += rowWeight * dA
                                gradientB += rowWeight * dB
                            }
                            total += log(product) + Double(exponent) * M_LN2
                            return [total, gradientR, gradientAlpha, gradientA, gradientB]
                        }
                    }
                }
            }
        }
        // Terms that are the same for every row are added once, times the total weight.
        let n = data.totalWeight
        let gradient = [
            sums[1] + n * (logAlpha - digammaR), sums[2] + n * r / alpha,
            sums[3] - n * (digammaA - digammaAB), sums[4] - n * (digammaB - digammaAB),
        ]
        let parameters = [r, alpha, a, b]
        let value = -sums[0] / n + penalty(parameters)
        // Chain rule to log-parameters: d/dlogθ = θ · d/dθ; the penalty θ² gives 2θ².
        return (value, (0..<4).map { -gradient[$0] * parameters[$0] / n + 2 * penalizer * parameters[$0] * parameters[$0] })
    }

    /// Per-x parts of the likelihood and its gradient.
    private struct XTerms {
        var x: Double
        var common: Double
        var logBeta1: Double
        var logBeta2: Double
        var digammaRX: Double
        var digammaBX: Double
        var digammaBX1: Double
        var digammaABX: Double
    }
}
