import Export
import Features
import History
import Ingest
import RunRecords
import SegflowCore
import Segmentation
import Statistics
import Surveys

/// `inputs.surveys`: survey answers, one row per answer.
public struct SurveysInputSection: ConfigSection, Equatable {
    public var path = ""
    public var columns = SurveyAnswers.Columns()
    public var timeFormat = TimeFormat.iso8601
    public var separator = FieldSeparator.byte(UInt8(ascii: ","))

    public init() {}

    public var file: DelimitedFile { DelimitedFile(path: path, key: "inputs.surveys", separator: separator) }

    static var fields: [ConfigField<Self>] {
        [
            .text("path", \.path, required: true, example: "SampleData/surveys.csv", doc: "The file; `.csv` or `.csv.gz`."),
            .section(
                "columns", \.columns, required: true, example: "{customer: customer_id, time: answered_at, nps: nps}",
                doc: "Which header names hold the answers."),
            .timeFormat(\.timeFormat),
            .delimiter(\.separator),
        ]
    }
}

/// `inputs.surveys.columns`.
extension SurveyAnswers.Columns: ConfigSection {
    static var fields: [ConfigField<Self>] {
        [
            .text("customer", \.customer, required: true, example: "customer_id", doc: "Customer id, as in the transactions."),
            .text("time", \.time, required: true, example: "answered_at", doc: "When the answer was given."),
            .text("nps", \.nps, required: true, example: "nps", doc: "The answer to 'how likely are you to recommend us?', 0 to 10."),
            .text("expectation", \.expectation, doc: "Expectation score a (with `perception`): satisfaction is b/a."),
            .text("perception", \.perception, doc: "Perceived experience score b (with `expectation`)."),
        ]
    }

    static func check(_ section: inout Self, _ context: SectionContext) {
        if (section.expectation == nil) != (section.perception == nil) {
            context.error(
                section.expectation == nil ? "perception" : "expectation",
                "'\(context.path)' maps one of 'expectation' and 'perception': satisfaction b/a needs both",
                hint: "map both columns, or neither")
        }
    }
}

/// `nps`: how survey answers are read into segments.
public struct NPSSection: ConfigSection, Equatable {
    public var minRespondents = 30
    public var attitudeMinScore = 9

    public init() {}

    static var fields: [ConfigField<Self>] {
        [
            .integer(
                "min_respondents", \.minRespondents, in: 1...1_000_000,
                doc: "A group with fewer answers is marked unreliable in nps.csv and the report."),
            .integer(
                "attitude_min_score", \.attitudeMinScore, in: 0...10,
                doc: "The NPS answer from which attitude counts as high in `loyalty_type` (9: promoters)."),
        ]
    }
}

/// Joins survey answers to customers: each customer's latest NPS answer, class and
/// satisfaction, and, with segments, the behaviour × attitude loyalty type.
enum SurveysStage: PipelineStage {
    static let name = "surveys"

    struct Config {
        var input: SurveysInputSection
        var analysis: NPSSection
        /// The loyalty type needs the statuses of the `segment` stage.
        var hasSegments: Bool
        var quadrantMinPurchases: Int
    }

    static func customerColumns(_ config: Config) -> [ColumnSchema] {
        var columns = [
            ColumnSchema("nps_score", .integer),
            ColumnSchema("nps_class", .text, values: NetPromoterScore.Class.allCases.map(\.rawValue)),
        ]
        if config.input.columns.expectation != nil { columns.append(ColumnSchema("satisfaction", .real)) }
        if config.hasSegments { columns.append(ColumnSchema("loyalty_type", .text, values: LoyaltyType.allCases.map(\.rawValue))) }
        return columns
    }

    static func run(_ config: Config, _ context: inout RunContext) throws {
        let surveys = config.input
        let customers = context.features.customerID
        let customerRows = context.buyerRows()
        let cutoff = context.asOfDay * CivilTime.secondsPerDay
        let ((answers, afterCutoff), input) = try SideInput.read(name, file: surveys.file, columns: surveys.columns.names, into: &context) { table in
            let (answers, rejected, afterCutoff) = SurveyAnswers.parse(
                table, columns: surveys.columns, timeFormat: surveys.timeFormat, customers: customerRows, cutoff: cutoff)
            return ((answers, afterCutoff), rejected)
        }
        let (score, satisfaction) = answers.latest(customerCount: customers.count)
        context.customers.append(Column("nps_score", .integer(score.map { $0.map(Int64.init) })))
        context.customers.append(
            Column("nps_class", .text(score.map { $0.flatMap(NetPromoterScore.Class.init(score:))?.rawValue ?? "" })))
        if surveys.columns.expectation != nil { context.customers.append(Column("satisfaction", .real(satisfaction))) }
        if config.hasSegments {
            let status = context.customers.column(named: "status")?.textValues ?? []
            let keepsBuying = customers.indices.map {
                LoyaltyQuadrant.isLoyal(frequency: context.features.frequency[$0], status: status[$0], minPurchases: config.quadrantMinPurchases)
            }
            let types = LoyaltyType.assign(score: score, keepsBuying: keepsBuying, minScore: config.analysis.attitudeMinScore)
            context.customers.append(Column("loyalty_type", .text(types.map { $0?.rawValue ?? "" })))
        }
        context.npsMinRespondents = config.analysis.minRespondents
        context.stageReports.append(
            StageReport(
                stage: name, rowsIn: input.records, rowsOut: answers.count,
                counts: [
                    .init("rejected", input.rejected), .init("after_as_of_ignored", afterCutoff),
                    .init("customers_answered", score.reduce(0) { $0 + ($1 == nil ? 0 : 1) }),
                ]))
    }
}
