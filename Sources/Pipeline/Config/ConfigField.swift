import Foundation
import SegflowCore
import Yams

/// A section of the pipeline file: a value type whose `init()` holds every default, the
/// table of its keys, and the rules that tie its keys together. The generic reader
/// (`ConfigReader.decode`) reads any section from these alone.
protocol ConfigSection: Sendable {
    init()
    static var fields: [ConfigField<Self>] { get }
    /// Rules across keys, run once every key of the section has been read.
    static func check(_ section: inout Self, _ context: SectionContext)
}

extension ConfigSection {
    static func check(_ section: inout Self, _ context: SectionContext) {}
}

/// What a section's cross-key rules may look at: its node, its entries and the reader.
struct SectionContext {
    let reader: ConfigReader
    let node: Node
    let entries: [String: Node]
    /// The section's key path ("segment.kmeans"), for messages.
    let path: String
    /// The same with list positions ("outputs.files[2]"), for recorded locations.
    let indexedPath: String

    func error(_ key: String?, _ message: String, hint: String? = nil) {
        reader.error(key.flatMap { entries[$0] } ?? node, message, hint: hint)
    }

    func warning(_ key: String?, _ message: String, hint: String? = nil) {
        reader.warning(key.flatMap { entries[$0] } ?? node, message, hint: hint)
    }
}

/// What values a key takes: read by the docs test and by the test that feeds every key a
/// wrong value.
indirect enum FieldShape: Sendable {
    case text
    case bool
    case date
    case integer(ClosedRange<Int>)
    case number(ClosedRange<Double>)
    case choice([String])
    /// A count of days or weeks, `90d` or `13w`, within a range of days.
    case duration(ClosedRange<Int>)
    /// A mapping of keys of its own.
    case section([FieldInfo])
    /// A list of values of one shape.
    case list(FieldShape)
    /// A mapping of free keys to text values (`rename`).
    case pairs
    /// A value read by its own rule; `description` says what it takes.
    case other(String)

    /// A YAML value of the wrong type for this shape.
    var wrongTypeSample: String {
        switch self {
        case .text, .date, .choice, .duration, .other: return "{x: 1}"
        case .bool, .integer, .number: return "[1, 2]"
        case .section, .list, .pairs: return "7"
        }
    }

    /// A YAML value of the right type but outside the allowed values; nil where every value
    /// of the type is allowed.
    var outOfRangeSample: String? {
        switch self {
        case .integer(let range): return range.lowerBound > Int.min ? String(range.lowerBound - 1) : String(range.upperBound) + "0"
        case .number(let range): return range.lowerBound > -1e300 ? String(range.lowerBound - 1) : String(range.upperBound * 10)
        case .choice: return "not_a_choice"
        case .date: return "2026-13-45"
        case .duration(let days): return "\(days.upperBound + 1)d"
        default: return nil
        }
    }
}

/// A key of a section, without its section's type: what docs, tests and the resolved
/// pipeline file read.
struct FieldInfo: Sendable {
    let key: String
    let shape: FieldShape
    let required: Bool
    /// The default as the docs write it; nil for a required key or one without a default.
    let defaultText: String?
    let doc: String
    /// The default as a YAML value the key accepts, in flow style; nil when the docs
    /// describe it in words ("every column", "none") or the key is a section of its own.
    var defaultValue: String? = nil
}

/// One key of a section: its name, the values it takes, its default (read off the section's
/// `init()`), a line of doc, and how it is stored into the section.
struct ConfigField<Section: ConfigSection> {
    let info: FieldInfo
    /// An example value for "add it, for example" hints of required keys.
    let example: String?
    let decode: (Node, FieldContext, inout Section) -> Void

    var key: String { info.key }

    init(
        _ key: String, shape: FieldShape, required: Bool = false, defaultText: String?, example: String? = nil, doc: String,
        decode: @escaping (Node, FieldContext, inout Section) -> Void
    ) {
        self.info = FieldInfo(
            key: key, shape: shape, required: required, defaultText: defaultText, doc: doc,
            defaultValue: Self.acceptedValue(defaultText, key: key, decode))
        self.example = example
        self.decode = decode
    }

    /// `text` read as YAML, when the key's own decoder takes it without a complaint.
    private static func acceptedValue(_ text: String?, key: String, _ decode: (Node, FieldContext, inout Section) -> Void) -> String? {
        guard let text, text != "none", let node = try? Yams.compose(yaml: text) else { return nil }
        if case .mapping = node { return nil }
        let reader = ConfigReader(file: "")
        var scratch = Section()
        decode(node, FieldContext(reader: reader, path: key, indexedPath: key), &scratch)
        return reader.diagnostics.isEmpty ? ResolvedPipeline.flow(node) : nil
    }
}

/// Where a field is being read: the reader and the field's key paths.
struct FieldContext {
    let reader: ConfigReader
    /// "segment.kmeans.k", for messages.
    let path: String
    /// "segment.kmeans.k" or "outputs.files[2].path", for recorded locations.
    let indexedPath: String

    func error(_ node: Node?, _ message: String, hint: String? = nil) { reader.error(node, message, hint: hint) }
    func warning(_ node: Node?, _ message: String, hint: String? = nil) { reader.warning(node, message, hint: hint) }
}

// MARK: - Field kinds

extension ConfigField {
    private static var defaults: Section { Section() }

    static func text(
        _ key: String, _ keyPath: WritableKeyPath<Section, String>, required: Bool = false,
        example: String? = nil, doc: String
    ) -> Self {
        let value = defaults[keyPath: keyPath]
        return Self(
            key, shape: .text, required: required, defaultText: required || value.isEmpty ? nil : value, example: example,
            doc: doc
        ) { node, context, section in
            if let text = context.reader.string(node, at: context.path) { section[keyPath: keyPath] = text }
        }
    }

    static func text(_ key: String, _ keyPath: WritableKeyPath<Section, String?>, doc: String) -> Self {
        Self(key, shape: .text, defaultText: defaults[keyPath: keyPath], doc: doc) { node, context, section in
            if let text = context.reader.string(node, at: context.path) { section[keyPath: keyPath] = text }
        }
    }

    static func integer(
        _ key: String, _ keyPath: WritableKeyPath<Section, Int>, in range: ClosedRange<Int>,
        doc: String
    ) -> Self {
        Self(key, shape: .integer(range), defaultText: String(defaults[keyPath: keyPath]), doc: doc) { node, context, section in
            if let value = context.reader.integer(node, at: context.path, in: range) { section[keyPath: keyPath] = value }
        }
    }

    static func number(
        _ key: String, _ keyPath: WritableKeyPath<Section, Double>, in range: ClosedRange<Double>,
        doc: String
    ) -> Self {
        Self(key, shape: .number(range), defaultText: ConfigText.number(defaults[keyPath: keyPath]), doc: doc) { node, context, section in
            if let value = context.reader.number(node, at: context.path, in: range) { section[keyPath: keyPath] = value }
        }
    }

    /// A number that is unset ("none") unless the file gives one.
    static func number(
        _ key: String, _ keyPath: WritableKeyPath<Section, Double?>, in range: ClosedRange<Double>,
        doc: String
    ) -> Self {
        Self(key, shape: .number(range), defaultText: defaults[keyPath: keyPath].map(ConfigText.number) ?? "none", doc: doc) {
            node, context, section in
            if let value = context.reader.number(node, at: context.path, in: range) { section[keyPath: keyPath] = value }
        }
    }

    static func bool(_ key: String, _ keyPath: WritableKeyPath<Section, Bool>, doc: String) -> Self {
        Self(key, shape: .bool, defaultText: String(defaults[keyPath: keyPath]), doc: doc) { node, context, section in
            if let value = context.reader.bool(node, at: context.path) { section[keyPath: keyPath] = value }
        }
    }

    static func choice<Choice: RawRepresentable & CaseIterable>(
        _ key: String, _ keyPath: WritableKeyPath<Section, Choice>, required: Bool = false, example: String? = nil, doc: String
    ) -> Self where Choice.RawValue == String {
        Self(
            key, shape: .choice(Choice.allCases.map(\.rawValue)), required: required,
            defaultText: required ? nil : defaults[keyPath: keyPath].rawValue, example: example, doc: doc
        ) { node, context, section in
            if let value = context.reader.choice(node, at: context.path, as: Choice.self) { section[keyPath: keyPath] = value }
        }
    }

    static func date(_ key: String, _ keyPath: WritableKeyPath<Section, Int64?>, doc: String) -> Self {
        Self(key, shape: .date, defaultText: nil, doc: doc) { node, context, section in
            if let value = context.reader.date(node, at: context.path) { section[keyPath: keyPath] = value }
        }
    }

    /// A count of days or weeks (`90d`, `13w`), stored in days.
    static func duration(_ key: String, _ keyPath: WritableKeyPath<Section, Int>, in days: ClosedRange<Int>, doc: String) -> Self {
        Self(key, shape: .duration(days), defaultText: "\(defaults[keyPath: keyPath])d", doc: doc) { node, context, section in
            if let value = context.reader.duration(node, at: context.path, in: days) { section[keyPath: keyPath] = value }
        }
    }

    /// A list of distinct, non-empty texts that is unset ("none") unless the file gives one.
    static func names(_ key: String, _ keyPath: WritableKeyPath<Section, [String]?>, example: String, doc: String) -> Self {
        Self(key, shape: .list(.text), defaultText: "none", example: example, doc: doc) { node, context, section in
            guard let items = context.reader.sequence(node, at: context.path) else { return }
            var names: [String] = []
            for item in items {
                guard let name = context.reader.string(item, at: context.path) else { continue }
                if name.isEmpty {
                    context.error(item, "'\(context.path)' lists an empty name", hint: "an empty cell is read as missing; leave it out of the list")
                } else if names.contains(name) {
                    context.error(item, "'\(context.path)' lists '\(name)' twice", hint: "keep one of them")
                } else {
                    names.append(name)
                }
            }
            section[keyPath: keyPath] = names
        }
    }

    /// A nested mapping read with its own fields and rules.
    static func section<Nested: ConfigSection>(
        _ key: String, _ keyPath: WritableKeyPath<Section, Nested>,
        required: Bool = false, example: String? = nil, doc: String
    ) -> Self {
        Self(
            key, shape: .section(Nested.fields.map(\.info)), required: required, defaultText: required ? nil : "defaults",
            example: example, doc: doc
        ) { node, context, section in
            if let nested = context.reader.decode(Nested.self, node, context) { section[keyPath: keyPath] = nested }
        }
    }

    /// A nested mapping whose presence turns something on: nil when the key is absent.
    static func optionalSection<Nested: ConfigSection>(
        _ key: String, _ keyPath: WritableKeyPath<Section, Nested?>,
        doc: String
    ) -> Self {
        Self(key, shape: .section(Nested.fields.map(\.info)), defaultText: "none", doc: doc) { node, context, section in
            section[keyPath: keyPath] = context.reader.decode(Nested.self, node, context)
        }
    }

    /// A list of mappings, each read with the item's fields. `shortForm` reads an item
    /// written another way (a scalar, or a one-key mapping): `.none` when the item is not
    /// written so, `.some(nil)` when it is but has an error (already told).
    static func list<Item: ConfigSection>(
        _ key: String, _ keyPath: WritableKeyPath<Section, [Item]>, required: Bool = false, example: String? = nil,
        defaultText: String? = nil, doc: String,
        shortForm: ((Node, FieldContext) -> Item??)? = nil
    ) -> Self {
        Self(
            key, shape: .list(.section(Item.fields.map(\.info))), required: required, defaultText: defaultText, example: example,
            doc: doc
        ) { node, context, section in
            guard let items = context.reader.sequence(node, at: context.path) else { return }
            var decoded: [Item] = []
            for (index, item) in items.enumerated() {
                let itemContext = FieldContext(reader: context.reader, path: context.path, indexedPath: "\(context.indexedPath)[\(index)]")
                context.reader.record(item, at: itemContext.indexedPath)
                if let shortForm, let written = shortForm(item, itemContext) {
                    if let value = written { decoded.append(value) }
                } else if let value = context.reader.decode(Item.self, item, itemContext) {
                    decoded.append(value)
                }
            }
            section[keyPath: keyPath] = decoded
        }
    }

    /// A key read by its own rule, for values no generic kind covers (`90d`, `0.1%`).
    static func custom(
        _ key: String, shape: FieldShape, defaultText: String?, doc: String,
        decode: @escaping (Node, FieldContext, inout Section) -> Void
    ) -> Self {
        Self(key, shape: shape, defaultText: defaultText, doc: doc, decode: decode)
    }
}

/// How defaults are written in the docs.
enum ConfigText {
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        let text = String(value)
        if text.contains("e"), let decimal = Double(text) {
            // 1e-04 is written 0.0001 in the docs.
            var digits = String(format: "%.12f", decimal)
            while digits.hasSuffix("0") { digits.removeLast() }
            return digits
        }
        return text
    }
}
