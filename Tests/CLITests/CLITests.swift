import Foundation
import SegflowCore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A published run as an earlier segflow would have left it: runs/20200101T000000Z with a
/// customers.csv, and `current` linking to it. Returns the file's content.
func publishedFixture(in directory: TemporaryDirectory) throws -> String {
    try FileManager.default.createDirectory(atPath: directory.file("runs/20200101T000000Z"), withIntermediateDirectories: true)
    let content = "customer_id\nprevious\n"
    try directory.write("runs/20200101T000000Z/customers.csv", content)
    try FileManager.default.createSymbolicLink(atPath: directory.file("current"), withDestinationPath: "runs/20200101T000000Z")
    return content
}

/// A pipeline over a small file, with nothing but the customers table.
func smallPipeline(in directory: TemporaryDirectory, ids: [String]) throws -> String {
    var csv = "customer_id,order_id,ts,amount\n"
    for (index, id) in ids.enumerated() {
        csv += "\(id),o\(index),2026-01-0\(index % 9 + 1)T10:00:00Z,\(10 + index).5\n"
    }
    let data = try directory.write("t.csv", csv)
    return try directory.write(
        "p.yaml",
        """
        name: small
        inputs:
          transactions: {path: \(data), columns: {customer: customer_id, order: order_id, time: ts, amount: amount}}
        outputs: {directory: \(directory.file("out")), files: [{customers: customers.csv}]}
        """)
}

@Suite(.serialized, .timeLimit(.minutes(5))) struct CLITests {
    @Test func runsTheExamplePipelineOnTheBundledSample() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try CLI.run(["run", "Pipelines/retail.yaml", "--output", directory.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("retail-nightly"))
        #expect(result.stdout.contains("customers.csv (5,000 rows)"))
        let customers = try directory.read("current/customers.csv").split(separator: "\n")
        #expect(customers.count == 5001)
        #expect(
            customers[0] == "customer_id,first_purchase,last_purchase,recency_days,frequency,monetary_total,monetary_mean,"
                + "tenure_days,interpurchase_mean_days,interpurchase_std_days,r_score,f_score,m_score,rfm_segment,value_tier,"
                + "lifecycle_stage,status,cluster,cluster_label,p_alive,expected_purchases,p_purchase,clv,next_purchase_q1,"
                + "next_purchase,next_purchase_q3,churn_probability,churn_risk")
        #expect(result.stdout.contains("holdout (90d): AUC"))
        let report =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory.file("current/model_report.json"))))
            as? [String: Any]
        // `auto` picks by the holdout: MBG/NBD on the sample, where one-time buyers do lapse.
        #expect(report?["purchase_model"] as? String == "mbgnbd")
        #expect((report?["model_selection"] as? [String: Any])?["basis"] as? String == "holdout log-likelihood")
        #expect((report?["classifier_evaluation"] as? [String: Any])?["roc_auc"] is Double)
        let segments = try directory.read("current/segments.csv").split(separator: "\n")
        #expect(segments[0].hasPrefix("cluster,label,customers,share,value_share,recency_days_mean,recency_days_median,recency_days_z,"))
        #expect(result.stdout.contains("clusters (k = \(segments.count - 1), "))
        #expect(result.stdout.contains("silhouette on a stratified sample of 5000 customers)"))
        #expect(result.stdout.contains("value (historical) held by top 1%"))
        let rejected = try directory.read("current/rejected.csv").split(separator: "\n")
        #expect(rejected.count == 13)
        let manifest =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory.file("current/manifest.json")))) as? [String: Any]
        #expect(manifest?["rejected_rows"] as? Int == 12)
        #expect(manifest?["as_of"] as? String == "2026-11-01")
        let segmentation = manifest?["segmentation"] as? [String: Any]
        let tiers = segmentation?["value_tiers"] as? [[String: Any]]
        #expect(tiers?.map { $0["customers"] as? Int } == [2500, 1500, 1000])
        let clustering = manifest?["clustering"] as? [String: Any]
        #expect((clustering?["candidates"] as? [Any])?.count == 6)
        #expect((manifest?["random_seeds"] as? [String: Int])?["kmeans"] == 42)
        // One JSON Lines file per RFM segment, with the chosen columns renamed.
        let champions = try directory.read("current/campaigns/champions.jsonl").split(separator: "\n")
        #expect(champions.first?.hasPrefix("{\"id\":\"") == true && champions.first?.contains("\"rfm_segment\":\"Champions\"") == true)
        let metrics = try directory.read("metrics.prom")
        #expect(metrics.contains("segflow_customers{pipeline=\"retail-nightly\",rfm_segment=\"Champions\"}"))
        #expect(metrics.contains("segflow_churn_auc{pipeline=\"retail-nightly\"}"))
    }

    /// Each run after the first compares itself with the one before: same data, so nobody
    /// moved; the migration files are written and `segflow diff` agrees. Two runs that both
    /// had a predecessor are byte-identical in every file but run.json and report.html (which
    /// show the run's id, start time and timings).
    @Test func rerunsAreIdenticalAndCompareWithThePreviousRun() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for _ in 0..<3 {
            let result = try CLI.run(["run", "Pipelines/retail.yaml", "--output", directory.path, "--log-level", "quiet"])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let runs = try FileManager.default.contentsOfDirectory(atPath: directory.file("runs")).sorted()
        #expect(runs.count == 3)
        let first = "runs/\(runs[1])", second = "runs/\(runs[2])"
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: directory.file("current")) == second)
        let files = try FileManager.default.subpathsOfDirectory(atPath: directory.file(first)).filter {
            !$0.hasSuffix("campaigns") && !$0.hasSuffix("audiences")
        }.sorted()
        #expect(files.contains("manifest.json") && files.contains("campaigns/champions.jsonl"))
        for file in files where file != "run.json" && file != "report.html" {
            #expect(try directory.read("\(first)/\(file)") == directory.read("\(second)/\(file)"), "\(file)")
        }
        let migration = try directory.read("\(second)/migration.csv").split(separator: "\n")
        #expect(migration.first == "dimension,from,to,customers")
        #expect(migration.dropFirst().allSatisfy { $0.split(separator: ",").count >= 4 })
        #expect(try directory.read("\(second)/movers.csv") == "customer_id,change,from,to\n")
        let diff = try CLI.run(["diff", directory.file(first), directory.file("current")])
        #expect(diff.status == 0, "\(diff.stderr)")
        #expect(diff.stdout.contains("settings\n  the same\n"), "\(diff.stdout)")
        #expect(diff.stdout.contains("0 new, 0 gone, 5,000 unchanged, 0 movers"), "\(diff.stdout)")
    }

    /// Two configs on the same data: only the tiers differ. `diff` names the setting, shows
    /// each tier's size before and after in at most 100 columns, and says the same in CSV and
    /// JSON; given the output directory, it suggests the run inside it.
    @Test func diffTellsWhatAConfigChangeDid() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let yaml = try String(contentsOfFile: "Pipelines/retail.yaml", encoding: .utf8)
        let changed = try directory.write("tiers.yaml", yaml.replacingOccurrences(of: "tiers: [0.2, 0.5]", with: "tiers: [0.1, 0.4]"))
        for file in ["Pipelines/retail.yaml", changed] {
            let run = try CLI.run(["run", file, "--output", directory.file("out"), "--log-level", "quiet"])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let runs = try FileManager.default.contentsOfDirectory(atPath: directory.file("out/runs")).filter { !$0.hasPrefix(".") }.sorted()
        try #require(runs.count == 2)
        let (a, b) = (directory.file("out/runs/\(runs[0])"), directory.file("out/current"))

        let text = try CLI.run(["diff", a, b])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("settings\n  segment.value.tiers: [0.2, 0.5] -> [0.1, 0.4]\n"), "\(text.stdout)")
        #expect(text.stdout.split(separator: "\n").allSatisfy { $0.count <= 100 })
        let tierA = try #require(text.stdout.split(separator: "\n").first { $0.hasPrefix("  A ") })
        #expect(tierA.contains("1,000→500"), "\(tierA)")
        #expect(text.stdout.contains("500  A -> B"))

        let csv = try CLI.run(["diff", a, b, "--format", "csv"]).stdout.split(separator: "\n")
        #expect(csv.first == "kind,dimension,key,measure,a,b")
        #expect(csv.contains("setting,,segment.value.tiers,value,\"[0.2, 0.5]\",\"[0.1, 0.4]\""))
        #expect(csv.contains("group,value_tier,A,customers,1000,500"))
        #expect(csv.contains("move,value_tier,A -> B,customers,,500"))

        let json = try CLI.run(["diff", a, b, "--format", "json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let settings = try #require(document["settings"] as? [[String: Any]])
        #expect(settings.count == 1 && settings[0]["key"] as? String == "segment.value.tiers")
        let groups = try #require(document["groups"] as? [[String: Any]])
        let tier = try #require(groups.first { $0["dimension"] as? String == "value_tier" && $0["group"] as? String == "A" })
        #expect((tier["a"] as? [String: Any])?["customers"] as? Int == 1000 && (tier["b"] as? [String: Any])?["customers"] as? Int == 500)

        let wrong = try CLI.run(["diff", a, directory.file("out")])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("did you mean \(directory.file("out"))/current?"), "\(wrong.stderr)")
    }

    /// report.html renders in headless Chromium: the screenshot is not blank, and the page
    /// can load nothing from outside (no URL to fetch, and a policy that forbids it).
    @Test(arguments: [
        ("Pipelines/retail.yaml", ["Data quality", "Value and RFM segments", "Clusters", "Churn and lifetime value", "ROC curve", "Calibration"]),
        (
            "Pipelines/retail-crm.yaml",
            [
                "Loyalty and cross-sell", "loyalty × profitability quadrant", "also bought", "Net Promoter Score", "Behaviour × attitude",
                "Referrals", "referrals credited", "cascade depth", "Clusters",
            ]
        ),
    ])
    func reportRendersInHeadlessChromium(pipeline: String, sections: [String]) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let run = try CLI.run(["run", pipeline, "--output", directory.path, "--log-level", "quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let html = try directory.read("current/report.html")
        for section in sections {
            #expect(html.contains(section), "report.html lacks '\(section)'")
        }
        #expect(html.contains("content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\""))
        for external in ["src=", "href=", "url(", "@import", "<script", "<link"] {
            #expect(!html.contains(external), "report.html contains '\(external)'")
        }
        let chromium = try #require(
            ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "headless Chromium is needed for this test: scripts/install-deps installs Debian's chromium")
        func screenshot(_ page: String) throws -> Double {
            let image = directory.file("screenshot.png")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: chromium)
            process.arguments = [
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,2400",
                "--user-data-dir=\(directory.file("chromium-profile"))", "--screenshot=\(image)", "file://\(page)",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            try #require(process.waitUntilExit(timeout: 120), "headless Chromium did not finish within 120 s")
            #expect(process.terminationStatus == 0)
            return try PNGInk.fraction(ofFile: image)
        }
        let ink = try screenshot(directory.file("current/report.html"))
        #expect(ink > 0.05, "only \(ink) of the screenshot differs from the background")
        // The measure itself: an empty page has no ink.
        #expect(try screenshot(directory.write("blank.html", "<!DOCTYPE html><title>blank</title>")) < 0.001)
    }

    /// A run killed at each step of publishing leaves the published run intact, and the
    /// next run cleans up and publishes normally.
    @Test(arguments: ["after-file-1", "after-file-3", "before-run-rename", "before-current-swap"])
    func killedRunsLeaveThePublishedRunIntact(point: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fixture = try publishedFixture(in: directory)
        let killed = try CLI.run(
            ["run", "Pipelines/retail.yaml", "--output", directory.path, "--log-level", "quiet"],
            environment: ["SEGFLOW_KILL_AT": point])
        #expect(killed.signal == SIGKILL, "killed by SIGKILL at \(point): \(killed.stderr)")
        #expect(try directory.read("current/customers.csv") == fixture)
        let next = try CLI.run(["run", "Pipelines/retail.yaml", "--output", directory.path, "--log-level", "quiet"])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try directory.read("current/customers.csv").hasPrefix("customer_id,"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.file("runs")).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    /// Two runs three months apart: customers who went quiet are movers; `diff --movers`
    /// writes the same movers as the later run's movers.csv, and its summary counts them.
    @Test func diffWritesTheMoversBetweenTwoRuns() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for asOf in ["2026-06-01", "2026-09-01"] {
            let run = try CLI.run(["run", "Pipelines/retail.yaml", "--output", directory.file("out"), "--as-of", asOf, "--log-level", "quiet"])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let runs = try FileManager.default.contentsOfDirectory(atPath: directory.file("out/runs")).filter { !$0.hasPrefix(".") }.sorted()
        try #require(runs.count == 2)
        let later = directory.file("out/runs/\(runs[1])")
        let published = try directory.read("out/runs/\(runs[1])/movers.csv")
        let movers = published.split(separator: "\n").count - 1
        #expect(movers > 0, "three months apart, some customers must have become at risk")
        let diff = try CLI.run(["diff", directory.file("out/runs/\(runs[0])"), later, "--movers", directory.file("movers.csv")])
        #expect(diff.status == 0, "\(diff.stderr)")
        #expect(diff.stdout.contains(" unchanged, \(Formatting.count(movers)) movers\n  movers (newly at risk"), "\(diff.stdout)")
        #expect(try directory.read("movers.csv") == published)
    }

    /// SIGTERM or SIGINT while files are written: the partial run is removed, the lock is
    /// freed, nothing is published, and the exit code is 128 + the signal.
    @Test(arguments: [SIGTERM, SIGINT])
    func anInterruptedRunPublishesNothing(signal: Int32) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try smallPipeline(in: directory, ids: ["a", "b"])
        #expect(try CLI.run(["run", path, "--log-level", "quiet"]).status == 0)
        let fixture = try directory.read("out/current/customers.csv")
        let running = try CLI.start(["run", path, "--log-level", "quiet"], environment: ["SEGFLOW_PAUSE_AT": "after-file-1"])
        try waitFor { try stagedFiles(in: directory) > 0 }
        running.send(signal)
        let stopped = running.wait(timeout: 60)
        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
        #expect(stopped.status == 128 + signal, "\(stopped.stderr)")
        #expect(stopped.stderr == "segflow: interrupted by \(name): nothing was published; the previous run stays current\n")
        #expect(try directory.read("out/current/customers.csv") == fixture)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.file("out/runs")).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        #expect(try CLI.run(["run", path, "--log-level", "quiet"]).status == 0)
    }

    /// A signal while the run is being published waits for it: the run is published whole,
    /// and the message says so.
    @Test func aSignalDuringPublishingWaitsForIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try smallPipeline(in: directory, ids: ["a", "b"])
        #expect(try CLI.run(["run", path, "--log-level", "quiet"]).status == 0)
        let running = try CLI.start(["run", path, "--log-level", "quiet"], environment: ["SEGFLOW_PAUSE_AT": "before-current-swap"])
        try waitFor { try publishedRuns(in: directory).count == 2 }
        running.send(SIGTERM)
        let stopped = running.wait(timeout: 60)
        let newest = try #require(try publishedRuns(in: directory).max())
        #expect(stopped.status == 143, "\(stopped.stderr)")
        #expect(stopped.stderr == "segflow: interrupted by SIGTERM after run \(newest) was published; it is the current run\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: directory.file("out/current")) == "runs/\(newest)")
    }

    private func stagedFiles(in directory: TemporaryDirectory) throws -> Int {
        let runs = (try? FileManager.default.contentsOfDirectory(atPath: directory.file("out/runs"))) ?? []
        return try runs.filter { $0.hasSuffix(".partial") }.reduce(0) {
            $0 + (try FileManager.default.contentsOfDirectory(atPath: directory.file("out/runs/\($1)")).count)
        }
    }

    private func publishedRuns(in directory: TemporaryDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.file("out/runs")).filter { !$0.hasPrefix(".") }
    }

    /// Polls `condition` every 10 ms for up to a minute.
    private func waitFor(_ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(60)
        while try !condition() {
            try #require(Date() < deadline, "timed out waiting for the run to reach the step")
            usleep(10_000)
        }
    }

    @Test func aSecondRunOfTheSamePipelineWaitsItsTurn() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let lock = open(directory.file(".lock"), O_RDWR | O_CREAT, 0o644)
        defer { close(lock) }
        #expect(flock(lock, LOCK_EX) == 0)
        let result = try CLI.run(["run", "Pipelines/retail.yaml", "--output", directory.path])
        #expect(result.status == 75)
        #expect(result.stderr.contains("another run of this pipeline is writing to \(directory.path)"), "\(result.stderr)")
    }

    @Test func formulasInTextCellsAreNeutralised() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(
            "t.csv",
            "customer_id,order_id,ts,amount\n=HYPERLINK(1),o1,2026-01-05,10\n+A1,o2,2026-02-05,20\n-x,o3,2026-03-05,30\nplain,o4,2026-03-06,5\n")
        var path = try retailVariant(in: directory, name: "p.yaml", replacing: "SampleData/transactions.csv", with: directory.file("t.csv"))
        let yaml = try String(contentsOfFile: path, encoding: .utf8)
        let minimal =
            yaml[..<yaml.range(of: "clean:")!.lowerBound]
            + "outputs:\n  directory: out\n  files:\n    - customers: c.csv\n    - {table: customers, path: c.jsonl}\n"
        path = try directory.write("p.yaml", String(minimal))
        var result = try CLI.run(["run", path, "--output", directory.file("on"), "--log-level", "quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let ids = try directory.read("on/current/c.csv").split(separator: "\n").dropFirst().map { $0.split(separator: ",")[0] }
        #expect(ids == ["'=HYPERLINK(1)", "'+A1", "'-x", "plain"])
        #expect(try directory.read("on/current/c.jsonl").hasPrefix("{\"customer_id\":\"=HYPERLINK(1)\","))
        path = try directory.write(
            "p.yaml", String(minimal).replacingOccurrences(of: "directory: out\n", with: "directory: out\n  protect_formulas: false\n"))
        result = try CLI.run(["run", path, "--output", directory.file("off"), "--log-level", "quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try directory.read("off/current/c.csv").contains("\n=HYPERLINK(1),"))
    }

    /// Same seed, same bytes: one thread or several, and run after run.
    @Test(arguments: ["Pipelines/retail.yaml", "Pipelines/retail-crm.yaml"])
    func outputsDoNotDependOnTheThreadCount(pipeline: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for (name, threads) in [("one", "1"), ("two", "2"), ("three", "3")] {
            let result = try CLI.run(
                ["run", pipeline, "--output", directory.file(name), "--log-level", "quiet"],
                environment: ["SEGFLOW_THREADS": threads])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let files = ["customers.csv", "segments.csv", "rejected.csv", "model_report.json", "manifest.json", "assignments.csv"]
        let crmFiles = [
            "category_affinity.csv", "audiences/cross_sell.csv", "nps.csv", "rejected_surveys.csv", "summary.csv", "ignored_referrals.csv",
        ]
        for file in files + (pipeline.hasSuffix("crm.yaml") ? crmFiles : []) {
            let one = try directory.read("one/current/\(file)")
            #expect(try directory.read("two/current/\(file)") == one, "\(file)")
            #expect(try directory.read("three/current/\(file)") == one, "\(file)")
        }
    }

    @Test func asOfOptionCutsLaterTransactions() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try CLI.run(["run", "Pipelines/retail.yaml", "--output", directory.path, "--as-of", "2024-01-01", "--log-level", "quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        let rows = try directory.read("current/customers.csv").split(separator: "\n").dropFirst()
        #expect(!rows.isEmpty)
        #expect(rows.allSatisfy { $0.split(separator: ",")[2] < "2024-01-01" })
    }

    /// Without OPENBLAS_CORETYPE, OpenBLAS's generic fallback on a CPU it does not know is
    /// replaced by the AVX2 or AVX-512 kernels the CPU has.
    @Test func runsOnTheFastestBLASKernelsTheCPUHas() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try CLI.run(
            ["run", "Pipelines/retail.yaml", "--output", directory.path, "--log-level", "debug"],
            unsetting: ["OPENBLAS_CORETYPE"])
        #expect(result.status == 0, "\(result.stderr)")
        let kernels = try #require(result.stdout.split(separator: "\n").first { $0.contains("BLAS kernels: OpenBLAS ") })
        let flags = (try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)).split(whereSeparator: \.isWhitespace)
        if flags.contains("avx2") && flags.contains("fma") { #expect(!kernels.hasSuffix("Prescott"), "\(kernels)") }
    }

    @Test(arguments: ["Pipelines/retail.yaml", "Pipelines/retail-crm.yaml"])
    func validateAcceptsTheExamples(pipeline: String) throws {
        let result = try CLI.run(["validate", pipeline])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\(pipeline): ok"))
    }

    @Test func configErrorExitsTwoWithPosition() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try retailVariant(in: directory, name: "bad.yaml", replacing: "  dedupe: order", with: "  dedup: order")
        for command in ["run", "validate"] {
            let result = try CLI.run([command, path])
            #expect(result.status == 2)
            #expect(result.stderr.contains("bad.yaml:21:3: error: unknown key 'dedup' in 'clean'; did you mean 'dedupe'?"), "\(result.stderr)")
        }
    }

    /// An export that does not fit the tables the stages will produce is a config error
    /// found before the input is opened: the input here does not even exist.
    @Test func outputColumnErrorsExitTwoBeforeAnyDataIsRead() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let yaml = try String(contentsOfFile: "Pipelines/retail.yaml", encoding: .utf8)
            .replacingOccurrences(of: "SampleData/transactions.csv", with: "SampleData/missing.csv")
            .replacingOccurrences(of: "rename: {customer_id: id}", with: "rename: {customer_id: status}")
        let path = try directory.write("bad.yaml", yaml)
        let line = try #require(yaml.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("customer_id: status") }) + 1
        for command in ["run", "validate"] {
            let result = try CLI.run(command == "run" ? ["run", path, "--output", directory.file("out")] : ["validate", path])
            #expect(result.status == 2, "\(result.stderr)")
            #expect(
                result.stderr.contains(
                    "bad.yaml:\(line):16: error: 'outputs.files.rename' gives 'customer_id' the name 'status', "
                        + "which another column of this output already has"), "\(result.stderr)")
            #expect(!directory.exists("out"))
        }
    }

    /// `validate --data` reads the input and refuses, in seconds and at the key to change, an
    /// as_of before the data or years past it; the example passes with the data's range shown.
    @Test func validateDataChecksAsOfAgainstTheData() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let good = try CLI.run(["validate", "Pipelines/retail.yaml", "--data"])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("data: 47,963 records (12 rejected), 2023-01-15 to 2026-10-31; as_of 2026-11-01: the settings fit"))
        let late = try retailVariant(in: directory, name: "late.yaml", replacing: "as_of: latest", with: "as_of: 2030-01-01")
        let lateResult = try CLI.run(["validate", late, "--data"])
        #expect(lateResult.status == 2)
        #expect(lateResult.stdout.isEmpty)
        #expect(
            lateResult.stderr.contains(
                "late.yaml:8:8: error: as_of 2030-01-01 is 1157 days after the newest transaction, beyond the 90-day churn horizon"),
            "\(lateResult.stderr)")
        #expect(lateResult.stderr.contains("use as_of: latest or a date up to 2026-11-01"))
        let early = try CLI.run(["validate", "Pipelines/retail.yaml", "--data", "--as-of", "2023-03-01"])
        #expect(early.status == 2)
        #expect(early.stderr.contains("error: the churn classifier needs 180 days of history before as_of (twice the horizon); the data covers 45"))
        // The run itself, given that as_of, blames as_of rather than suggest a penalizer.
        let run = try CLI.run(["run", late, "--output", directory.file("out")])
        #expect(run.status == 3)
        #expect(run.stderr.contains("late.yaml:8:8: error: churn:") && run.stderr.contains("beyond the 90-day horizon: nobody bought in it"))
        #expect(!run.stderr.contains("penalizer"))
    }

    @Test func validateChecksTheInputHeader() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try retailVariant(in: directory, name: "bad.yaml", replacing: "time: ts", with: "time: tss")
        let result = try CLI.run(["validate", path])
        #expect(result.status == 3)
        #expect(result.stderr.contains("SampleData/transactions.csv:1: error: missing column 'tss'"))
        #expect(result.stderr.contains("did you mean 'ts'?"))
    }

    @Test func missingInputExitsFourAndWritesNothing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try retailVariant(in: directory, name: "p.yaml", replacing: "SampleData/transactions.csv", with: "SampleData/missing.csv")
        let result = try CLI.run(["run", path, "--output", directory.file("out")])
        #expect(result.status == 4)
        #expect(result.stderr.contains("SampleData/missing.csv: error: cannot open input: No such file or directory"))
        #expect(!directory.exists("out/current") && !directory.exists("out/runs"))
    }

    @Test func rejectedBudgetExceededExitsThreeAndKeepsPreviousOutputs() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fixture = try publishedFixture(in: directory)
        let path = try retailVariant(in: directory, name: "p.yaml", replacing: "max_rejected: 0.1%", with: "max_rejected: 5")
        let result = try CLI.run(["run", path, "--output", directory.path])
        #expect(result.status == 3)
        #expect(result.stderr.contains("more than max_rejected allows (5 rows); nothing was written"))
        #expect(result.stderr.contains("SampleData/transactions.csv:"))
        #expect(try directory.read("current/customers.csv") == fixture)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("runs")) == ["20200101T000000Z"])
    }

    @Test func badOptionIsAUsageError() throws {
        let result = try CLI.run(["run", "Pipelines/retail.yaml", "--as-of", "21/11/2026"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--as-of must be a date written YYYY-MM-DD"))
    }

    @Test func sampleIsReproducibleAndReadable() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for name in ["a.csv", "b.csv"] {
            let result = try CLI.run(["sample", "--customers", "300", "--seed", "9", "--malformed", "4", "--out", directory.file(name)])
            #expect(result.status == 0, "\(result.stderr)")
        }
        #expect(try directory.read("a.csv") == directory.read("b.csv"))
        let path = try retailVariant(in: directory, name: "p.yaml", replacing: "SampleData/transactions.csv", with: directory.file("a.csv"))
        let result = try CLI.run(["run", path, "--output", directory.file("out"), "--log-level", "quiet"])
        #expect(result.status == 3, "4 malformed rows exceed 0.1% of ~3,000 rows")
        #expect(result.stderr.contains("4 of "))
    }
}

/// Defects of issue 16 that show only through a whole run.
@Suite(.serialized, .timeLimit(.minutes(5))) struct NightlyRunDefectTests {
    /// Ids that a spreadsheet would run as formulas go to assignments.csv as they are, so an
    /// identical rerun finds every customer again (formula protection once made them "new").
    @Test func idsThatLookLikeFormulasKeepTheirHistory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try smallPipeline(in: directory, ids: ["=a", "+b", "-c", "@d", "e"])
        for _ in 0..<2 {
            let result = try CLI.run(["run", path, "--log-level", "quiet"])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let manifest = try directory.read("out/current/manifest.json")
        #expect(manifest.contains("\"new_customers\" : 0"), "\(manifest)")
        #expect(manifest.contains("\"gone_customers\" : 0"), "\(manifest)")
        #expect(try directory.read("out/current/assignments.csv").contains("\n=a"))
        // The user-facing export is still protected.
        #expect(try directory.read("out/current/customers.csv").contains("\n'=a"))
    }

    /// When metrics.prom cannot be replaced after the run was published, the exit code says
    /// the run was published (0), and a warning says what was not written.
    @Test func aMetricsFailureAfterPublishingIsAWarningNotAFailure() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try smallPipeline(in: directory, ids: ["a", "b"])
        try FileManager.default.createDirectory(atPath: directory.file("out/metrics.prom/blocker"), withIntermediateDirectories: true)
        let result = try CLI.run(["run", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("metrics.prom: warning: the run was published, but its metrics could not be written"), "\(result.stderr)")
        #expect(directory.exists("out/current/customers.csv"))
    }

    /// A header-only input gives zero customers: refused (exit 5), the previous run stays
    /// current, and `min_customers: 0` lets an empty run through.
    @Test func anEmptyResultIsRefusedAndThePreviousRunKept() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try smallPipeline(in: directory, ids: ["a", "b"])
        #expect(try CLI.run(["run", path, "--log-level", "quiet"]).status == 0)
        let published = try FileManager.default.destinationOfSymbolicLink(atPath: directory.file("out/current"))
        _ = try directory.write("t.csv", "customer_id,order_id,ts,amount\n")
        let refused = try CLI.run(["run", path, "--as-of", "2026-02-01", "--log-level", "quiet"])
        #expect(refused.status == 5, "\(refused.stderr)")
        #expect(
            refused.stderr.contains(
                "p.yaml: error: the run has 0 customers, fewer than outputs.guards.min_customers (1); "
                    + "nothing was published; the previous run stays current"), "\(refused.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: directory.file("out/current")) == published)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("out/runs")).count == 1)

        let allowing = try directory.read("p.yaml").replacingOccurrences(of: "files: [", with: "guards: {min_customers: 0}, files: [")
        _ = try directory.write("p.yaml", allowing)
        #expect(try CLI.run(["run", path, "--as-of", "2026-02-01", "--log-level", "quiet"]).status == 0)
    }

    /// A change past max_customer_change is refused, naming both counts and the key.
    @Test func aLargeChangeFromThePreviousRunIsRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try smallPipeline(in: directory, ids: (0..<10).map { "c\($0)" })
        let guarded = try directory.read("p.yaml").replacingOccurrences(
            of: "files: [", with: "guards: {max_customer_change: 0.25, max_revenue_change: 0.9},\n  files: [")
        _ = try directory.write("p.yaml", guarded)
        #expect(try CLI.run(["run", path, "--log-level", "quiet"]).status == 0)
        _ = try smallPipeline(in: directory, ids: (0..<7).map { "c\($0)" })
        _ = try directory.write("p.yaml", guarded)
        let refused = try CLI.run(["run", path, "--log-level", "quiet"])
        let guardLine = guarded.split(separator: "\n")[3]
        let column = guardLine.distance(from: guardLine.startIndex, to: try #require(guardLine.firstRange(of: "0.25")).lowerBound) + 1
        #expect(refused.status == 5, "\(refused.stderr)")
        #expect(
            refused.stderr.contains(
                "p.yaml:4:\(column): error: the customer count moved from 10 to 7 (30.0%) since the previous run, "
                    + "more than outputs.guards.max_customer_change allows (25.0%); nothing was published"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("revenue"), "\(refused.stderr)")
        _ = try smallPipeline(in: directory, ids: (0..<9).map { "c\($0)" })
        _ = try directory.write("p.yaml", guarded)
        #expect(try CLI.run(["run", path, "--log-level", "quiet"]).status == 0)
    }
}
