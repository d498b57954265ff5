import SegflowCore
import Statistics

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
            // Within a day purchases come first, so a return on a purchase day is netted into
            // that day whatever the row order.
            dayTotals.sort { ($0.day, $0.purchase ? 0 : 1) < ($1.day, $1.purchase ? 0 : 1) }
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

    /// Each customer's row, by id.
    public func rowsByCustomerID() -> [String: Int] {
        var rows: [String: Int] = [:]
        rows.reserveCapacity(count)
        for (row, id) in customerIDs.enumerated() { rows[id] = row }
        return rows
    }

    /// About `size` customers chosen by a hash of their id (all of them when there are no
    /// more): the same customers whatever the input order, and from run to run.
    public func sample(about size: Int) -> RepeatPurchaseSummary {
        guard count > size else { return self }
        let threshold = UInt64(Double(UInt64.max) * (Double(size) / Double(count)))
        var result = RepeatPurchaseSummary(unitDays: unitDays)
        for row in 0..<count {
            var id = customerIDs[row]
            guard id.withUTF8({ Hashing.key(UnsafeRawBufferPointer($0)) }) <= threshold else { continue }
            result.customerIDs.append(id)
            result.x.append(x[row])
            result.tx.append(tx[row])
            result.t.append(t[row])
            result.spend.append(spend[row])
        }
        return result
    }
}

/// Rows with identical (x, tx, t) merged into one weighted row: the likelihood then costs
/// O(distinct rows), which is how these models stay fast on millions of customers. x and
/// the times are stored as codes into their distinct values ("levels"): an objective computes
/// its per-x and per-time terms once per level (a few thousand) instead of once per row.
struct WeightedSummary {
    /// Distinct values of x, and of the times (t_x and T share one list).
    private(set) var xLevels: [Double] = []
    private(set) var timeLevels: [Double] = []
    private(set) var xCode: [Int32] = []
    private(set) var txCode: [Int32] = []
    private(set) var tCode: [Int32] = []
    private(set) var weight: [Double] = []
    let totalWeight: Double

    var count: Int { weight.count }
    func x(_ row: Int) -> Double { xLevels[Int(xCode[row])] }
    func tx(_ row: Int) -> Double { timeLevels[Int(txCode[row])] }
    func t(_ row: Int) -> Double { timeLevels[Int(tCode[row])] }

    init(_ summary: RepeatPurchaseSummary) {
        var xIndex = DenseCodes(), timeIndex = DenseCodes()
        let rowX = summary.x.map { xIndex.code(for: $0.bitPattern) }
        let rowTx = summary.tx.map { timeIndex.code(for: $0.bitPattern) }
        let rowT = summary.t.map { timeIndex.code(for: $0.bitPattern) }
        xLevels = xIndex.keys.map(Double.init(bitPattern:))
        timeLevels = timeIndex.keys.map(Double.init(bitPattern:))
        totalWeight = Double(summary.count)
        // Rows merge by sorting their three codes packed into one key (rows come out ordered
        // by T, then t_x, then x). In the unlikely case the codes do not fit in 64 bits, rows
        // stay unmerged, which is slower but exact.
        let xBits = Int.bitWidth - xLevels.count.leadingZeroBitCount
        let timeBits = Int.bitWidth - timeLevels.count.leadingZeroBitCount
        guard xBits + 2 * timeBits <= 64 else {
            (xCode, txCode, tCode) = (rowX, rowTx, rowT)
            weight = [Double](repeating: 1, count: summary.count)
            return
        }
        var keys = (0..<summary.count).map {
            UInt64(rowX[$0]) | UInt64(rowTx[$0]) << xBits | UInt64(rowT[$0]) << (xBits + timeBits)
        }
        RadixSort.sort(&keys, significantBits: xBits + 2 * timeBits)
        let xMask = UInt64(1) << xBits - 1, timeMask = UInt64(1) << timeBits - 1
        var start = 0
        while start < keys.count {
            let key = keys[start]
            var end = start + 1
            while end < keys.count, keys[end] == key { end += 1 }
            xCode.append(Int32(key & xMask))
            txCode.append(Int32((key >> xBits) & timeMask))
            tCode.append(Int32(key >> (xBits + timeBits)))
            weight.append(Double(end - start))
            start = end
        }
    }

    private init(xLevels: [Double], timeLevels: [Double], rows: [Int], of data: WeightedSummary) {
        self.xLevels = xLevels
        self.timeLevels = timeLevels
        xCode = rows.map { data.xCode[$0] }
        txCode = rows.map { data.txCode[$0] }
        tCode = rows.map { data.tCode[$0] }
        weight = rows.map { data.weight[$0] }
        totalWeight = weight.reduce(0, +)
    }

    /// The row arrays as buffers, for inner loops without bounds checks.
    func withRowBuffers<Result>(
        _ body: (
            UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Int32>,
            UnsafeBufferPointer<Double>
        ) -> Result
    ) -> Result {
        xCode.withUnsafeBufferPointer { x in
            txCode.withUnsafeBufferPointer { tx in
                tCode.withUnsafeBufferPointer { t in weight.withUnsafeBufferPointer { body(x, tx, t, $0) } }
            }
        }
    }

    /// The minimum of a model's objective over this data, through `RobustMinimizer`. On large
    /// inputs the search first runs on every 16th row; the full data then starts from that
    /// optimum, with the curvature learned there, and needs a few iterations only.
    func minimize(
        from starts: [[Double]], minimizer: RobustMinimizer = RobustMinimizer(),
        _ objective: ([Double], WeightedSummary) -> (value: Double, gradient: [Double])
    ) -> Minimum? {
        var starts = starts, curvature = LBFGS.Curvature()
        if count >= 100_000 {
            let sample = sample(stride: 16)
            if let warm = minimizer.minimize(from: starts, { objective($0, sample) }), warm.method == .lbfgs {
                starts.insert(warm.point, at: 0)
                curvature = warm.curvature
            }
        }
        return minimizer.minimize(from: starts, curvature: curvature) { objective($0, self) }
    }

    /// Every `stride`-th row: a cheap, deterministic sample for a warm start.
    func sample(stride: Int) -> WeightedSummary {
        WeightedSummary(xLevels: xLevels, timeLevels: timeLevels, rows: Array(Swift.stride(from: 0, to: count, by: stride)), of: self)
    }
}

/// Codes 0, 1, 2, … for 64-bit keys in order of first appearance (open addressing, linear
/// probing): the index of distinct values behind `WeightedSummary`, several times faster
/// than a `Dictionary` for millions of lookups into a few thousand keys.
struct DenseCodes {
    private(set) var keys: [UInt64] = []
    private var slots = [Int32](repeating: -1, count: 1024)

    mutating func code(for key: UInt64) -> Int32 {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: Hashing.finalize(key)) & mask
        while slots[slot] >= 0 {
            if keys[Int(slots[slot])] == key { return slots[slot] }
            slot = (slot + 1) & mask
        }
        let code = Int32(keys.count)
        keys.append(key)
        slots[slot] = code
        if keys.count * 2 > slots.count { grow() }
        return code
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (code, key) in keys.enumerated() {
            var slot = Int(truncatingIfNeeded: Hashing.finalize(key)) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(code)
        }
    }
}
