import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The secret key file (SPEC 4.1): 64 hex characters, surrounding white space ignored, readable by
/// its owner only.
public enum KeyFile {
    /// Reads and checks the key; refuses a file that group or others may read (exit 77).
    public static func load(path: String) throws(KlapptError) -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw .key(.missing(path: path))
        }
        if info.st_mode & 0o077 != 0 {
            throw .key(.readableByOthers(path: path, mode: String(info.st_mode & 0o777, radix: 8)))
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw .key(.unreadable(path: path))
        }
        let hex = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard hex.utf8.count == 64, let bytes = decodeHex(hex) else {
            throw .key(.notAKey(path: path))
        }
        return bytes
    }

    /// Makes a new random key file with mode 0600; refuses to overwrite an existing one.
    public static func create(path: String) throws(KlapptError) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let hex = bytes.map { String(format: "%02x", $0) }.joined() + "\n"
        try writeNew(hex, to: path, what: "Schlüsseldatei")
    }

    /// Writes `text` to a new file with mode 0600, making its folder (0700) when missing; refuses to
    /// overwrite an existing file (a key is never replaced by accident).
    static func writeNew(_ text: String, to path: String, what: String, mode: mode_t = 0o600) throws(KlapptError) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            // A folder made for the key is the owner's alone (an existing one is left as it is).
            if !FileManager.default.fileExists(atPath: directory) {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
        } catch {
            throw .outputNotWritable("Ordner „\(directory)“ für die \(what) kann nicht angelegt werden.")
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else {
            if errno == EEXIST { throw .usage("„\(path)“ existiert bereits; ein vorhandener Schlüssel wird nie überschrieben.") }
            throw .outputNotWritable("\(what) „\(path)“ kann nicht angelegt werden (\(String(cString: strerror(errno)))).")
        }
        defer { close(fd) }
        fchmod(fd, mode)
        let written = text.utf8.withContiguousStorageIfAvailable { Glibc.write(fd, $0.baseAddress, $0.count) } ?? -1
        guard written == text.utf8.count, fsync(fd) == 0 else {
            throw .outputNotWritable("\(what) „\(path)“ konnte nicht geschrieben werden.")
        }
    }

    static func decodeHex(_ hex: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var high: UInt8?
        for c in hex.utf8 {
            let value: UInt8
            switch c {
            case 0x30...0x39: value = c - 0x30
            case 0x61...0x66: value = c - 0x61 + 10
            case 0x41...0x46: value = c - 0x41 + 10
            default: return nil
            }
            if let h = high {
                bytes.append(h << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return high == nil ? bytes : nil
    }
}
