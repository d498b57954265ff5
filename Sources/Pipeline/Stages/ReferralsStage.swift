import Export
import Ingest
import Referrals
import RunRecords
import SegflowCore

/// `inputs.referrals`: who referred whom, one row per referral.
public struct ReferralsInputSection: ConfigSection, Equatable {
    public var path = ""
    public var columns = ReferralLog.Columns()
    public var timeFormat = TimeFormat.iso8601
    public var separator = FieldSeparator.byte(UInt8(ascii: ","))

    public init() {}

    public var file: DelimitedFile { DelimitedFile(path: path, key: "inputs.referrals", separator: separator) }

    static var fields: [ConfigField<Self>] {
        [
            .text("path", \.path, required: true, example: "SampleData/referrals.csv", doc: "The file; `.csv` or `.csv.gz`."),
            .section(
                "columns", \.columns, required: true, example: "{referrer: referrer_id, referred: referred_id, time: referred_at}",
                doc: "Which header names hold the referrals."),
            .timeFormat(\.timeFormat),
            .delimiter(\.separator),
        ]
    }
}

/// `inputs.referrals.columns`.
extension ReferralLog.Columns: ConfigSection {
    static var fields: [ConfigField<Self>] {
        [
            .text("referrer", \.referrer, required: true, example: "referrer_id", doc: "The id of the customer who referred."),
            .text("referred", \.referred, required: true, example: "referred_id", doc: "The id of the customer they referred."),
            .text("time", \.time, required: true, example: "referred_at", doc: "When the referral was made."),
        ]
    }

    static func check(_ section: inout Self, _ context: SectionContext) {
        let names = section.names
        for (index, name) in names.enumerated() where names[..<index].contains(name) {
            context.error("time", "column '\(name)' is mapped twice in '\(context.path)'", hint: "referrer, referred and time are three columns")
        }
    }
}

/// Credits each referred customer to one referrer and measures what referrers brought: the
/// referral part of customer value beside the transaction part, and the cascades below them.
enum ReferralsStage: PipelineStage {
    static let name = "referrals"

    struct Config {
        var input: ReferralsInputSection
        /// `referral_clv` sums the CLV the churn stage computes.
        var hasCLV: Bool
    }

    /// The most cascades the report lists.
    static let reportedReferrers = 10

    static func customerColumns(_ config: Config) -> [ColumnSchema] {
        [ColumnSchema("referred_by", .text), ColumnSchema("referrals_made", .integer), ColumnSchema("referral_value", .real)]
            + (config.hasCLV ? [ColumnSchema("referral_clv", .real)] : [])
            + [ColumnSchema("cascade_size", .integer), ColumnSchema("cascade_depth", .integer)]
    }

    static func run(_ config: Config, _ context: inout RunContext) throws {
        let input = config.input
        // Buyers are the customers table's rows; prospects follow them, as they will in the table.
        let buyers = context.features.customerID
        let ids = buyers + (context.prospects?.ids ?? [])
        var rows = context.buyerRows()
        for id in ids[buyers.count...] { rows.append(id) }
        let cutoff = context.asOfDay * CivilTime.secondsPerDay
        let (log, manifestInput) = try SideInput.read(name, file: input.file, columns: input.columns.names, into: &context) { table in
            ReferralLog.parse(table, columns: input.columns, timeFormat: input.timeFormat, customers: rows, cutoff: cutoff)
        }
        let prospectCount = ids.count - buyers.count
        let firstPurchaseDay =
            context.features.firstPurchase.map { Optional(CivilTime.day(ofSeconds: $0)) } + Array(repeating: nil, count: prospectCount)
        let network = ReferralNetwork(log: log, firstPurchaseDay: firstPurchaseDay)

        let revenue = context.features.monetaryTotal + Array(repeating: 0, count: prospectCount)
        let made = network.referralsMade
        let referralValue = network.creditedToReferrers(revenue)
        let (size, depth) = network.cascades()
        var columns = [
            Column("referred_by", .text(network.referrer.map { $0.map { ids[$0] } ?? "" })),
            Column("referrals_made", .integer(made.map { Int64($0) })),
            Column("referral_value", .real(referralValue)),
        ]
        if config.hasCLV {
            guard case .real(let clv)? = context.customers.column(named: "clv")?.values else {
                preconditionFailure("the churn stage runs before the referrals stage and adds clv")
            }
            columns.append(Column("referral_clv", .real(network.creditedToReferrers(clv + Array(repeating: 0, count: prospectCount)))))
        }
        columns += [Column("cascade_size", .integer(size.map { Int64($0) })), Column("cascade_depth", .integer(depth.map { Int64($0) }))]
        for column in columns {
            context.customers.append(column.selecting(rows: Array(0..<buyers.count)))
            context.prospects?.columns.append(column.selecting(rows: Array(buyers.count..<ids.count)))
        }

        let referredBuyers = network.referrer[..<buyers.count].reduce(0) { $0 + ($1 == nil ? 0 : 1) }
        let referredRevenue = buyers.indices.reduce(0.0) { $0 + (network.referrer[$1] == nil ? 0 : revenue[$1]) }
        let totalRevenue = revenue.reduce(0, +)
        context.referralSummary = Manifest.Referrals(
            referrals: network.referralCount, referrers: made.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }, referredBuyers: referredBuyers,
            referredRevenueShare: totalRevenue > 0 ? referredRevenue / totalRevenue : 0, largestCascade: size.max() ?? 0,
            deepestCascade: depth.max() ?? 0,
            ignored: Dictionary(uniqueKeysWithValues: network.ignoredByRule.map { ($0.rule.rawValue, $0.rows) }))
        context.ignoredReferrals = network.ignored.map { RejectedRow(line: $0.line, reason: "\($0.rule.rawValue): \($0.reason)", record: $0.record) }
        context.largestCascades = ids.indices.filter { size[$0] > 0 }
            .sorted { (size[$0], depth[$0], referralValue[$0], ids[$1]) > (size[$1], depth[$1], referralValue[$1], ids[$0]) }
            .prefix(reportedReferrers)
            .map { (ids[$0], made[$0], size[$0], depth[$0], referralValue[$0]) }
        context.stageReports.append(
            StageReport(
                stage: name, rowsIn: manifestInput.records, rowsOut: network.referralCount,
                counts: [.init("rejected", manifestInput.rejected), .init("ignored", network.ignored.count)]))
    }
}
