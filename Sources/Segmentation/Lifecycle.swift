/// Where a customer stands: status from tenure, recency and the customer's own purchase
/// rhythm; lifecycle stage from the number of purchases and the trend of the purchase rate.
/// docs/segmentation.md explains each rule with an example customer.
public struct LifecycleRules: Sendable, Equatable {
    /// What recency is measured against.
    public enum StatusBasis: String, Sendable, CaseIterable {
        /// Multiples of the customer's own mean gap between purchases, where the customer has
        /// enough purchases for one; the day thresholds otherwise.
        case rhythm
        /// The same day thresholds for every customer.
        case days
    }

    public var statusBasis = StatusBasis.rhythm
    /// "new": first purchase at most this many days before as_of.
    public var newWithinDays: Int = 30
    /// "active" while recency_days is at most this; then "at_risk", "lapsed", "lost".
    public var activeWithinDays: Int = 90
    public var atRiskWithinDays: Int = 180
    public var lapsedWithinDays: Int = 365
    /// With `.rhythm`: the same ladder in mean gaps. Doubling steps: a customer who still buys
    /// at their own Poisson rate stays quiet past m gaps with probability e^-m, so 13.5% of
    /// them read at_risk at any time, 1.8% lapsed and 0.03% lost.
    public var activeWithinGaps: Double = 2
    public var atRiskWithinGaps: Double = 4
    public var lapsedWithinGaps: Double = 8
    /// Fewer purchases than this give no rhythm to measure (two gaps at least by default).
    public var rhythmMinPurchases: Int = 3
    /// Gaps shorter than this are one buying episode, not a rhythm.
    public var rhythmMinGapDays: Double = 7
    /// "exploration" while a customer has at most this many purchases.
    public var explorationMaxPurchases: Int = 2
    /// "decline" when the customer is lapsed or lost, or the recent purchase rate is below this
    /// share of the earlier rate; "formation" when it is at least `growthRatio` times it.
    public var declineRatio: Double = 0.5
    public var growthRatio: Double = 1.5

    public init() {}

    /// Relationship states of the CRM seeds. They are snake_case codes and share no word with
    /// the RFM segment names, so a downstream system cannot take one for the other.
    public enum Status: String, Sendable, CaseIterable {
        case new, active, loyal
        case atRisk = "at_risk"
        case lapsed, lost

        /// In touch at the snapshot: the churn warning's population.
        public var isActive: Bool { self == .new || self == .active || self == .loyal }
    }

    public enum Stage: String, Sendable, CaseIterable {
        case exploration, formation, stability, decline
    }

    /// What the status and stage rules read about one customer at as_of.
    public struct History: Sendable, Equatable {
        public var tenureDays: Int64
        public var recencyDays: Int64
        public var purchases: Int64
        /// Purchases per day in the trend window over the rate before it; nil without a
        /// pre-window at least as long as the window.
        public var rateTrend: Double?

        public init(tenureDays: Int64, recencyDays: Int64, purchases: Int64, rateTrend: Double?) {
            self.tenureDays = tenureDays
            self.recencyDays = recencyDays
            self.purchases = purchases
            self.rateTrend = rateTrend
        }

        /// The span from first to last purchase, over the gaps between purchases.
        var meanGapDays: Double? {
            purchases > 1 ? Double(tenureDays - recencyDays) / Double(purchases - 1) : nil
        }
    }

    /// The status of every customer of a base: the base's typical gap is part of each rhythm.
    public func statuses(_ histories: [History]) -> [Status] {
        let typicalGap = typicalGapDays(histories)
        return histories.map { status($0, typicalGapDays: typicalGap) }
    }

    /// The median mean gap of the customers who have a rhythm; nil when none has.
    public func typicalGapDays(_ histories: [History]) -> Double? {
        let gaps = histories.filter { $0.purchases >= Int64(rhythmMinPurchases) }.compactMap(\.meanGapDays)
        return gaps.isEmpty ? nil : CustomerValue.median(gaps)
    }

    /// The customer's rhythm in days: their gaps with the base's typical gap counted as one
    /// more, (span + typical) / purchases. Two or three gaps are a noisy estimate of a rate;
    /// the one borrowed gap pulls it toward what is usual (a credibility weight of one gap).
    func rhythmDays(_ history: History, typicalGapDays: Double?) -> Double? {
        guard statusBasis == .rhythm, history.purchases >= Int64(rhythmMinPurchases), let gap = history.meanGapDays else { return nil }
        let gaps = Double(history.purchases - 1)
        let pooled = typicalGapDays.map { (gap * gaps + $0) / (gaps + 1) } ?? gap
        return max(pooled, rhythmMinGapDays)
    }

    /// The recency bounds of active, at_risk and lapsed for this customer, in days: the
    /// customer's rhythm times the gap multiples under `.rhythm` with enough purchases, the day
    /// thresholds otherwise.
    public func recencyBounds(_ history: History, typicalGapDays: Double?) -> (active: Double, atRisk: Double, lapsed: Double) {
        if let rhythm = rhythmDays(history, typicalGapDays: typicalGapDays) {
            return (activeWithinGaps * rhythm, atRiskWithinGaps * rhythm, lapsedWithinGaps * rhythm)
        }
        return (Double(activeWithinDays), Double(atRiskWithinDays), Double(lapsedWithinDays))
    }

    /// First match wins: new (tenure), then recency against `recencyBounds`; an active
    /// customer who is established and whose purchase rate is not falling is loyal.
    public func status(_ history: History, typicalGapDays: Double?) -> Status {
        if history.tenureDays <= Int64(newWithinDays) { return .new }
        let bounds = recencyBounds(history, typicalGapDays: typicalGapDays), recency = Double(history.recencyDays)
        if recency <= bounds.active {
            let steady = history.rateTrend.map { $0 >= declineRatio } ?? false
            return steady && history.purchases > Int64(explorationMaxPurchases) ? .loyal : .active
        }
        if recency <= bounds.atRisk { return .atRisk }
        if recency <= bounds.lapsed { return .lapsed }
        return .lost
    }

    /// Whether a customer has got past exploration: more than `explorationMaxPurchases`
    /// purchases and no longer new. Only such a customer has a relationship that can form,
    /// peak or decline.
    public func isEstablished(purchases: Int64, status: Status) -> Bool {
        purchases > Int64(explorationMaxPurchases) && status != .new
    }

    /// `valuable`: value at least the median of the established customers'. First match wins:
    /// exploration (not established: never formed, so never declining), decline (lapsed,
    /// lost, or the rate fell below `declineRatio`), formation (growing, too little history to
    /// tell, or steady but below the median value), stability (steady and valuable: the peak).
    public func stage(_ history: History, status: Status, valuable: Bool) -> Stage {
        guard isEstablished(purchases: history.purchases, status: status) else { return .exploration }
        if status == .lapsed || status == .lost { return .decline }
        guard let rateTrend = history.rateTrend else { return .formation }
        if rateTrend < declineRatio { return .decline }
        if rateTrend >= growthRatio || !valuable { return .formation }
        return .stability
    }
}
