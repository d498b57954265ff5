import Attributes
import Export
import Features
import Ingest
import RunRecords
import SegflowCore

/// `inputs.customers`: one row per customer, with attributes to join by id.
public struct CustomersInputSection: ConfigSection, Equatable {
    public var path = ""
    public var customer = ""
    public var signup: String?
    public var attributes: [AttributeSpec] = []
    public var tenureFrom = TenureStart.firstPurchase
    public var timeFormat = TimeFormat.iso8601
    public var separator = FieldSeparator.byte(UInt8(ascii: ","))

    public enum TenureStart: String, Sendable, CaseIterable {
        case firstPurchase = "first_purchase"
        case signup
    }

    public init() {}

    public var file: DelimitedFile { DelimitedFile(path: path, key: "inputs.customers", separator: separator) }

    static var fields: [ConfigField<Self>] {
        [
            .text("path", \.path, required: true, example: "SampleData/customers.csv", doc: "The file; `.csv` or `.csv.gz`."),
            .text("customer", \.customer, required: true, example: "customer_id", doc: "The column of customer ids, as in the transactions."),
            .text("signup", \.signup, doc: "The column of signup dates, in `time_format`."),
            .list(
                "attributes", \.attributes, defaultText: "none", doc: "The attribute columns, each with its kind.",
                shortForm: nil),
            .choice("tenure_from", \.tenureFrom, doc: "Whether `tenure_days` counts from the first purchase or from signup."),
            .timeFormat(\.timeFormat),
            .delimiter(\.separator),
        ]
    }

    static func check(_ section: inout Self, _ context: SectionContext) {
        if section.tenureFrom == .signup, section.signup == nil {
            context.error("tenure_from", "'\(context.path).tenure_from: signup' needs the signup column", hint: "map 'signup', or remove tenure_from")
        }
        let names = [section.customer] + (section.signup.map { [$0] } ?? []) + section.attributes.map(\.column)
        for (index, name) in names.enumerated() where names[..<index].contains(name) {
            context.error("attributes", "column '\(name)' is mapped twice in '\(context.path)'", hint: "each column is read once")
        }
    }
}

/// `inputs.customers.attributes[]`.
extension AttributeSpec: ConfigSection {
    static var fields: [ConfigField<Self>] {
        [
            .text("column", \.column, required: true, example: "region", doc: "The header name; also the column's name in customers.csv."),
            .choice("kind", \.kind, doc: "How the cells are read."),
            .names("values", \.values, example: "[consumer, business, government]", doc: "For a category: the only values it may hold."),
        ]
    }

    static func check(_ section: inout Self, _ context: SectionContext) {
        if section.values != nil, section.kind != .category {
            context.error("values", "'\(context.path).values' lists values, which only a category has", hint: "remove it, or make the kind category")
        }
    }
}

/// Joins the customers file's attributes to the customers who bought, and keeps those who
/// never did for the end of the run, where they become rows of status `prospect`.
enum CustomersStage: PipelineStage {
    static let name = "customers"

    /// Customers on file who never bought: their status.
    static let prospectStatus = "prospect"

    static func customerColumns(_ config: CustomersInputSection) -> [ColumnSchema] {
        (config.signup == nil ? [] : [ColumnSchema("signup", .timestamp)]) + config.attributes.map(\.schema)
    }

    static func run(_ config: CustomersInputSection, _ context: inout RunContext) throws {
        let columns = [config.customer] + (config.signup.map { [$0] } ?? []) + config.attributes.map(\.column)
        let buyers = context.buyerRows()
        let (attributes, input) = try SideInput.read(name, file: config.file, columns: columns, into: &context) { table in
            CustomerAttributes.parse(
                table, idColumn: config.customer, signupColumn: config.signup, attributes: config.attributes, timeFormat: config.timeFormat,
                buyers: buyers)
        }
        // Each buyer's row on file, and the rows of those on file who never bought.
        var rows = [Int?](repeating: nil, count: context.features.customerID.count)
        var prospects: [Int] = []
        for (row, buyer) in attributes.buyerRow.enumerated() {
            if let buyer { rows[buyer] = row } else { prospects.append(row) }
        }
        if config.signup != nil {
            let signup = rows.map { $0.flatMap { attributes.signup[$0] } }
            context.customers.append(Column("signup", .timestamp(signup)))
            if config.tenureFrom == .signup, case .integer(var tenure)? = context.customers.column(named: "tenure_days")?.values {
                // Tenure from the earlier of signup and first purchase: some sign up after buying as guests.
                for (customer, time) in signup.enumerated() {
                    guard let time else { continue }
                    tenure[customer] = max(tenure[customer] ?? 0, context.asOfDay - CivilTime.day(ofSeconds: time))
                }
                context.customers.replace(Column("tenure_days", .integer(tenure)))
            }
        }
        for column in attributes.columns { context.customers.append(column.selecting(optionalRows: rows)) }
        context.prospects = Prospects(
            ids: prospects.map { attributes.ids[$0] }, signup: config.signup == nil ? nil : prospects.map { attributes.signup[$0] },
            columns: attributes.columns.map { $0.selecting(rows: prospects) })
        context.stageReports.append(
            StageReport(
                stage: name, rowsIn: input.records, rowsOut: attributes.ids.count,
                counts: [
                    .init("rejected", input.rejected), .init("buyers_on_file", rows.reduce(0) { $0 + ($1 == nil ? 0 : 1) }),
                    .init("buyers_not_on_file", rows.reduce(0) { $0 + ($1 == nil ? 1 : 0) }), .init("prospects", prospects.count),
                ]))
    }
}

/// Customers on file who never bought, added to the customers table after every stage.
struct Prospects {
    var ids: [String]
    var signup: [Int64?]?
    var columns: [Column]

    /// Adds a row per prospect to the table: id, signup, attributes and status `prospect`;
    /// every other column is empty for them.
    func append(to table: inout Table) {
        guard !ids.isEmpty else { return }
        var values: [String: Column.Values] = ["customer_id": .text(ids), "status": .text(ids.map { _ in CustomersStage.prospectStatus })]
        if let signup { values["signup"] = .timestamp(signup) }
        for column in columns { values[column.name] = column.values }
        table.appendRows(ids.count, values)
    }
}
