/// A buy-till-you-die model of repeat purchases, fitted on a `RepeatPurchaseSummary`: BG/NBD
/// or Pareto/NBD. Both have purchase rates λ ~ Gamma(r, α) while alive, so a customer
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
    func probabilityAlive(x: Double, tx: Double, t: Double) -> Double
    /// Expected purchases in the next `horizon` time units.
    func expectedPurchases(horizon: Double, x: Double, tx: Double, t: Double) -> Double
}

extension BGNBDModel {
    public var parameters: [String: Double] { ["r": r, "alpha": alpha, "a": a, "b": b] }
    public var name: String { "bgnbd" }
}

extension ParetoNBDModel: PurchaseModel {
    public var parameters: [String: Double] { ["r": r, "alpha": alpha, "s": s, "beta": beta] }
    public var name: String { "pareto_nbd" }
}
