import DatabaseExport
import Export
import SegflowCore
import Yams

/// The `outputs` section: where runs are published, how many are kept, and the files and
/// database tables each run exports.
public struct OutputRules: ConfigSection, Equatable {
    /// Runs go to `directory/runs/<run-id>/`; `directory/current` links to the latest.
    public var directory = ""
    public var keepRuns = 10
    public var protectFormulas = true
    public var guards = RunGuards()
    /// Databases that get tables, swapped in after the run's files are complete.
    public private(set) var databases: [DatabaseTarget] = []
    var fileItems: [FileExportItem] = []

    public init() {}

    /// The files each run exports, in the format their names ask for.
    public var files: [ExportSpec] {
        fileItems.compactMap { item in
            item.format(protectFormulas: protectFormulas).map { format in
                ExportSpec(
                    source: item.table, path: item.path, format: format, columns: item.selection.columns,
                    rename: item.selection.rename, splitBy: item.splitBy, filter: item.selection.filter)
            }
        }
    }

    static var fields: [ConfigField<Self>] {
        [
            .text("directory", \.directory, required: true, example: "out", doc: "Runs are published under this directory."),
            .integer("keep_runs", \.keepRuns, in: 1...10_000, doc: "How many runs are kept."),
            .bool("protect_formulas", \.protectFormulas, doc: "Prefix CSV cells that a spreadsheet would run as formulas."),
            .list(
                "files", \.fileItems, required: true, example: "[{customers: customers.csv}]", doc: "The files each run exports.",
                shortForm: FileExportItem.shortForm),
            .list("databases", \.databases, defaultText: "none", doc: "Databases that get tables."),
            .section("guards", \.guards, doc: "Checks on a run's result before it is published."),
        ]
    }

    static func check(_ section: inout Self, _ context: SectionContext) {
        let reader = context.reader
        if case .sequence(let items)? = context.entries["files"], items.isEmpty {
            context.error("files", "'\(context.path).files' is empty: the run would export nothing", hint: "add '- customers: customers.csv'")
        }
        let reserved = Set(RunFiles.allNames)
        var paths: Set<String> = []
        for (index, item) in section.fileItems.enumerated() where item.format(protectFormulas: section.protectFormulas) != nil {
            let pathLocation = reader.locations["\(context.indexedPath).files[\(index)].path"]
            let normalized = item.path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
            if reserved.contains(normalized) {
                reader.error(
                    at: pathLocation, "'\(item.path)' is written by every run (\(RunFiles.allNames.joined(separator: ", "))); choose another name")
            }
            if !paths.insert(normalized).inserted {
                reader.error(at: pathLocation, "two files in '\(context.path).files' are both written to '\(item.path)'")
            }
        }
    }
}

/// `columns` and `rename` of a file or table export, read the same way for both.
struct SelectionFields {
    static func fields<Section: ConfigSection>(_ keyPath: WritableKeyPath<Section, ColumnSelection>) -> [ConfigField<Section>] {
        [
            .custom("columns", shape: .list(.text), defaultText: "every column", doc: "The columns to write, in this order.") {
                node, context, section in
                guard let items = context.reader.sequence(node, at: context.path) else { return }
                var names: [String] = []
                for (index, item) in items.enumerated() {
                    context.reader.record(item, at: "\(context.indexedPath)[\(index)]")
                    if let name = context.reader.string(item, at: context.path) { names.append(name) }
                }
                section[keyPath: keyPath].columns = names
            },
            .custom(
                "rename", shape: .pairs, defaultText: "none",
                doc: "New names for columns."
            ) { node, context, section in
                guard case .mapping(let pairs) = node else {
                    context.error(node, "'\(context.path)' must map column names to new names, e.g. {customer_id: id}")
                    return
                }
                for (from, to) in pairs {
                    guard let old = context.reader.string(from, at: context.path), let new = context.reader.string(to, at: context.path) else {
                        continue
                    }
                    context.reader.record(from, at: "\(context.indexedPath).\(old)")
                    section[keyPath: keyPath].rename[old] = new
                }
            },
            .custom(
                "where", shape: .other("a mapping of column to value, list of values, or {min, max}"), defaultText: "every row",
                doc: "Which rows to write: every condition must hold."
            ) { node, context, section in
                section[keyPath: keyPath].filter = rowFilter(node, context)
            },
        ]
    }

    /// `{status: [active, at_risk], churn_risk: high, clv: {min: 100}}`.
    private static func rowFilter(_ node: Node, _ context: FieldContext) -> RowFilter {
        let reader = context.reader
        guard case .mapping(let pairs) = node, !pairs.isEmpty else {
            context.error(
                node, "'\(context.path)' must map columns to what they must hold, e.g. {status: [active, at_risk], churn_risk: high}")
            return RowFilter()
        }
        var clauses: [RowFilter.Clause] = []
        for (key, value) in pairs {
            guard let column = reader.string(key, at: context.path) else { continue }
            reader.record(key, at: "\(context.indexedPath).\(column)")
            switch value {
            case .scalar(let scalar):
                clauses.append(.init(column: column, condition: .oneOf([scalar.string])))
            case .sequence(let items):
                let values = items.compactMap { reader.string($0, at: "\(context.path).\(column)") }
                if values.count == items.count, !values.isEmpty { clauses.append(.init(column: column, condition: .oneOf(values))) }
                if items.isEmpty { context.error(value, "'\(context.path).\(column)' is an empty list: no row would be written") }
            case .mapping:
                guard let bounds = reader.mapping(value, at: "\(context.path).\(column)", allowed: ["min", "max"], required: [], examples: [:])
                else { continue }
                let low = bounds["min"].flatMap { reader.number($0, at: "\(context.path).\(column).min", in: -1e300...1e300) }
                let high = bounds["max"].flatMap { reader.number($0, at: "\(context.path).\(column).max", in: -1e300...1e300) }
                if bounds.isEmpty {
                    context.error(value, "'\(context.path).\(column)' needs min, max or both, e.g. {min: 100}")
                } else if let low, let high, low > high {
                    context.error(value, "'\(context.path).\(column)': min \(ConfigText.number(low)) is above max \(ConfigText.number(high))")
                } else {
                    clauses.append(.init(column: column, condition: .range(min: low, max: high)))
                }
            case .alias:
                context.error(value, "'\(context.path).\(column)' cannot be a YAML alias")
            }
        }
        return RowFilter(clauses)
    }
}

/// One entry of `outputs.files`: `- customers: customers.csv`, or the full mapping.
struct FileExportItem: ConfigSection, Equatable {
    var table = ExportSpec.Source.customers
    var path = ""
    var selection = ColumnSelection()
    var splitBy: String?

    static var fields: [ConfigField<Self>] {
        [
            .choice("table", \.table, required: true, example: "customers", doc: "Which table the file holds."),
            .text(
                "path", \.path, required: true, example: "customers.csv",
                doc: "Relative to the run directory; `.csv` or `.jsonl` chooses the format."),
        ] + SelectionFields.fields(\.selection) + [
            .text("split_by", \.splitBy, doc: "One file per value of this text column; the path holds `{value}`.")
        ]
    }

    /// The short form `- customers: customers.csv`; `.none` when the item is not written so.
    static func shortForm(_ node: Node, _ context: FieldContext) -> FileExportItem?? {
        guard case .mapping(let mapping) = node, mapping.count == 1, let (keyNode, value) = mapping.first,
            let key = keyNode.string, !fields.map(\.key).contains(key)
        else { return .none }
        guard let table = context.reader.choice(keyNode, at: context.path, as: ExportSpec.Source.self),
            let path = context.reader.string(value, at: "\(context.path).path")
        else { return .some(nil) }
        context.reader.record(keyNode, at: "\(context.indexedPath).table")
        context.reader.record(value, at: "\(context.indexedPath).path")
        var item = FileExportItem()
        (item.table, item.path) = (table, path)
        return checkPath(item, pathNode: value, context.reader, path: context.path) ? item : .some(nil)
    }

    static func check(_ section: inout Self, _ context: SectionContext) {
        guard let pathNode = context.entries["path"], !section.path.isEmpty else { return }
        if !checkPath(section, pathNode: pathNode, context.reader, path: context.path) { section.path = "" }
    }

    func format(protectFormulas: Bool) -> TableFormat? {
        path.isEmpty ? nil : ExportSpec.format(ofPath: path, protectFormulas: protectFormulas)
    }

    /// The path's extension, that it stays inside the run directory, and `{value}` exactly
    /// when the file is split.
    private static func checkPath(_ item: Self, pathNode: Node, _ reader: ConfigReader, path: String) -> Bool {
        let errors = reader.diagnostics.count
        if ExportSpec.format(ofPath: item.path, protectFormulas: true) == nil {
            reader.error(pathNode, "'\(path).path' must end in .csv or .jsonl, got '\(item.path)'", hint: "the extension chooses the format")
        } else if item.path.hasPrefix("/") || item.path.split(separator: "/").contains("..") {
            reader.error(
                pathNode, "'\(path).path' must be relative and stay inside the run directory, got '\(item.path)'",
                hint: "set outputs.directory to move the whole run")
        } else if item.splitBy != nil, !item.path.contains("{value}") {
            reader.error(pathNode, "'\(path).path' must contain {value} when split_by is set, e.g. by_segment/{value}.csv")
        } else if item.splitBy == nil, item.path.contains("{value}") {
            reader.error(pathNode, "'\(path).path' contains {value} but the file has no split_by")
        }
        return reader.diagnostics.count == errors
    }
}

extension DatabaseTarget: ConfigSection {
    public init() { self.init(connection: .sqlite(path: ""), tables: []) }

    var sqlitePath: String? {
        get { if case .sqlite(let path) = connection, !path.isEmpty { return path } else { return nil } }
        set { if let newValue { connection = .sqlite(path: newValue) } }
    }

    var postgres: PostgresSettings? {
        get { if case .postgres(let settings) = connection { return settings } else { return nil } }
        set { if let newValue { connection = .postgres(newValue) } }
    }

    static var fields: [ConfigField<Self>] {
        [
            .text("sqlite", \.sqlitePath, doc: "A SQLite database file; relative paths are inside `outputs.directory`."),
            .optionalSection("postgres", \.postgres, doc: "A PostgreSQL server."),
            .list(
                "tables", \.tables, required: true, example: "[{table: customers, name: segflow_customers}]",
                doc: "The tables loaded into this database."),
        ]
    }

    static func check(_ section: inout Self, _ context: SectionContext) {
        if (context.entries["sqlite"] == nil) == (context.entries["postgres"] == nil) {
            context.error(
                nil, "each entry of '\(context.path)' needs exactly one of 'sqlite' or 'postgres'",
                hint: "e.g. '- sqlite: out/segments.sqlite' or '- postgres: {database: crm, user: segflow, password_env: SEGFLOW_PG_PASSWORD}'")
        }
        if let path = section.sqlitePath, !path.hasPrefix("/"), path.split(separator: "/").contains("..") {
            context.error(
                "sqlite", "'\(context.path).sqlite' is relative, so it must stay inside outputs.directory; '\(path)' climbs out with '..'",
                hint: "write an absolute path to put the database elsewhere")
        }
        if case .sequence(let items)? = context.entries["tables"], items.isEmpty {
            context.error("tables", "'\(context.path).tables' is empty", hint: "add '- {table: customers, name: segflow_customers}'")
        }
        var names: Set<String> = []
        for (index, table) in section.tables.enumerated() where !table.name.isEmpty && !names.insert(table.name.lowercased()).inserted {
            context.reader.error(
                at: context.reader.locations["\(context.indexedPath).tables[\(index)].name"],
                "two tables of this database are both named '\(table.name)'")
        }
    }
}

extension DatabaseTableSpec: ConfigSection {
    public init() { self.init(source: .customers, name: "") }

    static var fields: [ConfigField<Self>] {
        [
            .choice("table", \.source, required: true, example: "customers", doc: "Which table is loaded."),
            .text("name", \.name, required: true, example: "segflow_customers", doc: "The table's name in the database."),
        ] + SelectionFields.fields(\.selection)
    }

    static func check(_ section: inout Self, _ context: SectionContext) {
        guard !section.name.isEmpty, !isValidName(section.name) else { return }
        context.error(
            "name",
            "'\(context.path).name' must be letters, digits and _, starting with a letter, "
                + "at most \(maximumNameLength) characters; got '\(section.name)'")
        section.name = ""
    }
}

extension PostgresSettings: ConfigSection {
    public init() { self.init(database: "", user: "") }

    static var fields: [ConfigField<Self>] {
        [
            .text("host", \.host, doc: "Server host."),
            .integer("port", \.port, in: 1...65535, doc: "Server port."),
            .text("database", \.database, required: true, example: "crm", doc: "Database name."),
            .text("user", \.user, required: true, example: "segflow", doc: "User name."),
            .custom(
                "password_env", shape: .text, defaultText: "none",
                doc: "The environment variable holding the password."
            ) { node, context, section in
                guard let variable = context.reader.string(node, at: context.path) else { return }
                // Not echoed: a value that is no variable name may be the password itself.
                if variable.first?.isNumber != false || variable.contains(where: { !($0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_")) }) {
                    context.error(
                        node, "'\(context.path)' must name an environment variable in capitals, such as SEGFLOW_PG_PASSWORD",
                        hint: "the password itself never goes in the pipeline file; if it was there, change it")
                }
                section.passwordVariable = variable
            },
            .custom("schema", shape: .text, defaultText: "the server's search path", doc: "The schema tables go to.") { node, context, section in
                guard let schema = context.reader.string(node, at: context.path) else { return }
                if !DatabaseTableSpec.isValidName(schema) {
                    context.error(node, "'\(context.path)' must be letters, digits and _, starting with a letter; got '\(schema)'")
                }
                section.schema = schema
            },
            .choice("tls", \.tls, doc: "TLS mode."),
            .integer("lock_timeout_seconds", \.lockTimeoutSeconds, in: 1...86_400, doc: "How long the swap waits for readers."),
        ]
    }
}
