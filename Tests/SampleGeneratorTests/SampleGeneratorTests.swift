import Export
import Foundation
import Ingest
import SampleGenerator
import SegflowCore
import TestSupport
import Testing

@Suite struct SampleGeneratorTests {
    func generate(customers: Int, seed: UInt64, malformed: Int = 0, in directory: TemporaryDirectory, name: String = "s.csv") throws -> String {
        let path = directory.file(name)
        let output = OutputTransaction()
        try output.stage(path) { try SampleGenerator(customers: customers, seed: seed, malformedRows: malformed).write(to: $0) }
        try output.commit()
        return path
    }

    @Test func sameSeedSameFileOtherSeedOtherFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let a = try directory.read(URL(fileURLWithPath: try generate(customers: 200, seed: 1, in: directory, name: "a.csv")).lastPathComponent)
        let b = try directory.read(URL(fileURLWithPath: try generate(customers: 200, seed: 1, in: directory, name: "b.csv")).lastPathComponent)
        let c = try directory.read(URL(fileURLWithPath: try generate(customers: 200, seed: 2, in: directory, name: "c.csv")).lastPathComponent)
        #expect(a == b)
        #expect(a != c)
    }

    /// Seed 3: the data has the shape the generator promises.
    @Test func dataLooksLikeATransactionLog() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try generate(customers: 3000, seed: 3, malformed: 25, in: directory)
        let result = try TransactionReader(input: Fixtures.input(path)).read()
        #expect(result.rejected.count == 25)
        #expect(result.transactions.customerIDs.count == 3000)
        let perCustomer = Dictionary(grouping: result.transactions.customer, by: { $0 }).mapValues(\.count)
        let counts = perCustomer.values.sorted()
        let mean = Double(counts.reduce(0, +)) / Double(counts.count)
        #expect((7...14).contains(mean), "about 10 rows per customer, got \(mean)")
        #expect(Double(counts.filter { $0 == 1 }.count) / Double(counts.count) > 0.1, "many one-time buyers")
        #expect(Double(counts[counts.count - 1]) > 8 * mean, "a heavy tail")
        let returns = result.transactions.amount.filter { $0 < 0 }.count
        #expect(returns > 0)
        #expect(result.transactions.time == result.transactions.time.sorted(), "sorted by time")
    }
}
