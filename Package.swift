// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way: SegflowCore <- stage modules <- Pipeline <- segflow.
// LinearAlgebra is the only module that imports the C BLAS/LAPACKE target.
let package = Package(
    name: "segflow",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "segflow", targets: ["segflow"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        // PostgreSQL's own client library: COPY, TLS modes and authentication as psql does them,
        // without a network stack of our own to build.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(name: "SegflowCore"),
        .target(name: "CKMeansKernels"),
        .target(name: "CFormatKernels"),
        .target(name: "LinearAlgebra", dependencies: ["CBLAS"]),
        .target(name: "Ingest", dependencies: ["SegflowCore", "CZlib"]),
        .target(name: "Clean", dependencies: ["SegflowCore"]),
        .target(name: "Features", dependencies: ["SegflowCore"]),
        .target(name: "Export", dependencies: ["SegflowCore", "CFormatKernels"]),
        // manifest.json, run.json and metrics.prom: what a run records of itself, assembled by
        // Pipeline and read by Report; Export stays plain I/O.
        .target(name: "RunRecords", dependencies: ["SegflowCore"]),
        .target(
            name: "DatabaseExport",
            dependencies: [
                "SegflowCore", "Export", "CLibPQ",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .target(name: "Statistics"),
        .target(name: "Churn", dependencies: ["SegflowCore", "Statistics", "LinearAlgebra", "Features", "Segmentation"]),
        .target(name: "Segmentation", dependencies: ["SegflowCore", "LinearAlgebra", "Features", "CKMeansKernels"]),
        .target(name: "Affinity", dependencies: ["SegflowCore"]),
        .target(name: "Attributes", dependencies: ["SegflowCore", "Ingest"]),
        .target(name: "Personas", dependencies: ["SegflowCore", "Statistics"]),
        .target(name: "Surveys", dependencies: ["SegflowCore", "Ingest", "Statistics"]),
        .target(name: "Referrals", dependencies: ["SegflowCore", "Ingest"]),
        .target(name: "SampleGenerator", dependencies: ["SegflowCore", "Export"]),
        .target(name: "History", dependencies: ["SegflowCore", "Ingest", "Statistics"]),
        .target(name: "Report", dependencies: ["SegflowCore", "RunRecords", "Churn", "History", "Personas"]),
        .target(
            name: "Pipeline",
            dependencies: [
                "SegflowCore", "Ingest", "Clean", "Features", "Segmentation", "Affinity", "Attributes", "Surveys", "Referrals", "Personas", "Churn",
                "Export", "RunRecords",
                "DatabaseExport",
                "History",
                "Report", "Yams",
            ]
        ),
        .executableTarget(
            name: "segflow",
            dependencies: [
                "Pipeline", "SampleGenerator", "SegflowCore", "History", "Export", "RunRecords", "LinearAlgebra",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // libFuzzer targets (scripts/fuzz); built plainly, each replays input files.
        .target(name: "FuzzSupport", path: "Fuzz/Support"),
        .executableTarget(name: "fuzz-csv-reader", dependencies: ["Ingest", "SegflowCore", "FuzzSupport"], path: "Fuzz/CSVReader"),
        .executableTarget(name: "fuzz-field-parsers", dependencies: ["Ingest", "SegflowCore", "FuzzSupport"], path: "Fuzz/FieldParsers"),
        .executableTarget(name: "fuzz-pipeline-file", dependencies: ["Pipeline", "FuzzSupport"], path: "Fuzz/PipelineFile"),
        .executableTarget(
            name: "numerics-driver", dependencies: ["Segmentation", "Churn", "Features", "LinearAlgebra"], path: "Benchmarks/NumericsDriver"),
        .target(name: "TestSupport", dependencies: ["SegflowCore", "Ingest", "CZlib"]),
        .testTarget(name: "SegflowCoreTests", dependencies: ["SegflowCore", "TestSupport"]),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "TestSupport"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "RunRecords", "History", "Pipeline", "SegflowCore", "TestSupport"]),
        .testTarget(name: "CleanTests", dependencies: ["Clean", "TestSupport"]),
        .testTarget(name: "FeaturesTests", dependencies: ["Features", "Clean", "Ingest", "TestSupport"]),
        .testTarget(name: "StatisticsTests", dependencies: ["Statistics"]),
        .testTarget(name: "ChurnTests", dependencies: ["Churn", "Clean", "Ingest", "Features", "LinearAlgebra", "Segmentation", "TestSupport"]),
        .testTarget(name: "AffinityTests", dependencies: ["Affinity", "SegflowCore"]),
        .testTarget(name: "PersonasTests", dependencies: ["Personas", "SegflowCore"]),
        .testTarget(name: "AttributesTests", dependencies: ["Attributes", "Ingest", "SegflowCore", "TestSupport"]),
        .testTarget(name: "ReferralsTests", dependencies: ["Referrals", "Ingest", "SegflowCore", "TestSupport"]),
        .testTarget(name: "SurveysTests", dependencies: ["Surveys", "Ingest", "Statistics", "SegflowCore", "TestSupport"]),
        .testTarget(name: "SegmentationTests", dependencies: ["Segmentation", "LinearAlgebra", "Features", "TestSupport"]),
        .testTarget(name: "ExportTests", dependencies: ["Export", "TestSupport"]),
        .testTarget(
            name: "DatabaseExportTests",
            dependencies: ["DatabaseExport", "Export", "Ingest", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "RunRecordsTests", dependencies: ["RunRecords"]),
        .testTarget(name: "HistoryTests", dependencies: ["History", "Export", "TestSupport"]),
        .testTarget(
            name: "PipelineTests", dependencies: ["Pipeline", "Export", "DatabaseExport", "Features", "Segmentation", "Churn", "TestSupport"]),
        .testTarget(name: "SampleGeneratorTests", dependencies: ["SampleGenerator", "Ingest", "Export", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["SegflowCore", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
