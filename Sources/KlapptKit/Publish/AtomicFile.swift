import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a file so that readers see either the old or the new content, never a mix (SPEC 8):
/// a temporary file in the same folder, fsync, rename over the target, fsync of the folder.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(KlapptError) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let temporary = "\(directory)/.\(URL(fileURLWithPath: path).lastPathComponent).\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .outputNotWritable("„\(temporary)“: \(String(cString: strerror(errno)))") }
        fchmod(fd, mode)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBufferPointer { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 {
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw .outputNotWritable("„\(path)“: \(reason)")
            }
            offset += written
        }
        guard fsync(fd) == 0, close(fd) == 0 else {
            unlink(temporary)
            throw .outputNotWritable("„\(path)“: fsync fehlgeschlagen")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .outputNotWritable("„\(path)“: \(reason)")
        }
        let directoryFD = open(directory, O_RDONLY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    public static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws(KlapptError) {
        try write(Array(text.utf8), to: path, mode: mode)
    }
}
