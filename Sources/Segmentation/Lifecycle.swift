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

    /// `rateTrend`: purchases per day in the recent window over purchases per day before it
    /// (nil when the customer has no history before the window).
    public func stage(purchases: Int64, status: Status, rateTrend: Double?) -> Stage {
        if status == .lapsed || status == .lost { return .decline }
        if purchases <= Int64(explorationMaxPurchases) || status == .new { return .exploration }
        guard let rateTrend else { return .formation }
        if rateTrend < declineRatio { return .decline }
        if rateTrend >= growthRatio { return .formation }
        return .stability
    }
}
