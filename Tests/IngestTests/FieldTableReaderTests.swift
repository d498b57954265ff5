import Ingest
import SegflowCore
import TestSupport
import Testing

@Suite struct FieldTableReaderTests {
    /// Chunks parsed apart and joined in order give the rows, lines and rejections of one
    /// pass: a quoted cell spanning lines, a blank line and a short record included.
    @Test func chunksAndThreadsDoNotChangeTheTable() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var csv = "id,note,score\n"
        for index in 0..<300 {
            csv += index == 120 ? "c\(index),\"two\nlines\",\(index)\n" : index == 200 ? "c\(index),short\n\n" : "c\(index),n\(index),\(index)\n"
        }
        let file = DelimitedFile(path: try directory.write("f.csv", csv), key: "inputs.test")
        let whole = try FieldTableReader(file: file, columns: ["score", "id"]).read(workers: 1)
        let chunked = try FieldTableReader(file: file, columns: ["score", "id"], chunkBytes: 64).read(workers: 3)
        #expect(whole == chunked)
        #expect(whole.rows.count == 299 && whole.recordCount == 300)
        #expect(whole.rows[0] == ["0", "c0"])
        #expect(whole.lines[121] == 124, "the row after the two-line record starts on line 124")
        #expect(whole.rejected.map(\.line) == [203] && whole.rejected[0].reason == "expected 3 fields, found 2")
    }
}
