import SegflowCore
import Yams

/// Reads typed values out of a YAML tree, collecting a diagnostic (file:line:col, key path,
/// what to do) for each problem instead of stopping at the first.
final class ConfigReader {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []
    /// Where each value was written, by indexed key path ("outputs.files[1].columns[0]"), so
    /// checks after decoding, and stages at run time, can point at the line that set it.
    private(set) var locations: [String: SourceLocation] = [:]

    init(file: String) {
        self.file = file
    }

    func location(_ node: Node?) -> SourceLocation {
        SourceLocation(file: file, line: node?.mark?.line, column: node?.mark?.column)
    }

    func record(_ node: Node, at indexedPath: String) {
        locations[indexedPath] = location(node)
    }

    func error(_ node: Node?, _ message: String, hint: String? = nil) {
        diagnostics.append(.error(at: location(node), message, hint: hint))
    }

    func error(at location: SourceLocation?, _ message: String, hint: String? = nil) {
        diagnostics.append(.error(at: location ?? SourceLocation(file: file), message, hint: hint))
    }

    func warning(_ node: Node?, _ message: String, hint: String? = nil) {
        diagnostics.append(.warning(at: location(node), message, hint: hint))
    }

    /// Reads a section from its field table: unknown keys (with the closest known key),
    /// missing required keys, every key's value, then the section's own cross-key rules.
    /// Nil when the node is no mapping.
    func decode<Section: ConfigSection>(_ type: Section.Type, _ node: Node, _ context: FieldContext) -> Section? {
        let fields = Section.fields
        let examples = Dictionary(fields.compactMap { field in field.example.map { (field.key, $0) } }, uniquingKeysWith: { first, _ in first })
        guard
            let entries = mapping(
                node, at: context.path, allowed: fields.map(\.key),
                required: fields.filter(\.info.required).map(\.key), examples: examples)
        else { return nil }
        var section = Section()
        for field in fields {
            guard let value = entries[field.key] else { continue }
            let path = context.path.isEmpty ? field.key : "\(context.path).\(field.key)"
            let indexedPath = context.indexedPath.isEmpty ? field.key : "\(context.indexedPath).\(field.key)"
            record(value, at: indexedPath)
            field.decode(value, FieldContext(reader: self, path: path, indexedPath: indexedPath), &section)
        }
        Section.check(&section, SectionContext(reader: self, node: node, entries: entries, path: context.path, indexedPath: context.indexedPath))
        return section
    }

    /// A mapping's entries by key. Unknown keys are reported with the closest known key;
    /// missing required keys are reported at the mapping.
    func mapping(_ node: Node, at path: String, allowed: [String], required: [String] = [], examples: [String: String] = [:]) -> [String: Node]? {
        guard case .mapping(let mapping) = node else {
            error(node, "'\(path)' must be a mapping of keys to values", hint: "expected keys: \(allowed.joined(separator: ", "))")
            return nil
        }
        var entries: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                error(keyNode, "keys in '\(path)' must be plain words")
                continue
            }
            if allowed.contains(key) {
                entries[key] = value
            } else {
                let place = path.isEmpty ? "at the top level" : "in '\(path)'"
                let suggestion = Suggestion.didYouMean(key, among: allowed)
                error(
                    keyNode, "unknown key '\(key)' \(place)" + suggestion,
                    hint: suggestion.isEmpty ? "known keys: \(allowed.joined(separator: ", "))" : nil)
            }
        }
        for key in required where entries[key] == nil {
            error(
                node, "missing required key '\(key)' \(path.isEmpty ? "at the top level" : "in '\(path)'")",
                hint: examples[key].map { "add it, for example: \(key): \($0)" })
        }
        return entries
    }

    /// The longest text value a pipeline file may hold (a path's limit on Linux): values are
    /// echoed into messages, metrics and the report.
    static let maximumTextLength = 4_096

    func string(_ node: Node, at path: String) -> String? {
        guard case .scalar(let scalar) = node, !scalar.string.isEmpty else {
            error(node, "'\(path)' must be a non-empty text value")
            return nil
        }
        guard scalar.string.utf8.count <= Self.maximumTextLength else {
            error(node, "'\(path)' is \(scalar.string.utf8.count) bytes long; text values are at most \(Self.maximumTextLength) bytes")
            return nil
        }
        return scalar.string
    }

    func number(_ node: Node, at path: String, in range: ClosedRange<Double>) -> Double? {
        guard case .scalar(let scalar) = node, let value = Double(scalar.string), value.isFinite else {
            error(node, "'\(path)' must be a number")
            return nil
        }
        guard range.contains(value) else {
            error(node, "'\(path)' must be between \(range.lowerBound) and \(range.upperBound), got \(scalar.string)")
            return nil
        }
        return value
    }

    func bool(_ node: Node, at path: String) -> Bool? {
        guard case .scalar(let scalar) = node, let value = Bool(scalar.string) else {
            error(node, "'\(path)' must be true or false")
            return nil
        }
        return value
    }

    func integer(_ node: Node, at path: String, in range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let scalar) = node, let value = Int(scalar.string) else {
            error(node, "'\(path)' must be a whole number")
            return nil
        }
        guard range.contains(value) else {
            error(node, "'\(path)' must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
            return nil
        }
        return value
    }

    /// One of a fixed set of words, with "did you mean" for near misses.
    func choice<Choice: RawRepresentable & CaseIterable>(_ node: Node, at path: String, as type: Choice.Type) -> Choice?
    where Choice.RawValue == String {
        let names = Choice.allCases.map(\.rawValue)
        guard case .scalar(let scalar) = node else {
            error(node, "'\(path)' must be one of: \(names.joined(separator: ", "))")
            return nil
        }
        if let value = Choice(rawValue: scalar.string) { return value }
        error(
            node, "'\(path)' cannot be '\(scalar.string)'" + Suggestion.didYouMean(scalar.string, among: names),
            hint: "choose one of: \(names.joined(separator: ", "))")
        return nil
    }

    func date(_ node: Node, at path: String) -> Int64? {
        guard case .scalar(let scalar) = node, let days = CivilTime.parseDate(scalar.string) else {
            error(node, "'\(path)' must be a date written YYYY-MM-DD")
            return nil
        }
        return days
    }

    /// `90d` or `13w`, in days; the count is read as text, so no value can overflow.
    func duration(_ node: Node, at path: String, in days: ClosedRange<Int>) -> Int? {
        let text = node.string ?? ""
        guard case .scalar = node, let unit = text.last, unit == "d" || unit == "w",
            let count = Int(text.dropLast()), count > 0
        else {
            error(node, "'\(path)' must be a number of days or weeks, e.g. 90d or 13w")
            return nil
        }
        let (total, overflow) = count.multipliedReportingOverflow(by: unit == "w" ? 7 : 1)
        guard !overflow, days.contains(total) else {
            error(node, "'\(path)' must be between \(days.lowerBound) and \(days.upperBound) days, got \(text)")
            return nil
        }
        return total
    }

    /// A list whose every item `read` accepts; nil when the node is no list or an item is
    /// wrong (each told by `read`).
    func list<Value>(_ node: Node, at path: String, _ read: (Node) -> Value?) -> [Value]? {
        guard let items = sequence(node, at: path) else { return nil }
        let values = items.compactMap(read)
        return values.count == items.count ? values : nil
    }

    func sequence(_ node: Node, at path: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            error(node, "'\(path)' must be a list")
            return nil
        }
        return Array(sequence)
    }
}
