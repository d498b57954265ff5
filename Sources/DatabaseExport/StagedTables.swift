import Foundation
import SegflowCore

/// Tables loaded into a database under staging names, not yet visible under their own.
/// A run stages every database first and publishes only when all loads succeeded, so a
/// failed load leaves every database as it was.
public protocol StagedTables: AnyObject {
    /// Swaps every staged table in under its name, in one transaction: a reader sees the
    /// old tables or the new ones, never a mix and never a missing table.
    func publish() throws
    /// Drops what was staged; the published tables stay as they were. Does nothing after
    /// `publish`.
    func discard()
}

/// A failure to load or publish, in words for the person on call; never holds a credential.
public struct DatabaseFailure: Error, Sendable, Equatable {
    public var message: String
    public var hint: String

    public init(_ message: String, hint: String) {
        self.message = message
        self.hint = hint
    }
}

public enum DatabaseExporter {
    /// Loads `tables` into staging tables of the database. `password` is the value of the
    /// target's password variable, resolved by the caller.
    public static func stage(
        _ tables: [TableLoad], into connection: DatabaseTarget.Connection,
        password: String? = nil
    ) throws -> any StagedTables {
        switch connection {
        case .sqlite(let path): return try SQLiteStagedTables(path: path, tables: tables)
        case .postgres(let settings): return try PostgresStagedTables(settings: settings, password: password, tables: tables)
        }
    }
}

/// A name in double quotes, for SQL text: names are checked by `DatabaseTableSpec.isValidName`
/// or are column names, whose quotes are doubled.
func quoted(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
