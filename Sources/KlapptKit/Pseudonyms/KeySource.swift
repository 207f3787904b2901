import Foundation

/// Where the key comes from (SPEC 8): `--key-file`, else `KLAPPT_KEY_FILE`, else the pipeline file.
///
/// The key decides whether pseudonyms match across quarters, so it is guarded (issue 9): it never
/// lives in the output folder (that folder is shared), it is made only by `klappt keygen` or on the
/// very first run of an empty store, and a key other than the one the store's finished quarters were
/// computed with is refused unless the operator starts a new key series on purpose.
public struct KeySource: Sendable {
    public var path: String
    public var origin: String
    /// Set when the key file was missing and has just been made.
    public var createdNote: String?

    public static func resolve(option: String?, pipeline: Pipeline, environment: [String: String] = ProcessInfo.processInfo.environment) throws(KlapptError)
        -> KeySource
    {
        if let option { return KeySource(path: Pipeline.absolute(option), origin: "--key-file") }
        if let variable = environment["KLAPPT_KEY_FILE"], !variable.isEmpty {
            return KeySource(path: Pipeline.absolute(variable), origin: "KLAPPT_KEY_FILE")
        }
        if let path = pipeline.keyFile { return KeySource(path: path, origin: "Pipeline-Datei") }
        throw .usage("Kein Schlüssel angegeben: --key-file, KLAPPT_KEY_FILE oder key_file in der Pipeline-Datei.")
    }

    /// Loads the key for a run whose outputs go to `outputDirectory`. A missing key file is made
    /// (0600, with a note for the summary) only while the store there has no finished quarter.
    public mutating func load(outputDirectory: String) throws(KlapptError) -> [UInt8] {
        let folder = URL(fileURLWithPath: outputDirectory).standardizedFileURL.path
        let file = URL(fileURLWithPath: path).standardizedFileURL.path
        if file.hasPrefix(folder + "/") {
            throw .key(.insideOutputFolder(path: path, origin: origin, folder: outputDirectory))
        }
        if !FileManager.default.fileExists(atPath: path) {
            let store = "\(outputDirectory)/klappt.sqlite"
            let finished = FileManager.default.fileExists(atPath: store) ? try Store(path: store).finishedPeriods() : []
            guard finished.isEmpty else {
                throw .key(.missingWithFinishedQuarters(path: path, origin: origin, store: store, periods: finished))
            }
            try KeyFile.create(path: path)
            createdNote =
                "Hinweis: Schlüsseldatei „\(path)“ (\(origin)) fehlte; da der Speicher noch kein fertiges Quartal hat, wurde sie neu angelegt (Rechte 0600). Bewahren Sie sie sicher auf und sichern Sie sie: mit einem anderen Schlüssel entstehen andere Pseudonyme."
            FileHandle.standardError.write(Data((createdNote! + "\n").utf8))
        }
        return try KeyFile.load(path: path)
    }
}
