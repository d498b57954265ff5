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
    /// The order-line columns the input maps; their features are computed when mapped.
    public let lineColumns: LineColumns

    public init(
        groups: [FeatureGroup], asOfDay: Int64, returnsArePurchases: Bool = false, windows: FeatureWindows = FeatureWindows(),
        lineColumns: LineColumns = LineColumns()
    ) {
        self.groups = Array(Set(groups)).sorted()
        self.asOfDay = asOfDay
        self.returnsArePurchases = returnsArePurchases
        self.windows = windows
        self.lineColumns = lineColumns
    }

    /// The feature values of every customer with at least one purchase.
    public func build(_ transactions: CustomerTransactions, workers: Int = Parallel.workerCount) -> (CustomerFeatures, StageReport) {
        let customerCount = transactions.customerCount
        var features = CustomerFeatures(capacity: customerCount)
        features.lineColumns = lineColumns
        var parts = [CustomerFeatures](repeating: CustomerFeatures(capacity: 0), count: workers)
        parts.withUnsafeMutableBufferPointer { parts in
            Parallel.forEach(parts: workers) { part in
                var result = CustomerFeatures(capacity: customerCount / workers + 1)
                var orders = OrderScratch()
                var lines = LineScratch(transactions.lines, lineColumns)
                for customer in Parallel.slice(part, of: workers, count: customerCount) {
                    if summarize(customer, transactions, into: &result, scratch: &orders), !lineColumns.mapped.isEmpty {
                        lines.summarize(transactions.rows(of: customer), transactions, purchasesOnly: !returnsArePurchases, into: &result.lines)
                    }
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

    /// Appends the customer's features; false (nothing appended) for a customer without a purchase.
    private func summarize(
        _ customer: Int, _ transactions: CustomerTransactions, into result: inout CustomerFeatures,
        scratch orders: inout OrderScratch
    ) -> Bool {
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
        guard !orders.isEmpty else { return false }
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
        return true
    }

    /// The output table: identity columns, then the asked-for groups' columns.
    public func table(_ features: CustomerFeatures, alsoWriting named: Set<String> = []) -> Table {
        Table(
            rowCount: features.count,
            columns: FeatureDescriptor.written(by: groups, named: named, lines: lineColumns).map { $0.column(of: features) })
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
    /// The order-line features, for the columns the input maps.
    public var lines = LineFeatures()
    public var lineColumns = LineColumns()

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
    public var numericNames: [String] { FeatureDescriptor.numericNames(lineColumns) }

    /// A numeric feature by column name (NaN where undefined), or nil for a name the input
    /// has no values of.
    public func values(named name: String) -> [Double]? {
        guard let descriptor = FeatureDescriptor.named(name, channels: lineColumns.channels), descriptor.isNumeric,
            let values = descriptor.column(of: self).numbers, values.count == count
        else { return nil }
        return values
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
        lines.append(contentsOf: other.lines)
    }
}

/// Per-customer figures from the order-line columns; an array is empty when its column is
/// not mapped.
public struct LineFeatures: Sendable, Equatable {
    public var categoryCount: [Int64] = []
    public var topCategory: [String] = []
    public var topChannel: [String] = []
    /// Per listed channel, each customer's share of spend there (NaN for a customer with no
    /// spend in any listed channel).
    public var channelShares: [[Double]] = []
    public var storeCount: [Int64] = []
    public var topStore: [String] = []
    public var profitTotal: [Double] = []
    public var marginRate: [Double] = []
    public var unitsTotal: [Double] = []

    public init() {}

    mutating func append(contentsOf other: LineFeatures) {
        categoryCount += other.categoryCount
        topCategory += other.topCategory
        topChannel += other.topChannel
        if channelShares.isEmpty { channelShares = other.channelShares.map { _ in [] } }
        for index in other.channelShares.indices { channelShares[index] += other.channelShares[index] }
        storeCount += other.storeCount
        topStore += other.topStore
        profitTotal += other.profitTotal
        marginRate += other.marginRate
        unitsTotal += other.unitsTotal
    }
}

/// Spend per value of one order-line text column, for one customer at a time: dense arrays
/// over the column's codes and the list of codes touched, so a customer costs their rows, not
/// the column's thousands of values.
struct SpendByCode {
    private var spend: [Double]
    /// The customer (`generation`) that last touched each code.
    private var lastTouched: [UInt32]
    private var generation: UInt32 = 1
    private var touched: [UInt32] = []

    init(codes: Int) {
        spend = [Double](repeating: 0, count: codes)
        lastTouched = [UInt32](repeating: 0, count: codes)
    }

    @inline(__always)
    mutating func add(_ code: UInt32, spend amount: Double) {
        guard code != OrderLines.missing else { return }
        let index = Int(code)
        if lastTouched[index] != generation {
            lastTouched[index] = generation
            spend[index] = 0
            touched.append(code)
        }
        spend[index] += amount
    }

    /// The distinct codes touched and the one with the most spend (the lowest code on ties:
    /// the value first seen in the file); then starts the next customer.
    mutating func finish() -> (distinct: Int, top: UInt32?) {
        var top: UInt32?
        for code in touched {
            guard let best = top else {
                top = code
                continue
            }
            if spend[Int(code)] > spend[Int(best)] || (spend[Int(code)] == spend[Int(best)] && code < best) { top = code }
        }
        let distinct = touched.count
        touched.removeAll(keepingCapacity: true)
        generation &+= 1
        if generation == 0 {
            for index in lastTouched.indices { lastTouched[index] = 0 }
            generation = 1
        }
        return (distinct, top)
    }

}

/// One worker's scratch for the order-line features of one customer after another.
struct LineScratch {
    private var categories: SpendByCode
    private var stores: SpendByCode
    private var channelSpend: [Double]
    /// For each channel code in the data, its place among the listed channels.
    private let listedChannel: [Int]
    private let channels: [String]
    private let lines: OrderLines
    private let hasCategory: Bool, hasChannel: Bool, hasStore: Bool, hasProfit: Bool, hasUnits: Bool

    /// Scratch for the features of the `mapped` columns (a builder without them, such as the
    /// churn stage's snapshots, computes none).
    init(_ lines: OrderLines, _ mapped: LineColumns) {
        self.lines = lines
        channels = mapped.channels
        hasCategory = mapped.contains(.category)
        hasChannel = mapped.contains(.channel)
        hasStore = mapped.contains(.store)
        hasProfit = mapped.contains(.profit)
        hasUnits = mapped.contains(.quantity)
        categories = SpendByCode(codes: hasCategory ? lines.category.names.count : 0)
        stores = SpendByCode(codes: hasStore ? lines.store.names.count : 0)
        channelSpend = [Double](repeating: 0, count: channels.count)
        // Ingest rejects values that are not listed, so every code has a place.
        listedChannel = lines.channel.names.map { [channels = mapped.channels] in channels.firstIndex(of: $0) ?? 0 }
    }

    /// Appends one customer's order-line features. Spend is the purchase rows' positive
    /// amounts; profit and units net every row, as monetary_total does.
    mutating func summarize(
        _ rows: Range<Int>, _ transactions: CustomerTransactions, purchasesOnly: Bool, into result: inout LineFeatures
    ) {
        var profit = 0.0, units = 0.0, spend = 0.0
        for index in channelSpend.indices { channelSpend[index] = 0 }
        for row in rows {
            let amount = transactions.amount[row]
            spend += amount
            if hasProfit { profit += lines.profit[row] }
            if hasUnits { units += lines.quantity[row] }
            guard amount >= 0 || !purchasesOnly else { continue }
            let positive = max(amount, 0)
            if hasCategory { categories.add(lines.category.codes[row], spend: positive) }
            if hasStore { stores.add(lines.store.codes[row], spend: positive) }
            if hasChannel, lines.channel.codes[row] != OrderLines.missing {
                channelSpend[listedChannel[Int(lines.channel.codes[row])]] += positive
            }
        }
        if hasCategory {
            let (distinct, top) = categories.finish()
            result.categoryCount.append(Int64(distinct))
            result.topCategory.append(top.map { lines.category.names[Int($0)] } ?? "")
        }
        if hasStore {
            let (distinct, top) = stores.finish()
            result.storeCount.append(Int64(distinct))
            result.topStore.append(top.map { lines.store.names[Int($0)] } ?? "")
        }
        if hasProfit {
            result.profitTotal.append(profit)
            result.marginRate.append(spend > 0 ? profit / spend : .nan)
        }
        if hasUnits { result.unitsTotal.append(units) }
        if hasChannel {
            let total = channelSpend.reduce(0, +)
            if result.channelShares.isEmpty { result.channelShares = channels.map { _ in [] } }
            for index in channels.indices { result.channelShares[index].append(total > 0 ? channelSpend[index] / total : .nan) }
            let top = channelSpend.indices.max { channelSpend[$0] < channelSpend[$1] || (channelSpend[$0] == channelSpend[$1] && $0 > $1) }
            result.topChannel.append(total > 0 ? top.map { channels[$0] } ?? "" : "")
        }
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
