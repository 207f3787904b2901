import Foundation

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
        return result
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

    /// Lowercase hex SHA-256 of a file, read in 4 MiB pieces into one buffer.
    package static func sha256(of path: String) throws(KlapptError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .inputUnreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var stream = SHA256Stream()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count < 0 { throw .inputUnreadable(path: path, reason: String(cString: strerror(errno))) }
            if count == 0 { break }
            stream.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return stream.finalize()
    }
}
