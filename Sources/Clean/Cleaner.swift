import SegflowCore

/// Applies `CleaningRules` to ingested rows and regroups them by customer.
public struct Cleaner: Sendable {
    public let rules: CleaningRules

    public init(rules: CleaningRules) { self.rules = rules }

    /// The cleaned rows grouped by customer (customers left with no row are dropped), and a
    /// report whose counts say what each rule removed or changed.
    public func clean(_ input: TransactionTable) -> (CustomerTransactions, StageReport) {
        var table = input
        var counts: [StageReport.Count] = []

        var before = table.count
        let cutoff = rules.cutoff
        table.keepRows { time, _ in time < cutoff }
        counts.append(.init("after_as_of_removed", before - table.count))

        if let range = rules.dateRange {
            before = table.count
            table.keepRows { time, _ in range.contains(CivilTime.day(ofSeconds: time)) }
            counts.append(.init("outside_date_range_removed", before - table.count))
        }

        let returnRows = table.amount.reduce(0) { $0 + ($1 < 0 ? 1 : 0) }
        switch rules.returns {
        case .drop:
            table.keepRows { _, amount in amount >= 0 }
            counts.append(.init("returns_dropped", returnRows))
        case .net: counts.append(.init("returns_netted", returnRows))
        case .keep: counts.append(.init("returns_kept", returnRows))
        }

        if let quantile = rules.winsorizeQuantile {
            counts.append(.init("winsorized", Self.winsorize(&table.amount, upperQuantile: quantile)))
        }

        var grouped = Self.groupByCustomer(table)
        let duplicates = Self.removeDuplicates(&grouped, policy: rules.dedupe)
        counts.append(.init("duplicates_removed", duplicates))
        Self.dropEmptyCustomers(&grouped)

        let report = StageReport(stage: "clean", rowsIn: input.count, rowsOut: grouped.rowCount, counts: counts)
        return (grouped, report)
    }

    /// Caps positive amounts at their `upperQuantile` (linear interpolation between order
    /// statistics, numpy's default); returns how many were capped.
    static func winsorize(_ amounts: inout [Double], upperQuantile: Double) -> Int {
        var positive = amounts.filter { $0 > 0 }
        guard !positive.isEmpty else { return 0 }
        positive.sort()
        let position = upperQuantile * Double(positive.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, positive.count - 1)
        let cap = positive[lower] + (positive[upper] - positive[lower]) * (position - Double(lower))
        var capped = 0
        for index in amounts.indices where amounts[index] > cap {
            amounts[index] = cap
            capped += 1
        }
        return capped
    }

    /// A stable counting sort by customer: rows of a customer stay in input order.
    static func groupByCustomer(_ table: TransactionTable) -> CustomerTransactions {
        let customerCount = table.customerIDs.count
        var rowStart = [Int](repeating: 0, count: customerCount + 1)
        for customer in table.customer { rowStart[Int(customer) + 1] += 1 }
        for index in 0..<customerCount { rowStart[index + 1] += rowStart[index] }
        var next = rowStart
        let rows = table.count
        var orderKey = [UInt64](repeating: 0, count: rows)
        var time = [Int64](repeating: 0, count: rows)
        var amount = [Double](repeating: 0, count: rows)
        orderKey.withUnsafeMutableBufferPointer { orderKeyOut in
            time.withUnsafeMutableBufferPointer { timeOut in
                amount.withUnsafeMutableBufferPointer { amountOut in
                    for row in 0..<rows {
                        let customer = Int(table.customer[row])
                        let target = next[customer]
                        next[customer] = target + 1
                        orderKeyOut[target] = table.orderKey[row]
                        timeOut[target] = table.time[row]
                        amountOut[target] = table.amount[row]
                    }
                }
            }
        }
        return CustomerTransactions(customerIDs: table.customerIDs, rowStart: rowStart,
                                    orderKey: orderKey, time: time, amount: amount)
    }

    /// Removes duplicates customer by customer, keeping the first occurrence; returns the
    /// number removed.
    static func removeDuplicates(_ grouped: inout CustomerTransactions, policy: DedupePolicy) -> Int {
        guard policy != .none else { return 0 }
        var kept = 0
        var newStart = [Int](repeating: 0, count: grouped.customerCount + 1)
        var seen = Set<RowKey>()
        var keys: [RowKey] = []
        for customer in 0..<grouped.customerCount {
            let rows = grouped.rows(of: customer)
            // Most customers have a handful of rows: a linear scan beats hashing there.
            let useSet = rows.count > 32
            keys.removeAll(keepingCapacity: true)
            if useSet { seen.removeAll(keepingCapacity: true) }
            for row in rows {
                let amount = grouped.amount[row]
                let key = policy == .order
                    ? RowKey(order: grouped.orderKey[row], time: 0, amountBits: amount < 0 ? 1 : 0)
                    : RowKey(order: grouped.orderKey[row], time: grouped.time[row], amountBits: amount.bitPattern)
                if useSet {
                    guard seen.insert(key).inserted else { continue }
                } else {
                    guard !keys.contains(key) else { continue }
                    keys.append(key)
                }
                grouped.orderKey[kept] = grouped.orderKey[row]
                grouped.time[kept] = grouped.time[row]
                grouped.amount[kept] = amount
                kept += 1
            }
            newStart[customer + 1] = kept
        }
        let removed = grouped.rowCount - kept
        grouped.orderKey.removeLast(removed)
        grouped.time.removeLast(removed)
        grouped.amount.removeLast(removed)
        grouped.rowStart = newStart
        return removed
    }

    static func dropEmptyCustomers(_ grouped: inout CustomerTransactions) {
        guard grouped.rowStart.indices.dropFirst().contains(where: { grouped.rowStart[$0] == grouped.rowStart[$0 - 1] }) else { return }
        var ids: [String] = []
        var starts = [0]
        for customer in 0..<grouped.customerCount where !grouped.rows(of: customer).isEmpty {
            ids.append(grouped.customerIDs[customer])
            starts.append(grouped.rowStart[customer + 1])
        }
        grouped.customerIDs = ids
        grouped.rowStart = starts
    }

    struct RowKey: Hashable {
        var order: UInt64
        var time: Int64
        var amountBits: UInt64
    }
}
