import Clean
import Features
import SegflowCore
import TestSupport
import Testing

@Suite struct FeatureBuilderTests {
    let asOfDay = CivilTime.daysFromCivil(year: 2024, month: 4, day: 1)

    func features(
        _ rows: [(String, String, Int64, Double)], returnsArePurchases: Bool = false,
        groups: [FeatureGroup] = FeatureGroup.allCases
    ) -> (CustomerFeatures, StageReport, Table) {
        let (grouped, _) = Cleaner(rules: CleaningRules(cutoff: asOfDay * 86_400, dedupe: .none)).clean(Fixtures.transactions(rows))
        let builder = FeatureBuilder(groups: groups, asOfDay: asOfDay, returnsArePurchases: returnsArePurchases)
        let (values, report) = builder.build(grouped)
        return (values, report, builder.table(values))
    }

    /// Customer "a": orders on Mar 1 (two lines), Mar 4, Mar 11; a return of 5 on Mar 20.
    /// Gaps 3 and 7 days: mean 5, population std 2. Spend 10+2+20+30-5 = 57 over 3 orders.
    @Test func handComputedCustomer() {
        let rows = [
            ("a", "o1", Fixtures.seconds(2024, 3, 1, 12), 10.0),
            ("a", "o1", Fixtures.seconds(2024, 3, 1, 13), 2.0),
            ("a", "o2", Fixtures.seconds(2024, 3, 4, 12), 20.0),
            ("a", "o3", Fixtures.seconds(2024, 3, 11, 12), 30.0),
            ("a", "r1", Fixtures.seconds(2024, 3, 20, 9), -5.0),
        ]
        let (values, _, _) = features(rows)
        #expect(values.customerID == ["a"])
        #expect(values.frequency == [3])
        #expect(values.firstPurchase == [Fixtures.seconds(2024, 3, 1, 12)])
        #expect(values.lastPurchase == [Fixtures.seconds(2024, 3, 11, 12)])
        #expect(values.recencyDays == [21])
        #expect(values.tenureDays == [31])
        #expect(values.monetaryTotal == [57])
        #expect(values.monetaryMean == [19])
        #expect(isClose(values.interpurchaseMeanDays[0], 5))
        #expect(isClose(values.interpurchaseStdDays[0], 2))
    }

    /// A steady buyer, one purchase every 10 days. With the default 180-day window the trend
    /// needs 180 days of history before the window: "short" started 10 days before it (its
    /// trend would read 0.33, a decline, from one purchase) and has none; "long" started 400
    /// days before as_of and buys at the same rate in and before the window: 1.
    @Test func theTrendNeedsAPreWindowAsLongAsTheWindow() {
        var rows: [(String, String, Int64, Double)] = []
        let windowStart = asOfDay - 180
        for (id, firstDay) in [("short", windowStart - 10), ("long", asOfDay - 400)] {
            for (index, day) in stride(from: firstDay, to: asOfDay, by: 10).enumerated() {
                rows.append((id, "\(id)\(index)", day * 86_400 + 43_200, 10))
            }
        }
        let (values, _, _) = features(rows)
        #expect(values.customerID == ["short", "long"])
        #expect(values.purchaseRateTrend[0].isNaN)
        #expect(isClose(values.purchaseRateTrend[1], 1, relative: 0.06), "\(values.purchaseRateTrend[1])")
    }

    @Test func singlePurchaseHasNoInterpurchase() {
        let (values, _, table) = features([("b", "o1", Fixtures.seconds(2024, 3, 31, 23), 8.0)])
        #expect(values.recencyDays == [1])
        #expect(values.interpurchaseMeanDays[0].isNaN)
        // Without order-line columns, the groups that need them write nothing.
        let groups = FeatureGroup.available(LineColumns())
        #expect(
            table.columnNames == FeatureGroup.identityColumns + FeatureDescriptor.all.filter { $0.group.map(groups.contains) ?? false }.map(\.name))
    }

    @Test func customerWithOnlyReturnsIsLeftOutAndCounted() {
        let rows = [("a", "o1", Fixtures.seconds(2024, 3, 1), 10.0), ("z", "r1", Fixtures.seconds(2024, 3, 2), -4.0)]
        let (values, report, _) = features(rows)
        #expect(values.customerID == ["a"])
        #expect(report.count("customers_without_purchase") == 1)
        let (kept, _, _) = features(rows, returnsArePurchases: true)
        #expect(kept.customerID == ["a", "z"])
    }

    @Test func columnsFollowTheCanonicalOrderWhateverTheListOrder() {
        let (_, _, table) = features([("a", "o1", Fixtures.seconds(2024, 3, 1), 1.0)], groups: [.tenure, .recency, .tenure])
        #expect(table.columnNames == ["customer_id", "first_purchase", "last_purchase", "recency_days", "tenure_days"])
    }

    @Test func resultDoesNotDependOnWorkerCount() throws {
        var rows: [(String, String, Int64, Double)] = []
        for index in 0..<3000 {
            rows.append(("c\(index % 101)", "o\(index % 1400)", Fixtures.seconds(2024, 1, 1) + Int64(index * 7919 % 5_000_000), Double(index % 37)))
        }
        let (grouped, _) = Cleaner(rules: CleaningRules(cutoff: asOfDay * 86_400)).clean(Fixtures.transactions(rows))
        let builder = FeatureBuilder(groups: FeatureGroup.allCases, asOfDay: asOfDay)
        let (one, _) = builder.build(grouped, workers: 1)
        let (three, _) = builder.build(grouped, workers: 3)
        #expect(one.count == 101)
        #expect(Array(one.customerID.prefix(3)) == ["c0", "c1", "c2"])
        #expect(one.customerID == three.customerID)
        #expect(one.monetaryTotal == three.monetaryTotal)
        #expect(one.interpurchaseStdDays.map(\.bitPattern) == three.interpurchaseStdDays.map(\.bitPattern))
    }
}
