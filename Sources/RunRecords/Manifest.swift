import Foundation
import SegflowCore

/// `manifest.json`: what a run read, did and wrote, for audits and for comparing runs.
/// Keys are snake_case and sorted, so two manifests diff cleanly. It holds no clock
/// reading, so reruns on the same inputs write the same bytes; `run.json` (`RunRecord`)
/// has the run id, the start time and the timings.
public struct Manifest: Codable, Sendable, Equatable {
    public struct Pipeline: Codable, Sendable, Equatable {
        public var name: String
        public var path: String
        public var xxh64: String
        public init(name: String, path: String, xxh64: String) {
            self.name = name
            self.path = path
            self.xxh64 = xxh64
        }
    }

    public struct Input: Codable, Sendable, Equatable {
        public var name: String
        public var path: String
        public var bytes: Int
        public var xxh64: String
        public var records: Int
        public var rejected: Int
        public init(name: String, path: String, bytes: Int, xxh64: String, records: Int, rejected: Int) {
            self.name = name
            self.path = path
            self.bytes = bytes
            self.xxh64 = xxh64
            self.records = records
            self.rejected = rejected
        }
    }

    public struct Output: Codable, Sendable, Equatable {
        public var name: String
        public var path: String
        public var rows: Int
        public init(name: String, path: String, rows: Int) {
            self.name = name
            self.path = path
            self.rows = rows
        }
    }

    /// What the segment stage found; absent when the pipeline has no `segment` section.
    public struct Segmentation: Codable, Sendable, Equatable {
        public struct Group: Codable, Sendable, Equatable {
            public var name: String
            public var customers: Int
            public init(name: String, customers: Int) {
                self.name = name
                self.customers = customers
            }
        }

        public var pareto: ParetoFigures
        public var valueMeasure: String
        public var rfmSegments: [Group]
        public var valueTiers: [Group]
        public var lifecycleStages: [Group]
        public var statuses: [Group]
        /// Customers and value per loyalty × profitability quadrant; absent without `segment.quadrant`.
        public var loyaltyQuadrants: [ValueGroup]?

        public struct ValueGroup: Codable, Sendable, Equatable {
            public var name: String
            public var customers: Int
            /// The value measure's total over the group's customers.
            public var value: Double
            public var valueShare: Double
            public init(name: String, customers: Int, value: Double, valueShare: Double) {
                self.name = name
                self.customers = customers
                self.value = value
                self.valueShare = valueShare
            }
        }

        public init(
            pareto: ParetoFigures, valueMeasure: String, rfmSegments: [Group], valueTiers: [Group],
            lifecycleStages: [Group], statuses: [Group]
        ) {
            self.pareto = pareto
            self.valueMeasure = valueMeasure
            self.rfmSegments = rfmSegments
            self.valueTiers = valueTiers
            self.lifecycleStages = lifecycleStages
            self.statuses = statuses
        }
    }

    /// What k-means did; absent without `segment.kmeans`.
    public struct Clustering: Codable, Sendable, Equatable {
        /// A k of `k: auto` (docs/segmentation.md, "Choosing k").
        public struct Candidate: Codable, Sendable, Equatable {
            public var k: Int
            public var inertia: Double
            public var silhouette: Double
            /// The smallest and largest cluster's share of customers; the split-half ARI.
            public var smallestShare: Double?
            public var largestShare: Double?
            public var stability: Double?
            public init(k: Int, inertia: Double, silhouette: Double, smallestShare: Double?, largestShare: Double?, stability: Double?) {
                self.k = k
                self.inertia = inertia
                self.silhouette = silhouette
                self.smallestShare = smallestShare
                self.largestShare = largestShare
                self.stability = stability
            }
        }

        public struct Cluster: Codable, Sendable, Equatable {
            public var cluster: Int
            public var label: String
            public var customers: Int
            public var share: Double
            public var valueShare: Double
            public init(cluster: Int, label: String, customers: Int, share: Double, valueShare: Double) {
                self.cluster = cluster
                self.label = label
                self.customers = customers
                self.share = share
                self.valueShare = valueShare
            }
        }

        public var k: Int
        /// How k was chosen, and for `k: auto` the whole curve.
        public var rule: String
        public var seed: UInt64
        public var precision: String
        public var inertia: Double
        public var iterations: Int
        public var candidates: [Candidate]
        public var clusters: [Cluster]
        public var note: String?

        public init(
            k: Int, rule: String, seed: UInt64, precision: String, inertia: Double, iterations: Int,
            candidates: [Candidate], clusters: [Cluster], note: String?
        ) {
            self.k = k
            self.rule = rule
            self.seed = seed
            self.precision = precision
            self.inertia = inertia
            self.iterations = iterations
            self.candidates = candidates
            self.clusters = clusters
            self.note = note
        }
    }

    /// The churn stage's models and holdout metrics; details in model_report.json.
    public struct Churn: Codable, Sendable, Equatable {
        public var purchaseModel: String
        public var parameters: [String: Double]
        public var logLikelihood: Double
        public var horizonDays: Int
        public var rocAUC: Double?
        public var logLoss: Double?
        public var brierScore: Double?
        public var topDecileLift: Double?
        public var topDecileCapture: Double?
        public var warnings: [String]
        /// Who the classifier covers, and how many of the run's customers that is.
        public var population: String?
        public var populationCustomers: Int?
        /// The purchase model alone as a churn score, on the same holdout.
        public var baselineRocAUC: Double?
        /// Of the holdout customers whose next-purchase median fell inside the horizon, the
        /// share who bought by it (the definition promises half).
        public var nextPurchaseHoldoutShare: Double?

        /// `rocAuc`: written `roc_auc`, which reads back as `rocAuc`, never as `rocAUC`, so
        /// the keys are spelled so that a manifest round-trips.
        enum CodingKeys: String, CodingKey {
            case purchaseModel, parameters, logLikelihood, horizonDays, logLoss, brierScore, topDecileLift, topDecileCapture, warnings
            case population, populationCustomers, nextPurchaseHoldoutShare
            case rocAUC = "rocAuc"
            case baselineRocAUC = "baselineRocAuc"
        }

        public init(
            purchaseModel: String, parameters: [String: Double], logLikelihood: Double, horizonDays: Int, rocAUC: Double?,
            logLoss: Double?, brierScore: Double?, topDecileLift: Double?, topDecileCapture: Double?, warnings: [String],
            population: String? = nil, populationCustomers: Int? = nil, baselineRocAUC: Double? = nil,
            nextPurchaseHoldoutShare: Double? = nil
        ) {
            self.purchaseModel = purchaseModel
            self.parameters = parameters
            self.logLikelihood = logLikelihood
            self.horizonDays = horizonDays
            self.rocAUC = rocAUC
            self.logLoss = logLoss
            self.brierScore = brierScore
            self.topDecileLift = topDecileLift
            self.topDecileCapture = topDecileCapture
            self.warnings = warnings
            self.population = population
            self.populationCustomers = populationCustomers
            self.baselineRocAUC = baselineRocAUC
            self.nextPurchaseHoldoutShare = nextPurchaseHoldoutShare
        }
    }

    public var segflowVersion: String
    public var pipeline: Pipeline
    public var asOf: String
    public var inputs: [Input]
    public var stages: [StageReport]
    public var rejectedRows: Int
    public var outputs: [Output]
    /// Tables loaded into databases; nil when the pipeline exports to none.
    public var databaseTables: [DatabaseTable]?
    /// Seeds of every random step, by step; empty while no stage draws random numbers.
    public var randomSeeds: [String: UInt64]
    public var segmentation: Segmentation?
    public var clustering: Clustering?
    public var churn: Churn?
    /// What the affinity stage found; absent without an `affinity` section.
    public var affinity: Affinity?
    /// What the referrals stage credited and ignored; absent without `inputs.referrals`.
    public var referrals: Referrals?
    public var migration: Migration?
    /// Absent in manifests written before segflow recorded it.
    public var totals: Totals?
    /// For a run of `segflow run --experiment`: "all stages", or "until <stage>".
    public var experiment: String?

    public struct Affinity: Codable, Sendable, Equatable {
        public var categories: Int
        /// Customers with a categorised purchase: the base of support and lift.
        public var customers: Int
        /// Rules in category_affinity (each direction of a pair counts once).
        public var rules: Int
        public var minCustomers: Int
        public init(categories: Int, customers: Int, rules: Int, minCustomers: Int) {
            self.categories = categories
            self.customers = customers
            self.rules = rules
            self.minCustomers = minCustomers
        }
    }

    /// The referral network as credited (docs/crm-analyses.md, "Referrals").
    public struct Referrals: Codable, Sendable, Equatable {
        /// Referrals credited: customers brought by a referrer.
        public var referrals: Int
        /// Customers who brought at least one.
        public var referrers: Int
        /// Of the customers brought, those who bought; the rest are prospects.
        public var referredBuyers: Int
        /// The referred buyers' share of all customers' monetary_total.
        public var referredRevenueShare: Double
        /// The most customers in one cascade, and the longest chain.
        public var largestCascade: Int
        public var deepestCascade: Int
        /// Rows not credited, per rule (every rule listed, zero or not).
        public var ignored: [String: Int]
        public init(
            referrals: Int, referrers: Int, referredBuyers: Int, referredRevenueShare: Double, largestCascade: Int, deepestCascade: Int,
            ignored: [String: Int]
        ) {
            self.referrals = referrals
            self.referrers = referrers
            self.referredBuyers = referredBuyers
            self.referredRevenueShare = referredRevenueShare
            self.largestCascade = largestCascade
            self.deepestCascade = deepestCascade
            self.ignored = ignored
        }
    }

    /// A table a run swapped into a database.
    public struct DatabaseTable: Codable, Sendable, Equatable {
        /// Where, without credentials: "postgres segflow@127.0.0.1:5432/crm" or "sqlite PATH".
        public var database: String
        public var table: String
        /// The run's table it holds: customers or segments.
        public var source: String
        public var rows: Int
        public init(database: String, table: String, source: String, rows: Int) {
            self.database = database
            self.table = table
            self.source = source
            self.rows = rows
        }
    }

    /// The run's size, which the next run's guards compare with (`outputs.guards`).
    public struct Totals: Codable, Sendable, Equatable {
        public var customers: Int
        /// The sum of `monetary_total`: net revenue after cleaning.
        public var revenue: Double
        public init(customers: Int, revenue: Double) {
            self.customers = customers
            self.revenue = revenue
        }
    }

    /// What changed since the previous run (migration.csv and movers.csv hold the detail).
    public struct Migration: Codable, Sendable, Equatable {
        public var newCustomers: Int
        public var goneCustomers: Int
        public var unchangedCustomers: Int
        public var movers: Int
        public init(newCustomers: Int, goneCustomers: Int, unchangedCustomers: Int, movers: Int) {
            self.newCustomers = newCustomers
            self.goneCustomers = goneCustomers
            self.unchangedCustomers = unchangedCustomers
            self.movers = movers
        }
    }

    public init(
        segflowVersion: String, pipeline: Pipeline, asOf: String, inputs: [Input],
        stages: [StageReport], rejectedRows: Int, outputs: [Output], randomSeeds: [String: UInt64],
        segmentation: Segmentation? = nil, clustering: Clustering? = nil, affinity: Affinity? = nil, referrals: Referrals? = nil,
        churn: Churn? = nil, migration: Migration? = nil, totals: Totals? = nil, experiment: String? = nil
    ) {
        self.referrals = referrals
        self.experiment = experiment
        self.affinity = affinity
        self.segflowVersion = segflowVersion
        self.pipeline = pipeline
        self.asOf = asOf
        self.inputs = inputs
        self.stages = stages
        self.rejectedRows = rejectedRows
        self.outputs = outputs
        self.randomSeeds = randomSeeds
        self.segmentation = segmentation
        self.clustering = clustering
        self.churn = churn
        self.migration = migration
        self.totals = totals
    }

    public func encoded() throws -> Data { try JSONOutput.encode(self) }

    public static func decode(_ data: Data) throws -> Manifest {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Manifest.self, from: data)
    }
}

/// The JSON every segflow output file uses: snake_case keys, sorted and indented so two runs
/// diff cleanly, and NaN or infinities as the strings "nan", "inf", "-inf".
public enum JSONOutput {
    public static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(value)
    }
}

/// `run.json`: when a run started, how long each stage took, and which run came before.
public struct RunRecord: Codable, Sendable, Equatable {
    public var runID: String
    public var previousRunID: String?
    public var startedAt: String
    public var totalSeconds: Double
    public var stageSeconds: [String: Double]
    /// Seconds to format, write and sync each exported table, by path in the run.
    public var fileSeconds: [String: Double]

    public init(
        runID: String, previousRunID: String?, startedAt: String, totalSeconds: Double, stageSeconds: [String: Double],
        fileSeconds: [String: Double] = [:]
    ) {
        self.runID = runID
        self.previousRunID = previousRunID
        self.startedAt = startedAt
        self.totalSeconds = totalSeconds
        self.stageSeconds = stageSeconds
        self.fileSeconds = fileSeconds
    }
}
