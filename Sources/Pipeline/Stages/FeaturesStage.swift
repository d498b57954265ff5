import Features
import SegflowCore
import Yams

/// Builds one row per customer: the identity columns and the asked-for feature groups. Every
/// feature is computed whatever the list says, since later stages read them.
enum FeaturesStage: PipelineStage {
    static let name = "features"

    /// `features`: the groups whose columns are written.
    static var field: ConfigField<PipelineFile.Sections> {
        .custom(
            "features", shape: .list(.choice(FeatureGroup.allCases.map(\.rawValue))), defaultText: "all",
            doc: "Which per-customer feature columns to write."
        ) { node, context, sections in
            guard let items = context.reader.sequence(node, at: context.path) else { return }
            sections.features = items.compactMap { context.reader.choice($0, at: context.path, as: FeatureGroup.self) }
            var seen = Set<FeatureGroup>()
            for item in items {
                if let feature = FeatureGroup(rawValue: item.string ?? ""), !seen.insert(feature).inserted {
                    context.warning(item, "feature '\(feature.rawValue)' is listed twice")
                }
            }
        }
    }

    /// The groups `features:` lists, and the features of other groups that are clustered on.
    struct Config {
        var groups: [FeatureGroup]
        var alsoWritten: Set<String>
        var lines: LineColumns
        /// True when no later stage reads the order lines: they are let go after the features.
        var releasesLines: Bool
    }

    static func customerColumns(_ config: Config) -> [ColumnSchema] {
        FeatureDescriptor.written(by: config.groups, named: config.alsoWritten, lines: config.lines).map { ColumnSchema($0.name, $0.kind) }
    }

    static func run(_ config: Config, _ context: inout RunContext) throws {
        let pipeline = context.pipeline
        let builder = FeatureBuilder(
            groups: config.groups, asOfDay: context.asOfDay, returnsArePurchases: pipeline.clean.returns == .keep,
            windows: pipeline.featureWindows, lineColumns: config.lines)
        let (features, report) = builder.build(context.grouped)
        context.customers = builder.table(features, alsoWriting: config.alsoWritten)
        context.features = features
        context.featureBuilder = builder
        context.stageReports.append(report)
        if config.releasesLines { context.grouped.lines = OrderLines() }
    }
}
