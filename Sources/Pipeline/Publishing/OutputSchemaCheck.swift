import DatabaseExport
import Export
import SegflowCore

/// Checks every export against the columns the stages will produce, before any data is
/// read: selected and renamed columns exist, no output has a column twice, and files are
/// split by a text column. Each problem points at the key that causes it.
struct OutputSchemaCheck {
    let reader: ConfigReader
    let schemas: [ExportSpec.Source: [ColumnSchema]]

    func check(_ outputs: OutputRules) {
        for (index, file) in outputs.files.enumerated() {
            let at = "outputs.files[\(index)]"
            let schema = schemas[file.source] ?? []
            check(
                ColumnSelection(columns: file.columns, rename: file.rename, filter: file.filter), at: at, path: "outputs.files", of: file.source,
                schema)
            if let splitBy = file.splitBy {
                let location = reader.locations["\(at).split_by"]
                if let column = schema.first(where: { $0.name == splitBy }) {
                    if column.kind != .text {
                        reader.error(
                            at: location,
                            "'outputs.files.split_by': '\(splitBy)' is a column of \(column.kind.rawValue)s; "
                                + "files are split by a text column",
                            hint: "text columns: \(schema.filter { $0.kind == .text }.map(\.name).joined(separator: ", "))")
                    }
                } else {
                    unknown(splitBy, at: location, key: "outputs.files.split_by", of: file.source, schema)
                }
            }
        }
        for (databaseIndex, database) in outputs.databases.enumerated() {
            for (tableIndex, table) in database.tables.enumerated() {
                check(
                    table.selection, at: "outputs.databases[\(databaseIndex)].tables[\(tableIndex)]", path: "outputs.databases.tables",
                    of: table.source, schemas[table.source] ?? [])
            }
        }
    }

    /// `at` is the export's indexed key path, `path` the same without list positions.
    private func check(_ selection: ColumnSelection, at: String, path: String, of source: ExportSpec.Source, _ schema: [ColumnSchema]) {
        check(selection.filter, at: at, path: path, of: source, schema)
        let available = Set(schema.map(\.name))
        var selected: [String] = []
        var listed: Set<String> = []
        for (index, name) in (selection.columns ?? schema.map(\.name)).enumerated() {
            let location = reader.locations["\(at).columns[\(index)]"]
            if !available.contains(name) {
                unknown(name, at: location, key: "\(path).columns", of: source, schema)
            } else if !listed.insert(name).inserted {
                reader.error(at: location, "'\(path).columns' lists '\(name)' twice", hint: "keep one of them")
            } else {
                selected.append(name)
            }
        }
        for old in selection.rename.keys.sorted() where !available.contains(old) {
            unknown(old, at: reader.locations["\(at).rename.\(old)"], key: "\(path).rename", of: source, schema)
        }
        var written: [String: String] = [:]
        for name in selected {
            let output = selection.rename[name] ?? name
            if let earlier = written[output] {
                let renamed = selection.rename[name] != nil ? name : earlier
                reader.error(
                    at: reader.locations["\(at).rename.\(renamed)"] ?? reader.locations[at],
                    "'\(path).rename' gives '\(renamed)' the name '\(output)', which another column of this output already has",
                    hint: "choose a name no other written column has, or leave one of them out of 'columns'")
            } else {
                written[output] = name
            }
        }
    }

    /// Each `where:` column exists; a range is on a number column; listed values are values
    /// the column can hold, where the file fixes them.
    private func check(_ filter: RowFilter, at: String, path: String, of source: ExportSpec.Source, _ schema: [ColumnSchema]) {
        for clause in filter.clauses {
            let location = reader.locations["\(at).where.\(clause.column)"]
            guard let column = schema.first(where: { $0.name == clause.column }) else {
                unknown(clause.column, at: location, key: "\(path).where", of: source, schema)
                continue
            }
            switch clause.condition {
            case .range where column.kind == .text:
                reader.error(
                    at: location, "'\(path).where.\(column.name)' is a range, but '\(column.name)' is a text column",
                    hint: "list the values to keep, e.g. {\(column.name): [\((column.values ?? ["a", "b"]).prefix(2).joined(separator: ", "))]}")
            case .oneOf(let values):
                guard let known = column.values else { continue }
                for value in values where !known.contains(value) {
                    reader.error(
                        at: location,
                        "'\(path).where.\(column.name)': '\(value)' is not a value of \(column.name)"
                            + Suggestion.didYouMean(value, among: known),
                        hint: "its values: \(known.joined(separator: ", "))")
                }
            default: break
            }
        }
    }

    private func unknown(_ name: String, at location: SourceLocation?, key: String, of source: ExportSpec.Source, _ schema: [ColumnSchema]) {
        let names = schema.map(\.name)
        reader.error(
            at: location,
            "'\(key)': the \(source.rawValue) table has no column '\(name)'"
                + Suggestion.didYouMean(name, among: names),
            hint: "its columns: \(names.joined(separator: ", "))")
    }
}
