import Foundation
import KlapptFormats

#if canImport(Glibc)
    import Glibc
#endif

/// Rejected rows kept locally so they can be corrected and imported again (SPEC 2.1). Quarantine
/// files hold personal data: folder 0700, files 0600, never part of the published outputs.
///
/// Values are written exactly as delivered (no apostrophe before `=` and the like, as the published
/// table has), and the header names the export's own fields (`Id`, not the pipeline's `@Id`), so that
/// a corrected file can be sent back to the partner and delivered again as it is.
public struct Quarantine: Sendable {
    public let directory: String
    private static let folderLock = NSLock()

    /// `klappt run` keeps the rejected rows in `quarantaene/<period>/`; `klappt validate` in its own
    /// `quarantaene/<period>/pruefung/`, so that a check never replaces what a finished run left.
    public init(outputDirectory: String, period: Period, mode: QuarterlyRun.Mode = .run) {
        directory = "\(outputDirectory)/quarantaene/\(period)" + (mode == .validate ? "/pruefung" : "")
    }

    /// The local file of values that no code list knows (`unbekannte_werte.csv`).
    public var unknownValuesPath: String { "\(directory)/unbekannte_werte.csv" }

    /// Writes one file's rejected rows: line, reason, field, then the row's own cells. Returns the
    /// path, or nil when there is nothing to keep (an old quarantine file of the input is removed).
    public func write(source: String, inputPath: String, columns: [String], rows: [(line: Int, reason: ReasonCode, field: String?, cells: [String])])
        throws(KlapptError) -> String?
    {
        let name = "\(source)_\(URL(fileURLWithPath: inputPath).deletingPathExtension().lastPathComponent).csv"
        let path = "\(directory)/\(name)"
        guard !rows.isEmpty else {
            unlink(path)
            return nil
        }
        try makeFolder()
        var writer = CSVWriter(neutralisesFormulas: false)
        writer.writeRow(["zeile", "grund", "feld"] + columns.map(Quarantine.exportName))
        for row in rows {
            writer.writeRow([String(row.line), row.reason.rawValue, row.field.map(Quarantine.exportName) ?? ""] + row.cells)
        }
        try AtomicFile.write(writer.text, to: path, mode: 0o600)
        return path
    }

    /// Writes the values that no code list knows, with how often they occurred and the line to add
    /// to the code list (the report names only their number: the values may hold personal data).
    /// Returns the path, or nil when there are none (an old file is removed).
    public func writeUnknownValues(_ warnings: [String: [String: Int]], codeListPaths: [String: String]) throws(KlapptError) -> String? {
        let path = unknownValuesPath
        let kinds = warnings.keys.sorted().filter { !(warnings[$0]?.isEmpty ?? true) }
        guard !kinds.isEmpty else {
            unlink(path)
            return nil
        }
        try makeFolder()
        var writer = CSVWriter(neutralisesFormulas: false)
        writer.writeRow(["art", "wert", "zeilen", "codeliste", "zeile_zum_ergaenzen"])
        for kind in kinds {
            let hint = UnknownValueKind(rawValue: kind)
            for (value, count) in warnings[kind]!.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
                writer.writeRow([kind, value, String(count), hint.flatMap { codeListPaths[$0.codeList] } ?? "", hint?.lineToAdd(value) ?? ""])
            }
        }
        try AtomicFile.write(writer.text, to: path, mode: 0o600)
        return path
    }

    /// The export's own name of a mapped field: `@Id` and `/@Stand` are the attributes `Id` and `Stand`.
    static func exportName(_ mapped: String) -> String {
        if mapped.hasPrefix("/@") { return String(mapped.dropFirst(2)) }
        if mapped.hasPrefix("@") { return String(mapped.dropFirst()) }
        return mapped
    }

    /// Keeps the run's summary as the coordinator's internal page (`zusammenfassung.txt`, 0600):
    /// counts, codes and paths, no input value, but beside the quarantine, never published.
    public func writeSummary(_ text: String) throws(KlapptError) {
        try makeFolder()
        try AtomicFile.write(text, to: "\(directory)/zusammenfassung.txt", mode: 0o600)
    }

    /// Writes a file of the quarantine folder (0600): the review list of linkage, say.
    public func writeFile(named name: String, text: String) throws(KlapptError) -> String {
        try makeFolder()
        let path = "\(directory)/\(name)"
        try AtomicFile.write(text, to: path, mode: 0o600)
        return path
    }

    private func makeFolder() throws(KlapptError) {
        // Files are read concurrently; the folder is made by one of them at a time.
        let made = Quarantine.folderLock.withLock { () -> Bool in
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                var folder = directory
                while true {
                    chmod(folder, 0o700)
                    if folder.hasSuffix("/quarantaene") || !folder.contains("/quarantaene/") { break }
                    folder = (folder as NSString).deletingLastPathComponent
                }
                return true
            } catch {
                return false
            }
        }
        guard made else { throw .outputNotWritable("Quarantäne-Ordner „\(directory)“ kann nicht angelegt werden.") }
    }
}

/// The kinds of values a code list may lack (warnings of validation), and where they belong.
public enum UnknownValueKind: String, Sendable, CaseIterable {
    case residence = "aufenthalt_unbekannt"
    case nationality = "staatsangehoerigkeit_unbekannt"
    case sex = "geschlecht_unbekannt"

    /// The pipeline file's key of the code list.
    public var codeList: String {
        switch self {
        case .residence: return "aufenthalt"
        case .nationality: return "nationalitaeten"
        case .sex: return "geschlecht"
        }
    }

    /// The line to add to the code list, with a placeholder for what only a person can decide.
    public func lineToAdd(_ value: String) -> String {
        switch self {
        case .residence: return "\(CodeLists.collapsedWhitespace(value));GRUPPE (gestattung, duldung, schutz, ukraine, chancen, andere oder unbekannt)"
        case .nationality: return "\(value);ISO3;Bezeichnung"
        case .sex: return "\(value.lowercased());GESCHLECHT (m, w, d oder x)"
        }
    }

    /// German, for the summary: what such values are (plural).
    public var germanName: String {
        switch self {
        case .residence: return "Aufenthaltstexte"
        case .nationality: return "Staatsangehörigkeitsschlüssel"
        case .sex: return "Geschlechtsangaben"
        }
    }
}
