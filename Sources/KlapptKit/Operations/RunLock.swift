import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive `flock` on the output folder (SPEC 8): two runs never interleave. The lock file
/// names the holder (PID and start time) so that the second run can say who it waits for.
public final class RunLock {
    private let fd: Int32

    public init(directory: String) throws(KlapptError) {
        let path = "\(directory)/.klappt.lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .outputNotWritable("Sperrdatei „\(path)“: \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 256)
            let count = pread(fd, &buffer, buffer.count, 0)
            let holder = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "unbekannt"
            close(fd)
            throw .locked(directory: directory, holder: holder)
        }
        let formatter = ISO8601DateFormatter()
        let note = "PID \(getpid()), gestartet \(formatter.string(from: Date()))\n"
        ftruncate(fd, 0)
        _ = note.utf8CString.withUnsafeBufferPointer { pwrite(fd, $0.baseAddress, $0.count - 1, 0) }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
