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

    /// Seed 5: about one customer in eight was referred, always on or before their first
    /// purchase and by someone who had bought before; regulars refer more than one-time
    /// buyers; and the odd invalid row is there for the rules to catch.
    @Test func referralsLookLikeAReferralProgramme() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let sample = SampleGenerator(customers: 4000, seed: 5).generate()
        let output = OutputTransaction()
        try output.stage(directory.file("t.csv")) { try sample.writeTransactions(to: $0) }
        try output.stage(directory.file("r.csv")) { try sample.writeReferrals(to: $0) }
        try output.commit()
        let transactions = try TransactionReader(input: Fixtures.input(directory.file("t.csv"))).read().transactions
        var firstDay: [String: Int64] = [:]
        var purchases: [String: Int] = [:]
        for (row, customer) in transactions.customer.enumerated() where transactions.amount[row] > 0 {
            let id = transactions.customerIDs[Int(customer)]
            firstDay[id] = min(firstDay[id] ?? .max, CivilTime.day(ofSeconds: transactions.time[row]))
            purchases[id, default: 0] += 1
        }
        let referrals = try directory.read("r.csv").split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        let buyerReferrals = referrals.filter { firstDay[$0[1]] != nil && $0[0] != $0[1] }
        let day = { (row: [String]) in CivilTime.day(ofSeconds: Array(row[2].utf8).withUnsafeBytes { TimeFormat.iso8601.parse($0)! }) }
        let referredShare = Double(Set(buyerReferrals.map { $0[1] }).count) / 4000
        #expect((0.10...0.15).contains(referredShare), "\(referredShare)")
        #expect(buyerReferrals.allSatisfy { day($0) <= firstDay[$0[1]]! && day($0) >= firstDay[$0[0]]! })
        let referrers = Set(buyerReferrals.map { $0[0] })
        let regulars = purchases.filter { $0.value >= 6 }.keys, oneTime = purchases.filter { $0.value == 1 }.keys
        let regularRate = Double(regulars.filter(referrers.contains).count) / Double(regulars.count)
        let oneTimeRate = Double(oneTime.filter(referrers.contains).count) / Double(oneTime.count)
        #expect(regularRate > 2 * oneTimeRate, "regulars \(regularRate), one-time buyers \(oneTimeRate)")
        #expect(referrals.contains { firstDay[$0[1]] == nil && !$0[1].isEmpty }, "invitations to people who never bought")
    }
}
