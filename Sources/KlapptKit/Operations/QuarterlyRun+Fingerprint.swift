import Foundation

extension QuarterlyRun {
    /// What the result of a run depends on: klappt's version, the pipeline file and its code lists,
    /// every input file (by content), the period, the key (by a check value, never the key) and the
    /// previous quarter's finished run (SPEC 10: its persons make the transitions; a re-run of it
    /// makes this quarter stale, and the next run computes it again).
    func fingerprint(files: [[String]], hashes: [String: String], pseudonymizer: Pseudonymizer, previousRun: Int?) throws(KlapptError) -> String {
        var text = "klappt \(QuarterlyRun.version)\nzeitraum \(period)\n"
        for file in pipeline.configurationFiles { text += "konfiguration \(try QuarterlyRun.sha256(of: file))\n" }
        for (source, paths) in zip(pipeline.sources, files) {
            for path in paths { text += "eingabe \(source.id) \(hashes[path]!)\n" }
        }
        text += "schluessel \(pseudonymizer.keyCheck)\n"
        // Another linkage makes other persons (`--linkage` is no file): the quarter is new work.
        // The first method adds nothing, so fingerprints of before it stay valid.
        if pipeline.linkage != .exact { text += "verknuepfung \(pipeline.linkage.ledgerValue)\n" }
        if let previousRun { text += "vorquartal \(period.previous) \(previousRun)\n" }
        return Publisher.sha256(Array(text.utf8))
    }
}
