import Export
import History
import SegflowCore
import TestSupport
import Testing

@Suite struct DimensionSummaryTests {
    /// Four customers, counted by hand.
    let customers = Table(
        rowCount: 4,
        columns: [
            Column("customer_id", .text(["a", "b", "c", "d"])),
            Column("monetary_total", .real([100, 300, 50, 50])),
            Column("value_tier", .text(["B", "A", "B", "C"])),
            Column("status", .text(["active", "active", "lost", "active"])),
            Column("p_alive", .real([0.9, 0.7, 0.1, 0.5])),
            Column("expected_purchases", .real([2, 4, 0, 1])),
            Column("clv", .real([80, 200, .nan, 20])),
            Column("churn_probability", .real([0.2, 0.4, .nan, 0.6])),
            Column("churn_risk", .text(["low", "medium", "inactive", "high"])),
        ])

    @Test func groupsAreCountedByHand() throws {
        let summary = DimensionSummary(customers: customers)
        func group(_ dimension: String, _ value: String) throws -> DimensionSummary.Group {
            try #require(summary.groups.first { $0.dimension == dimension && $0.value == value })
        }
        // Tiers in letter order; statuses largest first; then the cross-table.
        #expect(
            summary.groups.map { "\($0.dimension):\($0.value)" }.prefix(5) == [
                "value_tier:A", "value_tier:B", "value_tier:C", "status:active", "status:lost",
            ])
        let active = try group("status", "active")
        #expect(active.customers == 3 && active.customerShare == 0.75)
        #expect(active.revenue == 450 && active.revenueShare == 0.9)
        #expect(active.clvSum == 300 && active.clvMean == 100)
        #expect(abs(active.probabilityAliveMean - 0.7) < 1e-12)
        #expect(abs(active.churnProbabilityMean - 0.4) < 1e-12)
        #expect(active.expectedPurchases == 7)
        // The lost customer has no clv and no churn probability: means over nobody are empty.
        let lost = try group("status", "lost")
        #expect(lost.clvMean.isNaN && lost.churnProbabilityMean.isNaN && lost.clvSum == 0)
        let tierB = try group("value_tier", "B")
        #expect(tierB.customers == 2 && tierB.revenue == 150 && tierB.clvMean == 80)
        let cross = summary.groups.filter { $0.dimension == "status_by_churn_risk" }.map { "\($0.value)=\($0.customers)" }
        #expect(Set(cross) == ["active / low=1", "active / medium=1", "active / high=1", "lost / inactive=1"])
    }

    @Test func readsBackWhatItWrites() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let summary = DimensionSummary(customers: customers)
        let path = directory.file("summary.csv")
        try OutputTransaction.write(path, table: summary.table)
        let read = try DimensionSummary.read(path: path)
        #expect(read.groups.map(\.value) == summary.groups.map(\.value))
        #expect(read.groups.map(\.customers) == summary.groups.map(\.customers))
        #expect(read.groups[0].revenue == summary.groups[0].revenue)
    }
}
