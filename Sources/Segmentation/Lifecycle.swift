/// Where a customer stands: status from tenure and recency; lifecycle stage from the number
/// of purchases and the trend of the purchase rate. docs/segmentation.md explains each rule
/// with an example customer.
public struct LifecycleRules: Sendable, Equatable {
    /// "new": first purchase at most this many days before as_of.
    public var newWithinDays: Int = 30
    /// "active" while recency_days is at most this; then "at_risk", "lapsed", "lost".
    public var activeWithinDays: Int = 90
    public var atRiskWithinDays: Int = 180
    public var lapsedWithinDays: Int = 365
    /// "exploration" while a customer has at most this many purchases.
    public var explorationMaxPurchases: Int = 2
    /// "decline" when the customer is lapsed or lost, or the recent purchase rate is below this
    /// share of the earlier rate; "formation" when it is at least `growthRatio` times it.
    public var declineRatio: Double = 0.5
    public var growthRatio: Double = 1.5

    public init() {}

    public enum Status: String, Sendable, CaseIterable {
        case new, active
        case atRisk = "at_risk"
        case lapsed, lost
    }

    public enum Stage: String, Sendable, CaseIterable {
        case exploration, formation, stability, decline
    }

    public func status(tenureDays: Int64, recencyDays: Int64) -> Status {
        if tenureDays <= Int64(newWithinDays) { return .new }
        if recencyDays <= Int64(activeWithinDays) { return .active }
        if recencyDays <= Int64(atRiskWithinDays) { return .atRisk }
        if recencyDays <= Int64(lapsedWithinDays) { return .lapsed }
        return .lost
    }

    /// Whether a customer has got past exploration: more than `explorationMaxPurchases`
    /// purchases and no longer new. Only such a customer has a relationship that can form,
    /// peak or decline.
    public func isEstablished(purchases: Int64, status: Status) -> Bool {
        purchases > Int64(explorationMaxPurchases) && status != .new
    }

    /// `rateTrend`: purchases per day in the recent window over purchases per day before it
    /// (nil without a history before the window at least as long as it). `valuable`: value at
    /// least the median of the established customers'. First match wins:
    /// exploration (not established: never formed, so never declining), decline (lapsed,
    /// lost, or the rate fell below `declineRatio`), formation (growing, too little history to
    /// tell, or steady but below the median value), stability (steady and valuable: the peak).
    public func stage(purchases: Int64, status: Status, rateTrend: Double?, valuable: Bool) -> Stage {
        guard isEstablished(purchases: purchases, status: status) else { return .exploration }
        if status == .lapsed || status == .lost { return .decline }
        guard let rateTrend else { return .formation }
        if rateTrend < declineRatio { return .decline }
        if rateTrend >= growthRatio || !valuable { return .formation }
        return .stability
    }
}
