import SegflowCore

/// The per-customer summary the buy-till-you-die models take (Fader, Hardie & Lee 2005):
/// purchases on the same day count as one; `x` is the number of repeat purchase days,
/// `tx` the time from the first to the last purchase day, `t` the time from the first
/// purchase day to the last day before as_of, all in `unitDays` days (7: weeks).
/// `spend` is the mean day total of the repeat purchases (first day excluded), 0 when x = 0.
public struct RepeatPurchaseSummary: Sendable, Equatable {
    public var customerIDs: [String] = []
    public var x: [Double] = []
    public var tx: [Double] = []
    public var t: [Double] = []
    public var spend: [Double] = []
    public var unitDays: Double

    public var count: Int { x.count }

    /// An empty summary to fill by hand (benchmarks, tests).
    public init(unitDays: Double) { self.unitDays = unitDays }

    /// Customers with no purchase day (only returns) are left out, as in the feature table.
    public init(_ transactions: CustomerTransactions, asOfDay: Int64, unitDays: Double) {
        self.unitDays = unitDays
        var dayTotals: [(day: Int64, total: Double, purchase: Bool)] = []
        for customer in 0..<transactions.customerCount {
            dayTotals.removeAll(keepingCapacity: true)
            for row in transactions.rows(of: customer) {
                dayTotals.append((CivilTime.day(ofSeconds: transactions.time[row]), transactions.amount[row], transactions.amount[row] >= 0))
            }
            dayTotals.sort { $0.day < $1.day }
            var days: [(day: Int64, total: Double)] = []
            for entry in dayTotals {
                if let last = days.last, last.day == entry.day {
                    days[days.count - 1].total += entry.total
                } else if entry.purchase {
                    days.append((entry.day, entry.total))
                } else if let last = days.last {
                    // A return on a day without a purchase lowers the latest purchase day's total.
                    days[days.count - 1].total = last.total + entry.total
                }
            }
            guard let first = days.first?.day, let last = days.last?.day else { continue }
            let repeats = days.count - 1
            customerIDs.append(transactions.customerIDs[customer])
            x.append(Double(repeats))
            tx.append(Double(last - first) / unitDays)
            t.append(Double(asOfDay - 1 - first) / unitDays)
            spend.append(repeats > 0 ? days.dropFirst().reduce(0) { $0 + $1.total } / Double(repeats) : 0)
        }
    }
}

/// Rows with identical (x, tx, t) merged into one weighted row: the likelihood then costs
/// O(distinct rows), which is how these models stay fast on millions of customers.
struct WeightedSummary {
    var x: [Double] = []
    var tx: [Double] = []
    var t: [Double] = []
    var weight: [Double] = []

    init(_ summary: RepeatPurchaseSummary) {
        struct Key: Hashable { let x: Double, tx: Double, t: Double }
        var index: [Key: Int] = [:]
        for row in 0..<summary.count {
            let key = Key(x: summary.x[row], tx: summary.tx[row], t: summary.t[row])
            if let existing = index[key] {
                weight[existing] += 1
            } else {
                index[key] = x.count
                x.append(key.x); tx.append(key.tx); t.append(key.t); weight.append(1)
            }
        }
    }

    var totalWeight: Double { weight.reduce(0, +) }
}
