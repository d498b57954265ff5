import SegflowCore
import Yams

/// Reads typed values out of a YAML tree, collecting a diagnostic (file:line:col, key path,
/// what to do) for each problem instead of stopping at the first.
final class ConfigReader {
    let file: String
    /// The accepted keys of each mapping, by key path ("" is the top level).
    let keyTables: [String: KeyTable]
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String, keyTables: [String: KeyTable]) {
        self.file = file
        self.keyTables = keyTables
    }

    func location(_ node: Node?) -> SourceLocation {
        SourceLocation(file: file, line: node?.mark?.line, column: node?.mark?.column)
    }

    func error(_ node: Node?, _ message: String, hint: String? = nil) {
        diagnostics.append(.error(at: location(node), message, hint: hint))
    }

    func warning(_ node: Node?, _ message: String, hint: String? = nil) {
        diagnostics.append(.warning(at: location(node), message, hint: hint))
    }

    /// A mapping's entries by key. Unknown keys are reported with the closest known key;
    /// missing required keys are reported at the mapping.
    func mapping(_ node: Node, at path: String) -> [String: Node]? {
        guard let keys = keyTables[path] else { preconditionFailure("no key table for '\(path)'") }
        guard case .mapping(let mapping) = node else {
            error(node, "'\(path)' must be a mapping of keys to values", hint: "expected keys: \(keys.allowed.joined(separator: ", "))")
            return nil
        }
        var entries: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                error(keyNode, "keys in '\(path)' must be plain words")
                continue
            }
            if keys.allowed.contains(key) {
                entries[key] = value
            } else {
                let suggestion = Suggestion.closest(to: key, among: keys.allowed)
                let where_ = path.isEmpty ? "at the top level" : "in '\(path)'"
                error(keyNode, "unknown key '\(key)' \(where_)" + (suggestion.map { "; did you mean '\($0)'?" } ?? ""),
                      hint: suggestion == nil ? "known keys: \(keys.allowed.joined(separator: ", "))" : nil)
            }
        }
        for required in keys.required where entries[required] == nil {
            error(node, "missing required key '\(required)' \(path.isEmpty ? "at the top level" : "in '\(path)'")",
                  hint: keys.example[required].map { "add it, for example: \(required): \($0)" })
        }
        return entries
    }

    func string(_ node: Node, at path: String) -> String? {
        guard case .scalar(let scalar) = node, !scalar.string.isEmpty else {
            error(node, "'\(path)' must be a non-empty text value")
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
        let suggestion = Suggestion.closest(to: scalar.string, among: names)
        error(node, "'\(path)' cannot be '\(scalar.string)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? ""),
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

    func sequence(_ node: Node, at path: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            error(node, "'\(path)' must be a list")
            return nil
        }
        return Array(sequence)
    }
}

/// The keys one section of the pipeline file accepts: the single table that both
/// validation and the docs test read.
struct KeyTable: Sendable {
    let allowed: [String]
    let required: [String]
    /// An example value per key, used in "add it, for example" hints.
    let example: [String: String]

    init(allowed: [String], required: [String] = [], example: [String: String] = [:]) {
        self.allowed = allowed
        self.required = required
        self.example = example
    }
}
