import Foundation
import Ingest
import SegflowCore
import TestSupport
import Testing

@Suite struct CSVParsingTests {
    let header = "customer_id,order_id,ts,amount\n"

    @Test func readsPlainRows() throws {
        let result = try Fixtures.ingest(header + "c1,o1,2024-01-02T03:04:05Z,10.5\nc2,o2,2024-01-03,7\n")
        #expect(result.transactions.customerIDs == ["c1", "c2"])
        #expect(result.transactions.time == [Fixtures.seconds(2024, 1, 2, 3, 4, 5), Fixtures.seconds(2024, 1, 3)])
        #expect(result.transactions.amount == [10.5, 7])
        #expect(result.recordCount == 2)
        #expect(result.rejected.isEmpty)
    }

    @Test func quotedFieldsWithCommasEscapedQuotesAndNewlines() throws {
        let csv =
            header
            + "\"c,1\",\"o\"\"1\",2024-01-02,1\n"
            + "\"multi\nline\",o2,2024-01-02,2\n"
            + "c3,o3,not-a-date,3\n"
        let result = try Fixtures.ingest(csv)
        #expect(result.transactions.customerIDs == ["c,1", "multi\nline"])
        #expect(result.transactions.amount == [1, 2])
        // The embedded newline moves the bad row to physical line 5.
        #expect(result.rejected.map(\.line) == [5])
    }

    @Test func doubledQuotesInCustomerIdAreUnescaped() throws {
        let result = try Fixtures.ingest(header + "\"a\"\"b\",o1,2024-01-02,1\n\"a\"\"b\",o2,2024-01-03,1\n")
        #expect(result.transactions.customerIDs == ["a\"b"])
        #expect(result.transactions.customer == [0, 0])
    }

    @Test func crlfLineEndsAndByteOrderMark() throws {
        let csv = "\u{FEFF}customer_id,order_id,ts,amount\r\nc1,o1,2024-01-02,1.25\r\nc2,o2,2024-01-02,2\r\n"
        let result = try Fixtures.ingest(csv)
        #expect(result.transactions.customerIDs == ["c1", "c2"])
        #expect(result.transactions.amount == [1.25, 2])
    }

    @Test func lastRowWithoutNewlineAndBlankLines() throws {
        let result = try Fixtures.ingest(header + "c1,o1,2024-01-02,1\n\n\nc2,o2,2024-01-02,2")
        #expect(result.transactions.count == 2)
        #expect(result.recordCount == 2)
    }

    @Test func unclosedQuoteAtEndOfFileIsRejected() throws {
        let result = try Fixtures.ingest(header + "c1,o1,2024-01-02,1\n\"c2,o2,2024-01-02,2\n")
        #expect(result.transactions.count == 1)
        #expect(result.rejected.map(\.line) == [3])
        #expect(result.rejected.first?.reason.contains("never closed") == true)
    }

    @Test func rejectsEachKindOfBadRowWithItsLine() throws {
        let csv =
            header
            + "c1,o1,2024-01-02,1\n"
            + "c1,o2,2024-01-02\n"
            + "c1,o3,2024-02-30,1\n"
            + "c1,o4,2024-01-02,abc\n"
            + ",o5,2024-01-02,1\n"
            + "c1,,2024-01-02,1\n"
            + "c1,o6,2024-01-02,nan\n"
            + "\"c1\"x,o7,2024-01-02,1\n"
        let result = try Fixtures.ingest(csv)
        #expect(result.transactions.count == 1)
        #expect(result.rejected.map(\.line) == [3, 4, 5, 6, 7, 8, 9])
        #expect(
            result.rejected.map(\.reason) == [
                "expected 4 fields, found 3",
                "time in column 'ts' is not an ISO 8601 date-time",
                "amount in column 'amount' is not a finite number",
                "empty customer id in column 'customer_id'",
                "empty order id in column 'order_id'",
                "amount in column 'amount' is not a finite number",
                "unexpected character after a closing quote",
            ])
        #expect(result.rejected[0].record == "c1,o2,2024-01-02")
    }

    /// A placeholder date, an epoch in microseconds and amounts past a trillion are rejected
    /// rows, not a run as of the year 10000 or totals that are infinite; the bounds themselves
    /// are accepted.
    @Test func implausibleTimesAndAmountsAreRejected() throws {
        let csv =
            header
            + "c1,o1,9999-12-31,1\n"
            + "c1,o2,1899-12-31T23:59:59Z,1\n"
            + "c1,o3,1900-01-01,1e308\n"
            + "c1,o4,2199-12-31T23:59:59Z,-1e12\n"
            + "c1,o5,1900-01-01,999999999999.99\n"
            + "c1,o6,2199-12-31T23:59:59Z,-999999999999.99\n"
        let result = try Fixtures.ingest(csv)
        #expect(result.rejected.map(\.line) == [2, 3, 4, 5])
        #expect(
            result.rejected.map(\.reason) == [
                "time in column 'ts' is outside the years 1900 to 2199", "time in column 'ts' is outside the years 1900 to 2199",
                "amount in column 'amount' is a trillion (1e12) or more in size",
                "amount in column 'amount' is a trillion (1e12) or more in size",
            ])
        #expect(result.transactions.amount == [999_999_999_999.99, -999_999_999_999.99])
        #expect(result.newestTime == Fixtures.seconds(2199, 12, 31, 23, 59, 59))

        let epochs = try Fixtures.ingest(header + "c1,o1,999999999999999,1\nc1,o2,1700000000,1\n", timeFormat: .epochSeconds)
        #expect(epochs.rejected.map(\.line) == [2])
        #expect(epochs.transactions.time == [1_700_000_000])
    }

    @Test func columnsAreFoundByNameInAnyOrderAndExtrasIgnored() throws {
        let csv = "amount,extra,ts,customer_id,order_id\n5,\"x,y\",2024-01-02,c9,o1\n"
        let result = try Fixtures.ingest(csv)
        #expect(result.transactions.customerIDs == ["c9"])
        #expect(result.transactions.amount == [5])
    }

    @Test func missingColumnNamesTheHeaderAndSuggests() throws {
        let error = try #require(throws: SegflowError.self) {
            try Fixtures.ingest("customer_id,order_id,timestamp,amount\nc1,o1,2024-01-02,1\n")
        }
        #expect(error.kind == .data)
        let message = error.description
        #expect(message.contains("input.csv:1: error: missing column 'ts'; the header has: customer_id, order_id, timestamp, amount"))
    }

    /// A file without its header row: the first line holds a customer's id and amount, which
    /// no message may carry.
    @Test func aMissingHeaderRowIsToldWithoutItsValues() throws {
        let error = try #require(throws: SegflowError.self) {
            try Fixtures.ingest("CUST-7781,ORD-1,2024-01-02T10:00:00Z,12.5\nc1,o1,2024-01-02,1\n")
        }
        let message = error.description
        #expect(message.contains("input.csv:1: error: missing column 'customer_id': the first line has 4 fields and looks like data"))
        #expect(message.contains("set inputs.transactions.header: false"))
        for value in ["CUST-7781", "ORD-1", "12.5", "2024-01-02"] { #expect(!message.contains(value), "\(value) in \(message)") }
    }

    /// An input without line breaks (here /dev/zero, which never ends) stops at the record
    /// limit with a data error, instead of growing memory for ever.
    @Test func aRecordWithoutLineBreaksStopsAtTheLimit() throws {
        for (path, hasHeader) in [("/dev/zero", true), ("/dev/zero", false)] {
            let input = TransactionInput(
                path: path, columns: TransactionColumns(customer: "1", order: nil, time: "2", amount: "3"), hasHeader: hasHeader,
                maxRecordBytes: 1 << 20)
            let error = try #require(throws: SegflowError.self) { try TransactionReader(input: input, chunkBytes: 64 << 10).read() }
            #expect(error.kind == .data)
            #expect(error.description.contains("/dev/zero: error: a record runs past 1 MiB without a line break outside quotes"))
            #expect(error.description.contains("raise inputs.transactions.max_record_mb"))
        }
    }

    /// Two ids that differ only in bytes that are not UTF-8 would both print as "U\u{FFFD}ID"
    /// and merge downstream, and a NUL byte failed the whole PostgreSQL load; such rows are
    /// rejected with their reason instead, in short and word-length ids alike.
    @Test func customerIDsThatAreNotUTF8OrHoldNULAreRejected() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("ids.csv")
        var bytes = Array("customer_id,order_id,ts,amount\n".utf8)
        bytes += Array("U".utf8) + [0xFF] + Array("ID,o1,2024-01-02T10:00:00Z,5\n".utf8)
        bytes += Array("U".utf8) + [0xFE] + Array("ID,o2,2024-01-02T10:00:00Z,6\n".utf8)
        bytes += Array("Zoë-long-id-01,o3,2024-01-02T10:00:00Z,7\n".utf8)
        bytes += Array("N".utf8) + [0x00] + Array("1,o4,2024-01-02T10:00:00Z,8\n".utf8)
        bytes += Array("long-ascii-id".utf8) + [0x00] + Array("x,o5,2024-01-02T10:00:00Z,9\n".utf8)
        bytes += Array("Zoë-with-nul".utf8) + [0x00] + Array(",o6,2024-01-02T10:00:00Z,9\n".utf8)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let columns = TransactionColumns(customer: "customer_id", order: "order_id", time: "ts", amount: "amount")
        let result = try TransactionReader(input: TransactionInput(path: path, columns: columns)).read()
        #expect(result.transactions.customerIDs == ["Zoë-long-id-01"])
        #expect(result.rejected.map(\.line) == [2, 3, 5, 6, 7])
        #expect(result.rejected.allSatisfy { $0.reason == "customer id in column 'customer_id' is not valid UTF-8 or holds a NUL byte" })
    }

    /// Lines ending in a CR alone once read as one header record and an empty, published run.
    @Test func lineEndsOfALoneCarriageReturnAreADataError() throws {
        for csv in ["customer_id,order_id,ts,amount\rc1,o1,2024-01-02,1\rc2,o2,2024-01-03,2\r", "c1,o1,2024-01-02,1\rc2,o2,2024-01-03,2\r"] {
            let error = try #require(throws: SegflowError.self) { try Fixtures.ingest(csv) }
            #expect(error.kind == .data)
            #expect(error.description.contains("input.csv:1: error: the first line holds a carriage return"))
        }
        // CRLF is still fine.
        #expect(try Fixtures.ingest("customer_id,order_id,ts,amount\r\nc1,o1,2024-01-02,1\r\n").transactions.count == 1)
    }

    @Test func emptyFileIsADataError() throws {
        let error = try #require(throws: SegflowError.self) { try Fixtures.ingest("") }
        #expect(error.kind == .data)
        #expect(error.description.contains("no header row"))
    }

    @Test func missingFileIsAnIOError() throws {
        let reader = TransactionReader(input: Fixtures.input("/nonexistent/segflow/x.csv"))
        let error = try #require(throws: SegflowError.self) { try reader.read() }
        #expect(error.kind == .io)
        #expect(error.description.contains("/nonexistent/segflow/x.csv: error: cannot open input"))
    }

    @Test func gzipInputReadsTheSameAsPlain() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var csv = header
        for index in 0..<5000 { csv += "c\(index % 97),o\(index),2024-01-\(String(format: "%02d", index % 28 + 1)),\(index).25\n" }
        let plain = try directory.write("t.csv", csv)
        let compressed = try Fixtures.gzip(plain)
        let fromPlain = try TransactionReader(input: Fixtures.input(plain)).read()
        let fromGzip = try TransactionReader(input: Fixtures.input(compressed)).read()
        #expect(fromGzip.transactions == fromPlain.transactions)
        #expect(fromGzip.fileBytes < fromPlain.fileBytes)
    }

    @Test func concatenatedGzipMembersAreOneStream() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try Fixtures.gzip(try directory.write("a.csv", header + "c1,o1,2024-01-02,1\n"))
        let second = try Fixtures.gzip(try directory.write("b.csv", "c2,o2,2024-01-02,2\n"))
        let joined = directory.file("joined.csv.gz")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: first)) + Data(contentsOf: URL(fileURLWithPath: second))
        try bytes.write(to: URL(fileURLWithPath: joined))
        let result = try TransactionReader(input: Fixtures.input(joined)).read()
        #expect(result.transactions.customerIDs == ["c1", "c2"])
    }

    @Test func truncatedGzipIsADataError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var csv = header
        for index in 0..<2000 { csv += "c\(index),o\(index),2024-01-02,\(index)\n" }
        let compressed = try Fixtures.gzip(try directory.write("t.csv", csv))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: compressed))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: compressed))
        let error = try #require(throws: SegflowError.self) { try TransactionReader(input: Fixtures.input(compressed)).read() }
        #expect(error.kind == .data)
        #expect(error.description.contains("truncated"))
    }

    /// Chunk boundaries and the worker count must not change anything, including records
    /// whose quoted fields hold newlines across a boundary.
    @Test(arguments: [64, 97, 256, 4096])
    func resultDoesNotDependOnChunkSizeOrWorkers(chunkBytes: Int) throws {
        var csv = header
        for index in 0..<400 {
            let customer = index % 7 == 0 ? "\"cust\n\(index % 13)\"" : "c\(index % 31)"
            csv += "\(customer),o\(index),2024-03-\(String(format: "%02d", index % 28 + 1))T10:00:00Z,\(index % 50).5\n"
            if index % 50 == 0 { csv += "broken,row\n" }
        }
        let reference = try Fixtures.ingest(csv, workers: 1)
        let chunked = try Fixtures.ingest(csv, chunkBytes: chunkBytes, workers: 3)
        #expect(chunked.transactions == reference.transactions)
        #expect(chunked.rejected == reference.rejected)
        #expect(chunked.recordCount == reference.recordCount)
        #expect(reference.rejected.count == 8)
    }

    @Test func blankSeparatedFileWithoutHeader() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write(
            "cd.txt", " 00004 0001 19970101  2   29.33\r\n 00004 0001 19970118  2   29.73\r\n\r\n 00021 0002 19970101  3   63.34\r\n")
        let input = TransactionInput(
            path: path, columns: TransactionColumns(customer: "2", order: nil, time: "3", amount: "5"),
            timeFormat: .pattern(try TimePattern("%Y%m%d")), separator: .blanks, hasHeader: false)
        let result = try TransactionReader(input: input).read()
        #expect(result.transactions.customerIDs == ["0001", "0002"])
        #expect(result.transactions.amount == [29.33, 29.73, 63.34])
        #expect(result.transactions.time[1] == Fixtures.seconds(1997, 1, 18))
        #expect(result.recordCount == 3)
        #expect(try TransactionReader(input: input).headerNames() == ["1", "2", "3", "4", "5"])
    }

    /// The CDNOW sample (Tests/Fixtures) as published: 6,919 records of 2,357 customers.
    @Test func readsTheCDNOWSample() throws {
        let input = TransactionInput(
            path: "Tests/Fixtures/CDNOW_sample.txt",
            columns: TransactionColumns(customer: "2", order: nil, time: "3", amount: "5"),
            timeFormat: .pattern(try TimePattern("%Y%m%d")), separator: .blanks, hasHeader: false)
        let result = try TransactionReader(input: input, chunkBytes: 4096).read()
        #expect(result.recordCount == 6919)
        #expect(result.rejected.isEmpty)
        #expect(result.transactions.customerIDs.count == 2357)
        #expect(result.newestTime == Fixtures.seconds(1998, 6, 30))
    }

    @Test func fingerprintIsXXH64OfTheFileAsStored() throws {
        let csv = header + "c1,o1,2024-01-02,1\n"
        let result = try Fixtures.ingest(csv)
        #expect(result.fingerprint == XXH64.hexDigest(of: Array(csv.utf8)))
        #expect(result.fileBytes == csv.utf8.count)
    }
}

@Suite struct RejectionBudgetTests {
    let csv = "customer_id,order_id,ts,amount\n" + "c1,o1,2024-01-02,1\n" + "c1,o2,bad,1\n" + "c1,o3,2024-01-02,1\n"

    @Test func withinBudgetKeepsRejectedRows() throws {
        let result = try Fixtures.ingest(csv, budget: .count(1))
        #expect(result.rejected.count == 1)
    }

    @Test func overCountBudgetFailsNamingTheRows() throws {
        let error = try #require(throws: SegflowError.self) { try Fixtures.ingest(csv, budget: .count(0)) }
        #expect(error.kind == .data)
        #expect(error.description.contains("1 of 3 data rows were rejected, more than max_rejected allows (0 rows)"))
        #expect(error.description.contains("input.csv:3: error: rejected: time in column 'ts' is not an ISO 8601 date-time"))
    }

    @Test func countBudgetStopsReadingEarlyAndSaysSo() throws {
        var csv = "customer_id,order_id,ts,amount\n"
        for index in 0..<20_000 { csv += "c\(index),o\(index),bad,1\n" }
        let error = try #require(throws: SegflowError.self) { try Fixtures.ingest(csv, chunkBytes: 4096, budget: .count(3)) }
        #expect(error.description.contains("of the first "))
        #expect(error.description.contains("data rows read (reading stopped there) were rejected"))
    }

    @Test func overPercentBudgetFails() throws {
        #expect(throws: SegflowError.self) { try Fixtures.ingest(csv, budget: .percent(units: 20, decimals: 0)) }
        #expect(try Fixtures.ingest(csv, budget: .percent(units: 34, decimals: 0)).rejected.count == 1)
    }
}
