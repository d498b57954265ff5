import Churn
import SegflowCore
import Testing

@Suite struct RepeatPurchaseSummaryTests {
    /// One customer: purchases of 16.49 (day 0), 14.01 (day 9), 10.22 (day 18), a return of
    /// 16.49 on day 9 listed before that day's purchase, and a return of 2 on day 20 with no
    /// purchase that day. Day totals: 16.49, 14.01 − 16.49 = −2.48, 10.22 − 2 = 8.22; the
    /// repeat days' mean is (−2.48 + 8.22) / 2 = 2.87, whatever the order of the rows.
    @Test func returnsAreNettedIntoTheirDayWhateverTheRowOrder() {
        let day: Int64 = 86_400
        let rows: [(time: Int64, amount: Double)] = [
            (0, 16.49), (9 * day + 100, -16.49), (9 * day + 200, 14.01), (18 * day, 10.22), (20 * day, -2),
        ]
        for order in [rows, rows.reversed()] {
            let transactions = CustomerTransactions(
                customerIDs: ["c"], rowStart: [0, order.count], orderKey: order.indices.map(UInt64.init), time: order.map(\.time),
                amount: order.map(\.amount))
            let summary = RepeatPurchaseSummary(transactions, asOfDay: 29, unitDays: 7)
            #expect(summary.x == [2])
            #expect(summary.tx == [18.0 / 7])
            #expect(summary.t == [28.0 / 7])
            #expect(abs(summary.spend[0] - 2.87) < 1e-9)
        }
    }
}
