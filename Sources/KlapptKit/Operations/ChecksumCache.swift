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

    /// Hashes `paths`, taking remembered sums where the identity is unchanged.
    public static func compute(_ paths: [String], remembered cache: [String: (identity: FileIdentity, sha256: String)]) throws(KlapptError) -> InputChecksums {
        var identities: [String: FileIdentity] = [:]
        var hashes: [String: String] = [:]
        var toRead: [String] = []
        for path in paths {
            let identity = FileIdentity.of(path)
            if let identity { identities[path] = identity }
            if let identity, let known = cache[path], known.identity == identity {
                hashes[path] = known.sha256
            } else {
                toRead.append(path)
            }
        }
        let sums = ResultSlots<String>(count: toRead.count)
        let reading = toRead
        DispatchQueue.concurrentPerform(iterations: reading.count) { position in
            sums[position] = Result { () throws(KlapptError) -> String in try QuarterlyRun.sha256(of: reading[position]) }
        }
        for (position, path) in toRead.enumerated() { hashes[path] = try sums.take(position).get() }
        return InputChecksums(hashes: hashes, identities: identities, remembered: paths.count - toRead.count)
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
