import Foundation
import Statistics

/// The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV";
/// Fader & Hardie 2013, "The Gamma-Gamma model of monetary value"): each transaction value
/// is Gamma(p, ν), with ν ~ Gamma(q, γ) across customers. Fitted on customers with repeat
/// purchases, from x and their mean repeat spend z̄.
public struct GammaGammaModel: Sendable, Equatable {
    public var p: Double
    public var q: Double
    public var gamma: Double
    public var logLikelihood: Double
    /// Pearson correlation of x and z̄ over the fitted customers: the model assumes spend
    /// does not depend on frequency, so a strong correlation (|ρ| > 0.3) is worth a warning.
    public var frequencySpendCorrelation: Double

    public init(p: Double, q: Double, gamma: Double, logLikelihood: Double = .nan, frequencySpendCorrelation: Double = 0) {
        self.p = p
        self.q = q
        self.gamma = gamma
        self.logLikelihood = logLikelihood
        self.frequencySpendCorrelation = frequencySpendCorrelation
    }

    /// The mean spend per transaction across customers, p·γ/(q − 1); the fit refuses q ≤ 1,
    /// where it would be infinite.
    public var populationMean: Double { p * gamma / (q - 1) }

    /// E[spend per transaction | x, z̄]: a weighted mean of the population mean and z̄.
    public func expectedSpend(x: Double, meanSpend: Double) -> Double {
        let weight = p * x / (p * x + q - 1)
        return (1 - weight) * populationMean + weight * meanSpend
    }
}

public struct GammaGamma: Sendable {
    public var penalizer: Double

    public init(penalizer: Double = 0) { self.penalizer = penalizer }

    public func fit(_ summary: RepeatPurchaseSummary) throws -> GammaGammaModel {
        let rows = (0..<summary.count).filter { summary.x[$0] > 0 && summary.spend[$0] > 0 }
        guard rows.count >= 3 else {
            throw ModelFitError(reason: "Gamma-Gamma needs customers with repeat purchases and positive spend; found \(rows.count)")
        }
        let x = rows.map { summary.x[$0] }, z = rows.map { summary.spend[$0] }
        let n = Double(rows.count)
        let result = RobustMinimizer().minimize(from: [[0, 0, 0], [log(2), log(2), log(max(z.reduce(0, +) / n, 1e-3))]]) { logParameters in
            let p = exp(logParameters[0]), q = exp(logParameters[1]), gamma = exp(logParameters[2])
            var total = 0.0, dP = 0.0, dQ = 0.0, dGamma = 0.0
            let digammaQ = SpecialFunctions.digamma(q), logGammaQ = SpecialFunctions.logGamma(q), logG = log(gamma)
            // Gamma-function terms depend on x only: once per distinct x.
            var perX: [Double: (logGammas: Double, digammaPQ: Double, digammaP: Double)] = [:]
            for index in 0..<x.count {
                let px = p * x[index], denominator = x[index] * z[index] + gamma
                let terms =
                    perX[x[index]]
                    ?? {
                        let computed = (
                            SpecialFunctions.logGamma(px + q) - SpecialFunctions.logGamma(px),
                            SpecialFunctions.digamma(px + q), SpecialFunctions.digamma(px)
                        )
                        perX[x[index]] = computed
                        return computed
                    }()
                let logDenominator = log(denominator), logZ = log(z[index]), logX = log(x[index])
                total += terms.logGammas - logGammaQ + q * logG + (px - 1) * logZ + px * logX - (px + q) * logDenominator
                dP += x[index] * (terms.digammaPQ - terms.digammaP + logZ + logX - logDenominator)
                dQ += terms.digammaPQ - digammaQ + logG - logDenominator
                dGamma += q / gamma - (px + q) / denominator
            }
            let parameters = [p, q, gamma]
            let value = -total / n + penalizer * parameters.reduce(0) { $0 + $1 * $1 }
            let gradient = [-dP * p / n, -dQ * q / n, -dGamma * gamma / n]
            return (value, zip(gradient, parameters).map { $0 + 2 * penalizer * $1 * $1 })
        }
        guard let result else {
            throw ModelFitError(reason: "the Gamma-Gamma fit did not converge to finite parameters; try a penalizer such as 0.001")
        }
        let parameters = result.point.map(exp)
        guard parameters[1] > 1 else {
            throw ModelFitError(
                reason: String(
                    format: "the Gamma-Gamma fit gives q = %.3g, at most 1, where mean spend per transaction is unbounded; "
                        + "try a penalizer such as 0.001", parameters[1]))
        }
        let meanX = x.reduce(0, +) / n, meanZ = z.reduce(0, +) / n
        let covariance = zip(x, z).reduce(0) { $0 + ($1.0 - meanX) * ($1.1 - meanZ) }
        let spreadX = x.reduce(0) { $0 + ($1 - meanX) * ($1 - meanX) }.squareRoot()
        let spreadZ = z.reduce(0) { $0 + ($1 - meanZ) * ($1 - meanZ) }.squareRoot()
        return GammaGammaModel(
            p: parameters[0], q: parameters[1], gamma: parameters[2],
            logLikelihood: -(result.value - penalizer * parameters.reduce(0) { $0 + $1 * $1 }) * n,
            frequencySpendCorrelation: spreadX > 0 && spreadZ > 0 ? covariance / (spreadX * spreadZ) : 0)
    }
}
