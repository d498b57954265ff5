/// A buy-till-you-die model of repeat purchases, fitted on a `RepeatPurchaseSummary`: BG/NBD,
/// MBG/NBD or Pareto/NBD. All have purchase rates λ ~ Gamma(r, α) while alive, so a customer
/// known to be alive after x purchases in T time units buys at rate (r + x) / (α + T).
public protocol PurchaseModel: Sendable {
    var r: Double { get }
    var alpha: Double { get }
    var logLikelihood: Double { get }
    var optimizer: String { get }
    /// The parameters by their names in the literature, for reports.
    var parameters: [String: Double] { get }
    /// The pipeline-file name of the model.
    var name: String { get }
    /// ln L of one customer's purchase history: the density of their purchase times.
    func logLikelihood(x: Double, tx: Double, t: Double) -> Double
    func probabilityAlive(x: Double, tx: Double, t: Double) -> Double
    /// Expected purchases in the next `horizon` time units.
    func expectedPurchases(horizon: Double, x: Double, tx: Double, t: Double) -> Double
    /// P(at least one purchase in the next `horizon` time units | x, t_x, T), dropout included:
    /// the predictive distribution of the time to the next purchase.
    func purchaseProbability(within horizon: Double, x: Double, tx: Double, t: Double) -> Double
    /// The time by which the probability of a next purchase reaches `probability`: its
    /// quantile, dropout included (a customer who may be gone can never reach 1). Nil when it
    /// is not reached within `limit` time units.
    func timeToPurchase(probability: Double, x: Double, tx: Double, t: Double, limit: Double) -> Double?
}

extension PurchaseModel {
    /// Found by bisection, for models without a closed form: the probability only grows.
    public func timeToPurchase(probability: Double, x: Double, tx: Double, t: Double, limit: Double) -> Double? {
        guard purchaseProbability(within: limit, x: x, tx: tx, t: t) >= probability else { return nil }
        var low = 0.0, high = limit
        for _ in 0..<60 where high - low > 1e-6 * max(high, 1e-9) {
            let middle = (low + high) / 2
            if purchaseProbability(within: middle, x: x, tx: tx, t: t) >= probability { high = middle } else { low = middle }
        }
        return high
    }
}

extension BGNBDModel {
    public var parameters: [String: Double] { ["r": r, "alpha": alpha, "a": a, "b": b] }
    public var name: String { modified ? "mbgnbd" : "bgnbd" }
}

extension ParetoNBDModel: PurchaseModel {
    public var parameters: [String: Double] { ["r": r, "alpha": alpha, "s": s, "beta": beta] }
    public var name: String { "pareto_nbd" }
}
