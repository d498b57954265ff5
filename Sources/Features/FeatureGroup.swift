/// The per-customer features a pipeline file can ask for. Each adds fixed columns to
/// `customers.csv`, always in this order (see docs/pipeline-file.md, "Output columns").
public enum FeatureGroup: String, Sendable, CaseIterable, Comparable {
    case recency, frequency, monetary, tenure, interpurchase
    /// Spend in the last `current_value_days` before as_of.
    case currentValue = "current_value"
    /// Purchase rate in the last `trend_days` over the rate before them.
    case trend

    public var columnNames: [String] {
        switch self {
        case .recency: return ["recency_days"]
        case .frequency: return ["frequency"]
        case .monetary: return ["monetary_total", "monetary_mean"]
        case .tenure: return ["tenure_days"]
        case .interpurchase: return ["interpurchase_mean_days", "interpurchase_std_days"]
        case .currentValue: return ["current_value"]
        case .trend: return ["purchase_rate_trend"]
        }
    }

    public static func < (lhs: FeatureGroup, rhs: FeatureGroup) -> Bool {
        lhs.rank < rhs.rank
    }

    private var rank: Int {
        switch self {
        case .recency: return 0
        case .frequency: return 1
        case .monetary: return 2
        case .tenure: return 3
        case .interpurchase: return 4
        case .currentValue: return 5
        case .trend: return 6
        }
    }

    /// Columns present whatever features are asked for.
    public static let identityColumns = ["customer_id", "first_purchase", "last_purchase"]
}
