import CSQLite
import Foundation

/// A thin wrapper over the sqlite3 C API: what the store needs and nothing more (open, execute,
/// prepared statements with bound values, transactions).
final class SQLiteDatabase {
    struct Failure: Error, CustomStringConvertible {
        var code: Int32
        var message: String
        var description: String { "SQLite-Fehler \(code): \(message)" }
    }

    private var handle: OpaquePointer?
    /// Held for each call of this wrapper: a run writes persons on the store's own queue while the
    /// main thread may ask the ledger something, and a connection used from two threads at once in
    /// SQLite's "no mutex" mode corrupted a store once. SQLite's own serialized mode took its mutex
    /// for every bind and step (13 million times for a state's quarter, a sixth of the store
    /// writer's time); this lock is taken once per call here, for a batch of 64 rows at a time.
    private let serial = NSRecursiveLock()

    init(path: String) throws(Failure) {
        let status = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard status == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "kann nicht geöffnet werden"
            sqlite3_close(handle)
            throw Failure(code: status, message: message)
        }
        sqlite3_busy_timeout(handle, 5000)
    }

    deinit { sqlite3_close(handle) }

    func execute(_ sql: String) throws(Failure) {
        serial.lock()
        defer { serial.unlock() }
        var error: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &error)
        guard status == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? ""
            sqlite3_free(error)
            throw Failure(code: status, message: message)
        }
    }

    enum Value {
        case int(Int)
        case text(String)
        case real(Double)
        case blob([UInt8])
        case null
    }

    /// Runs `sql` once for each row of `rows` with a single prepared statement.
    func run(_ sql: String, rows: [[Value]]) throws(Failure) {
        serial.lock()
        defer { serial.unlock() }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else { throw lastError() }
        defer { sqlite3_finalize(statement) }
        for row in rows {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            bind(row, to: statement)
            guard sqlite3_step(statement) == SQLITE_DONE else { throw lastError() }
        }
    }

    /// A prepared statement's parameters, for `insert`. Text goes into an arena that lives until
    /// the statement has run, so SQLite may use it in place (`SQLITE_STATIC`) instead of copying
    /// every value into a buffer of its own.
    final class Parameters {
        fileprivate var statement: OpaquePointer?
        private let arena: UnsafeMutablePointer<UInt8>
        private let capacity: Int
        fileprivate var used = 0
        private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

        fileprivate init(capacity: Int) {
            self.capacity = capacity
            arena = .allocate(capacity: capacity)
        }

        deinit { arena.deallocate() }

        func bind(_ position: Int32, _ text: String?) {
            guard var text else {
                sqlite3_bind_null(statement, position)
                return
            }
            text.withUTF8 { bind(position, $0) }
        }

        func bind(_ position: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
            guard bytes.count > 0 else {
                sqlite3_bind_text(statement, position, "", 0, Parameters.transient)
                return
            }
            if used + bytes.count <= capacity {
                (arena + used).update(from: bytes.baseAddress!, count: bytes.count)
                sqlite3_bind_text(statement, position, UnsafeRawPointer(arena + used).assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
                used += bytes.count
            } else {
                sqlite3_bind_text(
                    statement, position, UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self), Int32(bytes.count), Parameters.transient)
            }
        }

        func bind(_ position: Int32, _ value: Int) { sqlite3_bind_int64(statement, position, Int64(value)) }

        func bindNull(_ position: Int32) { sqlite3_bind_null(statement, position) }

        /// Binds `count` bytes that `write` puts into the arena as a BLOB.
        func bindBlob(_ position: Int32, count: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Void) {
            if used + count <= capacity {
                write(arena + used)
                sqlite3_bind_blob(statement, position, UnsafeRawPointer(arena + used), Int32(count), nil)
                used += count
            } else {
                let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: count)
                defer { bytes.deallocate() }
                write(bytes)
                sqlite3_bind_blob(statement, position, UnsafeRawPointer(bytes), Int32(count), Parameters.transient)
            }
        }
    }

    /// Inserts `count` rows of `columns` values into `table`, `bind` setting the values of a row
    /// from parameter `base + 1` on. Rows go in statements of up to 64 rows (a multi-row VALUES
    /// list), which halves SQLite's per-row overhead for the millions of persons of a big run; no
    /// array of values is made per row.
    func insert(into table: String, columns: Int, count: Int, bind: (_ row: Int, _ parameters: Parameters, _ base: Int32) -> Void) throws(Failure) {
        serial.lock()
        defer { serial.unlock() }
        let batch = 64
        let tuple = "(" + Array(repeating: "?", count: columns).joined(separator: ",") + ")"
        var statements: [Int: OpaquePointer?] = [:]
        defer { for statement in statements.values { sqlite3_finalize(statement) } }
        func statement(rows: Int) throws(Failure) -> OpaquePointer? {
            if let prepared = statements[rows] { return prepared }
            var prepared: OpaquePointer?
            let sql = "INSERT INTO \(table) VALUES " + Array(repeating: tuple, count: rows).joined(separator: ",")
            guard sqlite3_prepare_v2(handle, sql, -1, &prepared, nil) == SQLITE_OK else { throw lastError() }
            statements[rows] = prepared
            return prepared
        }
        let parameters = Parameters(capacity: 256 * batch * columns)
        var row = 0
        while row < count {
            let rows = min(batch, count - row)
            let prepared = try statement(rows: rows)
            sqlite3_reset(prepared)
            parameters.statement = prepared
            parameters.used = 0
            for offset in 0..<rows { bind(row + offset, parameters, Int32(offset * columns)) }
            guard sqlite3_step(prepared) == SQLITE_DONE else { throw lastError() }
            row += rows
        }
    }

    /// The rows of a query, each column as text (nil for NULL).
    func query(_ sql: String, _ arguments: [Value] = []) throws(Failure) -> [[String?]] {
        serial.lock()
        defer { serial.unlock() }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else { throw lastError() }
        defer { sqlite3_finalize(statement) }
        bind(arguments, to: statement)
        var rows: [[String?]] = []
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw lastError() }
            let count = sqlite3_column_count(statement)
            rows.append(
                (0..<count).map { column in
                    sqlite3_column_text(statement, column).map { String(cString: $0) }
                })
        }
        return rows
    }

    /// Calls `body` for each row with its columns' text bytes (nil for NULL), valid only during the
    /// call: for reading many rows without a string per value.
    func scan(_ sql: String, _ arguments: [Value] = [], _ body: ([UnsafeBufferPointer<UInt8>?]) -> Void) throws(Failure) {
        serial.lock()
        defer { serial.unlock() }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else { throw lastError() }
        defer { sqlite3_finalize(statement) }
        bind(arguments, to: statement)
        let count = sqlite3_column_count(statement)
        var columns = [UnsafeBufferPointer<UInt8>?](repeating: nil, count: Int(count))
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw lastError() }
            for column in 0..<count {
                let text = sqlite3_column_text(statement, column)
                columns[Int(column)] = text.map { UnsafeBufferPointer(start: $0, count: Int(sqlite3_column_bytes(statement, column))) }
            }
            body(columns)
        }
    }

    /// Binds values to the statement's parameters 1, 2, …; text is copied by SQLite.
    private func bind(_ values: [Value], to statement: OpaquePointer?) {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (index, value) in values.enumerated() {
            let position = Int32(index + 1)
            switch value {
            case .int(let v): sqlite3_bind_int64(statement, position, Int64(v))
            case .text(let v): sqlite3_bind_text(statement, position, v, -1, transient)
            case .real(let v): sqlite3_bind_double(statement, position, v)
            case .blob(let v): v.withUnsafeBytes { _ = sqlite3_bind_blob(statement, position, $0.baseAddress, Int32($0.count), transient) }
            case .null: sqlite3_bind_null(statement, position)
            }
        }
    }

    var lastInsertID: Int { serial.withLock { Int(sqlite3_last_insert_rowid(handle)) } }

    private func lastError() -> Failure {
        Failure(code: sqlite3_errcode(handle), message: String(cString: sqlite3_errmsg(handle)))
    }
}
