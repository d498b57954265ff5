import SegflowCore

/// Applies `CleaningRules` to ingested rows and regroups them by customer.
public struct Cleaner: Sendable {
    public let rules: CleaningRules

    public init(rules: CleaningRules) { self.rules = rules }

    /// The cleaned rows grouped by customer (customers left with no row are dropped), and a
    /// report whose counts say what each rule removed or changed. Takes the table by value
    /// and frees it once regrouped: at 10M rows each copy is hundreds of MB.
    public func clean(_ table: consuming TransactionTable, workers: Int = Parallel.workerCount) -> (CustomerTransactions, StageReport) {
        let rowsIn = table.count
        var counts: [StageReport.Count] = []

        let cutoff = rules.cutoff
        counts.append(.init("after_as_of_removed", Self.removeRows(from: &table) { time, _ in time >= cutoff }))

        if let range = rules.dateRange {
            counts.append(
                .init(
                    "outside_date_range_removed",
                    Self.removeRows(from: &table) { time, _ in !range.contains(CivilTime.day(ofSeconds: time)) }))
        }

        switch rules.returns {
        case .drop: counts.append(.init("returns_dropped", Self.removeRows(from: &table) { _, amount in amount < 0 }))
        case .net: counts.append(.init("returns_netted", table.amount.reduce(0) { $0 + ($1 < 0 ? 1 : 0) }))
        case .keep: counts.append(.init("returns_kept", table.amount.reduce(0) { $0 + ($1 < 0 ? 1 : 0) }))
        }

        if let quantile = rules.winsorizeQuantile {
            counts.append(.init("winsorized", Self.winsorize(&table, upperQuantile: quantile)))
        }

        var (grouped, origin) = Self.groupByCustomer(table, workers: workers)
        var lines = table.lines
        _ = consume table
        counts.append(
            .init("duplicates_removed", Self.removeDuplicates(&grouped, origin: &origin, lines: lines, policy: rules.dedupe, workers: workers)))
        lines.gather(origin)
        grouped.lines = lines
        Self.dropEmptyCustomers(&grouped)

        let report = StageReport(stage: "clean", rowsIn: rowsIn, rowsOut: grouped.rowCount, counts: counts)
        return (grouped, report)
    }

    /// Removes the rows matching `isRemoved`; returns how many. Scans before compacting, so
    /// a rule that removes nothing (the usual case) writes nothing.
    static func removeRows(from table: inout TransactionTable, where isRemoved: (_ time: Int64, _ amount: Double) -> Bool) -> Int {
        var removed = 0
        for row in 0..<table.count where isRemoved(table.time[row], table.amount[row]) { removed += 1 }
        if removed > 0 { table.keepRows { !isRemoved($0, $1) } }
        return removed
    }

    /// Caps positive amounts at their `upperQuantile` (linear interpolation between order
    /// statistics, numpy's default); returns how many were capped. A capped row's profit, when
    /// there is one, shrinks by the same factor, so its margin rate is kept.
    static func winsorize(_ table: inout TransactionTable, upperQuantile: Double) -> Int {
        var positive = table.amount.filter { $0 > 0 }
        guard !positive.isEmpty else { return 0 }
        positive.sort()
        let position = upperQuantile * Double(positive.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, positive.count - 1)
        let cap = positive[lower] + (positive[upper] - positive[lower]) * (position - Double(lower))
        var capped = 0
        let scalesProfit = !table.lines.profit.isEmpty
        for index in table.amount.indices where table.amount[index] > cap {
            if scalesProfit { table.lines.profit[index] *= cap / table.amount[index] }
            table.amount[index] = cap
            capped += 1
        }
        return capped
    }

    /// A stable counting sort by customer: rows of a customer stay in input order. Each
    /// worker counts and then scatters its own contiguous slice of rows, slices in order.
    /// With order lines, `origin` gives each grouped row's row in `table` (the lines are
    /// gathered once, after deduplication); without them it is empty.
    static func groupByCustomer(_ table: TransactionTable, workers: Int) -> (CustomerTransactions, origin: [UInt32]) {
        let customerCount = table.customerIDs.count
        let rows = table.count
        var cursor = [Int](repeating: 0, count: customerCount * workers)
        var rowStart = [Int](repeating: 0, count: customerCount + 1)
        var orderKey = [UInt64](repeating: 0, count: rows)
        var time = [Int64](repeating: 0, count: rows)
        var amount = [Double](repeating: 0, count: rows)
        var origin = [UInt32](repeating: 0, count: table.lines.isEmpty ? 0 : rows)
        let tracksOrigin = !origin.isEmpty
        table.customer.withUnsafeBufferPointer { customers in
            cursor.withUnsafeMutableBufferPointer { cursor in
                Parallel.forEach(parts: workers) { part in
                    let base = part * customerCount
                    for row in Parallel.slice(part, of: workers, count: rows) { cursor[base + Int(customers[row])] += 1 }
                }
                var next = 0
                for customer in 0..<customerCount {
                    rowStart[customer] = next
                    for part in 0..<workers {
                        let count = cursor[part * customerCount + customer]
                        cursor[part * customerCount + customer] = next
                        next += count
                    }
                }
                rowStart[customerCount] = next
                orderKey.withUnsafeMutableBufferPointer { orderKeyOut in
                    time.withUnsafeMutableBufferPointer { timeOut in
                        amount.withUnsafeMutableBufferPointer { amountOut in
                            origin.withUnsafeMutableBufferPointer { originOut in
                                Parallel.forEach(parts: workers) { part in
                                    let base = part * customerCount
                                    for row in Parallel.slice(part, of: workers, count: rows) {
                                        let slot = base + Int(customers[row])
                                        let target = cursor[slot]
                                        cursor[slot] = target + 1
                                        orderKeyOut[target] = table.orderKey[row]
                                        timeOut[target] = table.time[row]
                                        amountOut[target] = table.amount[row]
                                        if tracksOrigin { originOut[target] = UInt32(row) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let grouped = CustomerTransactions(
            customerIDs: table.customerIDs, rowStart: rowStart,
            orderKey: orderKey, time: time, amount: amount)
        return (grouped, origin)
    }

    /// Removes duplicates customer by customer, keeping the first occurrence; returns the
    /// number removed. Workers compact disjoint customer ranges in place, then the ranges
    /// are moved together in order; `origin` (when there are order lines) moves with them,
    /// and under `row` two lines that differ in a line column are not duplicates.
    static func removeDuplicates(
        _ grouped: inout CustomerTransactions, origin: inout [UInt32], lines: OrderLines, policy: DedupePolicy, workers: Int
    ) -> Int {
        guard policy != .none else { return 0 }
        let tracksOrigin = !origin.isEmpty
        let customerCount = grouped.customerCount
        var keptPerCustomer = [Int](repeating: 0, count: customerCount)
        var keptPerPart = [Int](repeating: 0, count: workers)
        let rowStart = grouped.rowStart
        grouped.orderKey.withUnsafeMutableBufferPointer { orderKey in
            grouped.time.withUnsafeMutableBufferPointer { time in
                grouped.amount.withUnsafeMutableBufferPointer { amount in
                    origin.withUnsafeMutableBufferPointer { origin in
                        keptPerCustomer.withUnsafeMutableBufferPointer { keptPerCustomer in
                            keptPerPart.withUnsafeMutableBufferPointer { keptPerPart in
                                Parallel.forEach(parts: workers) { part in
                                    let customers = Parallel.slice(part, of: workers, count: customerCount)
                                    var write = rowStart[customers.lowerBound]
                                    var seen = Set<RowKey>()
                                    var keys: [RowKey] = []
                                    for customer in customers {
                                        let rows = rowStart[customer]..<rowStart[customer + 1]
                                        // Most customers have a handful of rows: a linear scan beats hashing there.
                                        let useSet = rows.count > 32
                                        keys.removeAll(keepingCapacity: true)
                                        if useSet { seen.removeAll(keepingCapacity: true) }
                                        let first = write
                                        for row in rows {
                                            let key =
                                                policy == .order
                                                ? RowKey(order: orderKey[row], time: 0, amountBits: amount[row] < 0 ? 1 : 0, line: 0)
                                                : RowKey(
                                                    order: orderKey[row], time: time[row], amountBits: amount[row].bitPattern,
                                                    line: tracksOrigin ? lines.identity(of: Int(origin[row])) : 0)
                                            if useSet {
                                                guard seen.insert(key).inserted else { continue }
                                            } else {
                                                guard !keys.contains(key) else { continue }
                                                keys.append(key)
                                            }
                                            orderKey[write] = orderKey[row]
                                            time[write] = time[row]
                                            amount[write] = amount[row]
                                            if tracksOrigin { origin[write] = origin[row] }
                                            write += 1
                                        }
                                        keptPerCustomer[customer] = write - first
                                    }
                                    keptPerPart[part] = write - rowStart[customers.lowerBound]
                                }
                                // Close the gaps between parts; destinations never overtake sources.
                                var destination = 0
                                for part in 0..<workers {
                                    let source = rowStart[Parallel.slice(part, of: workers, count: customerCount).lowerBound]
                                    if destination != source {
                                        for offset in 0..<keptPerPart[part] {
                                            orderKey[destination + offset] = orderKey[source + offset]
                                            time[destination + offset] = time[source + offset]
                                            amount[destination + offset] = amount[source + offset]
                                            if tracksOrigin { origin[destination + offset] = origin[source + offset] }
                                        }
                                    }
                                    destination += keptPerPart[part]
                                }
                            }
                        }
                    }
                }
            }
        }
        var newStart = [Int](repeating: 0, count: customerCount + 1)
        for customer in 0..<customerCount { newStart[customer + 1] = newStart[customer] + keptPerCustomer[customer] }
        let removed = grouped.rowCount - newStart[customerCount]
        grouped.orderKey.removeLast(removed)
        grouped.time.removeLast(removed)
        grouped.amount.removeLast(removed)
        if tracksOrigin { origin.removeLast(removed) }
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
        var line: UInt64
    }
}
