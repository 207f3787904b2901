import Foundation
import KlapptFormats

#if canImport(Glibc)
    import Glibc
#endif

/// Finding the inputs: globbing, readability, sizes and check sums.
extension QuarterlyRun {
    /// Each source's files in path order; a source without files is "input missing" (66).
    package func resolveInputs() throws(KlapptError) -> [[String]] {
        var result: [[String]] = []
        for source in pipeline.sources {
            let pattern = source.glob(for: period)
            let files = QuarterlyRun.glob(pattern)
            guard !files.isEmpty else {
                throw .noInputFiles(source: source.id, glob: pattern)
            }
            for file in files where access(file, R_OK) != 0 {
                throw .inputUnreadable(path: file, reason: nil)
            }
            result.append(files)
        }
        if let (first, second) = QuarterlyRun.identicalFiles(Array(result.joined())) {
            throw .inputFormat(
                FormatError(
                    .malformed, file: second,
                    message:
                        "Die Datei ist Byte für Byte dieselbe wie „\(first)“: eine Kopie („… - Kopie“), deren Zeilen doppelt gezählt oder als ersetzt gezählt würden. Bitte eine der beiden aus dem Eingabeordner entfernen."
                ))
        }
        return result
    }

    /// The first two of `paths` (in order) whose bytes are the same: files of equal size are
    /// compared, in 1 MiB pieces, so that different files cost a `stat` each.
    static func identicalFiles(_ paths: [String]) -> (String, String)? {
        let bySize = Dictionary(grouping: paths.enumerated(), by: { fileSize($0.element) })
        var found: (Int, Int)?
        for (size, group) in bySize where size > 0 && group.count > 1 {
            for (i, a) in group.enumerated() {
                // (One file named by two sources' globs is the same path, not a copy.)
                for b in group[(i + 1)...] where a.element != b.element && sameBytes(a.element, b.element) {
                    let pair = (min(a.offset, b.offset), max(a.offset, b.offset))
                    if found.map({ pair < $0 }) ?? true { found = pair }
                }
            }
        }
        return found.map { (paths[$0.0], paths[$0.1]) }
    }

    static func sameBytes(_ a: String, _ b: String) -> Bool {
        guard let x = FileHandle(forReadingAtPath: a), let y = FileHandle(forReadingAtPath: b) else { return false }
        defer {
            try? x.close()
            try? y.close()
        }
        while true {
            // At the end, a read gives nil or no bytes.
            do {
                let p = try x.read(upToCount: 1 << 20) ?? Data()
                let q = try y.read(upToCount: 1 << 20) ?? Data()
                if p != q { return false }
                if p.isEmpty { return true }
            } catch { return false }
        }
    }

    /// Whether every source has files for `period` (a quarter is delivered).
    public static func isDelivered(_ period: Period, pipeline: Pipeline) -> Bool {
        pipeline.sources.allSatisfy { !glob($0.glob(for: period)).isEmpty }
    }

    public static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for index in 0..<Int(result.gl_pathc) {
            if let path = result.gl_pathv[index] {
                let text = String(cString: path)
                var info = stat()
                if stat(text, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { paths.append(text) }
            }
        }
        return paths.sorted()
    }

    static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// Lowercase hex SHA-256 of two files, read in 4 MiB pieces each and hashed side by side
    /// (`SHA256Stream.update(_:_:_:_:)`); each result on its own, so that one unreadable file does
    /// not hide the other's sum.
    package static func sha256(of first: String, and second: String) -> (Result<String, KlapptError>, Result<String, KlapptError>) {
        let a = open(first, O_RDONLY | O_CLOEXEC)
        let b = open(second, O_RDONLY | O_CLOEXEC)
        guard a >= 0, b >= 0 else {
            if a >= 0 { close(a) }
            if b >= 0 { close(b) }
            return (Result { () throws(KlapptError) in try sha256(of: first) }, Result { () throws(KlapptError) in try sha256(of: second) })
        }
        defer {
            close(a)
            close(b)
        }
        var streams = (SHA256Stream(), SHA256Stream())
        var failures: (KlapptError?, KlapptError?) = (nil, nil)
        let pieces = (
            UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 64), UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 64)
        )
        defer {
            pieces.0.deallocate()
            pieces.1.deallocate()
        }
        var open = (true, true)
        func piece(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, _ path: String, _ failure: inout KlapptError?, _ isOpen: inout Bool)
            -> UnsafeRawBufferPointer
        {
            guard isOpen else { return UnsafeRawBufferPointer(start: nil, count: 0) }
            // A full piece unless the file ends, so that both streams stay on whole blocks.
            let filled: Int
            do { filled = try fill(buffer, from: fd, path: path) } catch {
                failure = error
                isOpen = false
                return UnsafeRawBufferPointer(start: nil, count: 0)
            }
            if filled < buffer.count { isOpen = false }
            return UnsafeRawBufferPointer(rebasing: buffer[0..<filled])
        }
        while open.0 || open.1 {
            let x = piece(a, pieces.0, first, &failures.0, &open.0)
            let y = piece(b, pieces.1, second, &failures.1, &open.1)
            SHA256Stream.update(&streams.0, x, &streams.1, y)
        }
        return (
            failures.0.map { .failure($0) } ?? .success(streams.0.finalize()), failures.1.map { .failure($0) } ?? .success(streams.1.finalize())
        )
    }

    /// Lowercase hex SHA-256 of a file, read in 4 MiB pieces into one buffer.
    package static func sha256(of path: String) throws(KlapptError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .inputUnreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var stream = SHA256Stream()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = try fill(buffer, from: fd, path: path)
            stream.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            if count < buffer.count { break }
        }
        return stream.finalize()
    }

    /// Reads into `buffer` until it is full or the file ends; returns how many bytes it holds.
    private static func fill(_ buffer: UnsafeMutableRawBufferPointer, from fd: Int32, path: String) throws(KlapptError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            if count < 0 { throw .inputUnreadable(path: path, reason: String(cString: strerror(errno))) }
            if count == 0 { break }
            filled += count
        }
        return filled
    }
}
