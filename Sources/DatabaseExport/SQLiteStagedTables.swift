import Export
import Foundation
import GRDB
import GRDBSQLite
import SegflowCore

/// Loads tables into a SQLite file: each into a staging table (committed, so the load does
/// not hold the write lock while other databases load), then `publish` drops the old
/// tables and renames the staging ones in one transaction. In WAL mode readers never wait
/// and see the old tables or the new ones. A staging table left by a killed run is
/// dropped by the next load.
final class SQLiteStagedTables: StagedTables {
    private let queue: DatabaseQueue
    private let path: String
    private let tables: [TableLoad]

    init(path: String, tables: [TableLoad]) throws {
        self.path = path
        self.tables = tables
        var configuration = Configuration()
        configuration.busyMode = .timeout(60)
        do {
            try makeDirectories(parentDirectory(of: path))
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = WAL") }
            try queue.write { database in
                for load in tables { try Self.load(load, into: database) }
            }
        } catch let error as DatabaseError {
            throw Self.failure(error, path: path)
        } catch let error as SegflowError {
            throw DatabaseFailure(
                "cannot create the database's directory: \(error.diagnostics.first?.message ?? "\(error)")",
                hint: "check the path and permissions of \(path)")
        }
    }

    func publish() throws {
        do {
            try queue.write { database in
                for load in tables {
                    try database.execute(sql: "DROP TABLE IF EXISTS \(quoted(load.name))")
                    try database.execute(sql: "ALTER TABLE \(quoted(load.stagingName)) RENAME TO \(quoted(load.name))")
                }
            }
        } catch let error as DatabaseError {
            throw Self.failure(error, path: path)
        }
    }

    func discard() {
        try? queue.write { database in
            for load in tables { try database.execute(sql: "DROP TABLE IF EXISTS \(quoted(load.stagingName))") }
        }
    }

    private static func load(_ load: TableLoad, into database: Database) throws {
        let table = load.table
        try database.execute(sql: "DROP TABLE IF EXISTS \(quoted(load.stagingName))")
        let definitions = table.columns.map { column in
            quoted(column.name) + " " + sqlType(column.values) + (column.name == load.primaryKey ? " PRIMARY KEY" : "")
        }
        try database.execute(sql: "CREATE TABLE \(quoted(load.stagingName)) (\(definitions.joined(separator: ", ")))")
        let placeholders = Array(repeating: "?", count: table.columns.count).joined(separator: ", ")
        let statement = try database.makeStatement(sql: "INSERT INTO \(quoted(load.stagingName)) VALUES (\(placeholders))")
        // Bound through the C API: GRDB's argument arrays would box every one of the
        // millions of cells.
        let handle = statement.sqliteStatement
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for row in 0..<table.rowCount {
            for (index, column) in table.columns.enumerated() {
                let parameter = Int32(index + 1)
                switch column.values {
                case .text(let values):
                    // A copy of the cell, not `var values`: reaching a mutating method through a
                    // shared array's subscript would copy the whole column for every cell.
                    var cell = values[row]
                    _ = cell.withUTF8 { text in
                        if text.isEmpty {
                            sqlite3_bind_null(handle, parameter)
                        } else {
                            sqlite3_bind_text(
                                handle, parameter, UnsafeRawPointer(text.baseAddress!).assumingMemoryBound(to: CChar.self), Int32(text.count),
                                transient)
                        }
                    }
                case .integer(let values):
                    if let value = values[row] { sqlite3_bind_int64(handle, parameter, value) } else { sqlite3_bind_null(handle, parameter) }
                case .real(let values):
                    if values[row].isFinite { sqlite3_bind_double(handle, parameter, values[row]) } else { sqlite3_bind_null(handle, parameter) }
                case .timestamp(let values):
                    if let value = values[row] {
                        _ = CivilTime.timestampString(seconds: value).withCString { sqlite3_bind_text(handle, parameter, $0, -1, transient) }
                    } else {
                        sqlite3_bind_null(handle, parameter)
                    }
                }
            }
            let code = sqlite3_step(handle)
            sqlite3_reset(handle)
            guard code == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(database.sqliteConnection)))
            }
        }
    }

    private static func sqlType(_ values: SegflowCore.Column.Values) -> String {
        switch values {
        case .text, .timestamp: return "TEXT"
        case .integer: return "INTEGER"
        case .real: return "REAL"
        }
    }

    private static func failure(_ error: DatabaseError, path: String) -> DatabaseFailure {
        let hint: String
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            hint = "another program held a write lock on \(path) for over 60 s; the tables were left as they were"
        case .SQLITE_FULL, .SQLITE_IOERR:
            hint = "free space on the disk that holds \(path) and run again; the tables were left as they were"
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY:
            hint = "check that \(path) can be created and written by this user"
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            hint = "\(path) is not a usable SQLite database: point the export at another file"
        default:
            hint = "the tables in \(path) were left as they were"
        }
        return DatabaseFailure("SQLite: \(error.message ?? "\(error.resultCode)")", hint: hint)
    }
}
