import Foundation
import SegflowCore
import TestSupport
import Testing

@testable import Export

struct InjectedFailure: Error {}

@Suite struct OutputTransactionTests {
    /// A link planted where segflow writes (the lock, a file's name) is never followed, so
    /// the file it points to keeps its content.
    @Test func linksPlantedInTheOutputDirectoryAreNotFollowed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let victim = try directory.write("victim.txt", "keep me\n")
        try FileManager.default.createDirectory(atPath: directory.file("out"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: directory.file("out/.lock"), withDestinationPath: victim)
        let error = try #require(throws: SegflowError.self) { _ = try RunLock(directory: RunDirectory(root: directory.file("out"))) }
        #expect(error.description.contains("the run lock is a symbolic link, which segflow does not follow"))
        try FileManager.default.createSymbolicLink(atPath: directory.file("out/planted.csv"), withDestinationPath: victim)
        #expect(openForWriting(directory.file("out/planted.csv")) == -1)
        #expect(try directory.read("victim.txt") == "keep me\n")
    }

    @Test func commitPublishesAllFilesTogether() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let output = OutputTransaction()
        try output.stage(directory.file("nested/a.csv")) { try $0.write("a\n") }
        try output.stage(directory.file("nested/b.csv")) { try $0.write("b\n") }
        #expect(!directory.exists("nested/a.csv"))
        try output.commit()
        #expect(try directory.read("nested/a.csv") == "a\n")
        #expect(try directory.read("nested/b.csv") == "b\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("nested")).sorted() == ["a.csv", "b.csv"])
    }

    @Test func failureMidWriteLeavesThePreviousOutputAndNoTemporaries() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("customers.csv", "previous\n")
        let output = OutputTransaction()
        try output.stage(directory.file("manifest.json")) { try $0.write("{}") }
        #expect(throws: InjectedFailure.self) {
            try output.stage(directory.file("customers.csv")) { writer in
                for _ in 0..<200_000 { try writer.write("C0000001,2024-01-01T00:00:00Z,12.5\n") }  // several MB, flushed to disk
                throw InjectedFailure()
            }
        }
        #expect(try directory.read("customers.csv") == "previous\n")
        #expect(!directory.exists("manifest.json"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["customers.csv"])
    }

    @Test func abandonedTransactionRemovesItsTemporaries() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        do {
            let output = OutputTransaction()
            try output.stage(directory.file("x.csv")) { try $0.write("x") }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    /// Pieces of every size, across more full buffers than the writer has and a ragged tail,
    /// arrive whole and in order: with direct I/O where the temporary directory's file system
    /// has it, through the page cache on a descriptor opened without it, and on tmpfs where the
    /// kernel may refuse it.
    @Test(arguments: ["direct where offered", "page cache", "/dev/shm"])
    func bytesArriveWholeAndInOrder(route: String) throws {
        var random = RandomSource(seed: 5)
        let bytes = (0..<(15 << 20) + 12_345).map { _ in UInt8.random(in: 0...255, using: &random) }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = route == "/dev/shm" ? "/dev/shm/segflow-writer-\(getpid())-\(UInt32.random(in: 0...UInt32.max))" : directory.file("x")
        defer { unlink(path) }
        let descriptor = route == "page cache" ? open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644) : openForWriting(path)
        try #require(descriptor >= 0)
        let writer = BufferedFileWriter(path: path, descriptor: descriptor)
        var offset = 0, piece = 1
        while offset < bytes.count {
            let end = min(bytes.count, offset + piece)
            try bytes[offset..<end].withUnsafeBytes { try writer.write($0) }
            offset = end
            piece = piece * 7 % 3_000_001 + 1
        }
        try writer.flush()
        #expect(writer.bytesWritten == bytes.count)
        #expect(close(descriptor) == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes))
    }

    /// A write that fails on the background thread is reported by the next call.
    @Test func failedBackgroundWriteIsReported() throws {
        let descriptor = open("/dev/full", O_WRONLY)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let writer = BufferedFileWriter(path: "out/customers.csv", descriptor: descriptor)
        let chunk = [UInt8](repeating: 65, count: 1 << 20)
        let error = try #require(throws: SegflowError.self) {
            for _ in 0..<16 { try writer.write(bytes: chunk) }  // eight buffers: the error comes before flush
        }
        #expect(error.description.hasPrefix("out/customers.csv: error: cannot write output: No space left on device"))
    }

    @Test func fullDiskIsAnIOErrorNamingTheFile() throws {
        // /dev/full fails every write with ENOSPC, as a full disk does.
        let descriptor = open("/dev/full", O_WRONLY)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let writer = BufferedFileWriter(path: "out/customers.csv", descriptor: descriptor)
        let error = try #require(throws: SegflowError.self) {
            for _ in 0..<100_000 { try writer.write("0123456789abcdef0123456789") }
            try writer.flush()
        }
        #expect(error.kind == .io)
        #expect(
            error.description == """
                out/customers.csv: error: cannot write output: No space left on device
                  hint: free space on the disk that holds out/customers.csv and run again; earlier outputs were left as they were
                """)
    }
}

@Suite struct TableWriterTests {
    func render(_ table: Table, as format: TableFormat = .csv(protectFormulas: true), workers: Int = 2) throws -> String {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let output = OutputTransaction()
        try output.stage(directory.file("t.csv")) { try TableWriter.write(table, as: format, to: $0, workers: workers) }
        try output.commit()
        return try directory.read("t.csv")
    }

    @Test func quotesOnlyWhenNeededAndWritesMissingAsEmpty() throws {
        let table = Table(
            rowCount: 3,
            columns: [
                Column("id", .text(["plain", "with,comma", "say \"hi\"\nbye"])),
                Column("n", .integer([1, nil, -42])),
                Column("x", .real([0.1, .nan, 9218.279999999999])),
                Column("t", .timestamp([0, nil, 1_700_000_000])),
            ])
        #expect(
            try render(table) == """
                id,n,x,t
                plain,1,0.1,1970-01-01T00:00:00Z
                "with,comma",,,
                "say ""hi""
                bye",-42,9218.28,2023-11-14T22:13:20Z

                """)
    }

    @Test(arguments: [
        (0.1, "0.1"), (57.0, "57"), (-42.5, "-42.5"), (9218.279999999999, "9218.28"), (5.300714285714285, "5.30071428571"),
        (1e-5, "0.00001"), (0.000123456789012345, "0.000123456789012"), (123456789012345.0, "123456789012000"),
        (999999999999.7, "1000000000000"), (9.99999999999995, "10"), (1e30, "1000000000000000000000000000000"), (-0.5, "-0.5"),
        (1.1661017939810807e-11, "0.0000000000116610179398"), (5e-12, "5e-12"), (1e34, "1e+34"), (123.0, "123"),
    ])
    func realsHaveTwelveSignificantDigits(value: Double, text: String) throws {
        #expect(try render(Table(rowCount: 1, columns: [Column("x", .real([value]))])) == "x\n\(text)\n")
    }

    /// Over many magnitudes and shapes (cents, sevenths, whole numbers, any bit pattern): the
    /// text reads back within half a unit of the 12th digit, has at most 12 significant digits
    /// and never ends in a zero after the point or a bare point.
    @Test func realsReadBackWithinTwelveDigits() throws {
        var random = RandomSource(seed: 12)
        var values: [Double] = []
        for index in 0..<60_000 {
            switch index % 5 {
            case 0: values.append(Double(Int.random(in: 0...10_000_000, using: &random)) / 100)
            case 1: values.append(Double(Int.random(in: -1000...1000, using: &random)) / 7)
            case 2: values.append(Double(Int.random(in: 0...1_000_000, using: &random)))
            case 3: values.append(Double.random(in: 0.1...1, using: &random) * pow(10, Double(Int.random(in: -10...20, using: &random))))
            default: values.append(Double(bitPattern: random.next() >> 2 | 0x3000_0000_0000_0000))  // exponents near 1e-77..1e77
            }
        }
        let lines = try render(Table(rowCount: values.count, columns: [Column("x", .real(values))])).split(separator: "\n").dropFirst()
        #expect(lines.count == values.count)
        for (value, line) in zip(values, lines) {
            let text = String(line)
            let digits = text.drop { $0 == "-" || $0 == "0" || $0 == "." }.filter(\.isNumber)
            let significant = text.contains(".") ? digits.count : digits.reversed().drop { $0 == "0" }.count
            let readBack = try #require(Double(text), "\(value) was written as \(text)")
            #expect(abs(readBack - value) <= 5.000001e-12 * abs(value), "\(value) was written as \(text)")
            guard value == 0 || (abs(value) >= 1e-11 && abs(value) < 1e22) else {
                // Beyond plain notation's range: the same 12 digits, with an exponent.
                let mantissa = text.prefix { $0 != "e" }.filter(\.isNumber)
                #expect(text.contains("e") && mantissa.count <= 12, "\(value) was written as \(text)")
                continue
            }
            #expect(significant <= 12 && !text.contains("e"), "\(value) was written as \(text)")
            #expect(!text.contains(".") || !(text.hasSuffix("0") || text.hasSuffix(".")), "\(value) was written as \(text)")
        }
    }

    /// The vectorized kernel behind real columns writes what `real` writes, value by value, at
    /// the edges of what it takes (0.01, 10^12, 16 bytes with a sign, rounding into a 13th
    /// digit) and over random shapes; values it leaves to `real` go through the same table.
    @Test func preformattedRealsAreTheBytesOfReal() throws {
        var values: [Double] = [
            0, -0.0, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, .ulpOfOne, 0.01, 0.0099999999999, -0.0123456789012,
            0.099999999999995, 0.0999999999999949, 999_999_999_999.4, 999_999_999_999.5, 99_999_999_999.95,
            1e11, 1e12, -1e12, 9.999999999995, 1.0000000000005, 123_456.789, -98_765_432_109.8, 0.1 + 0.2,
        ]
        for power in -4...13 {
            let exact = pow(10, Double(power))
            values += [exact, exact.nextUp, exact.nextDown, -exact, 1.5 * exact, 9.99999999999 * exact]
        }
        var random = RandomSource(seed: 31)
        for index in 0..<40_000 {
            let scale = pow(10, Double(Int.random(in: -4...13, using: &random)))
            let sign: Double = index % 3 == 0 ? -1 : 1
            switch index % 4 {
            case 0: values.append(sign * Double(Int.random(in: 0...100_000_000, using: &random)) / 100)
            case 1: values.append(sign * Double.random(in: 1..<10, using: &random) * scale)
            case 2: values.append(sign * Double(Int.random(in: 1...999_999_999_999, using: &random)) * scale / 1e12)
            default: values.append(Double(bitPattern: random.next()))
            }
        }
        var expected = "x\n"
        for value in values {
            var bytes = [UInt8](repeating: 0, count: 80)
            let count = bytes.withUnsafeMutableBufferPointer { buffer in
                var cursor = ByteCursor(buffer.baseAddress!)
                if value.isFinite { TableWriter.real(value, &cursor) }
                return cursor.offset(from: buffer.baseAddress!)
            }
            expected += String(decoding: bytes[..<count], as: UTF8.self) + "\n"
        }
        #expect(try render(Table(rowCount: values.count, columns: [Column("x", .real(values))])) == expected)
    }

    @Test func integersAndTimestampsAtTheirEdges() throws {
        // Every integer of up to four digits (written by digit pairs), then the edges of the
        // eight-digit groups.
        let integers: [Int64?] =
            (-10_001...10_001).map { $0 } + [
                99_999_999, 100_000_000, -100_000_000, 9_999_999_999_999_999,
                10_000_000_000_000_000, 1_234_567_890_123_456_789, .max, .min, nil,
            ]
        let integerText = try render(Table(rowCount: integers.count, columns: [Column("n", .integer(integers))]))
        #expect(integerText == "n\n" + integers.map { ($0.map(String.init) ?? "") + "\n" }.joined())
        // Every day from 1900 to 2100 at a changing time of day, then the ends of four-digit years.
        var seconds: [Int64?] = (Int64(-25_567)...Int64(47_482)).map { (day: Int64) -> Int64? in
            let secondOfDay: Int64 = (day * 7_919 % 86_400 + 86_400) % 86_400
            return day * 86_400 + secondOfDay
        }
        seconds += [-62_167_219_200, -62_167_219_201, 253_402_300_799, 253_402_300_800, nil]
        let timestampText = try render(Table(rowCount: seconds.count, columns: [Column("t", .timestamp(seconds))]))
        #expect(timestampText == "t\n" + seconds.map { ($0.map(CivilTime.timestampString) ?? "") + "\n" }.joined())
    }

    @Test func outputIsTheSameForAnyWorkerCount() throws {
        let count = 50_000
        let table = Table(
            rowCount: count,
            columns: [
                Column("id", .text((0..<count).map { "c\($0)" })),
                Column("v", .real((0..<count).map { Double($0) / 7 })),
            ])
        #expect(try render(table, workers: 1) == render(table, workers: 3))
        #expect(try render(table, as: .jsonLines, workers: 1) == render(table, as: .jsonLines, workers: 3))
    }

    /// JSON Lines: one object per row, missing values as null, strings escaped.
    @Test func jsonLinesEscapeAndWriteMissingAsNull() throws {
        let table = Table(
            rowCount: 2,
            columns: [
                Column("id", .text(["a\"b\\c", "tab\there\u{1}"])),
                Column("n", .integer([1, nil])),
                Column("x", .real([0.5, .nan])),
                Column("t", .timestamp([0, nil])),
            ])
        #expect(
            try render(table, as: .jsonLines) == """
                {"id":"a\\"b\\\\c","n":1,"x":0.5,"t":"1970-01-01T00:00:00Z"}
                {"id":"tab\\there\\u0001","n":null,"x":null,"t":null}

                """)
    }

    /// OWASP's list: = + - @ tab and carriage return start a formula; numbers are untouched.
    @Test func formulasAreNeutralisedInTextCellsOnly() throws {
        let table = Table(
            rowCount: 6,
            columns: [
                Column("id", .text(["=1+1", "+A1", "-2", "@SUM(A1)", "\tx", "safe=1"])),
                Column("v", .real([-1, -2, -3, -4, -5, -6])),
            ])
        #expect(try render(table) == "id,v\n'=1+1,-1\n'+A1,-2\n'-2,-3\n'@SUM(A1),-4\n'\tx,-5\nsafe=1,-6\n")
        #expect(try render(table, as: .csv(protectFormulas: false)).hasPrefix("id,v\n=1+1,-1\n+A1,-2\n"))
    }

    /// A renamed column's name comes from the pipeline file, so the header is protected too.
    @Test func headerCellsThatStartLikeAFormulaAreNeutralised() throws {
        let table = Table(rowCount: 1, columns: [Column("=HYPERLINK(\"x\")", .text(["a"])), Column("value", .real([1]))])
        #expect(try render(table) == "\"'=HYPERLINK(\"\"x\"\")\",value\na,1\n")
        #expect(try render(table, as: .csv(protectFormulas: false)).hasPrefix("\"=HYPERLINK("))
    }

    /// Repeated values are formatted once and then copied (TableWriter.RepeatedText): the
    /// copies must equal the first time, whether the value is a small or a large string, the
    /// same text in other storage, longer than the copies kept, or one of more distinct
    /// values than are kept.
    @Test(arguments: [TableFormat.csv(protectFormulas: true), .jsonLines, .postgresCopy])
    func repeatedTextIsWrittenAlikeEveryTime(format: TableFormat) throws {
        let few = [
            "Champions", "Potential loyalists", "", "=cmd", "with,comma", "say \"hi\"\tthere, twice",
            "a value of 32 bytes, just kept..", String(repeating: "long value ", count: 5),
        ]
        let many = few + (0..<80).map { "value \($0)" }
        // The same texts again, built apart, so that their storage differs.
        let rebuilt = many.map { String(decoding: Array($0.utf8), as: UTF8.self) }
        // A few values repeated first, then more distinct values than are kept.
        let rows = 400
        let cells = (0..<rows).map { row in
            let value = row < 200 ? row % few.count : row % many.count
            return row % 3 == 0 ? rebuilt[value] : many[value]
        }
        let repeated = Table(rowCount: rows, columns: [Column("s", .text(cells)), Column("n", .integer((0..<rows).map { Int64($0) }))])
        func bytes(_ table: Table) -> [UInt8] {
            var chunks = TableWriter.Chunks(table, as: format, workers: 2)
            var bytes: [UInt8] = []
            while let chunk = chunks.next() { bytes += chunk }
            return bytes
        }
        // One row per table: nothing to repeat.
        let single = (0..<rows).map { row in
            bytes(Table(rowCount: 1, columns: [Column("s", .text([cells[row]])), Column("n", .integer([Int64(row)]))]))
        }
        let headerLength = format == .csv(protectFormulas: true) ? 4 : 0
        #expect(bytes(repeated) == Array(single[0].prefix(headerLength)) + single.flatMap { $0.dropFirst(headerLength) })
    }
}

@Suite struct ExportSpecTests {
    let table = Table(
        rowCount: 4,
        columns: [
            Column("customer_id", .text(["a", "b", "c", "d"])),
            Column("rfm_segment", .text(["At risk", "Champions", "At risk", "Can't lose them"])),
            Column("clv", .real([1, 2, 3, 4])),
        ])

    @Test func selectsRenamesAndSplitsByValue() throws {
        let spec = ExportSpec(
            source: .customers, path: "seg/{value}.csv", format: .jsonLines, columns: ["customer_id", "clv"],
            rename: ["customer_id": "id"], splitBy: "rfm_segment")
        let files = try spec.files(of: table)
        #expect(files.map(\.path) == ["seg/at_risk.csv", "seg/champions.csv", "seg/can_t_lose_them.csv"])
        #expect(files[0].table.columnNames == ["id", "clv"])
        #expect(files[0].table.column(named: "id")?.values == .text(["a", "c"]))
    }

    @Test func unknownColumnsAreNamedWithTheAvailableOnes() {
        let spec = ExportSpec(source: .customers, path: "c.csv", format: .jsonLines, columns: ["customer_id", "cvl"])
        #expect(throws: ExportSpec.Failure.unknownColumn(key: "columns", name: "cvl", available: ["customer_id", "rfm_segment", "clv"])) {
            try spec.files(of: table)
        }
    }
}

@Suite struct RunDirectoryTests {
    /// Runs of the same second get -2, -3 … -11: pruning keeps the newest by that number, not
    /// by text order (which put -10 and -11 before -2 and removed them first).
    @Test func moreThanTenRunsInOneSecondArePrunedOldestFirst() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let runs = RunDirectory(root: directory.path)
        let second = Date(timeIntervalSince1970: 1_700_000_000)
        var ids: [String] = []
        for _ in 0..<12 {
            let id = runs.newRunID(at: second)
            try FileManager.default.createDirectory(atPath: "\(runs.runsPath)/\(id)", withIntermediateDirectories: true)
            ids.append(id)
        }
        #expect(ids.first == "20231114T221320Z")
        #expect(ids.last == "20231114T221320Z-12")
        #expect(runs.publishedRuns() == ids)
        try FileManager.default.createSymbolicLink(atPath: runs.currentPath, withDestinationPath: "runs/\(ids[11])")
        runs.prune(keeping: 3)
        #expect(runs.publishedRuns() == Array(ids.suffix(3)))
    }
}
