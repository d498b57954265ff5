import Attributes
import Ingest
import SegflowCore
import TestSupport
import Testing

@Suite struct CustomerAttributesTests {
    let specs = [
        AttributeSpec(column: "type", kind: .category, values: ["consumer", "business"]),
        AttributeSpec(column: "age", kind: .number),
        AttributeSpec(column: "vip", kind: .flag),
        AttributeSpec(column: "contact", kind: .date),
    ]

    func parse(_ csv: String) throws -> (CustomerAttributes, [RejectedRow]) {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = DelimitedFile(path: try directory.write("c.csv", csv), key: "inputs.customers")
        let table = try FieldTableReader(file: file, columns: ["id", "joined"] + specs.map(\.column)).read()
        return CustomerAttributes.parse(
            table, idColumn: "id", signupColumn: "joined", attributes: specs, timeFormat: .date, buyers: IDIndex(["x", "b"]))
    }

    /// Each kind read from its cells; empty cells are missing; every bad cell rejects its row
    /// with the column named, and a repeated id rejects the later row.
    @Test func kindsAndRejections() throws {
        let csv = """
            id,joined,type,age,vip,contact
            a,2023-01-01,consumer,34,yes,2024-02-01
            b,,business,,N,
            c,2023-02-01,government,40,1,2024-02-01
            d,2023-02-01,consumer,old,1,2024-02-01
            e,2023-02-01,consumer,22,maybe,2024-02-01
            f,2023-02-31,consumer,22,1,2024-02-01
            g,2023-02-01,consumer,22,1,tomorrow
            a,2023-03-01,business,50,no,2024-03-01

            """
        let (attributes, rejected) = try parse(csv)
        #expect(attributes.ids == ["a", "b"])
        #expect(attributes.buyerRow == [nil, 1])
        #expect(attributes.signup == [CivilTime.daysFromCivil(year: 2023, month: 1, day: 1) * 86_400, nil])
        #expect(attributes.columns.map(\.name) == ["type", "age", "vip", "contact"])
        #expect(attributes.columns[0].values == .text(["consumer", "business"]))
        #expect(attributes.columns[1].numbers?.first == 34 && attributes.columns[1].numbers?.last?.isNaN == true)
        #expect(attributes.columns[2].values == .text(["true", "false"]))
        #expect(attributes.columns[3].values == .timestamp([CivilTime.daysFromCivil(year: 2024, month: 2, day: 1) * 86_400, nil]))
        #expect(
            rejected.map(\.reason) == [
                "type is not one of the 2 values listed for it", "age is not a finite number",
                "vip is not a yes/no value (true, false, yes, no, 1, 0)", "signup in column 'joined' is not a YYYY-MM-DD date",
                "contact is not a YYYY-MM-DD date", "customer id in column 'id' is on line 2 already: one row per customer",
            ])
        #expect(rejected.map(\.line) == [4, 5, 6, 7, 8, 9])
    }

    /// Buyers are checked for repeats by their row, prospects by their id: both reject the later row.
    @Test func aRepeatedBuyerRejectsTheLaterRow() throws {
        let (attributes, rejected) = try parse("id,joined,type,age,vip,contact\nb,,,,,\nx,,,,,\nb,,,,,\np,,,,,\np,,,,,\n")
        #expect(attributes.ids == ["b", "x", "p"] && attributes.buyerRow == [1, 0, nil])
        #expect(rejected.map(\.line) == [4, 6])
        #expect(rejected.allSatisfy { $0.reason.hasSuffix("already: one row per customer") })
    }
}
