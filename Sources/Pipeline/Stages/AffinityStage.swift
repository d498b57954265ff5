import Affinity
import Features
import RunRecords
import SegflowCore

/// `affinity`: category affinity for cross-sell.
public struct AffinitySection: ConfigSection, Equatable {
    public var minCustomers = 10

    public init() {}

    static var fields: [ConfigField<Self>] {
        [
            .integer(
                "min_customers", \.minCustomers, in: 1...1_000_000_000,
                doc: "A pair of categories is a rule when each category and the pair have at least this many customers.")
        ]
    }
}

/// Which categories the same customers buy (`category_affinity.csv`), and each customer's
/// next-best category: the highest-lift one they have not bought.
enum AffinityStage: PipelineStage {
    static let name = "affinity"

    static func customerColumns(_ config: AffinitySection) -> [ColumnSchema] { [ColumnSchema("next_best_category", .text)] }

    static func run(_ config: AffinitySection, _ context: inout RunContext) throws {
        let grouped = context.grouped
        let sets = categorySets(grouped, customers: context.features.customerID, purchasesOnly: context.pipeline.clean.returns != .keep)
        let affinity = CategoryAffinity(sets: sets, categories: grouped.lines.category.names.count, minCustomers: config.minCustomers)
        let names = grouped.lines.category.names
        context.customers.append(Column("next_best_category", .text(affinity.nextBest(for: sets).map { $0.map { names[Int($0)] } ?? "" })))
        context.affinityTable = table(affinity, names: names)
        context.strongestAffinityRules = affinity.rules.prefix(10).map {
            (names[Int($0.antecedent)], names[Int($0.consequent)], $0.customers, $0.confidence, $0.lift)
        }
        context.affinitySummary = Manifest.Affinity(
            categories: names.count, customers: affinity.customerCount, rules: affinity.rules.count, minCustomers: config.minCustomers)
        context.stageReports.append(
            StageReport(stage: name, rowsIn: sets.count, rowsOut: affinity.rules.count, counts: [.init("categories", names.count)]))
        // The last reader of the order lines: at 10M rows they are hundreds of MB the churn stage does not need.
        context.grouped.lines = OrderLines()
    }

    /// The distinct categories of each customer's purchases, for the customers with features
    /// (who are the grouped customers with a purchase, in the same order).
    static func categorySets(_ grouped: CustomerTransactions, customers: [String], purchasesOnly: Bool) -> [[UInt32]] {
        let codes = grouped.lines.category.codes
        var sets: [[UInt32]] = []
        sets.reserveCapacity(customers.count)
        var next = 0
        for customer in 0..<grouped.customerCount where next < customers.count && grouped.customerIDs[customer] == customers[next] {
            next += 1
            var set: [UInt32] = []
            for row in grouped.rows(of: customer) where codes[row] != OrderLines.missing && (grouped.amount[row] >= 0 || !purchasesOnly) {
                if !set.contains(codes[row]) { set.append(codes[row]) }
            }
            sets.append(set)
        }
        return sets
    }

    /// The `category_affinity` table: both directions of every rule, by lift.
    static func table(_ affinity: CategoryAffinity, names: [String]) -> Table {
        let rules = affinity.rules
        return Table(
            rowCount: rules.count,
            columns: [
                Column("antecedent", .text(rules.map { names[Int($0.antecedent)] })),
                Column("consequent", .text(rules.map { names[Int($0.consequent)] })),
                Column("customers_both", .integer(rules.map { Int64($0.customers) })),
                Column("antecedent_customers", .integer(rules.map { Int64(affinity.categoryCustomers[Int($0.antecedent)]) })),
                Column("consequent_customers", .integer(rules.map { Int64(affinity.categoryCustomers[Int($0.consequent)]) })),
                Column("support", .real(rules.map(\.support))),
                Column("confidence", .real(rules.map(\.confidence))),
                Column("lift", .real(rules.map(\.lift))),
            ])
    }

    static let tableSchema = table(CategoryAffinity(sets: [], categories: 0, minCustomers: 1), names: []).columns.map(\.schema)
}
