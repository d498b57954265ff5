import SegflowCore

/// The per-customer features a pipeline file can ask for. Each adds fixed columns to
/// `customers.csv`, always in the order of `FeatureDescriptor.all`.
public enum FeatureGroup: String, Sendable, CaseIterable, Comparable {
    case recency, frequency, monetary, tenure, interpurchase
    /// Spend in the last `current_value_days` before as_of.
    case currentValue = "current_value"
    /// Purchase rate in the last `trend_days` over the rate before them.
    case trend

    public var columnNames: [String] {
        FeatureDescriptor.all.filter { $0.group == self }.map(\.name)
    }

    public static func < (lhs: FeatureGroup, rhs: FeatureGroup) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Columns present whatever features are asked for.
    public static let identityColumns = FeatureDescriptor.all.filter { $0.group == nil }.map(\.name)
}

/// One per-customer feature column: the single table that the feature builder, the output
/// schema, clustering, cluster labels, the segments table and the docs all read.
public struct FeatureDescriptor: Sendable {
    /// The column's name in `customers.csv`, and the feature's name everywhere else.
    public let name: String
    /// The group that writes the column; nil for the identity columns every run writes.
    public let group: FeatureGroup?
    public let kind: Column.Kind
    /// How a cluster well above (high) or below (low) the population on this feature is
    /// described in its label.
    public let clusterWords: (high: String, low: String)?
    public let doc: String
    private let values: @Sendable (CustomerFeatures) -> Column.Values

    init(
        _ name: String, _ group: FeatureGroup?, _ kind: Column.Kind, words: (high: String, low: String)? = nil, doc: String,
        values: @escaping @Sendable (CustomerFeatures) -> Column.Values
    ) {
        self.name = name
        self.group = group
        self.kind = kind
        self.clusterWords = words
        self.doc = doc
        self.values = values
    }

    /// Numeric features can be clustered on and profiled; identity columns cannot.
    public var isNumeric: Bool { group != nil && (kind == .integer || kind == .real) }

    public func column(of features: CustomerFeatures) -> Column { Column(name, values(features)) }

    public static func named(_ name: String) -> FeatureDescriptor? { all.first { $0.name == name } }

    /// The columns written when `groups` are asked for: the identity columns, then theirs,
    /// and the `named` columns of other groups (features a later stage reads, such as those
    /// clustered on, so they can be inspected).
    public static func written(by groups: some Sequence<FeatureGroup>, named: Set<String> = []) -> [FeatureDescriptor] {
        let groups = Set(groups)
        return all.filter { descriptor in descriptor.group.map(groups.contains) ?? true || named.contains(descriptor.name) }
    }

    /// Every feature column, in output order.
    public static let all: [FeatureDescriptor] = [
        FeatureDescriptor("customer_id", nil, .text, doc: "The customer id, byte for byte as in the input.") { .text($0.customerID) },
        FeatureDescriptor("first_purchase", nil, .timestamp, doc: "Time of the first purchase (UTC).") { .timestamp($0.firstPurchase.map { $0 }) },
        FeatureDescriptor("last_purchase", nil, .timestamp, doc: "Time of the last purchase (UTC).") { .timestamp($0.lastPurchase.map { $0 }) },
        FeatureDescriptor(
            "recency_days", .recency, .integer, words: ("long gone", "recent"),
            doc: "Days from the last purchase's date to as_of."
        ) { .integer($0.recencyDays.map { $0 }) },
        FeatureDescriptor(
            "frequency", .frequency, .integer, words: ("frequent", "infrequent"),
            doc: "Number of purchases (orders)."
        ) { .integer($0.frequency.map { $0 }) },
        FeatureDescriptor(
            "monetary_total", .monetary, .real, words: ("high value", "low spend"),
            doc: "Sum of amounts, returns netted under `returns: net`."
        ) { .real($0.monetaryTotal) },
        FeatureDescriptor(
            "monetary_mean", .monetary, .real, words: ("big baskets", "small baskets"),
            doc: "monetary_total / frequency."
        ) { .real($0.monetaryMean) },
        FeatureDescriptor(
            "tenure_days", .tenure, .integer, words: ("long-standing", "newcomers"),
            doc: "Days from the first purchase's date to as_of."
        ) { .integer($0.tenureDays.map { $0 }) },
        FeatureDescriptor(
            "interpurchase_mean_days", .interpurchase, .real, words: ("slow to return", "quick to return"),
            doc: "Mean days between consecutive purchases; empty for one purchase."
        ) { .real($0.interpurchaseMeanDays) },
        FeatureDescriptor(
            "interpurchase_std_days", .interpurchase, .real, words: ("irregular", "regular"),
            doc: "Population standard deviation of those gaps; empty for one purchase."
        ) { .real($0.interpurchaseStdDays) },
        FeatureDescriptor(
            "current_value", .currentValue, .real, words: ("spending now", "quiet lately"),
            doc: "Spend in the last `segment.value.current_window_days` days."
        ) { .real($0.currentValue) },
        FeatureDescriptor(
            "purchase_rate_trend", .trend, .real, words: ("accelerating", "slowing"),
            doc: "Purchase rate in the trend window over the rate before it."
        ) { .real($0.purchaseRateTrend) },
    ]
}
