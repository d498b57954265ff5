import Churn
import DatabaseExport
import Export
import Clean
import Features
import Foundation
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

/// The `outputs` section: where runs are published, how many are kept, and the files each
/// run exports.
public struct OutputRules: Sendable, Equatable {
    /// Runs go to `directory/runs/<run-id>/`; `directory/current` links to the latest.
    public var directory: String
    public var keepRuns = 10
    public var files: [ExportSpec] = []
    /// Databases that get tables, swapped in after the run's files are complete.
    public var databases: [DatabaseTarget] = []

    public init(directory: String) { self.directory = directory }
}

/// A decoded, validated pipeline file. Only `PipelineFile.load` makes one, so a value of
/// this type is always a file that passed every check.
public struct PipelineFile: Sendable, Equatable {
    public var path: String
    public var name: String
    public var asOf: AsOf
    public var transactions: TransactionInput
    public var dedupe: DedupePolicy
    public var returns: ReturnsPolicy
    public var maxRejected: RejectionBudget
    public var dateRange: ClosedRange<Int64>?
    public var winsorizeQuantile: Double?
    public var features: [FeatureGroup]
    public var featureWindows: FeatureWindows
    /// The `segment` section; nil when the file has none (no segment columns are written).
    public var segmentation: SegmentationRules?
    /// The `churn` section; nil when the file has none.
    public var churn: ChurnRules?
    public var outputs: OutputRules
    /// XXH64 of the file's bytes.
    public var fingerprint: String
    /// Warnings found while loading (the file is still usable).
    public var warnings: [Diagnostic]

    /// The key tables of every section, by key path: validation reads them, and a test
    /// checks that docs/pipeline-file.md documents every key.
    static let keyTables: [String: KeyTable] = [
        "": KeyTable(allowed: ["name", "as_of", "inputs", "clean", "features", "segment", "churn", "outputs"],
                     required: ["name", "inputs", "outputs"],
                     example: ["name": "retail-nightly", "inputs": "{transactions: {...}}",
                               "outputs": "{directory: out, files: [{customers: customers.csv}]}"]),
        "outputs": KeyTable(allowed: ["directory", "keep_runs", "protect_formulas", "files", "databases"], required: ["directory", "files"],
                            example: ["directory": "out", "files": "[{customers: customers.csv}]"]),
        "outputs.files": KeyTable(allowed: ["table", "path", "columns", "rename", "split_by"], required: ["table", "path"],
                                  example: ["table": "customers", "path": "customers.csv"]),
        "outputs.databases": KeyTable(allowed: ["sqlite", "postgres", "tables"], required: ["tables"],
                                      example: ["tables": "[{table: customers, name: segflow_customers}]"]),
        "outputs.databases.postgres": KeyTable(allowed: ["host", "port", "database", "user", "password_env", "schema", "tls",
                                                         "lock_timeout_seconds"],
                                               required: ["database", "user"],
                                               example: ["database": "crm", "user": "segflow"]),
        "outputs.databases.tables": KeyTable(allowed: ["table", "name", "columns", "rename"], required: ["table", "name"],
                                             example: ["table": "customers", "name": "segflow_customers"]),
        "inputs": KeyTable(allowed: ["transactions"], required: ["transactions"]),
        "inputs.transactions": KeyTable(allowed: ["path", "columns", "time_format", "delimiter", "header"], required: ["path", "columns"],
                                        example: ["path": "SampleData/transactions.csv",
                                                  "columns": "{customer: customer_id, order: order_id, time: ts, amount: amount}"]),
        "inputs.transactions.columns": KeyTable(allowed: ["customer", "order", "time", "amount"],
                                                required: ["customer", "time", "amount"],
                                                example: ["customer": "customer_id", "time": "ts", "amount": "amount"]),
        "clean": KeyTable(allowed: ["dedupe", "returns", "max_rejected", "date_range", "winsorize"]),
        "clean.date_range": KeyTable(allowed: ["from", "to"]),
        "segment": KeyTable(allowed: ["rfm", "value", "lifecycle", "kmeans"]),
        "churn": KeyTable(allowed: ["model", "purchase_model", "horizon", "time_unit", "penalizer", "clv", "risk"]),
        "churn.clv": KeyTable(allowed: ["months", "monthly_discount_rate", "margin"]),
        "churn.risk": KeyTable(allowed: ["medium", "high", "c"]),
        "segment.kmeans": KeyTable(allowed: ["features", "k", "k_range", "algorithm", "batch_size", "restarts", "max_iter", "tol",
                                             "seed", "precision", "silhouette_sample"]),
        "segment.kmeans.features": KeyTable(allowed: ["name", "transform", "scaling", "weight"], required: ["name"],
                                            example: ["name": "frequency"]),
        "segment.rfm": KeyTable(allowed: ["bins", "segments"]),
        "segment.rfm.segments": KeyTable(allowed: ["name", "r", "f", "m"], required: ["name", "r", "f"],
                                         example: ["name": "Champions", "r": "5", "f": "4-5"]),
        "segment.value": KeyTable(allowed: ["measure", "tiers", "current_window_days"]),
        "segment.lifecycle": KeyTable(allowed: ["new_within_days", "active_within_days", "at_risk_within_days",
                                                "lapsed_within_days", "exploration_max_purchases", "decline_ratio",
                                                "growth_ratio", "trend_window_days"]),
    ]

    /// Reads and validates a pipeline file. Throws `SegflowError(.config)` with every
    /// problem found, or `.io` when the file cannot be read.
    public static func load(path: String) throws -> PipelineFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SegflowError(.io, at: SourceLocation(file: path), "cannot read the pipeline file",
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
                throw SegflowError(.config, at: SourceLocation(file: path, line: 1), "the pipeline file is empty",
                                   hint: "start from an example in Pipelines/")
            }
            root = node
        } catch let error as YamlError {
            throw SegflowError(.config, [yamlDiagnostic(error, path: path)])
        }
        let reader = ConfigReader(file: path, keyTables: keyTables)
        let decoded = decode(root, reader: reader, fingerprint: fingerprint)
        if reader.diagnostics.hasErrors || decoded == nil {
            throw SegflowError(.config, reader.diagnostics)
        }
        guard var pipeline = decoded else { throw SegflowError(.config, reader.diagnostics) }
        pipeline.warnings = reader.diagnostics
        return pipeline
    }

    private static func yamlDiagnostic(_ error: YamlError, path: String) -> Diagnostic {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return .error(at: SourceLocation(file: path, line: mark.line, column: mark.column), "YAML syntax: \(problem)",
                          hint: "check indentation and quoting around this position")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return .error(at: SourceLocation(file: path, line: context.mark.line, column: context.mark.column),
                          "key '\(duplicates.joined(separator: "', '"))' appears twice in the same mapping",
                          hint: "keep one of them")
        default:
            return .error(at: SourceLocation(file: path), "YAML error: \(error)")
        }
    }

    private static func decode(_ root: Node, reader: ConfigReader, fingerprint: String) -> PipelineFile? {
        guard let top = reader.mapping(root, at: "") else { return nil }
        let name = top["name"].flatMap { reader.string($0, at: "name") }

        var asOf = AsOf.latest
        if let node = top["as_of"] {
            if node.string == "latest" {
                asOf = .latest
            } else if let day = reader.date(node, at: "as_of") {
                asOf = .day(day)
            }
        }

        let transactions = top["inputs"]
            .flatMap { reader.mapping($0, at: "inputs") }
            .flatMap { $0["transactions"] }
            .flatMap { decodeTransactions($0, reader: reader) }

        var dedupe = DedupePolicy.order, returns = ReturnsPolicy.net, maxRejected = RejectionBudget.count(0)
        var dateRange: ClosedRange<Int64>?, winsorize: Double?
        if let node = top["clean"], let clean = reader.mapping(node, at: "clean") {
            if let node = clean["dedupe"], let value = reader.choice(node, at: "clean.dedupe", as: DedupePolicy.self) { dedupe = value }
            if let node = clean["returns"], let value = reader.choice(node, at: "clean.returns", as: ReturnsPolicy.self) { returns = value }
            if let node = clean["max_rejected"], let value = decodeBudget(node, reader: reader) { maxRejected = value }
            if let node = clean["date_range"] { dateRange = decodeDateRange(node, reader: reader) }
            if let node = clean["winsorize"] {
                winsorize = reader.number(node, at: "clean.winsorize", in: 0.5...1)
                if winsorize == 1 { winsorize = nil }
            }
        }

        var features = FeatureGroup.allCases
        if let node = top["features"], let items = reader.sequence(node, at: "features") {
            features = items.compactMap { reader.choice($0, at: "features", as: FeatureGroup.self) }
            var seen = Set<FeatureGroup>()
            for (item, feature) in zip(items, items.map { FeatureGroup(rawValue: $0.string ?? "") }) {
                if let feature, !seen.insert(feature).inserted { reader.warning(item, "feature '\(feature.rawValue)' is listed twice") }
            }
        }

        var windows = FeatureWindows()
        let segmentation = top["segment"].flatMap { decodeSegmentation($0, windows: &windows, reader: reader) }

        let churn = top["churn"].flatMap { decodeChurn($0, reader: reader) }

        let outputs = top["outputs"].flatMap { decodeOutputs($0, reader: reader) }
        if let outputs, segmentation?.clustering == nil {
            let segmentExports = outputs.files.filter { $0.source == .segments }.map { "file '\($0.path)'" }
                + outputs.databases.flatMap(\.tables).filter { $0.source == .segments }.map { "table '\($0.name)'" }
            if let export = segmentExports.first {
                reader.error(top["outputs"], "output \(export) of the 'segments' table needs 'segment.kmeans' to know the clusters",
                             hint: "add a 'segment: {kmeans: {k: 6}}' section, or remove the export")
            }
        }
        guard let name, let transactions, let outputs else { return nil }
        return PipelineFile(path: reader.file, name: name, asOf: asOf, transactions: transactions, dedupe: dedupe,
                            returns: returns, maxRejected: maxRejected, dateRange: dateRange, winsorizeQuantile: winsorize,
                            features: features, featureWindows: windows, segmentation: segmentation, churn: churn, outputs: outputs,
                            fingerprint: fingerprint, warnings: [])
    }

    private static func decodeOutputs(_ node: Node, reader: ConfigReader) -> OutputRules? {
        guard let entries = reader.mapping(node, at: "outputs"),
              let directory = entries["directory"].flatMap({ reader.string($0, at: "outputs.directory") }) else { return nil }
        var rules = OutputRules(directory: directory)
        if let node = entries["keep_runs"], let value = reader.integer(node, at: "outputs.keep_runs", in: 1...10_000) { rules.keepRuns = value }
        var protectFormulas = true
        if let node = entries["protect_formulas"], let value = reader.bool(node, at: "outputs.protect_formulas") { protectFormulas = value }
        guard let filesNode = entries["files"], let items = reader.sequence(filesNode, at: "outputs.files") else { return rules }
        if items.isEmpty { reader.error(filesNode, "'outputs.files' is empty: the run would export nothing", hint: "add '- customers: customers.csv'") }
        let reserved = Set(RunFiles.allNames)
        for item in items {
            // Short form `- customers: customers.csv`, or the full mapping.
            var fields: [String: Node]
            if case .mapping(let mapping) = item, mapping.count == 1, let (keyNode, value) = mapping.first,
               let key = keyNode.string, keyTables["outputs.files"]?.allowed.contains(key) == false {
                guard reader.choice(keyNode, at: "outputs.files", as: ExportSpec.Source.self) != nil else { continue }
                fields = ["table": keyNode, "path": value]
            } else if let mapping = reader.mapping(item, at: "outputs.files") {
                fields = mapping
            } else {
                continue
            }
            guard let source = fields["table"].flatMap({ reader.choice($0, at: "outputs.files.table", as: ExportSpec.Source.self) }),
                  let pathNode = fields["path"], let path = reader.string(pathNode, at: "outputs.files.path") else { continue }
            guard let format = ExportSpec.format(ofPath: path, protectFormulas: protectFormulas) else {
                reader.error(pathNode, "'outputs.files.path' must end in .csv or .jsonl, got '\(path)'", hint: "the extension chooses the format")
                continue
            }
            if path.hasPrefix("/") || path.split(separator: "/").contains("..") {
                reader.error(pathNode, "'outputs.files.path' must be relative and stay inside the run directory, got '\(path)'",
                             hint: "set outputs.directory to move the whole run")
                continue
            }
            if reserved.contains(path) {
                reader.error(pathNode, "'\(path)' is written by every run (\(RunFiles.allNames.joined(separator: ", "))); choose another name")
            }
            if rules.files.contains(where: { $0.path == path }) {
                reader.error(pathNode, "two files in 'outputs.files' are both written to '\(path)'")
            }
            var spec = ExportSpec(source: source, path: path, format: format)
            let selection = decodeColumnSelection(fields, at: "outputs.files", reader: reader)
            (spec.columns, spec.rename) = (selection.columns, selection.rename)
            if let node = fields["split_by"], let column = reader.string(node, at: "outputs.files.split_by") {
                spec.splitBy = column
                if !path.contains("{value}") {
                    reader.error(pathNode, "'outputs.files.path' must contain {value} when split_by is set, e.g. by_segment/{value}.csv")
                }
            } else if path.contains("{value}") {
                reader.error(pathNode, "'outputs.files.path' contains {value} but the file has no split_by")
            }
            rules.files.append(spec)
        }
        if let node = entries["databases"], let items = reader.sequence(node, at: "outputs.databases") {
            rules.databases = items.compactMap { decodeDatabase($0, reader: reader) }
        }
        return rules
    }

    /// `columns` and `rename` of a file or table export.
    private static func decodeColumnSelection(_ fields: [String: Node], at path: String, reader: ConfigReader) -> ColumnSelection {
        var selection = ColumnSelection()
        if let node = fields["columns"], let names = reader.sequence(node, at: "\(path).columns") {
            selection.columns = names.compactMap { reader.string($0, at: "\(path).columns") }
        }
        if let node = fields["rename"] {
            if case .mapping(let pairs) = node {
                for (from, to) in pairs {
                    if let from = reader.string(from, at: "\(path).rename"), let to = reader.string(to, at: "\(path).rename") {
                        selection.rename[from] = to
                    }
                }
            } else {
                reader.error(node, "'\(path).rename' must map column names to new names, e.g. {customer_id: id}")
            }
        }
        return selection
    }

    /// One entry of `outputs.databases`: `sqlite: PATH` or `postgres: {...}`, and its tables.
    private static func decodeDatabase(_ node: Node, reader: ConfigReader) -> DatabaseTarget? {
        guard let fields = reader.mapping(node, at: "outputs.databases") else { return nil }
        let connection: DatabaseTarget.Connection
        switch (fields["sqlite"], fields["postgres"]) {
        case (let path?, nil):
            guard let path = reader.string(path, at: "outputs.databases.sqlite") else { return nil }
            connection = .sqlite(path: path)
        case (nil, let postgres?):
            guard let settings = decodePostgres(postgres, reader: reader) else { return nil }
            connection = .postgres(settings)
        default:
            reader.error(node, "each entry of 'outputs.databases' needs exactly one of 'sqlite' or 'postgres'",
                         hint: "e.g. '- sqlite: out/segments.sqlite' or '- postgres: {database: crm, user: segflow, password_env: SEGFLOW_PG_PASSWORD}'")
            return nil
        }
        guard let tablesNode = fields["tables"], let items = reader.sequence(tablesNode, at: "outputs.databases.tables") else { return nil }
        if items.isEmpty { reader.error(tablesNode, "'outputs.databases.tables' is empty", hint: "add '- {table: customers, name: segflow_customers}'") }
        var tables: [DatabaseTableSpec] = []
        for item in items {
            guard let fields = reader.mapping(item, at: "outputs.databases.tables"),
                  let source = fields["table"].flatMap({ reader.choice($0, at: "outputs.databases.tables.table", as: ExportSpec.Source.self) }),
                  let nameNode = fields["name"], let name = reader.string(nameNode, at: "outputs.databases.tables.name") else { continue }
            guard DatabaseTableSpec.isValidName(name) else {
                reader.error(nameNode, "'outputs.databases.tables.name' must be letters, digits and _, starting with a letter, "
                             + "at most \(DatabaseTableSpec.maximumNameLength) characters; got '\(name)'")
                continue
            }
            if tables.contains(where: { $0.name.lowercased() == name.lowercased() }) {
                reader.error(nameNode, "two tables of this database are both named '\(name)'")
            }
            tables.append(DatabaseTableSpec(source: source, name: name,
                                            selection: decodeColumnSelection(fields, at: "outputs.databases.tables", reader: reader)))
        }
        return DatabaseTarget(connection: connection, tables: tables)
    }

    private static func decodePostgres(_ node: Node, reader: ConfigReader) -> PostgresSettings? {
        let at = "outputs.databases.postgres"
        guard let fields = reader.mapping(node, at: at),
              let database = fields["database"].flatMap({ reader.string($0, at: "\(at).database") }),
              let user = fields["user"].flatMap({ reader.string($0, at: "\(at).user") }) else { return nil }
        var settings = PostgresSettings(database: database, user: user)
        if let node = fields["host"], let host = reader.string(node, at: "\(at).host") { settings.host = host }
        if let node = fields["port"], let port = reader.integer(node, at: "\(at).port", in: 1...65535) { settings.port = port }
        if let node = fields["password_env"], let variable = reader.string(node, at: "\(at).password_env") {
            // Not echoed: a value that is no variable name may be the password itself.
            if variable.first?.isNumber != false || variable.contains(where: { !($0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_")) }) {
                reader.error(node, "'\(at).password_env' must name an environment variable in capitals, such as SEGFLOW_PG_PASSWORD",
                             hint: "the password itself never goes in the pipeline file; if it was there, change it")
            }
            settings.passwordVariable = variable
        }
        if let node = fields["schema"], let schema = reader.string(node, at: "\(at).schema") {
            if !DatabaseTableSpec.isValidName(schema) {
                reader.error(node, "'\(at).schema' must be letters, digits and _, starting with a letter; got '\(schema)'")
            }
            settings.schema = schema
        }
        if let node = fields["tls"], let tls = reader.choice(node, at: "\(at).tls", as: PostgresSettings.TLSMode.self) { settings.tls = tls }
        if let node = fields["lock_timeout_seconds"], let seconds = reader.integer(node, at: "\(at).lock_timeout_seconds", in: 1...86_400) {
            settings.lockTimeoutSeconds = seconds
        }
        return settings
    }

    private static func decodeTransactions(_ node: Node, reader: ConfigReader) -> TransactionInput? {
        let path = "inputs.transactions"
        guard let entries = reader.mapping(node, at: path) else { return nil }
        let file = entries["path"].flatMap { reader.string($0, at: "\(path).path") }
        var columns: TransactionColumns?
        if let node = entries["columns"],
           let mapping = reader.mapping(node, at: "\(path).columns") {
            let names = mapping.mapValues { reader.string($0, at: "\(path).columns") }
            if let customer = names["customer"] ?? nil, let time = names["time"] ?? nil, let amount = names["amount"] ?? nil {
                columns = TransactionColumns(customer: customer, order: names["order"] ?? nil, time: time, amount: amount)
            }
            let roles = ["customer", "order", "time", "amount"]
            for (index, role) in roles.enumerated() {
                guard let name = names[role] ?? nil else { continue }
                if let other = roles[(index + 1)...].first(where: { (names[$0] ?? nil) == name }) {
                    reader.error(node, "column '\(name)' is mapped to both '\(role)' and '\(other)' in '\(path).columns'",
                                 hint: "each of customer, order, time and amount needs its own column")
                }
            }
        }
        var timeFormat = TimeFormat.iso8601
        if let node = entries["time_format"], let text = reader.string(node, at: "\(path).time_format") {
            switch text {
            case "iso8601": timeFormat = .iso8601
            case "date": timeFormat = .date
            case "epoch_seconds": timeFormat = .epochSeconds
            default:
                if text.contains("%") {
                    do { timeFormat = .pattern(try TimePattern(text)) } catch {
                        reader.error(node, "'\(path).time_format': \(error.message)")
                    }
                } else {
                    let suggestion = Suggestion.closest(to: text, among: ["iso8601", "date", "epoch_seconds"])
                    reader.error(node, "'\(path).time_format' cannot be '\(text)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? ""),
                                 hint: "use iso8601, date, epoch_seconds, or a pattern such as '%d/%m/%Y %H:%M'")
                }
            }
        }
        var separator = FieldSeparator.byte(UInt8(ascii: ","))
        if let node = entries["delimiter"], let text = reader.string(node, at: "\(path).delimiter") {
            let resolved = text == "tab" || text == "\\t" ? "\t" : text
            if text == "whitespace" {
                separator = .blanks
            } else if resolved.utf8.count == 1, let byte = resolved.utf8.first, byte != UInt8(ascii: "\""), byte != 10, byte != 13 {
                separator = .byte(byte)
            } else {
                reader.error(node, "'\(path).delimiter' must be a single character other than a quote or line break, or 'whitespace'",
                             hint: "for example ',' or ';' or 'tab'")
            }
        }
        var hasHeader = true
        if let node = entries["header"] {
            if let value = node.bool { hasHeader = value } else { reader.error(node, "'\(path).header' must be true or false") }
        }
        guard let file, let columns else { return nil }
        return TransactionInput(path: file, columns: columns, timeFormat: timeFormat, separator: separator, hasHeader: hasHeader)
    }

    /// `0.1%` (a share of rows) or `25` (a count).
    private static func decodeBudget(_ node: Node, reader: ConfigReader) -> RejectionBudget? {
        let text = node.string?.trimmingCharacters(in: .whitespaces) ?? ""
        if text.hasSuffix("%"), let percent = Double(text.dropLast()), (0...100).contains(percent) {
            return .fraction(percent / 100)
        }
        if let count = Int(text), count >= 0 { return .count(count) }
        reader.error(node, "'clean.max_rejected' must be a row count (e.g. 100) or a percentage (e.g. 0.1%)")
        return nil
    }

    private static func decodeSegmentation(_ node: Node, windows: inout FeatureWindows, reader: ConfigReader) -> SegmentationRules? {
        guard let section = reader.mapping(node, at: "segment") else { return nil }
        var rules = SegmentationRules()
        if let node = section["rfm"], let rfm = reader.mapping(node, at: "segment.rfm") {
            if let node = rfm["bins"], let bins = reader.integer(node, at: "segment.rfm.bins", in: 2...10) { rules.rfmBins = bins }
            if let node = rfm["segments"] {
                rules.rfmSegments = decodeRFMSegments(node, bins: rules.rfmBins, reader: reader)
            } else if rules.rfmBins != 5 {
                reader.error(rfm["bins"] ?? node, "the default RFM segment map is for 5 bins; with \(rules.rfmBins) bins list 'segment.rfm.segments'",
                             hint: "see docs/segmentation.md for the default map to adapt")
            }
        }
        if let node = section["value"], let value = reader.mapping(node, at: "segment.value") {
            if let node = value["measure"], let measure = reader.choice(node, at: "segment.value.measure", as: SegmentationRules.ValueMeasure.self) {
                rules.valueMeasure = measure
            }
            if let node = value["tiers"], let items = reader.sequence(node, at: "segment.value.tiers") {
                let cutoffs = items.compactMap { reader.number($0, at: "segment.value.tiers", in: 0...1) }
                if cutoffs.count == items.count {
                    if cutoffs.isEmpty || zip(cutoffs, cutoffs.dropFirst()).contains(where: { $0 >= $1 }) || cutoffs.contains(0) || cutoffs.contains(1) {
                        reader.error(node, "'segment.value.tiers' must be increasing shares between 0 and 1, e.g. [0.2, 0.5]",
                                     hint: "[0.2, 0.5] makes the top 20% tier A, the next 30% tier B and the rest tier C")
                    } else {
                        rules.tierCutoffs = cutoffs
                    }
                }
            }
            if let node = value["current_window_days"],
               let days = reader.integer(node, at: "segment.value.current_window_days", in: 1...3650) {
                windows.currentValueDays = days
            }
        }
        if let node = section["lifecycle"], let lifecycle = reader.mapping(node, at: "segment.lifecycle") {
            func days(_ key: String, _ apply: (Int) -> Void) {
                if let node = lifecycle[key], let value = reader.integer(node, at: "segment.lifecycle.\(key)", in: 1...36500) { apply(value) }
            }
            days("new_within_days") { rules.lifecycle.newWithinDays = $0 }
            days("active_within_days") { rules.lifecycle.activeWithinDays = $0 }
            days("at_risk_within_days") { rules.lifecycle.atRiskWithinDays = $0 }
            days("lapsed_within_days") { rules.lifecycle.lapsedWithinDays = $0 }
            days("exploration_max_purchases") { rules.lifecycle.explorationMaxPurchases = $0 }
            days("trend_window_days") { windows.trendDays = $0 }
            if let node = lifecycle["decline_ratio"], let value = reader.number(node, at: "segment.lifecycle.decline_ratio", in: 0...1) {
                rules.lifecycle.declineRatio = value
            }
            if let node = lifecycle["growth_ratio"], let value = reader.number(node, at: "segment.lifecycle.growth_ratio", in: 1...100) {
                rules.lifecycle.growthRatio = value
            }
            let order = [rules.lifecycle.activeWithinDays, rules.lifecycle.atRiskWithinDays, rules.lifecycle.lapsedWithinDays]
            if order != order.sorted() {
                reader.error(node, "'segment.lifecycle' thresholds must grow: active_within_days <= at_risk_within_days <= lapsed_within_days")
            }
        }
        if let node = section["kmeans"] { rules.clustering = decodeClustering(node, reader: reader) }
        return rules
    }

    private static func decodeChurn(_ node: Node, reader: ConfigReader) -> ChurnRules? {
        guard let entries = reader.mapping(node, at: "churn") else { return nil }
        var rules = ChurnRules()
        if let node = entries["model"], let text = reader.string(node, at: "churn.model") {
            switch text {
            case "logistic": rules.classifier = true
            case "none": rules.classifier = false
            default:
                reader.error(node, "'churn.model' cannot be '\(text)'", hint: "choose 'logistic' (supervised churn model) or 'none' (BG/NBD scores only)")
            }
        }
        if let node = entries["horizon"], let text = reader.string(node, at: "churn.horizon") {
            let unit = text.last.map(String.init) ?? ""
            if let count = Int(text.dropLast()), count > 0, unit == "d" || unit == "w" {
                rules.horizonDays = unit == "w" ? count * 7 : count
            } else {
                reader.error(node, "'churn.horizon' must be a number of days or weeks, e.g. 90d or 13w")
            }
        }
        if let node = entries["time_unit"], let text = reader.string(node, at: "churn.time_unit") {
            switch text {
            case "week": rules.unitDays = 7
            case "day": rules.unitDays = 1
            default: reader.error(node, "'churn.time_unit' must be 'week' or 'day'")
            }
        }
        if let node = entries["purchase_model"], let kind = reader.choice(node, at: "churn.purchase_model", as: ChurnRules.PurchaseModelKind.self) {
            rules.purchaseModel = kind
        }
        if let node = entries["penalizer"], let value = reader.number(node, at: "churn.penalizer", in: 0...100) { rules.penalizer = value }
        if let node = entries["clv"], let clv = reader.mapping(node, at: "churn.clv") {
            if let node = clv["months"], let value = reader.integer(node, at: "churn.clv.months", in: 1...1200) { rules.clvMonths = value }
            if let node = clv["monthly_discount_rate"], let value = reader.number(node, at: "churn.clv.monthly_discount_rate", in: 0...1) {
                rules.monthlyDiscountRate = value
            }
            if let node = clv["margin"], let value = reader.number(node, at: "churn.clv.margin", in: 0...1) { rules.margin = value }
        }
        if let node = entries["risk"], let risk = reader.mapping(node, at: "churn.risk") {
            if let node = risk["medium"], let value = reader.number(node, at: "churn.risk.medium", in: 0...1) { rules.mediumRisk = value }
            if let node = risk["high"], let value = reader.number(node, at: "churn.risk.high", in: 0...1) { rules.highRisk = value }
            if let node = risk["c"], let value = reader.number(node, at: "churn.risk.c", in: 1e-6...1e6) { rules.inverseRegularization = value }
            if rules.mediumRisk > rules.highRisk {
                reader.error(node, "'churn.risk.medium' must not exceed 'churn.risk.high'")
            }
        }
        return rules
    }

    private static func decodeClustering(_ node: Node, reader: ConfigReader) -> ClusteringRules? {
        guard let entries = reader.mapping(node, at: "segment.kmeans") else { return nil }
        var rules = ClusteringRules()
        if let node = entries["features"], let items = reader.sequence(node, at: "segment.kmeans.features") {
            var features: [ClusteringFeature] = []
            for item in items {
                var feature: ClusteringFeature
                if case .scalar = item, let name = reader.string(item, at: "segment.kmeans.features") {
                    feature = ClusteringFeature(name: name)
                } else if let entry = reader.mapping(item, at: "segment.kmeans.features"),
                          let name = entry["name"].flatMap({ reader.string($0, at: "segment.kmeans.features.name") }) {
                    feature = ClusteringFeature(name: name)
                    if let node = entry["transform"], let value = reader.choice(node, at: "segment.kmeans.features.transform", as: ClusteringFeature.Transform.self) {
                        feature.transform = value
                    }
                    if let node = entry["scaling"], let value = reader.choice(node, at: "segment.kmeans.features.scaling", as: ClusteringFeature.Scaling.self) {
                        feature.scaling = value
                    }
                    if let node = entry["weight"], let value = reader.number(node, at: "segment.kmeans.features.weight", in: 0...100) {
                        feature.weight = value
                    }
                } else {
                    continue
                }
                guard CustomerFeatures.numericNames.contains(feature.name) else {
                    let suggestion = Suggestion.closest(to: feature.name, among: CustomerFeatures.numericNames)
                    reader.error(item, "'segment.kmeans.features' has no feature '\(feature.name)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? ""),
                                 hint: "features: \(CustomerFeatures.numericNames.joined(separator: ", "))")
                    continue
                }
                if features.contains(where: { $0.name == feature.name }) {
                    reader.error(item, "feature '\(feature.name)' is listed twice in 'segment.kmeans.features'")
                }
                features.append(feature)
            }
            if items.isEmpty { reader.error(node, "'segment.kmeans.features' is empty", hint: "list at least one feature, e.g. [frequency]") }
            rules.features = features
        }
        var range = 2...12
        if let node = entries["k_range"], let items = reader.sequence(node, at: "segment.kmeans.k_range") {
            let bounds = items.compactMap { reader.integer($0, at: "segment.kmeans.k_range", in: 1...1000) }
            if bounds.count == 2, bounds[0] <= bounds[1] {
                range = bounds[0]...bounds[1]
            } else if bounds.count == items.count {
                reader.error(node, "'segment.kmeans.k_range' must be [lowest, highest], e.g. [2, 12]")
            }
        }
        if let node = entries["k"] {
            if node.string == "auto" {
                rules.clusterCount = .auto(range)
            } else if let k = reader.integer(node, at: "segment.kmeans.k", in: 1...1000) {
                rules.clusterCount = .fixed(k)
                if let rangeNode = entries["k_range"] {
                    reader.warning(rangeNode, "'segment.kmeans.k_range' is not used: k is fixed at \(k)", hint: "set 'k: auto' to search the range")
                }
            }
        }
        if let node = entries["algorithm"], let text = reader.string(node, at: "segment.kmeans.algorithm") {
            var batchSize = 4096
            if let node = entries["batch_size"], let value = reader.integer(node, at: "segment.kmeans.batch_size", in: 16...10_000_000) {
                batchSize = value
            }
            switch text {
            case "lloyd": rules.algorithm = .lloyd
            case "minibatch": rules.algorithm = .miniBatch(batchSize: batchSize)
            default:
                let suggestion = Suggestion.closest(to: text, among: ["lloyd", "minibatch"])
                reader.error(node, "'segment.kmeans.algorithm' cannot be '\(text)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? ""),
                             hint: "choose one of: lloyd, minibatch")
            }
        } else if let node = entries["batch_size"] {
            reader.warning(node, "'segment.kmeans.batch_size' is not used without 'algorithm: minibatch'")
        }
        if let node = entries["restarts"], let value = reader.integer(node, at: "segment.kmeans.restarts", in: 1...100) { rules.restarts = value }
        if let node = entries["max_iter"], let value = reader.integer(node, at: "segment.kmeans.max_iter", in: 1...100_000) { rules.maxIterations = value }
        if let node = entries["tol"], let value = reader.number(node, at: "segment.kmeans.tol", in: 0...1) { rules.tolerance = value }
        if let node = entries["seed"], let value = reader.integer(node, at: "segment.kmeans.seed", in: 0...Int.max) { rules.seed = UInt64(value) }
        if let node = entries["precision"], let value = reader.choice(node, at: "segment.kmeans.precision", as: ClusteringRules.Precision.self) {
            rules.precision = value
        }
        if let node = entries["silhouette_sample"], let value = reader.integer(node, at: "segment.kmeans.silhouette_sample", in: 100...1_000_000) {
            rules.silhouetteSample = value
        }
        return rules
    }

    /// A list of `{name, r, f, m}`; ranges are `4-5` or a single score.
    private static func decodeRFMSegments(_ node: Node, bins: Int, reader: ConfigReader) -> [RFMSegmentRule] {
        guard let items = reader.sequence(node, at: "segment.rfm.segments") else { return [] }
        var rules: [RFMSegmentRule] = []
        for item in items {
            guard let entry = reader.mapping(item, at: "segment.rfm.segments") else { continue }
            func range(_ key: String) -> ClosedRange<Int>? {
                guard let node = entry[key] else { return nil }
                let text = node.string ?? ""
                let bounds = text.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard (1...2).contains(bounds.count), let low = bounds.first ?? nil, let high = bounds.last ?? nil,
                      1 <= low, low <= high, high <= bins else {
                    reader.error(node, "'segment.rfm.segments.\(key)' must be a score or a range of scores within 1-\(bins), e.g. 4-5")
                    return nil
                }
                return low...high
            }
            guard let name = entry["name"].flatMap({ reader.string($0, at: "segment.rfm.segments.name") }),
                  let r = range("r"), let f = range("f") else { continue }
            rules.append(RFMSegmentRule(name, recency: r, frequency: f, monetary: range("m") ?? 1...Int.max))
        }
        let uncovered = RFMSegmentRule.uncoveredCells(rules, bins: bins)
        if !uncovered.isEmpty, !reader.diagnostics.hasErrors {
            let cells = uncovered.prefix(8).map { "r=\($0.r) f=\($0.f)" }.joined(separator: ", ")
            reader.error(node, "'segment.rfm.segments' leaves \(uncovered.count) cells of the r x f grid without a segment: \(cells)",
                         hint: "add a rule without 'm' that covers them, e.g. a last catch-all '{name: Other, r: 1-\(bins), f: 1-\(bins)}'")
        }
        return rules
    }

    private static func decodeDateRange(_ node: Node, reader: ConfigReader) -> ClosedRange<Int64>? {
        guard let entries = reader.mapping(node, at: "clean.date_range") else { return nil }
        let from = entries["from"].map { reader.date($0, at: "clean.date_range.from") } ?? Int64.min
        let to = entries["to"].map { reader.date($0, at: "clean.date_range.to") } ?? Int64.max
        guard let from, let to else { return nil }
        guard from <= to else {
            reader.error(node, "'clean.date_range.from' is after 'clean.date_range.to'", hint: "swap the two dates")
            return nil
        }
        return from...to
    }
}
