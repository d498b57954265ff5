import CLibPQ
import Foundation

/// One connection to a PostgreSQL server through libpq, used synchronously: statements,
/// rows as text and COPY FROM STDIN. Every failure is a `DatabaseFailure` in the user's
/// terms, built from the server's message and SQLSTATE, never from statement text or a
/// credential.
public final class PostgresSession {
    private var connection: OpaquePointer?
    private let settings: PostgresSettings

    /// Connects with the settings' TLS mode; `password` is the value of the password
    /// variable, resolved by the caller.
    public init(_ settings: PostgresSettings, password: String?) throws {
        self.settings = settings
        var parameters: [(String, String)] = [
            ("host", settings.host), ("port", String(settings.port)), ("dbname", settings.database), ("user", settings.user),
            ("application_name", "segflow"), ("connect_timeout", "30"),
            // The driver's own files and variables must not change where a nightly job connects.
            ("passfile", "/dev/null"), ("service", ""),
        ]
        if let password { parameters.append(("password", password)) }
        parameters += Self.tlsParameters(settings.tls)
        connection = Self.connect(parameters)
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = Self.lastError(connection)
            PQfinish(connection)
            connection = nil
            throw Self.connectionFailure(reason, settings)
        }
        // The server's notices ("table ... does not exist, skipping" from the swap's IF EXISTS)
        // are not for the person reading the job's log; libpq prints them to stderr otherwise.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
    }

    deinit { close() }

    /// Closing is enough to undo an open transaction: the server rolls it back.
    public func close() {
        if let connection { PQfinish(connection) }
        connection = nil
    }

    /// Runs one or more statements built by segflow from checked names, with no parameters.
    public func execute(_ sql: String) throws {
        _ = try rows(sql)
    }

    /// Every row a statement returns, each cell as text (nil for NULL).
    public func rows(_ sql: String) throws -> [[String?]] {
        let result = PQexec(try open(), sql)
        defer { PQclear(result) }
        try check(result, accepting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
        return (0..<PQntuples(result)).map { row in
            (0..<PQnfields(result)).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            }
        }
    }

    /// `COPY table FROM STDIN` in PostgreSQL's text format, the data given as chunks of bytes.
    public func copy(into table: String, chunks: some IteratorProtocol<ArraySlice<UInt8>>) throws {
        var chunks = chunks
        let connection = try open()
        let start = PQexec(connection, "COPY \(quoted(table)) FROM STDIN")
        defer { PQclear(start) }
        try check(start, accepting: [PGRES_COPY_IN])
        while let chunk = chunks.next() {
            let sent = chunk.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { PQputCopyData(connection, $0.baseAddress, Int32($0.count)) }
            }
            // On failure the server's reason arrives with the COPY's result below.
            if sent != 1 { break }
        }
        _ = PQputCopyEnd(connection, nil)
        var failure: DatabaseFailure?
        while let result = PQgetResult(connection) {
            do { try check(result, accepting: [PGRES_COMMAND_OK]) } catch let error as DatabaseFailure { failure = failure ?? error }
            PQclear(result)
        }
        if let failure { throw failure }
    }

    private func open() throws -> OpaquePointer {
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            throw DatabaseFailure(
                "the connection to PostgreSQL at \(settings.host):\(settings.port) was lost",
                hint: "check the server's log; the old tables were kept")
        }
        return connection
    }

    private func check(_ result: OpaquePointer?, accepting statuses: [ExecStatusType]) throws {
        guard let result else { throw DatabaseFailure("PostgreSQL: \(Self.lastError(connection))", hint: "the old tables were kept") }
        let status = PQresultStatus(result)
        guard !statuses.contains(status) else { return }
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
        let message = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) } ?? Self.lastError(connection)
        throw Self.serverFailure(message: message, state: state, settings)
    }

    private static func connect(_ parameters: [(String, String)]) -> OpaquePointer? {
        let keys = parameters.map { strdup($0.0) }, values = parameters.map { strdup($0.1) }
        defer { for text in keys + values { free(text) } }
        let keyPointers = keys.map { UnsafePointer($0) } + [nil], valuePointers = values.map { UnsafePointer($0) } + [nil]
        return PQconnectdbParams(keyPointers, valuePointers, 0)
    }

    /// libpq's sslmode for each mode. `require` verifies the server's certificate and name
    /// against the system's trusted roots, as the docs promise, which libpq calls verify-full.
    private static func tlsParameters(_ mode: PostgresSettings.TLSMode) -> [(String, String)] {
        switch mode {
        case .disable: return [("sslmode", "disable")]
        case .prefer: return [("sslmode", "prefer")]
        case .require:
            let roots = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"]
            return [("sslmode", "verify-full")] + (roots.first { FileManager.default.fileExists(atPath: $0) }.map { [("sslrootcert", $0)] } ?? [])
        }
    }

    private static func lastError(_ connection: OpaquePointer?) -> String {
        guard let text = PQerrorMessage(connection) else { return "no answer" }
        return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Words for a failed connection. libpq gives no SQLSTATE here, so the server's FATAL
    /// messages of the common cases are recognised by their fixed English text.
    static func connectionFailure(_ reason: String, _ settings: PostgresSettings) -> DatabaseFailure {
        let server = "\(settings.host):\(settings.port)"
        if reason.contains("password authentication failed") {
            return serverFailure(message: "password authentication failed for user \"\(settings.user)\"", state: "28P01", settings)
        }
        if reason.contains("database \"\(settings.database)\" does not exist") {
            return serverFailure(message: "database \"\(settings.database)\" does not exist", state: "3D000", settings)
        }
        if reason.contains("no password supplied") {
            return DatabaseFailure(
                "the PostgreSQL server at \(server) asks for a password",
                hint: "set outputs.databases.postgres.password_env to the variable that holds it")
        }
        if reason.contains("server does not support SSL") {
            return DatabaseFailure("the PostgreSQL server at \(server) does not offer TLS", hint: "set tls: prefer or tls: disable")
        }
        let line = reason.split(separator: "\n").first.map(String.init) ?? reason
        return DatabaseFailure(
            "cannot connect to PostgreSQL at \(server): \(line)",
            hint: "check that the server runs and listens there, and outputs.databases.postgres.host/port")
    }

    /// The server's message as it may be shown. Data exceptions (class 22) and integrity
    /// violations (class 23) quote the offending value after a colon ("invalid input syntax
    /// for type double precision: \"...\""), and a job's log is no place for customer data.
    static func shownMessage(_ message: String, state: String) -> String {
        guard state.hasPrefix("22") || state.hasPrefix("23"), let colon = message.range(of: ": ") else { return message }
        return message[..<colon.lowerBound] + " (the value is not shown)"
    }

    static func serverFailure(message: String, state: String, _ settings: PostgresSettings) -> DatabaseFailure {
        let text = "PostgreSQL: \(shownMessage(message, state: state)) (SQLSTATE \(state))"
        switch state {
        case "28P01", "28000":
            let source = settings.passwordVariable.map { "the password in $\($0)" } ?? "a password (set password_env)"
            return DatabaseFailure(text, hint: "check the user '\(settings.user)' and \(source)")
        case "3D000":
            return DatabaseFailure(text, hint: "create the database '\(settings.database)' or fix outputs.databases.postgres.database")
        case "3F000":
            return DatabaseFailure(text, hint: "create the schema '\(settings.schema ?? "")' or fix outputs.databases.postgres.schema")
        case "42501":
            return DatabaseFailure(text, hint: "grant '\(settings.user)' CREATE on the schema and ownership of the exported tables")
        case "55P03":
            return DatabaseFailure(
                text,
                hint: "a reader kept the table open for over \(settings.lockTimeoutSeconds) s, so the swap was "
                    + "called off and the old tables kept; raise lock_timeout_seconds or find the long transaction in pg_stat_activity")
        case "2BP01":
            return DatabaseFailure(
                text,
                hint: "views or foreign keys depend on the table, so it cannot be swapped; "
                    + "drop them or build them on a table segflow does not replace. The old tables were kept")
        case "53100":
            return DatabaseFailure(text, hint: "free space on the database server; the old tables were kept")
        default:
            return DatabaseFailure(text, hint: "the old tables were kept")
        }
    }
}
