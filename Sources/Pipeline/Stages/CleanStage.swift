import Clean
import Foundation
import Ingest
import SegflowCore

/// `clean`: the cleaning rules, and how many unreadable rows a run accepts.
public struct CleanSection: ConfigSection, Equatable {
    public var dedupe = DedupePolicy.order
    public var returns = ReturnsPolicy.net
    public var maxRejected = RejectionBudget.count(0)
    public var dateRange: DateRangeSection?
    /// The quantile positive amounts are capped at; nil leaves them as they are.
    public var winsorizeQuantile: Double?

    public init() {}

    static var fields: [ConfigField<Self>] {
        [
            .custom(
                "max_rejected", shape: .other("count or percentage"), defaultText: "0",
                doc: "How many rejected rows a run accepts."
            ) { node, context, section in
                if let budget = node.string.flatMap({ RejectionBudget($0.trimmingCharacters(in: .whitespaces)) }) {
                    section.maxRejected = budget
                } else {
                    context.error(node, "'\(context.path)' must be a row count (e.g. 100) or a percentage (e.g. 0.1%)")
                }
            },
            .choice("dedupe", \.dedupe, doc: "Which repeated rows are duplicates."),
            .choice("returns", \.returns, doc: "What rows with a negative amount mean."),
            .optionalSection("date_range", \.dateRange, doc: "Keeps rows whose UTC date is within the range."),
            .custom(
                "winsorize", shape: .number(0.5...1), defaultText: "none",
                doc: "Caps positive amounts at this quantile; 1 turns it off."
            ) { node, context, section in
                if let value = context.reader.number(node, at: context.path, in: 0.5...1) { section.winsorizeQuantile = value == 1 ? nil : value }
            },
        ]
    }

    /// The rules for a run as of `asOfDay`.
    func rules(asOfDay: Int64) -> CleaningRules {
        CleaningRules(
            cutoff: asOfDay * CivilTime.secondsPerDay, dateRange: dateRange?.days, returns: returns,
            winsorizeQuantile: winsorizeQuantile, dedupe: dedupe)
    }
}

/// `clean.date_range`: the first and last day kept, either end open.
public struct DateRangeSection: ConfigSection, Equatable {
    public var from: Int64?
    public var to: Int64?

    public init() {}

    public var days: ClosedRange<Int64> { (from ?? Int64.min)...(to ?? Int64.max) }

    static var fields: [ConfigField<Self>] {
        [
            .date("from", \.from, doc: "First day kept."),
            .date("to", \.to, doc: "Last day kept."),
        ]
    }

    static func check(_ section: inout Self, _ context: SectionContext) {
        if let from = section.from, let to = section.to, from > to {
            context.error(nil, "'\(context.path).from' is after '\(context.path).to'", hint: "swap the two dates")
            section.to = nil
        }
    }
}

/// Applies the as-of cut-off and the cleaning rules, and groups the rows by customer.
enum CleanStage: PipelineStage {
    static let name = "clean"

    static func customerColumns(_ config: CleanSection) -> [ColumnSchema] { [] }

    static func run(_ config: CleanSection, _ context: inout RunContext) throws {
        // Hand the rows to cleaning and let go of them in the context, so one copy is alive.
        let transactions = context.ingested?.transactions ?? TransactionTable()
        context.ingested?.transactions = TransactionTable()
        let (grouped, report) = Cleaner(rules: config.rules(asOfDay: context.asOfDay)).clean(consume transactions)
        context.grouped = grouped
        context.stageReports.append(report)
    }
}
