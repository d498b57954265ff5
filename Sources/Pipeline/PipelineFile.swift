import Churn
import Clean
import DatabaseExport
import Export
import Features
import Foundation
import History
import Ingest
import SegflowCore
import Segmentation
import Yams

/// The date a run is "as of": every transaction from its midnight (UTC) on is ignored.
public enum AsOf: Sendable, Equatable {
    /// The day after the newest transaction in the input.
    case latest
    /// Days since 1970-01-01.
    case day(Int64)
}

/// A decoded, validated pipeline file. Only `PipelineFile.load` makes one, so a value of
/// this type is always a file that passed every check. Its sections read as its own
/// properties (`pipeline.clean.dedupe`).
@dynamicMemberLookup
public struct PipelineFile: Sendable, Equatable {
    public var path: String
    public var sections: Sections
    /// XXH64 of the file's bytes.
    public var fingerprint: String
    /// Warnings found while loading (the file is still usable).
    public var warnings: [Diagnostic]
    /// Where each key was written, by key path with list positions ("outputs.files[1].path"),
    /// so problems found later still point at the line to change.
    public var locations: [String: SourceLocation]
    /// Every key with the value this file gives it or its default (`ResolvedPipeline`).
    public var resolvedText: String

    public subscript<Value>(dynamicMember keyPath: KeyPath<Sections, Value>) -> Value { sections[keyPath: keyPath] }

    /// The whole file: every stage's section and the pipeline's own keys.
    public struct Sections: ConfigSection, Equatable {
        public var name = ""
        public var asOf = AsOf.latest
        public var inputs = InputsSection()
        public var clean = CleanSection()
        public var features = FeatureGroup.allCases
        /// The `segment` section; nil when the file has none (no segment columns are written).
        public var segment: SegmentSection?
        /// The `churn` section; nil when the file has none.
        public var churn: ChurnSection?
        /// The `affinity` section; nil when the file has none.
        public var affinity: AffinitySection?
        /// The `nps` section; nil when the file leaves it to its defaults.
        public var nps: NPSSection?
        public var outputs = OutputRules()

        public init() {}

        static var fields: [ConfigField<Self>] {
            [
                .text("name", \.name, required: true, example: "retail-nightly", doc: "The pipeline's name."),
                .custom(
                    "as_of", shape: .other("date YYYY-MM-DD or latest"), defaultText: "latest",
                    doc: "The run is as of this date."
                ) { node, context, sections in
                    if node.string == "latest" {
                        sections.asOf = .latest
                    } else if let day = context.reader.date(node, at: context.path) {
                        sections.asOf = .day(day)
                    }
                },
                .section("inputs", \.inputs, required: true, example: "{transactions: {...}}", doc: "The inputs."),
                .section("clean", \.clean, doc: "Cleaning rules."),
                FeaturesStage.field,
                .optionalSection("segment", \.segment, doc: "RFM segments, value tiers, lifecycle stage and status."),
                .optionalSection("affinity", \.affinity, doc: "Category affinity for cross-sell (needs a category column)."),
                .optionalSection("churn", \.churn, doc: "Purchase, spend and churn models."),
                .optionalSection("nps", \.nps, doc: "How survey answers are read into segments (needs `inputs.surveys`)."),
                .section(
                    "outputs", \.outputs, required: true, example: "{directory: out, files: [{customers: customers.csv}]}",
                    doc: "Where runs are published and what each run exports."),
            ]
        }

        /// The name labels metrics and titles the report, so it is one short line.
        static let maximumNameLength = 200

        static func check(_ sections: inout Self, _ context: SectionContext) {
            let available = FeatureGroup.available(sections.lineColumns)
            if context.entries["features"] == nil {
                sections.features = available
            }
            for group in sections.features where !available.contains(group) {
                context.error(
                    "features", "feature group '\(group.rawValue)' needs the order-line column '\(group.needs?.rawValue ?? "")'",
                    hint: group.needs == .profit
                        ? "map 'cost' or 'margin' in inputs.transactions.columns, or remove '\(group.rawValue)' from features"
                        : "map it in inputs.transactions.columns, or remove '\(group.rawValue)' from features")
            }
            if sections.name.count > maximumNameLength || sections.name.contains(where: \.isNewline) {
                context.error(
                    "name", "'name' must be one line of at most \(maximumNameLength) characters", hint: "it labels the run's metrics and report")
            }
            for (index, feature) in (sections.segment?.kmeans?.rules.features ?? []).enumerated()
            where !sections.clusterableColumns.contains(feature.name) {
                let names = sections.clusterableColumns
                context.reader.error(
                    at: context.reader.locations["segment.kmeans.features[\(index)]"],
                    "'segment.kmeans.features' has no number column '\(feature.name)'" + Suggestion.didYouMean(feature.name, among: names),
                    hint: "clusterable columns: \(names.joined(separator: ", "))")
            }
            let customerColumns = sections.stagesInColumnOrder.flatMap(\.customerColumns).map(\.name)
            for (index, name) in customerColumns.enumerated() where customerColumns[..<index].contains(name) {
                context.reader.error(
                    at: context.reader.locations["inputs.customers.attributes"] ?? context.reader.locations["inputs"],
                    "the customers table would have two columns named '\(name)': an attribute of inputs.customers has the name of a column segflow writes",
                    hint: "rename the column in the customers file, or leave the attribute out")
            }
            if sections.nps != nil, sections.inputs.surveys == nil {
                context.error("nps", "'nps' reads survey answers, and 'inputs.surveys' is not set", hint: "add inputs.surveys, or remove 'nps'")
            }
            if sections.affinity != nil, !sections.lineColumns.contains(.category) {
                context.error(
                    "affinity", "'affinity' finds categories bought together, and no category column is mapped",
                    hint: "map 'category' in inputs.transactions.columns, or remove the 'affinity' section")
            }
            if sections.segment?.value.measure == .profit, !sections.lineColumns.contains(.profit) {
                context.error(
                    "segment", "'segment.value.measure: profit' ranks customers by profit_total, and no cost or margin column is mapped",
                    hint: "map 'cost' or 'margin' in inputs.transactions.columns, or use measure: historical")
            }
            if sections.segment?.value.measure == .potential, sections.churn == nil {
                context.error(
                    "segment", "'segment.value.measure: potential' ranks customers by clv, which the 'churn' section computes",
                    hint: "add a 'churn: {model: none}' section, or use measure: historical or current")
            }
            guard context.entries["outputs"] != nil, !context.reader.diagnostics.hasErrors else { return }
            // Tables that only a section makes: their exports need the section.
            let madeBy: [(source: ExportSpec.Source, present: Bool, needs: String, hint: String)] = [
                (.segments, sections.segment?.kmeans != nil, "'segment.kmeans' to know the clusters", "add a 'segment: {kmeans: {k: 6}}' section"),
                (.affinity, sections.affinity != nil, "an 'affinity' section to find the rules", "add 'affinity: {min_customers: 10}'"),
                (.nps, sections.inputs.surveys != nil, "survey answers", "add 'inputs.surveys'"),
            ]
            for table in madeBy where !table.present {
                let outputs = sections.outputs
                let exports =
                    outputs.files.filter { $0.source == table.source }.map { "file '\($0.path)'" }
                    + outputs.databases.flatMap(\.tables).filter { $0.source == table.source }.map { "table '\($0.name)'" }
                if let export = exports.first {
                    context.error(
                        "outputs", "output \(export) of the '\(table.source.rawValue)' table needs \(table.needs)",
                        hint: "\(table.hint), or remove the export")
                    return
                }
            }
            OutputSchemaCheck(reader: context.reader, schemas: sections.tableSchemas).check(sections.outputs)
        }

        /// The stages this file runs, in the order of their columns in the customers table: the
        /// one place where stages are wired together.
        var stagesInColumnOrder: [PlannedStage] {
            let clustered = Set(segment?.kmeans?.rules.features.map(\.name) ?? [])
            var stages = [
                PlannedStage(IngestStage.self, inputs), PlannedStage(CleanStage.self, clean),
                PlannedStage(
                    FeaturesStage.self, .init(groups: features, alsoWritten: clustered, lines: lineColumns, releasesLines: affinity == nil)),
            ]
            if let customers = inputs.customers { stages.append(PlannedStage(CustomersStage.self, customers)) }
            if let affinity { stages.append(PlannedStage(AffinityStage.self, affinity)) }
            if let segment {
                stages.append(PlannedStage(SegmentStage.self, segment))
                if let kmeans = segment.kmeans { stages.append(PlannedStage(ClusterStage.self, kmeans)) }
            }
            if let churn { stages.append(PlannedStage(ChurnStage.self, churn)) }
            if let surveys = inputs.surveys {
                let config = SurveysStage.Config(
                    input: surveys, analysis: nps ?? NPSSection(), hasSegments: segment != nil,
                    quadrantMinPurchases: segment?.quadrant?.rules.minPurchases ?? LoyaltyQuadrant.Rules().minPurchases)
                stages.append(PlannedStage(SurveysStage.self, config))
            }
            if let referrals = inputs.referrals {
                stages.append(PlannedStage(ReferralsStage.self, .init(input: referrals, hasCLV: churn != nil)))
            }
            return stages
        }

        /// The stages in the order they run: churn before segment when the value tiers rank
        /// by the CLV it computes (`segment.value.measure: potential`), and before cluster when
        /// the clusters are fitted on a column it adds (P(alive), CLV, ...).
        var plan: [PlannedStage] {
            var stages = stagesInColumnOrder
            guard let churn = stages.firstIndex(where: { $0.name == ChurnStage.name }) else { return stages }
            let churnColumns = Set(stages[churn].customerColumns.map(\.name))
            let clustered = Set(segment?.kmeans?.rules.features.map(\.name) ?? [])
            let before =
                segment?.value.measure == .potential
                ? SegmentStage.name : clustered.isDisjoint(with: churnColumns) ? nil : ClusterStage.name
            if let before, let index = stages.firstIndex(where: { $0.name == before }) {
                stages.insert(stages.remove(at: churn), at: index)
            }
            return stages
        }

        /// The customers table's number columns a clustering may use: every numeric feature
        /// (whether `features:` writes it or not) and the numbers the other stages add.
        var clusterableColumns: [String] {
            let added = stagesInColumnOrder.filter { $0.name != ClusterStage.name }.flatMap(\.customerColumns)
                .filter { $0.kind == .integer || $0.kind == .real }.map(\.name)
            let features = FeatureDescriptor.numericNames(lineColumns)
            return features + added.filter { !features.contains($0) }
        }

        /// The order-line columns the transactions map: which order-line features there are.
        var lineColumns: LineColumns { inputs.transactions.lineColumns }

        /// The columns of every table a run can export, known from the file alone.
        var tableSchemas: [ExportSpec.Source: [ColumnSchema]] {
            var customers = stagesInColumnOrder.flatMap(\.customerColumns)
            if inputs.customers != nil, let status = customers.firstIndex(where: { $0.name == "status" }) {
                customers[status].values?.append(CustomersStage.prospectStatus)
            }
            return [
                .customers: customers, .segments: ClusterStage.segmentsSchema(lineColumns),
                .summary: DimensionSummary.schema, .affinity: AffinityStage.tableSchema, .nps: NPSSummary.schema,
            ]
        }
    }

    public var transactions: TransactionInput { sections.inputs.transactions.input }

    /// Where a key was written ("segment.kmeans.k", "outputs.databases[0]"), or the file itself
    /// for a key the file leaves to its default.
    public func location(of key: String) -> SourceLocation {
        locations[key] ?? SourceLocation(file: path)
    }

    /// The windows of the time-windowed features, set in the `segment` section that reads them.
    public var featureWindows: FeatureWindows {
        FeatureWindows(
            currentValueDays: sections.segment?.value.currentWindowDays ?? FeatureWindows().currentValueDays,
            trendDays: sections.segment?.lifecycle.trendWindowDays ?? FeatureWindows().trendDays)
    }

    /// The columns of the customers table, in order, before any data is read.
    public var customerColumns: [ColumnSchema] { sections.tableSchemas[.customers] ?? [] }

    /// Reads and validates a pipeline file. Throws `SegflowError(.config)` with every
    /// problem found, or `.io` when the file cannot be read.
    public static func load(path: String) throws -> PipelineFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SegflowError(
                .io, at: SourceLocation(file: path), "cannot read the pipeline file",
                hint: "check the path; example pipeline files are in Pipelines/")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SegflowError(.config, at: SourceLocation(file: path), "the pipeline file is not UTF-8 text")
        }
        return try parse(text, path: path, fingerprint: XXH64.hexDigest(of: [UInt8](data)))
    }

    static func parse(_ text: String, path: String, fingerprint: String) throws -> PipelineFile {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw SegflowError(
                    .config, at: SourceLocation(file: path, line: 1), "the pipeline file is empty",
                    hint: "start from an example in Pipelines/")
            }
            root = node
        } catch let error as YamlError {
            throw SegflowError(.config, [yamlDiagnostic(error, path: path)])
        }
        let reader = ConfigReader(file: path)
        let sections = reader.decode(Sections.self, root, FieldContext(reader: reader, path: "", indexedPath: ""))
        guard let sections, !reader.diagnostics.hasErrors else { throw SegflowError(.config, reader.diagnostics) }
        let header = [
            "\(path) as segflow read it (XXH64 \(fingerprint)): every key with its value; '# default' marks",
            "the keys the file leaves out. This file is a pipeline file with the same settings.",
        ]
        return PipelineFile(
            path: path, sections: sections, fingerprint: fingerprint, warnings: reader.diagnostics,
            locations: reader.locations, resolvedText: ResolvedPipeline.text(root, header: header))
    }

    private static func yamlDiagnostic(_ error: YamlError, path: String) -> Diagnostic {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return .error(
                at: SourceLocation(file: path, line: mark.line, column: mark.column), "YAML syntax: \(problem)",
                hint: "check indentation and quoting around this position")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return .error(
                at: SourceLocation(file: path, line: context.mark.line, column: context.mark.column),
                "key '\(duplicates.joined(separator: "', '"))' appears twice in the same mapping",
                hint: "keep one of them")
        default:
            return .error(at: SourceLocation(file: path), "YAML error: \(error)")
        }
    }
}
