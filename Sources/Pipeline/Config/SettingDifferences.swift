import History
import Yams

extension ResolvedPipeline {
    /// The header line every run writes first: the day `as_of` meant in that run.
    static let asOfHeader = "# as_of in this run: "

    /// Every key whose value differs, in the order of the later file, then keys only the
    /// earlier file has. A list of sections is compared item by item (`outputs.files[1]`).
    public static func differences(_ before: String, _ after: String) throws -> [RunComparison.Setting] {
        let old = try settings(before), new = try settings(after)
        let oldValues = Dictionary(old, uniquingKeysWith: { first, _ in first })
        let newValues = Dictionary(new, uniquingKeysWith: { first, _ in first })
        var result = new.compactMap { key, value in
            oldValues[key] == value ? nil : RunComparison.Setting(key: key, before: oldValues[key], after: value)
        }
        result += old.filter { newValues[$0.0] == nil }.map { RunComparison.Setting(key: $0.0, before: $0.1, after: nil) }
        return result
    }

    /// Key paths and flow-style values of a resolved file; the run's `as_of` as "as_of (day)".
    static func settings(_ text: String) throws -> [(String, String)] {
        var result: [(String, String)] = []
        if let line = text.split(separator: "\n").first, line.hasPrefix(asOfHeader) {
            result.append(("as_of (day)", String(line.dropFirst(asOfHeader.count))))
        }
        func walk(_ node: Node, _ path: String) {
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping { walk(value, path.isEmpty ? key.string ?? "" : "\(path).\(key.string ?? "")") }
            case .sequence(let items) where items.contains(where: { $0.mapping != nil }):
                for (index, item) in items.enumerated() { walk(item, "\(path)[\(index)]") }
            default:
                result.append((path, flow(node)))
            }
        }
        if let root = try Yams.compose(yaml: text) { walk(root, "") }
        return result
    }
}
