import Foundation
import Ingest
import SegflowCore

/// Builders for the inputs tests need, so each test states only what matters to it.
public enum Fixtures {
    public static let columns = TransactionColumns(customer: "customer_id", order: "order_id", time: "ts", amount: "amount")

    public static func input(_ path: String, timeFormat: TimeFormat = .iso8601) -> TransactionInput {
        TransactionInput(path: path, columns: columns, timeFormat: timeFormat)
    }

    /// Reads `csv` (written to a temporary file) with the standard four columns.
    public static func ingest(
        _ csv: String, name: String = "input.csv", chunkBytes: Int = 4 << 20, workers: Int = 2,
        timeFormat: TimeFormat = .iso8601, budget: RejectionBudget = .unlimited
    ) throws -> IngestResult {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write(name, csv)
        return try TransactionReader(
            input: input(path, timeFormat: timeFormat), budget: budget,
            chunkBytes: chunkBytes, workers: workers
        ).read()
    }

    /// gzip-compresses a file with the system's `gzip`, returning the `.gz` path.
    public static func gzip(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-kf", path]
        try process.run()
        process.waitUntilExit()
        return path + ".gz"
    }

    /// Seconds since the epoch of a UTC date-time, for expectations.
    public static func seconds(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Int64 {
        CivilTime.daysFromCivil(year: year, month: month, day: day) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// A table of transactions from (customer, order, time, amount) tuples, customers
    /// interned in order of first appearance.
    public static func transactions(_ rows: [(String, String, Int64, Double)]) -> TransactionTable {
        var ids: [String] = []
        var index: [String: UInt32] = [:]
        var table = TransactionTable()
        for (customer, order, time, amount) in rows {
            let id =
                index[customer]
                ?? {
                    ids.append(customer)
                    index[customer] = UInt32(ids.count - 1)
                    return UInt32(ids.count - 1)
                }()
            table.customer.append(id)
            table.orderKey.append(Array(order.utf8).withUnsafeBytes { Hashing.key($0) })
            table.time.append(time)
            table.amount.append(amount)
        }
        table.customerIDs = ids
        return table
    }
}

/// Relative comparison for floating-point expectations.
public func isClose(_ a: Double, _ b: Double, relative: Double = 1e-12, absolute: Double = 1e-12) -> Bool {
    abs(a - b) <= max(absolute, relative * max(abs(a), abs(b)))
}
