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

    public init(
        customerIDs: [String] = [], customer: [UInt32] = [], orderKey: [UInt64] = [],
        time: [Int64] = [], amount: [Double] = []
    ) {
        precondition(customer.count == orderKey.count && customer.count == time.count && customer.count == amount.count)
        self.customerIDs = customerIDs
        self.customer = customer
        self.orderKey = orderKey
        self.time = time
        self.amount = amount
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
            kept += 1
        }
        let removed = count - kept
        customer.removeLast(removed)
        orderKey.removeLast(removed)
        time.removeLast(removed)
        amount.removeLast(removed)
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

    public init(customerIDs: [String], rowStart: [Int], orderKey: [UInt64], time: [Int64], amount: [Double]) {
        precondition(rowStart.count == customerIDs.count + 1)
        self.customerIDs = customerIDs
        self.rowStart = rowStart
        self.orderKey = orderKey
        self.time = time
        self.amount = amount
    }

    public var customerCount: Int { customerIDs.count }
    public var rowCount: Int { rowStart.last ?? 0 }

    public func rows(of customer: Int) -> Range<Int> { rowStart[customer]..<rowStart[customer + 1] }
}

extension CustomerTransactions {
    /// The rows before `cutoff` (seconds since the epoch), customers left without rows
    /// dropped: the data as it was known at an earlier date.
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
