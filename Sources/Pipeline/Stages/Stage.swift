import Churn
import Export
import Features
import Ingest
import RunRecords
import SegflowCore
import Segmentation

/// One stage of a pipeline: the section of the pipeline file it reads, the columns it adds to
/// the customers table (known from the file alone, so outputs are checked before any data
/// is read), and its run over the shared context. Each stage lives in one file of
/// `Stages/`; `PipelineFile.plan` puts them in order.
protocol PipelineStage {
    associatedtype Config
    /// The stage's name in `manifest.json`, the run summary and messages.
    static var name: String { get }
    /// The columns the stage adds to the customers table, in order.
    static func customerColumns(_ config: Config) -> [ColumnSchema]
    /// Runs the stage: reads what earlier stages left in the context, adds its columns, its
    /// stage report and its manifest section.
    static func run(_ config: Config, _ context: inout RunContext) throws
}

/// A stage bound to its config: what the runner loops over.
struct PlannedStage {
    let name: String
    let customerColumns: [ColumnSchema]
    let run: (inout RunContext) throws -> Void

    init<Stage: PipelineStage>(_ stage: Stage.Type, _ config: Stage.Config) {
        name = Stage.name
        customerColumns = Stage.customerColumns(config)
        run = { context in try Stage.run(config, &context) }
    }
}

/// What the stages of one run hand each other, and what they leave for publishing.
struct RunContext {
    let pipeline: PipelineFile
    /// `--as-of`, replacing the file's `as_of`.
    let asOfOverride: Int64?
    let progress: ((IngestProgress) -> Void)?

    /// What ingest read; its transactions are handed on to cleaning and emptied.
    var ingested: IngestResult?
    var asOfDay: Int64 = 0
    /// Cleaned rows grouped by customer; released before publishing.
    var grouped = Self.noTransactions
    var featureBuilder: FeatureBuilder?
    /// Per-customer features; released before publishing.
    var features = CustomerFeatures()
    /// The customers table every stage adds its columns to.
    var customers = Table(rowCount: 0)
    var clustering: ClusteringResult?
    /// The clusters of the run `current` pointed at when this run started, if it kept them.
    var previousClusterModel: ClusterModel?
    var churnReport: ChurnReport?
    /// The `category_affinity` table and its manifest section, from the affinity stage.
    var affinityTable: Table?
    var affinitySummary: Manifest.Affinity?
    /// Inputs read besides the transactions (surveys), for the manifest and their rejected rows.
    var sideInputs: [SideInput] = []
    /// What the referrals stage credited, its ignored rows (`ignored_referrals.csv`) and the
    /// largest cascades, for the manifest and the report.
    var referralSummary: Manifest.Referrals?
    var ignoredReferrals: [RejectedRow]?
    var largestCascades: [(referrer: String, referrals: Int, size: Int, depth: Int, value: Double)] = []
    /// Customers on file who never bought, added as rows after every stage.
    var prospects: Prospects?
    /// `nps.min_respondents`, for `nps.csv`; nil without surveys.
    var npsMinRespondents: Int?
    /// The report's excerpt of the affinity table.
    var strongestAffinityRules: [(antecedent: String, consequent: String, customers: Int, confidence: Double, lift: Double)] = []

    /// Each buyer's row in the customers table, by id, once a stage joined an input by id.
    private var buyerRowsByID: IDIndex?

    var stageReports: [StageReport] = []
    var segmentationSummary: Manifest.Segmentation?
    var clusteringSummary: Manifest.Clustering?
    /// What the report needs from stages whose inputs are released before publishing.
    var paretoCurve: [(customerShare: Double, valueShare: Double)] = []
    var segmentValues: [(name: String, customers: Int, value: Double)] = []
    /// Found while running; the pipeline file's own warnings are told when it is loaded.
    var warnings: [Diagnostic] = []

    init(pipeline: PipelineFile, asOfOverride: Int64?, progress: ((IngestProgress) -> Void)?) {
        self.pipeline = pipeline
        self.asOfOverride = asOfOverride
        self.progress = progress
    }

    /// A stage's error in the pipeline file's terms, at the key it concerns.
    func error(_ kind: FailureKind, at key: String, _ message: String, hint: String? = nil) -> SegflowError {
        SegflowError(kind, at: pipeline.location(of: key), "\(key): \(message)", hint: hint)
    }

    private static let noTransactions = CustomerTransactions(customerIDs: [], rowStart: [0], orderKey: [], time: [], amount: [])

    /// Each buyer's row in the customers table, by id: built once for every stage that joins
    /// an input to the customers by id.
    mutating func buyerRows() -> IDIndex {
        if let buyerRowsByID { return buyerRowsByID }
        let rows = IDIndex(features.customerID)
        buyerRowsByID = rows
        return rows
    }

    /// Frees the per-transaction and per-feature memory once no stage needs it.
    mutating func releaseStageInputs() {
        grouped = Self.noTransactions
        features = CustomerFeatures()
        buyerRowsByID = nil
    }
}
