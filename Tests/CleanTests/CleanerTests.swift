import Clean
import SegflowCore
import TestSupport
import Testing

@Suite struct CleanerTests {
    let day = Fixtures.seconds(2024, 3, 1)
    let asOf = Fixtures.seconds(2024, 4, 1)

    func clean(_ rows: [(String, String, Int64, Double)], _ rules: CleaningRules) -> (CustomerTransactions, StageReport) {
        Cleaner(rules: rules).clean(Fixtures.transactions(rows))
    }

    @Test func dedupeOrderKeepsFirstRowOfEachOrderButNotAgainstReturns() {
        let rows = [
            ("a", "o1", day, 10.0), ("a", "o1", day + 60, 10.0), ("a", "o1", day + 120, -4.0),
            ("b", "o1", day, 5.0), ("a", "o2", day, 3.0),
        ]
        let (grouped, report) = clean(rows, CleaningRules(cutoff: asOf, dedupe: .order))
        #expect(grouped.customerIDs == ["a", "b"])
        #expect(grouped.amount == [10, -4, 3, 5])
        #expect(grouped.time == [day, day + 120, day, day])
        #expect(report.count("duplicates_removed") == 1)
    }

    @Test func dedupeRowDropsOnlyIdenticalRows() {
        let rows = [("a", "o1", day, 10.0), ("a", "o1", day, 10.0), ("a", "o1", day, 2.0)]
        let (grouped, report) = clean(rows, CleaningRules(cutoff: asOf, dedupe: .row))
        #expect(grouped.amount == [10, 2])
        #expect(report.count("duplicates_removed") == 1)
        let (kept, _) = clean(rows, CleaningRules(cutoff: asOf, dedupe: .none))
        #expect(kept.amount == [10, 10, 2])
    }

    @Test func dedupeScalesToCustomersWithManyRows() {
        var rows: [(String, String, Int64, Double)] = []
        for index in 0..<200 { rows.append(("big", "o\(index % 50)", day + Int64(index), 1)) }
        let (grouped, report) = clean(rows, CleaningRules(cutoff: asOf, dedupe: .order))
        #expect(grouped.rowCount == 50)
        #expect(report.count("duplicates_removed") == 150)
    }

    @Test func returnsPolicies() {
        let rows = [("a", "o1", day, 10.0), ("a", "r1", day + 86_400, -3.0)]
        let (dropped, dropReport) = clean(rows, CleaningRules(cutoff: asOf, returns: .drop))
        #expect(dropped.amount == [10])
        #expect(dropReport.count("returns_dropped") == 1)
        let (netted, netReport) = clean(rows, CleaningRules(cutoff: asOf, returns: .net))
        #expect(netted.amount == [10, -3])
        #expect(netReport.count("returns_netted") == 1)
        let (_, keepReport) = clean(rows, CleaningRules(cutoff: asOf, returns: .keep))
        #expect(keepReport.count("returns_kept") == 1)
    }

    @Test func asOfCutoffAndDateRange() {
        let rows = [
            ("a", "o1", day, 1.0), ("a", "o2", asOf - 1, 2.0), ("a", "o3", asOf, 3.0),
            ("b", "o4", Fixtures.seconds(2023, 12, 31, 23, 59, 59), 4.0),
        ]
        let (cut, report) = clean(rows, CleaningRules(cutoff: asOf))
        #expect(cut.amount == [1, 2, 4])
        #expect(report.count("after_as_of_removed") == 1)
        let range = CivilTime.daysFromCivil(year: 2024, month: 1, day: 1)...CivilTime.daysFromCivil(year: 2024, month: 3, day: 1)
        let (ranged, rangeReport) = clean(rows, CleaningRules(cutoff: asOf, dateRange: range))
        #expect(ranged.customerIDs == ["a"])
        #expect(ranged.amount == [1])
        #expect(rangeReport.count("outside_date_range_removed") == 2)
    }

    @Test func winsorizeCapsAtTheUpperQuantile() {
        // Positive amounts 1...10 and one return; the 0.9 quantile by linear interpolation is 9.1.
        var rows = (1...10).map { ("a", "o\($0)", day, Double($0)) }
        rows.append(("a", "r", day, -50))
        let (grouped, report) = clean(rows, CleaningRules(cutoff: asOf, winsorizeQuantile: 0.9))
        #expect(report.count("winsorized") == 1)
        #expect(isClose(grouped.amount.max() ?? 0, 9.1))
        #expect(grouped.amount.min() == -50)
    }

    @Test func reportsRowsInAndOut() {
        let rows = [("a", "o1", day, 1.0), ("a", "o1", day, 1.0), ("b", "o2", asOf + 5, 1.0)]
        let (grouped, report) = clean(rows, CleaningRules(cutoff: asOf))
        #expect(report.rowsIn == 3)
        #expect(report.rowsOut == 1)
        #expect(grouped.customerIDs == ["a"])
    }
}
