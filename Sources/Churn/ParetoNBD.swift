import Foundation
import SegflowCore
import Statistics

/// The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): while alive, purchases are
/// Poisson with rate λ ~ Gamma(r, α); lifetimes are exponential with rate μ ~ Gamma(s, β).
/// Likelihood as in Fader & Hardie (2005), "A note on deriving the Pareto/NBD model and
/// related expressions", eq. (22), with the Gauss hypergeometric function summed as a series.
public struct ParetoNBDModel: Sendable, Equatable {
    public var r: Double
    public var alpha: Double
    public var s: Double
    public var beta: Double
    public var logLikelihood: Double
    public var iterations: Int
    public var optimizer: String

    public init(
        r: Double, alpha: Double, s: Double, beta: Double, logLikelihood: Double = .nan, iterations: Int = 0,
        optimizer: String = ""
    ) {
        self.r = r
        self.alpha = alpha
        self.s = s
        self.beta = beta
        self.logLikelihood = logLikelihood
        self.iterations = iterations
        self.optimizer = optimizer
    }

    /// ln L(r, α, s, β | x, t_x, T) for one customer.
    public func logLikelihood(x: Double, tx: Double, t: Double) -> Double {
        let terms = Self.likelihoodTerms(r: r, alpha: alpha, s: s, beta: beta, x: x, tx: tx, t: t)
        return terms.common + (terms.dead.isFinite ? SpecialFunctions.logSumExp(terms.alive, terms.dead) : terms.alive)
    }

    /// P(alive | x, t_x, T): the alive term's share of the likelihood (the note's eq. (18)).
    public func probabilityAlive(x: Double, tx: Double, t: Double) -> Double {
        let terms = Self.likelihoodTerms(r: r, alpha: alpha, s: s, beta: beta, x: x, tx: tx, t: t)
        return terms.dead.isFinite ? 1 / (1 + exp(terms.dead - terms.alive)) : 1
    }

    /// E[purchases in (T, T + horizon] | x, t_x, T] (the note's eq. (41)): the expected
    /// purchases of a customer known to be alive, times P(alive).
    public func expectedPurchases(horizon: Double, x: Double, tx: Double, t: Double) -> Double {
        let rateTimesLifetime: Double
        if abs(s - 1) < 1e-9 {
            rateTimesLifetime = (r + x) * (beta + t) / (alpha + t) * log((beta + t + horizon) / (beta + t))
        } else {
            rateTimesLifetime = (r + x) * (beta + t) / ((alpha + t) * (s - 1)) * (1 - pow((beta + t) / (beta + t + horizon), s - 1))
        }
        return rateTimesLifetime * probabilityAlive(x: x, tx: tx, t: t)
    }

    /// A customer alive at T makes the next purchase at u with density λ e^{−(λ+μ)u}; over the
    /// posteriors λ ~ Gamma(r + x, α + T) and μ ~ Gamma(s, β + T), independent given alive,
    /// that is (r + x)/(α + T) · ((α + T)/(α + T + u))^{r+x+1} · ((β + T)/(β + T + u))^s.
    /// Integrated over (0, h] by 32-point Gauss-Legendre on a log scale of u, times P(alive).
    public func purchaseProbability(within horizon: Double, x: Double, tx: Double, t: Double) -> Double {
        guard horizon > 0 else { return 0 }
        let purchaseScale = alpha + t, dropoutScale = beta + t
        func density(_ u: Double) -> Double {
            (r + x) / purchaseScale * pow(purchaseScale / (purchaseScale + u), r + x + 1) * pow(dropoutScale / (dropoutScale + u), s)
        }
        // u = e^v − 1 scaled: the density falls over orders of magnitude of u.
        let upper = log1p(horizon / purchaseScale)
        var integral = 0.0
        for (node, weight) in zip(GaussLegendre.nodes32, GaussLegendre.weights32) {
            let v = upper * (node + 1) / 2
            let u = purchaseScale * expm1(v)
            integral += weight * density(u) * purchaseScale * exp(v)
        }
        return probabilityAlive(x: x, tx: tx, t: t) * min(integral * upper / 2, 1)
    }

    /// The likelihood as common + ln(e^alive + e^dead): `alive` for a customer still alive at
    /// T, `dead` for one who died between t_x and T (−∞ when t_x = T).
    static func likelihoodTerms(
        r: Double, alpha: Double, s: Double, beta: Double, x: Double, tx: Double,
        t: Double
    ) -> (common: Double, alive: Double, dead: Double) {
        let rsx = r + s + x
        let common = SpecialFunctions.logGamma(r + x) - SpecialFunctions.logGamma(r) + r * log(alpha) + s * log(beta)
        let alive = -(r + x) * log(alpha + t) - s * log(beta + t)
        // A0 of the note: the larger of α and β sets the series' argument, so that it is in [0, 1).
        let (upper, second) = alpha >= beta ? (alpha, s + 1) : (beta, r + x)
        let difference = abs(alpha - beta)
        func term(_ time: Double) -> Double {
            log(BGNBDModel.gaussHypergeometric(rsx, second, rsx + 1, difference / (upper + time))) - rsx * log(upper + time)
        }
        let atTx = term(tx), atT = term(t)
        // ln(e^atTx − e^atT); atTx ≥ atT because the terms decrease with time.
        let logA0 = atTx + log(-expm1(atT - atTx))
        return (common, alive, log(s / rsx) + logA0)
    }
}

/// Maximum-likelihood fit of the Pareto/NBD model: L-BFGS on the log-parameters with
/// central-difference gradients (the hypergeometric terms make analytic ones unwieldy),
/// warm-started from a sample on large inputs like BG/NBD.
public struct ParetoNBD: Sendable {
    public var penalizer: Double

    public init(penalizer: Double = 0) { self.penalizer = penalizer }

    public func fit(_ summary: RepeatPurchaseSummary) throws -> ParetoNBDModel {
        let data = WeightedSummary(summary)
        guard data.xLevels.contains(where: { $0 > 0 }) else {
            throw ModelFitError(reason: "no customer made a repeat purchase: the Pareto/NBD model cannot be estimated")
        }
        func value(_ logParameters: [Double], _ data: WeightedSummary) -> Double {
            let p = logParameters.map(exp)
            let total = Parallel.sum(count: data.count, width: 1) { rows in
                [
                    rows.reduce(0) { sum, row in
                        sum + data.weight[row]
                            * ParetoNBDModel(r: p[0], alpha: p[1], s: p[2], beta: p[3])
                            .logLikelihood(x: data.x(row), tx: data.tx(row), t: data.t(row))
                    }
                ]
            }[0]
            return -total / data.totalWeight + penalizer * p.reduce(0) { $0 + $1 * $1 }
        }
        var minimizer = RobustMinimizer()
        minimizer.lbfgs.gradientTolerance = 1e-7
        minimizer.lbfgs.relativeTolerance = 1e-12
        let result = data.minimize(from: [[0, 0, 0, 0], [0, log(10), 0, log(10)]], minimizer: minimizer) { point, data in
            let centre = value(point, data)
            let gradient = (0..<4).map { index -> Double in
                var up = point, down = point
                up[index] += 1e-5
                down[index] -= 1e-5
                return (value(up, data) - value(down, data)) / 2e-5
            }
            return (centre, gradient)
        }
        guard let result else {
            throw ModelFitError(reason: "the Pareto/NBD fit did not converge to finite parameters; try a penalizer such as 0.001")
        }
        let p = result.point.map(exp)
        return ParetoNBDModel(
            r: p[0], alpha: p[1], s: p[2], beta: p[3],
            logLikelihood: -(result.value - penalizer * p.reduce(0) { $0 + $1 * $1 }) * data.totalWeight,
            iterations: result.iterations, optimizer: result.method.rawValue)
    }
}
