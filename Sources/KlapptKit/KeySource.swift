import Foundation

/// Where the key comes from (SPEC 8): `--key-file`, else `KLAPPT_KEY_FILE`, else the pipeline file.
public struct KeySource: Sendable {
    public var path: String
    public var origin: String
    /// Set when the key file was missing and has just been made.
    public var createdNote: String?

    public static func resolve(option: String?, pipeline: Pipeline, environment: [String: String] = ProcessInfo.processInfo.environment) throws(KlapptError) -> KeySource {
        if let option { return KeySource(path: Pipeline.absolute(option), origin: "--key-file") }
        if let variable = environment["KLAPPT_KEY_FILE"], !variable.isEmpty {
            return KeySource(path: Pipeline.absolute(variable), origin: "KLAPPT_KEY_FILE")
        }
        if let path = pipeline.keyFile { return KeySource(path: path, origin: "Pipeline-Datei") }
        throw .usage("Kein Schlüssel angegeben: --key-file, KLAPPT_KEY_FILE oder key_file in der Pipeline-Datei.")
    }

    /// Loads the key; a missing key file is created (0600) with a warning on stderr, because the
    /// first run of a new installation has none. An existing but unsafe file is never replaced.
    public mutating func load() throws(KlapptError) -> [UInt8] {
        if !FileManager.default.fileExists(atPath: path) {
            try KeyFile.create(path: path)
            let note = "Warnung: Schlüsseldatei „\(path)“ (\(origin)) fehlte und wurde neu angelegt (Rechte 0600). Bewahren Sie sie sicher auf: mit einem anderen Schlüssel entstehen andere Pseudonyme."
            FileHandle.standardError.write(Data((note + "\n").utf8))
            createdNote = note
        }
        return try KeyFile.load(path: path)
    }
}
