import Foundation
import Yams

/// The pipeline file as a run used it: every key of every section, the file's own values
/// as written and every other key at its default (marked `# default`; a default the docs
/// describe in words is a comment). Each run keeps it beside its manifest, so two runs can
/// be traced to their settings and `segflow diff` can say which settings changed. It is a
/// pipeline file itself: it reads back to the same settings.
public enum ResolvedPipeline {
    static func text(_ root: Node, header: [String]) -> String {
        var lines = header.map { "# \($0)" }
        section(root, PipelineFile.Sections.fields.map(\.info), indent: "", into: &lines)
        return lines.joined(separator: "\n") + "\n"
    }

    private static func section(_ node: Node?, _ fields: [FieldInfo], indent: String, into lines: inout [String]) {
        for field in fields {
            let written = node?.mapping?[Node(field.key)]
            switch (written, field.shape) {
            case (let value?, .section(let nested)) where value.mapping != nil:
                lines.append("\(indent)\(field.key):")
                section(value, nested, indent: indent + "  ", into: &lines)
            case (nil, .section(let nested)) where field.defaultText == "defaults":
                lines.append("\(indent)\(field.key):  # default")
                section(nil, nested, indent: indent + "  ", into: &lines)
            case (let value?, .list(.section(let nested))) where value.sequence != nil:
                lines.append("\(indent)\(field.key):")
                for item in value.sequence ?? [] { lines.append("\(indent)  - \(filled(item, nested))") }
            case (let value?, _):
                lines.append("\(indent)\(field.key): \(flow(value))")
            case (nil, _):
                if let value = field.defaultValue {
                    lines.append("\(indent)\(field.key): \(value)  # default")
                } else {
                    lines.append("\(indent)# \(field.key): \(field.defaultText ?? "none") (default)")
                }
            }
        }
    }

    /// A list item written as a mapping of the item's keys, with the defaults it leaves out
    /// that have a value; an item in a short form stays as written.
    private static func filled(_ item: Node, _ fields: [FieldInfo]) -> String {
        guard let mapping = item.mapping, mapping.keys.allSatisfy({ key in fields.contains { $0.key == key.string } }) else { return flow(item) }
        let pairs = fields.compactMap { field -> String? in
            (mapping[Node(field.key)].map(flow) ?? field.defaultValue).map { "\(field.key): \($0)" }
        }
        return "{" + pairs.joined(separator: ", ") + "}"
    }

    /// One line of YAML flow style: `{a: 1, b: [x, y]}`.
    static func flow(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): return self.scalar(scalar)
        case .sequence(let sequence): return "[" + sequence.map(flow).joined(separator: ", ") + "]"
        case .mapping(let mapping): return "{" + mapping.map { "\(flow($0.key)): \(flow($0.value))" }.joined(separator: ", ") + "}"
        case .alias: return "null"
        }
    }

    /// Plain when that reads back as the same text (and it was not quoted), double-quoted otherwise.
    private static func scalar(_ scalar: Node.Scalar) -> String {
        let text = scalar.string
        let safe = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_./%+-:"))
        let plain =
            scalar.style == .plain && !text.isEmpty && text.unicodeScalars.allSatisfy(safe.contains)
            && !text.hasSuffix(":") && !text.hasPrefix("-") || Double(text) != nil && scalar.style == .plain
        if plain { return text }
        var quoted = "\""
        for character in text.unicodeScalars {
            switch character {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            case _ where character.value < 0x20: quoted += String(format: "\\x%02X", character.value)
            default: quoted.unicodeScalars.append(character)
            }
        }
        return quoted + "\""
    }
}
