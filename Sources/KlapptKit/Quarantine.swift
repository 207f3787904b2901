#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KlapptFormats

/// Rejected rows kept locally so they can be corrected and imported again (SPEC 2.1). Quarantine
/// files hold personal data: folder 0700, files 0600, never part of the published outputs.
public struct Quarantine: Sendable {
    public let directory: String
    private static let folderLock = NSLock()

    public init(outputDirectory: String, period: Period) {
        directory = "\(outputDirectory)/quarantaene/\(period)"
    }

    /// Writes one file's rejected rows: line, reason, field, then the row's own cells. Returns the
    /// path, or nil when there is nothing to keep (an old quarantine file of the input is removed).
    public func write(source: String, inputPath: String, columns: [String], rows: [(line: Int, reason: ReasonCode, field: String?, cells: [String])]) throws(KlapptError) -> String? {
        let name = "\(source)_\(URL(fileURLWithPath: inputPath).deletingPathExtension().lastPathComponent).csv"
        let path = "\(directory)/\(name)"
        guard !rows.isEmpty else {
            unlink(path)
            return nil
        }
        // Files are read concurrently; the folder is made by one of them at a time.
        let made = Quarantine.folderLock.withLock { () -> Bool in
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                chmod("\(directory)/..", 0o700)
                chmod(directory, 0o700)
                return true
            } catch {
                return false
            }
        }
        guard made else { throw .outputNotWritable("Quarantäne-Ordner „\(directory)“ kann nicht angelegt werden.") }
        var writer = CSVWriter()
        writer.writeRow(["zeile", "grund", "feld"] + columns)
        for row in rows {
            writer.writeRow([String(row.line), row.reason.rawValue, row.field ?? ""] + row.cells)
        }
        try AtomicFile.write(writer.text, to: path, mode: 0o600)
        return path
    }
}
