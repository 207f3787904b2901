import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What the file system says of a file without reading it: device, inode, size, and the times of
/// its last content change (mtime) and last status change (ctime), in nanoseconds.
///
/// Any write to a file changes its ctime, and no user tool can set the ctime (`touch` sets the
/// mtime only), so an equal identity means equal content: the test git uses to skip hashing files
/// it has seen. A file replaced by another (a new delivery copied over the old path) has a new ctime,
/// mostly a new inode too.
public struct FileIdentity: Equatable, Sendable {
    public var device: Int
    public var inode: Int
    public var size: Int
    public var modifiedNanoseconds: Int
    public var changedNanoseconds: Int

    public init(device: Int, inode: Int, size: Int, modifiedNanoseconds: Int, changedNanoseconds: Int) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modifiedNanoseconds = modifiedNanoseconds
        self.changedNanoseconds = changedNanoseconds
    }

    /// The identity of the file at `path`; nil when it cannot be looked at.
    public static func of(_ path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(
            device: Int(info.st_dev), inode: Int(info.st_ino), size: Int(info.st_size),
            modifiedNanoseconds: Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec),
            changedNanoseconds: Int(info.st_ctim.tv_sec) * 1_000_000_000 + Int(info.st_ctim.tv_nsec))
    }
}

/// The check sums of a run's inputs (issue 14: a run with nothing to do stays fast whatever the
/// size of the inputs): a file whose identity equals the one the store remembers from an earlier
/// run keeps that run's sha256; every other file is read and hashed, on all cores.
public struct InputChecksums: Sendable {
    /// Path -> lowercase hex sha256.
    public var hashes: [String: String]
    /// Path -> identity as seen before hashing (what the store remembers after the run).
    public var identities: [String: FileIdentity]
    /// How many files were not read because their identity was remembered.
    public var remembered: Int

    /// Hashes `paths` now, on all cores, taking remembered sums where the identity is unchanged.
    public static func compute(_ paths: [String], remembered cache: [String: (identity: FileIdentity, sha256: String)]) throws(KlapptError) -> InputChecksums {
        let pending = PendingChecksums(paths, remembered: cache)
        pending.hashOnAllCores()
        return try pending.wait()
    }
}

/// Input check sums whose hashing may wait (issue 24): a run that cannot be "nothing to do" needs
/// its inputs' sums only for the ledger and the run report, so it hashes them on one thread of
/// their own after reading, while the run's main thread sorts, counts and publishes mostly alone.
/// The files are handed out one at a time to whoever hashes: the background thread, all cores
/// (`hashOnAllCores`), or the thread that waits for the result (`wait` helps rather than idles).
final class PendingChecksums: @unchecked Sendable {
    private let known: InputChecksums
    /// The files whose sums are not remembered, and their slots.
    private let toRead: [String]
    private let sums: ResultSlots<(identity: FileIdentity?, sha256: String)>
    /// The result once waited for (the slots are emptied when taken); under `lock`.
    private var finished: Result<InputChecksums, KlapptError>?
    private let lock = NSLock()

    init(_ paths: [String], remembered cache: [String: (identity: FileIdentity, sha256: String)]) {
        var known = InputChecksums(hashes: [:], identities: [:], remembered: 0)
        var toRead: [String] = []
        for path in paths {
            if let identity = FileIdentity.of(path), let remembered = cache[path], remembered.identity == identity {
                known.identities[path] = identity
                known.hashes[path] = remembered.sha256
                known.remembered += 1
            } else {
                toRead.append(path)
            }
        }
        self.known = known
        self.toRead = toRead
        sums = ResultSlots(count: toRead.count)
    }

    /// Whether every sum is known without reading a file.
    var allRemembered: Bool { toRead.isEmpty }

    /// How many files keep a remembered sum.
    var remembered: Int { known.remembered }

    /// Hashes the files not yet claimed, one after another; the identity is taken before each
    /// file is read, so that the store never remembers a sum for a later version of a file.
    private func hashUnclaimed() {
        while let position = sums.claim() {
            let path = toRead[position]
            // Two files side by side when there is a second one (the SHA extensions' two-stream
            // throughput: 0.45 -> 0.3 s of CPU for a state's 826 MB).
            if let other = sums.claim() {
                let identities = (FileIdentity.of(path), FileIdentity.of(toRead[other]))
                let (first, second) = QuarterlyRun.sha256(of: path, and: toRead[other])
                sums[position] = first.map { (identities.0, $0) }
                sums[other] = second.map { (identities.1, $0) }
                continue
            }
            sums[position] = Result { () throws(KlapptError) in
                let identity = FileIdentity.of(path)
                return (identity, try QuarterlyRun.sha256(of: path))
            }
        }
    }

    /// Hashes all files now, on all cores.
    func hashOnAllCores() {
        DispatchQueue.concurrentPerform(iterations: max(1, min(toRead.count, ProcessInfo.processInfo.activeProcessorCount))) { _ in
            hashUnclaimed()
        }
    }

    /// Starts hashing on a thread of its own and returns at once.
    func hashInBackground() {
        guard !toRead.isEmpty else { return }
        DispatchQueue.global().async { self.hashUnclaimed() }
    }

    /// All sums: the caller hashes what nobody has claimed yet, then waits for the rest.
    func wait() throws(KlapptError) -> InputChecksums {
        hashUnclaimed()
        return try lock.withLock { () -> Result<InputChecksums, KlapptError> in
            if let finished { return finished }
            let result = Result { () throws(KlapptError) -> InputChecksums in
                var checksums = known
                for (position, path) in toRead.enumerated() {
                    let (identity, sha256) = try sums.take(position).get()
                    checksums.hashes[path] = sha256
                    if let identity { checksums.identities[path] = identity }
                }
                return checksums
            }
            finished = result
            return result
        }.get()
    }

    /// `accounts` with each file's sha256 filled in (waits for the sums).
    func accounts(_ accounts: [FileAccount]) throws(KlapptError) -> [FileAccount] {
        let hashes = try wait().hashes
        return accounts.map { account in
            var account = account
            account.sha256 = hashes[account.file] ?? account.sha256
            return account
        }
    }
}

extension Store {
    /// Schema 8: the identity and sha256 of every input file a finished run read.
    static let checksumSchema = """
        CREATE TABLE IF NOT EXISTS pruefsummen(
            pfad TEXT NOT NULL PRIMARY KEY, geraet INTEGER NOT NULL, inode INTEGER NOT NULL, groesse INTEGER NOT NULL,
            geaendert_ns INTEGER NOT NULL, status_ns INTEGER NOT NULL, sha256 TEXT NOT NULL) WITHOUT ROWID;
        """

    /// The remembered identities and sums of `paths`.
    public func rememberedChecksums(_ paths: [String]) throws(KlapptError) -> [String: (identity: FileIdentity, sha256: String)] {
        var result: [String: (identity: FileIdentity, sha256: String)] = [:]
        do {
            for path in paths {
                guard
                    let row = try database.query(
                        "SELECT geraet, inode, groesse, geaendert_ns, status_ns, sha256 FROM pruefsummen WHERE pfad = ?", [.text(path)]
                    ).first
                else { continue }
                let numbers = row.prefix(5).map { Int($0 ?? "") ?? -1 }
                result[path] = (
                    FileIdentity(device: numbers[0], inode: numbers[1], size: numbers[2], modifiedNanoseconds: numbers[3], changedNanoseconds: numbers[4]),
                    row[5] ?? ""
                )
            }
        } catch {
            throw .outputNotWritable("Speicher „\(path)“: \(error)")
        }
        return result
    }

    /// Remembers the identities and sums of a finished run's inputs (a cache: a failure here only
    /// means the next run reads the files again).
    public func rememberChecksums(_ checksums: InputChecksums) throws(KlapptError) {
        let rows: [[SQLiteDatabase.Value]] = checksums.identities.keys.sorted().compactMap { path in
            guard let identity = checksums.identities[path], let sha = checksums.hashes[path] else { return nil }
            return [
                .text(path), .int(identity.device), .int(identity.inode), .int(identity.size), .int(identity.modifiedNanoseconds),
                .int(identity.changedNanoseconds), .text(sha),
            ]
        }
        do {
            try database.execute("BEGIN IMMEDIATE")
            try database.run("INSERT OR REPLACE INTO pruefsummen VALUES (?,?,?,?,?,?,?)", rows: rows)
            try database.execute("COMMIT")
        } catch {
            try? database.execute("ROLLBACK")
            throw .outputNotWritable("Speicher „\(path)“: \(error)")
        }
    }
}
