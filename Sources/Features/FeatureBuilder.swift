import SegflowCore

/// Builds one row per customer from their cleaned transactions, as known at `asOfDay`.
///
/// A purchase is an order: the rows of one customer sharing an order id, dated by the
/// earliest of them. Negative rows (returns, under `returns: net`) lower the spend but are
/// not purchases. Customers with no purchase at all are left out and counted.
public struct FeatureBuilder: Sendable {
    /// The groups whose columns go to the output table; every feature is computed anyway,
    /// since later stages (segmentation) read them.
    public let groups: [FeatureGroup]
    /// Days since the epoch of the as-of date; all rows are before its midnight.
    public let asOfDay: Int64
    /// True under `returns: keep`: negative rows are purchases like any other.
    public let returnsArePurchases: Bool
    public let windows: FeatureWindows

    public init(groups: [FeatureGroup], asOfDay: Int64, returnsArePurchases: Bool = false, windows: FeatureWindows = FeatureWindows()) {
        self.groups = Array(Set(groups)).sorted()
        self.asOfDay = asOfDay
        self.returnsArePurchases = returnsArePurchases
        self.windows = windows
    }

    /// The feature values of every customer with at least one purchase.
    public func build(_ transactions: CustomerTransactions, workers: Int = Parallel.workerCount) -> (CustomerFeatures, StageReport) {
        let customerCount = transactions.customerCount
        var features = CustomerFeatures(capacity: customerCount)
        var parts = [CustomerFeatures](repeating: CustomerFeatures(capacity: 0), count: workers)
        parts.withUnsafeMutableBufferPointer { parts in
            Parallel.forEach(parts: workers) { part in
                var result = CustomerFeatures(capacity: customerCount / workers + 1)
                var orders = OrderScratch()
                for customer in Parallel.slice(part, of: workers, count: customerCount) {
                    summarize(customer, transactions, into: &result, scratch: &orders)
                }
                parts[part] = result
            }
        }
        for part in parts { features.append(contentsOf: part) }
        let dropped = customerCount - features.count
        let report = StageReport(
            stage: "features", rowsIn: transactions.rowCount, rowsOut: features.count,
            counts: [.init("customers_without_purchase", dropped)])
        return (features, report)
    }

    private func summarize(
        _ customer: Int, _ transactions: CustomerTransactions, into result: inout CustomerFeatures,
        scratch orders: inout OrderScratch
    ) {
        orders.removeAll()
        var spend = 0.0, currentSpend = 0.0
        let currentFrom = (asOfDay - Int64(windows.currentValueDays)) * CivilTime.secondsPerDay
        for row in transactions.rows(of: customer) {
            let amount = transactions.amount[row]
            spend += amount
            if transactions.time[row] >= currentFrom { currentSpend += amount }
            if amount >= 0 || returnsArePurchases {
                orders.add(key: transactions.orderKey[row], time: transactions.time[row])
            }
        }
        guard !orders.isEmpty else { return }
        let times = orders.orderTimesSorted()
        let first = times[0], last = times[times.count - 1]
        var gapMean = Double.nan, gapStd = Double.nan
        if times.count > 1 {
            // Gaps between consecutive purchases; their mean telescopes to the span over n - 1.
            let gapCount = Double(times.count - 1)
            gapMean = Double(last - first) / Double(CivilTime.secondsPerDay) / gapCount
            var squares = 0.0
            for index in 1..<times.count {
                let deviation = Double(times[index] - times[index - 1]) / Double(CivilTime.secondsPerDay) - gapMean
                squares += deviation * deviation
            }
            gapStd = (squares / gapCount).squareRoot()
        }
        // Purchase rate in the trend window over the rate before it, when the before is at
        // least as long as the window: over a few days before it, a steady buyer's earlier rate
        // is noise (one purchase in 10 days is 3× their usual rate, and they look in decline).
        var trend = Double.nan
        let windowStartDay = asOfDay - Int64(windows.trendDays)
        let firstDay = CivilTime.day(ofSeconds: first)
        if firstDay <= windowStartDay - Int64(windows.trendDays) {
            let windowStart = windowStartDay * CivilTime.secondsPerDay
            let recent = times.reduce(0) { $0 + ($1 >= windowStart ? 1 : 0) }
            let earlierRate = Double(times.count - recent) / Double(windowStartDay - firstDay)
            trend = (Double(recent) / Double(windows.trendDays)) / earlierRate
        }
        result.customerID.append(transactions.customerIDs[customer])
        result.firstPurchase.append(first)
        result.lastPurchase.append(last)
        result.recencyDays.append(asOfDay - CivilTime.day(ofSeconds: last))
        result.tenureDays.append(asOfDay - CivilTime.day(ofSeconds: first))
        result.frequency.append(Int64(times.count))
        result.monetaryTotal.append(spend)
        result.monetaryMean.append(spend / Double(times.count))
        result.interpurchaseMeanDays.append(gapMean)
        result.interpurchaseStdDays.append(gapStd)
        result.currentValue.append(currentSpend)
        result.purchaseRateTrend.append(trend)
    }

    /// The output table: identity columns, then the asked-for groups' columns.
    public func table(_ features: CustomerFeatures, alsoWriting named: Set<String> = []) -> Table {
        Table(rowCount: features.count, columns: FeatureDescriptor.written(by: groups, named: named).map { $0.column(of: features) })
    }

}

/// The windows of the time-windowed features, in days before as_of.
public struct FeatureWindows: Sendable, Equatable {
    public var currentValueDays: Int
    public var trendDays: Int

    public init(currentValueDays: Int = 90, trendDays: Int = 180) {
        self.currentValueDays = currentValueDays
        self.trendDays = trendDays
    }
}

/// Per-customer feature values, one array per feature, customers in input order.
/// Interpurchase values are NaN for customers with a single purchase.
public struct CustomerFeatures: Sendable, Equatable {
    public var customerID: [String] = []
    public var firstPurchase: [Int64] = []
    public var lastPurchase: [Int64] = []
    public var recencyDays: [Int64] = []
    public var tenureDays: [Int64] = []
    public var frequency: [Int64] = []
    public var monetaryTotal: [Double] = []
    public var monetaryMean: [Double] = []
    public var interpurchaseMeanDays: [Double] = []
    public var interpurchaseStdDays: [Double] = []
    /// Spend (returns netted) in the last `FeatureWindows.currentValueDays`.
    public var currentValue: [Double] = []
    /// Purchases per day in the last `FeatureWindows.trendDays` over purchases per day before
    /// them; NaN when the first purchase is inside the window.
    public var purchaseRateTrend: [Double] = []

    public init() {}

    init(capacity: Int) {
        customerID.reserveCapacity(capacity)
        firstPurchase.reserveCapacity(capacity)
        lastPurchase.reserveCapacity(capacity)
        recencyDays.reserveCapacity(capacity)
        tenureDays.reserveCapacity(capacity)
        frequency.reserveCapacity(capacity)
        monetaryTotal.reserveCapacity(capacity)
        monetaryMean.reserveCapacity(capacity)
        interpurchaseMeanDays.reserveCapacity(capacity)
        interpurchaseStdDays.reserveCapacity(capacity)
        currentValue.reserveCapacity(capacity)
        purchaseRateTrend.reserveCapacity(capacity)
    }

    public var count: Int { customerID.count }

    /// Names of the numeric features, as their `customers.csv` columns are named.
    public static let numericNames = FeatureDescriptor.all.filter(\.isNumeric).map(\.name)

    /// A numeric feature by column name (NaN where undefined), or nil for an unknown name.
    public func values(named name: String) -> [Double]? {
        guard let descriptor = FeatureDescriptor.named(name), descriptor.isNumeric else { return nil }
        return descriptor.column(of: self).numbers
    }

    mutating func append(contentsOf other: CustomerFeatures) {
        customerID += other.customerID
        firstPurchase += other.firstPurchase
        lastPurchase += other.lastPurchase
        recencyDays += other.recencyDays
        tenureDays += other.tenureDays
        frequency += other.frequency
        monetaryTotal += other.monetaryTotal
        monetaryMean += other.monetaryMean
        interpurchaseMeanDays += other.interpurchaseMeanDays
        interpurchaseStdDays += other.interpurchaseStdDays
        currentValue += other.currentValue
        purchaseRateTrend += other.purchaseRateTrend
    }
}

/// The distinct orders of one customer, dated by their earliest row. Reused across
/// customers so the hot loop does not allocate.
struct OrderScratch {
    private var keys: [UInt64] = []
    private var times: [Int64] = []
    /// Only for customers with many orders, where a linear search would be quadratic.
    private var positions: [UInt64: Int] = [:]
    private static let linearSearchLimit = 32

    var isEmpty: Bool { keys.isEmpty }

    mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        times.removeAll(keepingCapacity: true)
        if !positions.isEmpty { positions.removeAll(keepingCapacity: true) }
    }

    mutating func add(key: UInt64, time: Int64) {
        let existing: Int?
        if keys.count < Self.linearSearchLimit {
            existing = keys.lastIndex(of: key)
        } else {
            if positions.isEmpty {
                for (index, known) in keys.enumerated() { positions[known] = index }
            }
            existing = positions[key]
        }
        if let index = existing {
            times[index] = min(times[index], time)
            return
        }
        if !positions.isEmpty { positions[key] = keys.count }
        keys.append(key)
        times.append(time)
    }

    func orderTimesSorted() -> [Int64] { times.sorted() }
}
