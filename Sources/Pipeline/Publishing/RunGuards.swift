import Foundation
import RunRecords
import SegflowCore

/// `outputs.guards`: checks on a finished run's result before it is published, in the spirit
/// of dbt's tests. A header-only file or an `as_of` before all data gives a run of zero
/// customers, and a truncated export a run of a few; published, either would replace a good
/// run with exit 0. A refused run publishes nothing and exits 5.
public struct RunGuards: ConfigSection, Equatable {
    /// Fewer customers than this is refused; 0 allows an empty run.
    public var minCustomers = 1
    /// The largest share by which the customer count may move from the previous run's.
    public var maxCustomerChange: Double?
    /// The largest share by which total net revenue may move from the previous run's.
    public var maxRevenueChange: Double?

    public init() {}

    static var fields: [ConfigField<Self>] {
        [
            .integer("min_customers", \.minCustomers, in: 0...Int.max, doc: "A run with fewer customers is not published; 0 allows an empty run."),
            .number(
                "max_customer_change", \.maxCustomerChange, in: 0...100,
                doc: "A run whose customer count moved more than this share (0.2 = 20%) from the previous run's is not published."),
            .number(
                "max_revenue_change", \.maxRevenueChange, in: 0...100,
                doc: "A run whose total net revenue moved more than this share from the previous run's is not published."),
        ]
    }

    /// What refuses `totals`, given the previous run's (nil on a first run, or when that run's
    /// manifest predates totals); empty when the run may be published.
    func refusals(_ totals: Manifest.Totals, previous: Manifest.Totals?, pipeline: PipelineFile) -> [Diagnostic] {
        var refusals: [Diagnostic] = []
        let unpublished = "nothing was published; the previous run stays current"
        if totals.customers < minCustomers {
            refusals.append(
                .error(
                    at: pipeline.location(of: "outputs.guards.min_customers"),
                    "the run has \(totals.customers) customers, fewer than outputs.guards.min_customers (\(minCustomers)); \(unpublished)",
                    hint: "check the input (is it only a header?) and as_of (is it before the data?); "
                        + "set outputs.guards.min_customers: 0 if an empty run is expected"))
        }
        guard let previous else { return refusals }
        func check(_ key: String, _ limit: Double?, what: String, now: Double, before: Double, shown: (Double) -> String) {
            guard let limit else { return }
            let change = before == 0 ? (now == 0 ? 0 : Double.infinity) : abs(now - before) / abs(before)
            guard change > limit else { return }
            refusals.append(
                .error(
                    at: pipeline.location(of: "outputs.guards.\(key)"),
                    "\(what) moved from \(shown(before)) to \(shown(now)) (\(Self.percent(change))) since the previous run, "
                        + "more than outputs.guards.\(key) allows (\(Self.percent(limit))); \(unpublished)",
                    hint: "check that the input is complete; if the change is real, raise outputs.guards.\(key) for this run"))
        }
        check(
            "max_customer_change", maxCustomerChange, what: "the customer count", now: Double(totals.customers),
            before: Double(previous.customers), shown: { Formatting.count(Int($0)) })
        check(
            "max_revenue_change", maxRevenueChange, what: "total net revenue", now: totals.revenue, before: previous.revenue,
            shown: { String(format: "%.2f", $0) })
        return refusals
    }

    private static func percent(_ share: Double) -> String {
        share.isFinite ? String(format: "%.1f%%", share * 100) : "up from zero"
    }
}
