import Ingest
import SegflowCore
import TestSupport
import Testing

@Suite struct OrderLineIngestTests {
    func read(_ csv: String, columns: TransactionColumns, categories: [String]? = nil, channels: [String]? = nil) throws -> IngestResult {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let input = TransactionInput(
            path: try directory.write("t.csv", csv), columns: columns, timeFormat: .date, knownCategories: categories,
            knownChannels: channels)
        return try TransactionReader(input: input, chunkBytes: 64, workers: 2).read()
    }

    let columns = TransactionColumns(
        customer: "c", order: "o", time: "t", amount: "a", category: "cat", channel: "ch", store: "st", quantity: "q", margin: "m")

    /// Values are kept once each, in order of first appearance across chunks; an empty cell
    /// is missing; a quoted value with doubled quotes is unescaped.
    @Test func dimensionsAreDictionaryCoded() throws {
        var csv = "c,o,t,a,cat,ch,st,q,m\n"
        for index in 0..<40 { csv += "c\(index % 7),o\(index),2024-01-01,1,\(["toys", "books", ""][index % 3]),web,s\(index % 2),1,0.5\n" }
        csv += "x,o99,2024-01-01,1,\"say \"\"hi\"\"\",app,s1,2,0.25\n"
        let result = try read(csv, columns: columns)
        #expect(result.rejected.isEmpty)
        let lines = result.transactions.lines
        #expect(lines.category.names == ["toys", "books", "say \"hi\""])
        #expect(Array(lines.category.codes.prefix(4)) == [0, 1, OrderLines.missing, 0])
        #expect(lines.category.codes.last == 2)
        #expect(lines.channel.names == ["web", "app"])
        #expect(lines.store.names == ["s0", "s1"])
        #expect(lines.quantity.last == 2)
        #expect(lines.profit.last == 0.25)
        #expect(lines.category.codes.count == result.transactions.count)
    }

    /// Each bad cell rejects its row with the column named, and the good rows keep their lines.
    @Test func badCellsAreRejectedWithTheirColumn() throws {
        let csv = """
            c,o,t,a,cat,ch,st,q,m
            a,o1,2024-01-01,10,toys,web,s1,1,2
            a,o2,2024-01-01,10,toys,fax,s1,1,2
            a,o3,2024-01-01,10,garden,web,s1,1,2
            a,o4,2024-01-01,10,toys,web,s1,two,2
            a,o5,2024-01-01,10,toys,web,s1,1,
            a,o6,2024-01-01,10,books,,s1,1,3

            """
        let result = try read(csv, columns: columns, categories: ["toys", "books"], channels: ["web", "app"])
        #expect(result.rejected.map(\.line) == [3, 4, 5, 6])
        #expect(result.rejected[0].reason == "channel in column 'ch' is not one of the 2 listed in inputs.transactions.channels")
        #expect(result.rejected[1].reason == "category in column 'cat' is not one of the 2 listed in inputs.transactions.categories")
        #expect(result.rejected[2].reason == "quantity in column 'q' is not a finite number")
        #expect(result.rejected[3].reason == "margin in column 'm' is not a finite number below a trillion")
        #expect(result.transactions.count == 2)
        #expect(result.transactions.lines.category.names == ["toys", "books"])
        #expect(result.transactions.lines.channel.codes == [0, OrderLines.missing])
        #expect(result.transactions.lines.profit == [2, 3])
    }

    /// A mapped order-line column missing from the header is named, like the required ones.
    @Test func aMissingLineColumnIsNamed() throws {
        #expect(throws: SegflowError.self) { try read("c,o,t,a\nx,o1,2024-01-01,1\n", columns: columns) }
        do {
            _ = try read("c,o,t,a,cat,ch,st,q\nx,o1,2024-01-01,1,toys,web,s,1\n", columns: columns)
        } catch let error as SegflowError {
            #expect(error.description.contains("missing column 'm'"), "\(error.description)")
        }
    }
}
