import SegflowCore

/// A delimited text file as segflow reads it: where it is, how its records are separated,
/// and the pipeline file's key that describes it (for messages).
public struct DelimitedFile: Sendable, Equatable {
    public var path: String
    public var separator: FieldSeparator
    /// Without a header row, columns are named by 1-based position: "1", "2", ...
    public var hasHeader: Bool
    /// The longest record read; a longer one stops the run instead of growing memory.
    public var maxRecordBytes: Int
    /// "inputs.transactions", "inputs.surveys": where the file is configured.
    public var key: String

    public init(
        path: String, key: String, separator: FieldSeparator = .byte(UInt8(ascii: ",")), hasHeader: Bool = true,
        maxRecordBytes: Int = TransactionInput.defaultMaxRecordBytes
    ) {
        self.path = path
        self.key = key
        self.separator = separator
        self.hasHeader = hasHeader
        self.maxRecordBytes = maxRecordBytes
    }

    /// `.gz` files are gzip-compressed.
    public var isGzip: Bool { path.hasSuffix(".gz") }
}

extension TransactionInput {
    public var file: DelimitedFile {
        DelimitedFile(path: path, key: "inputs.transactions", separator: separator, hasHeader: hasHeader, maxRecordBytes: maxRecordBytes)
    }
}

/// Where each mapped column is in a file's header, with the messages every input gives for
/// a column that is missing or named twice.
enum HeaderMapping {
    /// The position of each of `names` in `header`; throws with every problem found.
    static func positions(of names: [String], in header: [String], file: DelimitedFile) throws -> [Int] {
        var positions: [Int] = []
        var diagnostics: [Diagnostic] = []
        let headerLine = SourceLocation(file: file.path, line: 1)
        for name in names {
            let matches = header.indices.filter { header[$0] == name }
            if matches.count > 1 {
                diagnostics.append(
                    .error(
                        at: headerLine, "the header has \(matches.count) columns named '\(name)'",
                        hint: "rename the duplicate columns in the file so the mapping is unambiguous"))
            } else if let index = matches.first {
                positions.append(index)
            } else if file.hasHeader, looksLikeData(header) {
                // Never echoed: a first line of data holds customer ids and amounts.
                diagnostics.append(
                    .error(
                        at: headerLine,
                        "missing column '\(name)': the first line has \(header.count) fields and looks like data, not a header "
                            + "(some fields are numbers or dates)",
                        hint: "if the file has no header row, set \(file.key).header: false and map columns by position "
                            + "(customer: \"1\", ...); otherwise fix the file's first line"))
            } else {
                let suggestion = Suggestion.closest(to: name, among: header).map { "did you mean '\($0)'? " } ?? ""
                diagnostics.append(
                    .error(
                        at: headerLine, "missing column '\(name)'; the header has: \(listed(header))",
                        hint: "\(suggestion)fix \(file.key).columns in the pipeline file, or the file's header"))
            }
        }
        if !diagnostics.isEmpty { throw SegflowError(.data, diagnostics) }
        return positions
    }

    /// A header cell is a name; a cell that reads as a number, a date or a time is a value,
    /// so a first line holding one is data (a file without its header row).
    static func looksLikeData(_ names: [String]) -> Bool {
        names.contains { cell in
            let text = String(cell.drop { $0 == " " || $0 == "\t" })
            return Double(text) != nil || CivilTime.parseDate(String(text.prefix(10))) != nil
        }
    }

    /// Header names for a message: at most 30, each cut at 40 characters.
    static func listed(_ names: [String]) -> String {
        let shown = names.prefix(30).map { $0.count > 40 ? $0.prefix(40) + "…" : $0 }
        return shown.joined(separator: ", ") + (names.count > 30 ? ", and \(names.count - 30) more" : "")
    }
}
