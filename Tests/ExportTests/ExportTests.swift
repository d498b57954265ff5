@testable import Export
import Foundation
import SegflowCore
import Testing
import TestSupport

struct InjectedFailure: Error {}

@Suite struct OutputTransactionTests {
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
        #expect(error.description == """
            out/customers.csv: error: cannot write output: No space left on device
              hint: free space on the disk that holds out/customers.csv and run again; earlier outputs were left as they were
            """)
    }
}

@Suite struct CSVTableWriterTests {
    func render(_ table: Table, workers: Int = 2) throws -> String {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let output = OutputTransaction()
        try output.stage(directory.file("t.csv")) { try CSVTableWriter.write(table, to: $0, workers: workers) }
        try output.commit()
        return try directory.read("t.csv")
    }

    @Test func quotesOnlyWhenNeededAndWritesMissingAsEmpty() throws {
        let table = Table(rowCount: 3, columns: [
            Column("id", .text(["plain", "with,comma", "say \"hi\"\nbye"])),
            Column("n", .integer([1, nil, -42])),
            Column("x", .real([0.1, .nan, 9218.279999999999])),
            Column("t", .timestamp([0, nil, 1_700_000_000])),
        ])
        #expect(try render(table) == """
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
    ])
    func realsHaveTwelveSignificantDigits(value: Double, text: String) {
        var bytes: [UInt8] = []
        CSVTableWriter.appendReal(value, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == text)
    }

    @Test func outputIsTheSameForAnyWorkerCount() throws {
        let count = 50_000
        let table = Table(rowCount: count, columns: [
            Column("id", .text((0..<count).map { "c\($0)" })),
            Column("v", .real((0..<count).map { Double($0) / 7 })),
        ])
        #expect(try render(table, workers: 1) == render(table, workers: 3))
    }
}

@Suite struct ManifestTests {
    @Test func roundTripsWithSnakeCaseKeys() throws {
        let manifest = Manifest(
            segflowVersion: "0.1.0", pipeline: .init(name: "p", path: "p.yaml", xxh64: "00"), asOf: "2024-01-01",
            startedAt: "2024-01-01T00:00:00Z",
            inputs: [.init(name: "transactions", path: "t.csv", bytes: 10, xxh64: "ab", records: 3, rejected: 1)],
            stages: [StageReport(stage: "ingest", rowsIn: 3, rowsOut: 2, seconds: 0.5, counts: [.init("rejected", 1)])],
            rejectedRows: 1, outputs: [.init(name: "customers", path: "out/c.csv", rows: 2)], randomSeeds: [:], totalSeconds: 1)
        let data = try manifest.encoded()
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"rows_in\" : 3"))
        #expect(text.contains("\"path\" : \"out/c.csv\""))
        #expect(try Manifest.decode(data) == manifest)
    }
}
