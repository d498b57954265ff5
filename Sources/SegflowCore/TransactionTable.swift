/// Every accepted transaction row of an input, column by column.
///
/// Customers are interned: `customer[i]` indexes `customerIDs`, which lists each customer
/// once, in the order of their first row in the input. Order ids are kept as their
/// `Hashing.key`, which is all that grouping and deduplication need.
public struct TransactionTable: Sendable, Equatable {
    public var customerIDs: [String]
    public var customer: [UInt32]
    public var orderKey: [UInt64]
    /// Seconds since 1970-01-01T00:00:00Z.
    public var time: [Int64]
    public var amount: [Double]
    public var lines: OrderLines

    public init(
        customerIDs: [String] = [], customer: [UInt32] = [], orderKey: [UInt64] = [],
        time: [Int64] = [], amount: [Double] = [], lines: OrderLines = OrderLines()
    ) {
        precondition(customer.count == orderKey.count && customer.count == time.count && customer.count == amount.count)
        self.customerIDs = customerIDs
        self.customer = customer
        self.orderKey = orderKey
        self.time = time
        self.amount = amount
        self.lines = lines
    }

    public var count: Int { customer.count }

    /// Keeps the rows for which `isKept(time, amount)` is true, preserving their order.
    public mutating func keepRows(where isKept: (_ time: Int64, _ amount: Double) -> Bool) {
        var kept = 0
        for row in 0..<count where isKept(time[row], amount[row]) {
            customer[kept] = customer[row]
            orderKey[kept] = orderKey[row]
            time[kept] = time[row]
            amount[kept] = amount[row]
            lines.move(from: row, to: kept)
            kept += 1
        }
        let removed = count - kept
        customer.removeLast(removed)
        orderKey.removeLast(removed)
        time.removeLast(removed)
        amount.removeLast(removed)
        lines.truncate(to: kept)
    }
}

/// Transactions regrouped so that each customer's rows are contiguous, in input order.
/// Rows of customer `c` are `rowStart[c]..<rowStart[c + 1]`.
public struct CustomerTransactions: Sendable, Equatable {
    public var customerIDs: [String]
    public var rowStart: [Int]
    public var orderKey: [UInt64]
    public var time: [Int64]
    public var amount: [Double]
    /// The order-line columns, row for row.
    public var lines: OrderLines

    public init(
        customerIDs: [String], rowStart: [Int], orderKey: [UInt64], time: [Int64], amount: [Double], lines: OrderLines = OrderLines()
    ) {
        precondition(rowStart.count == customerIDs.count + 1)
        self.customerIDs = customerIDs
        self.rowStart = rowStart
        self.orderKey = orderKey
        self.time = time
        self.amount = amount
        self.lines = lines
    }

    public var customerCount: Int { customerIDs.count }
    public var rowCount: Int { rowStart.last ?? 0 }

    public func rows(of customer: Int) -> Range<Int> { rowStart[customer]..<rowStart[customer + 1] }
}

extension CustomerTransactions {
    /// The rows before `cutoff` (seconds since the epoch), customers left without rows
    /// dropped: the data as it was known at an earlier date, without the order lines (what
    /// reads snapshots, the churn models, needs none, and at 10M rows they are 240 MB).
    public func truncated(before cutoff: Int64) -> CustomerTransactions {
        var ids: [String] = [], starts = [0]
        var keys: [UInt64] = [], times: [Int64] = [], amounts: [Double] = []
        for customer in 0..<customerCount {
            let before = keys.count
            for row in rows(of: customer) where time[row] < cutoff {
                keys.append(orderKey[row])
                times.append(time[row])
                amounts.append(amount[row])
            }
            if keys.count > before {
                ids.append(customerIDs[customer])
                starts.append(keys.count)
            }
        }
        return CustomerTransactions(customerIDs: ids, rowStart: starts, orderKey: keys, time: times, amount: amounts)
    }

}

/// What each transaction row says beyond customer, order, time and amount: the order line's
/// category, channel and store (dictionary codes into the names, `OrderLines.missing` where
/// the cell is empty), its quantity and its profit. A column the pipeline file does not map
/// is empty; the rest are as long as the rows they describe.
public struct OrderLines: Sendable, Equatable {
    public var category = Dimension()
    public var channel = Dimension()
    public var store = Dimension()
    public var quantity: [Double] = []
    /// Amount less cost (or the mapped margin), in the amount's currency.
    public var profit: [Double] = []

    /// A text column stored as codes into its distinct values, in order of first appearance.
    public struct Dimension: Sendable, Equatable {
        public var codes: [UInt32] = []
        public var names: [String] = []
        public init(codes: [UInt32] = [], names: [String] = []) {
            self.codes = codes
            self.names = names
        }
    }

    /// The code of an empty cell.
    public static let missing = UInt32.max

    public init() {}

    /// True when no order-line column is mapped: the rows are bare transactions.
    public var isEmpty: Bool {
        category.codes.isEmpty && channel.codes.isEmpty && store.codes.isEmpty && quantity.isEmpty && profit.isEmpty
    }

    /// Moves row `source` to row `target` in every mapped column (compacting in place).
    @inline(__always)
    public mutating func move(from source: Int, to target: Int) {
        if !category.codes.isEmpty { category.codes[target] = category.codes[source] }
        if !channel.codes.isEmpty { channel.codes[target] = channel.codes[source] }
        if !store.codes.isEmpty { store.codes[target] = store.codes[source] }
        if !quantity.isEmpty { quantity[target] = quantity[source] }
        if !profit.isEmpty { profit[target] = profit[source] }
    }

    /// Keeps the first `count` rows of every mapped column.
    public mutating func truncate(to count: Int) {
        if !category.codes.isEmpty { category.codes.removeLast(category.codes.count - count) }
        if !channel.codes.isEmpty { channel.codes.removeLast(channel.codes.count - count) }
        if !store.codes.isEmpty { store.codes.removeLast(store.codes.count - count) }
        if !quantity.isEmpty { quantity.removeLast(quantity.count - count) }
        if !profit.isEmpty { profit.removeLast(profit.count - count) }
    }

    /// Keeps the rows `rows` of every mapped column, in that order; the names are kept. One
    /// column at a time, so at most one column is held twice; each on all cores.
    public mutating func gather(_ rows: [UInt32]) {
        func gathered<Value>(_ column: [Value]) -> [Value] {
            guard let first = column.first else { return [] }
            var result = [Value](repeating: first, count: rows.count)
            let workers = Parallel.workerCount
            result.withUnsafeMutableBufferPointer { result in
                column.withUnsafeBufferPointer { column in
                    rows.withUnsafeBufferPointer { rows in
                        Parallel.forEach(parts: workers) { part in
                            for index in Parallel.slice(part, of: workers, count: rows.count) { result[index] = column[Int(rows[index])] }
                        }
                    }
                }
            }
            return result
        }
        category.codes = gathered(category.codes)
        channel.codes = gathered(channel.codes)
        store.codes = gathered(store.codes)
        quantity = gathered(quantity)
        profit = gathered(profit)
    }

    /// A key of the row's line columns, so that two lines of one order that differ only in
    /// category or store are not taken for duplicates.
    @inline(__always)
    public func identity(of row: Int) -> UInt64 {
        var key: UInt64 = 0
        if !category.codes.isEmpty { key = key &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(category.codes[row]) }
        if !channel.codes.isEmpty { key = key &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(channel.codes[row]) }
        if !store.codes.isEmpty { key = key &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(store.codes[row]) }
        if !quantity.isEmpty { key = key &* 0x9E37_79B9_7F4A_7C15 &+ quantity[row].bitPattern }
        if !profit.isEmpty { key = key &* 0x9E37_79B9_7F4A_7C15 &+ profit[row].bitPattern }
        return key
    }
}
