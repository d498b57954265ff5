import SegflowCore

/// The per-customer features a pipeline file can ask for. Each adds fixed columns to
/// `customers.csv`, always in the order of `FeatureDescriptor.all`.
public enum FeatureGroup: String, Sendable, CaseIterable, Comparable {
    case recency, frequency, monetary, tenure, interpurchase
    /// Spend in the last `current_value_days` before as_of.
    case currentValue = "current_value"
    /// Purchase rate in the last `trend_days` over the rate before them.
    case trend
    /// From the order lines' category column.
    case categories
    /// From the order lines' channel column, one share column per listed channel.
    case channels
    /// From the order lines' store column.
    case stores
    /// From the order lines' cost or margin column.
    case profit
    /// From the order lines' quantity column.
    case units

    /// The order-line column the group is computed from; nil for groups every input has.
    public var needs: LineColumn? {
        switch self {
        case .categories: return .category
        case .channels: return .channel
        case .stores: return .store
        case .profit: return .profit
        case .units: return .quantity
        default: return nil
        }
    }

    /// Whether an input with these order-line columns has what the group is computed from.
    public func isComputed(from lines: LineColumns) -> Bool { needs.map(lines.contains) ?? true }

    /// The groups an input with these order-line columns can compute.
    public static func available(_ lines: LineColumns) -> [FeatureGroup] {
        allCases.filter { $0.isComputed(from: lines) }
    }

    public static func < (lhs: FeatureGroup, rhs: FeatureGroup) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Columns present whatever features are asked for.
    public static let identityColumns = FeatureDescriptor.all.filter { $0.group == nil }.map(\.name)
}

/// An order-line column a transaction file may map.
public enum LineColumn: String, Sendable, CaseIterable {
    case category, channel, store, quantity, profit
}

/// Which order-line columns an input maps, and the channels it lists: what decides the
/// order-line feature columns, known from the pipeline file alone.
public struct LineColumns: Sendable, Equatable, Hashable {
    public var mapped: Set<LineColumn>
    public var channels: [String]

    public init(mapped: Set<LineColumn> = [], channels: [String] = []) {
        self.mapped = mapped
        self.channels = channels
    }

    public func contains(_ column: LineColumn) -> Bool { mapped.contains(column) }
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

    /// A feature by name; channel shares are found among the `channels` given.
    public static func named(_ name: String, channels: [String] = []) -> FeatureDescriptor? {
        all.first { $0.name == name } ?? channels.indices.lazy.map { channelShare($0, of: channels) }.first { $0.name == name }
    }

    /// Every feature an input with these order-line columns has, in output order: the
    /// catalog `all` filtered to what the input maps, with a share column per listed channel.
    public static func catalog(_ lines: LineColumns) -> [FeatureDescriptor] {
        all.filter { $0.group?.isComputed(from: lines) ?? true }.flatMap { descriptor in
            descriptor.name == "top_channel" ? [descriptor] + lines.channels.indices.map { channelShare($0, of: lines.channels) } : [descriptor]
        }
    }

    /// The columns written when `groups` are asked for: the identity columns, then theirs,
    /// and the `named` columns of other groups (features a later stage reads, such as those
    /// clustered on, so they can be inspected).
    public static func written(
        by groups: some Sequence<FeatureGroup>, named: Set<String> = [], lines: LineColumns = LineColumns()
    ) -> [FeatureDescriptor] {
        let groups = Set(groups)
        return catalog(lines).filter { descriptor in descriptor.group.map(groups.contains) ?? true || named.contains(descriptor.name) }
    }

    /// The names of the numeric features an input with these order-line columns has.
    public static func numericNames(_ lines: LineColumns) -> [String] { catalog(lines).filter(\.isNumeric).map(\.name) }

    /// `channel_share_<channel>`: the share of the customer's spend in one listed channel.
    static func channelShare(_ index: Int, of channels: [String]) -> FeatureDescriptor {
        let channel = channels[index]
        return FeatureDescriptor(
            "channel_share_\(Slug.of(channel))", .channels, .real, words: ("\(channel)-first", "rarely \(channel)"),
            doc: "Share of the customer's spend in channel '\(channel)'."
        ) { .real($0.lines.channelShares.count > index ? $0.lines.channelShares[index] : []) }
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
        FeatureDescriptor(
            "category_count", .categories, .integer, words: ("broad range", "narrow range"),
            doc: "Distinct categories the customer bought."
        ) { .integer($0.lines.categoryCount.map { $0 }) },
        FeatureDescriptor("top_category", .categories, .text, doc: "The category with the most spend; empty when none.") {
            .text($0.lines.topCategory)
        },
        FeatureDescriptor("top_channel", .channels, .text, doc: "The channel with the most spend; empty when none.") {
            .text($0.lines.topChannel)
        },
        FeatureDescriptor(
            "store_count", .stores, .integer, words: ("many stores", "one store"), doc: "Distinct stores the customer bought in."
        ) { .integer($0.lines.storeCount.map { $0 }) },
        FeatureDescriptor("top_store", .stores, .text, doc: "The store with the most spend; empty when none.") {
            .text($0.lines.topStore)
        },
        FeatureDescriptor(
            "profit_total", .profit, .real, words: ("profitable", "unprofitable"),
            doc: "Sum of profit (amount less cost, or the margin column), returns netted like spend."
        ) { .real($0.lines.profitTotal) },
        FeatureDescriptor(
            "margin_rate", .profit, .real, words: ("high margin", "thin margin"),
            doc: "profit_total / monetary_total; empty when monetary_total is not positive."
        ) { .real($0.lines.marginRate) },
        FeatureDescriptor(
            "units_total", .units, .real, words: ("bulk buyers", "few units"), doc: "Sum of quantity, returns netted."
        ) { .real($0.lines.unitsTotal) },
    ]
}
