import Features
import Foundation
import Ingest
import SegflowCore
import Yams

/// `inputs`: the files a run reads. Today one kind, `transactions`.
public struct InputsSection: ConfigSection, Equatable {
    public var transactions = TransactionsSection()
    /// `inputs.surveys`; nil without survey answers.
    public var surveys: SurveysInputSection?
    /// `inputs.customers`; nil without a customers file.
    public var customers: CustomersInputSection?
    /// `inputs.referrals`; nil without a referral file.
    public var referrals: ReferralsInputSection?

    public init() {}

    static var fields: [ConfigField<Self>] {
        [
            .section("transactions", \.transactions, required: true, doc: "The transaction file."),
            .optionalSection("customers", \.customers, doc: "Customer attributes, joined by id; customers who never bought become prospects."),
            .optionalSection("surveys", \.surveys, doc: "Survey answers: NPS and satisfaction per customer and per segment."),
            .optionalSection("referrals", \.referrals, doc: "Who referred whom: referral value and cascades per customer."),
        ]
    }
}

/// `inputs.transactions`: one delimited file of transactions and how to read it.
public struct TransactionsSection: ConfigSection, Equatable {
    public var path = ""
    public var columns = TransactionColumns()
    public var timeFormat = TimeFormat.iso8601
    public var separator = FieldSeparator.byte(UInt8(ascii: ","))
    public var hasHeader = true
    public var maxRecordMB = TransactionInput.defaultMaxRecordBytes >> 20
    public var categories: [String]?
    public var channels: [String]?

    public init() {}

    /// The order-line columns mapped, and the listed channels.
    public var lineColumns: LineColumns {
        let mapped: [(LineColumn, String?)] = [
            (.category, columns.category), (.channel, columns.channel), (.store, columns.store), (.quantity, columns.quantity),
            (.profit, columns.cost ?? columns.margin),
        ]
        return LineColumns(mapped: Set(mapped.compactMap { $1 == nil ? nil : $0 }), channels: channels ?? [])
    }

    /// The file as the reader takes it.
    public var input: TransactionInput {
        TransactionInput(
            path: path,
            columns: columns,
            timeFormat: timeFormat, separator: separator, hasHeader: hasHeader, maxRecordBytes: maxRecordMB << 20,
            knownCategories: categories, knownChannels: channels)
    }

    static var fields: [ConfigField<Self>] {
        [
            .text("path", \.path, required: true, example: "SampleData/transactions.csv", doc: "The file; `.csv` or `.csv.gz`."),
            .section(
                "columns", \.columns, required: true, example: "{customer: customer_id, order: order_id, time: ts, amount: amount}",
                doc: "Which header names hold what segflow needs."),
            .timeFormat(\.timeFormat),
            .delimiter(\.separator),
            .bool("header", \.hasHeader, doc: "Whether the first row names the columns."),
            .integer(
                "max_record_mb", \.maxRecordMB, in: 1...4096,
                doc: "The longest record, in MiB; a longer one stops the run with exit 3 instead of growing memory."),
            .names(
                "categories", \.categories, example: "[grocery, fashion, electronics]",
                doc: "The categories `columns.category` may hold; a row with another is rejected."),
            .names(
                "channels", \.channels, example: "[web, app, store]",
                doc: "The channels `columns.channel` may hold, each a `channel_share_<name>` column; a row with another is rejected."),
        ]
    }

    static func check(_ section: inout Self, _ context: SectionContext) {
        if section.categories != nil, section.columns.category == nil {
            context.error("categories", "'\(context.path).categories' lists categories, but no column is mapped to 'columns.category'")
        }
        if section.channels != nil, section.columns.channel == nil {
            context.error("channels", "'\(context.path).channels' lists channels, but no column is mapped to 'columns.channel'")
        }
        if section.columns.channel != nil, section.channels == nil {
            context.error(
                "columns", "'\(context.path).columns.channel' is mapped, but the channels are not listed",
                hint: "add 'channels: [web, app, store]' (the values the column holds): each gets a channel_share_<name> column")
        }
        let slugs = (section.channels ?? []).map(Slug.of)
        for (index, channel) in (section.channels ?? []).enumerated() where slugs[..<index].contains(slugs[index]) {
            context.error(
                "channels",
                "channels '\(section.channels![slugs.firstIndex(of: slugs[index])!])' and '\(channel)' would both be column channel_share_\(slugs[index])",
                hint: "column names keep lower-case letters and digits only; rename one of the channels in the file")
        }
    }
}

extension ConfigField {
    /// `time_format`: how an input's times are written.
    static func timeFormat(_ keyPath: WritableKeyPath<Section, TimeFormat>) -> Self {
        .custom(
            "time_format", shape: .other("iso8601, date, epoch_seconds, or a pattern"), defaultText: "iso8601",
            doc: "How times are written."
        ) { node, context, section in
            guard let text = context.reader.string(node, at: context.path) else { return }
            switch text {
            case "iso8601": section[keyPath: keyPath] = .iso8601
            case "date": section[keyPath: keyPath] = .date
            case "epoch_seconds": section[keyPath: keyPath] = .epochSeconds
            default:
                if text.contains("%") {
                    do throws(TimePatternError) { section[keyPath: keyPath] = .pattern(try TimePattern(text)) } catch {
                        context.error(node, "'\(context.path)': \(error.message)")
                    }
                } else {
                    context.error(
                        node, "'\(context.path)' cannot be '\(text)'" + Suggestion.didYouMean(text, among: ["iso8601", "date", "epoch_seconds"]),
                        hint: "use iso8601, date, epoch_seconds, or a pattern such as '%d/%m/%Y %H:%M'")
                }
            }
        }
    }

    /// `delimiter`: an input's field separator.
    static func delimiter(_ keyPath: WritableKeyPath<Section, FieldSeparator>) -> Self {
        .custom(
            "delimiter", shape: .other("one character, tab, or whitespace"), defaultText: ",",
            doc: "The field separator."
        ) { node, context, section in
            guard let text = context.reader.string(node, at: context.path) else { return }
            let resolved = text == "tab" || text == "\\t" ? "\t" : text
            if text == "whitespace" {
                section[keyPath: keyPath] = .blanks
            } else if resolved.utf8.count == 1, let byte = resolved.utf8.first, byte != UInt8(ascii: "\""), byte != 10, byte != 13 {
                section[keyPath: keyPath] = .byte(byte)
            } else {
                context.error(
                    node, "'\(context.path)' must be a single character other than a quote or line break, or 'whitespace'",
                    hint: "for example ',' or ';' or 'tab'")
            }
        }
    }
}

/// `inputs.transactions.columns`: which header names hold the transaction fields.
extension TransactionColumns: ConfigSection {
    static var fields: [ConfigField<Self>] {
        [
            .text("customer", \.customer, required: true, example: "customer_id", doc: "Customer id."),
            .text("order", \.order, doc: "Order id."),
            .text("time", \.time, required: true, example: "ts", doc: "Transaction time."),
            .text("amount", \.amount, required: true, example: "amount", doc: "Amount; negative for returns."),
            .text("category", \.category, doc: "The order line's product category; an empty cell is no category."),
            .text("channel", \.channel, doc: "The channel of the sale (needs `channels`); an empty cell is no channel."),
            .text("store", \.store, doc: "The store or site; an empty cell is no store."),
            .text("quantity", \.quantity, doc: "Units on the line."),
            .text("cost", \.cost, doc: "The line's cost: its profit is amount less cost."),
            .text("margin", \.margin, doc: "The line's profit itself, for files that give margin rather than cost."),
        ]
    }

    static func check(_ section: inout Self, _ context: SectionContext) {
        if section.cost != nil, section.margin != nil {
            context.error(
                "margin", "'\(context.path)' maps both 'cost' and 'margin'",
                hint: "profit is amount less cost, or the margin column itself: map one of them")
        }
        let roles: [(key: String, name: String?)] = [
            ("customer", section.customer), ("order", section.order),
            ("time", section.time), ("amount", section.amount), ("category", section.category), ("channel", section.channel),
            ("store", section.store), ("quantity", section.quantity), ("cost", section.cost), ("margin", section.margin),
        ]
        for (index, role) in roles.enumerated() {
            guard let name = role.name, !name.isEmpty else { continue }
            if let other = roles[(index + 1)...].first(where: { $0.name == name }) {
                context.error(
                    nil, "column '\(name)' is mapped to both '\(role.key)' and '\(other.key)' in '\(context.path)'",
                    hint: "each of customer, order, time, amount and the order-line columns needs its own column")
            }
        }
    }
}

/// Reads the transaction file within the rejection budget, and fixes the run's as-of day.
enum IngestStage: PipelineStage {
    static let name = "ingest"

    static func customerColumns(_ config: InputsSection) -> [ColumnSchema] { [] }

    static func run(_ config: InputsSection, _ context: inout RunContext) throws {
        let reader = TransactionReader(input: config.transactions.input, budget: context.pipeline.clean.maxRejected)
        let ingested = try reader.read(progress: context.progress)
        context.stageReports.append(
            StageReport(
                stage: name, rowsIn: ingested.recordCount, rowsOut: ingested.transactions.count,
                counts: [.init("rejected", ingested.rejected.count)]))
        context.asOfDay = try asOfDay(context, newestTime: ingested.newestTime)
        context.ingested = ingested
    }

    private static func asOfDay(_ context: RunContext, newestTime: Int64?) throws -> Int64 {
        if let override = context.asOfOverride { return override }
        switch context.pipeline.asOf {
        case .day(let day): return day
        case .latest:
            guard let newestTime else {
                throw SegflowError(
                    .data, at: SourceLocation(file: context.pipeline.transactions.path),
                    "no transaction was accepted, so 'as_of: latest' has no date",
                    hint: "check the file and rejected rows, or set as_of to a date")
            }
            return CivilTime.day(ofSeconds: newestTime) + 1
        }
    }
}
