import Foundation

extension QuarterlyRun {
    /// What the result of a run depends on: klappt's version, the pipeline file and its code lists,
    /// every input file (by content), the period and the key (by a check value, never the key).
    func fingerprint(files: [[String]], hashes: [String: String], pseudonymizer: Pseudonymizer) throws(KlapptError) -> String {
        var text = "klappt \(QuarterlyRun.version)\nzeitraum \(period)\n"
        for file in pipeline.configurationFiles { text += "konfiguration \(try QuarterlyRun.sha256(of: file))\n" }
        for (source, paths) in zip(pipeline.sources, files) {
            for path in paths { text += "eingabe \(source.id) \(hashes[path]!)\n" }
        }
        text += "schluessel \(pseudonymizer.keyCheck)\n"
        return Publisher.sha256(Array(text.utf8))
    }
}
