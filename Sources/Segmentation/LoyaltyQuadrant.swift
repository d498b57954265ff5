/// The loyalty × profitability matrix (Reinartz & Kumar 2002, "The Mismanagement of Customer
/// Loyalty"): whether a customer keeps buying, against whether they are worth much.
///
/// - Loyal: at least `minPurchases` purchases and a status of active or loyal (still buying at
///   their own rhythm, `LifecycleRules`).
/// - Profitable: in the top `valueShare` of customers by the value measure (profit under
///   `segment.value.measure: profit`), ranked as the value tiers rank (`CustomerValue.tiers`);
///   no value is never profitable.
public enum LoyaltyQuadrant: String, Sendable, CaseIterable {
    /// Loyal and profitable: the relationships to keep and grow.
    case quality
    /// Profitable but not loyal: valuable but fickle; win them back while they are worth it.
    case fashion
    /// Loyal but not profitable: steady but thin; grow the basket or the margin.
    case steadyButThin = "steady_but_thin"
    /// Neither: serve at low cost.
    case poor

    /// Behavioural loyalty: repeat purchases, and still buying at one's own rhythm.
    public static func isLoyal(frequency: Int64, status: String, minPurchases: Int) -> Bool {
        frequency >= minPurchases && (status == LifecycleRules.Status.active.rawValue || status == LifecycleRules.Status.loyal.rawValue)
    }

    public struct Rules: Sendable, Equatable {
        public var valueShare = 0.5
        public var minPurchases = 2
        public init() {}
    }

    public static func assign(value: [Double], frequency: [Int64], status: [String], rules: Rules) -> [LoyaltyQuadrant] {
        let profitable = CustomerValue.tiers(value, cutoffs: [rules.valueShare]).map { $0 == "A" }
        return value.indices.map { customer in
            switch (isLoyal(frequency: frequency[customer], status: status[customer], minPurchases: rules.minPurchases), profitable[customer]) {
            case (true, true): return .quality
            case (false, true): return .fashion
            case (true, false): return .steadyButThin
            case (false, false): return .poor
            }
        }
    }
}
