import Dispatch
import Foundation
import KlapptFormats
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What a run reports of its probabilistic linkage (SPEC 4.1 v3; handbook, section 8a): in
/// `lauf_<P>.json` as `linkage`, in the summary and on the report's page on data quality.
public struct LinkageSummary: Codable, Sendable, Equatable {
    /// The method as the ledger records it (`probabilistic/1`).
    public var method: String
    public var threshold: Double
    public var reviewFrom: Double
    /// Candidate pairs compared (they grow about linearly with the records: blocking).
    public var comparedPairs: Int
    /// Pairs at or above the threshold.
    public var acceptedPairs: Int
    /// Joins refused because two of the records would be, by the model, different people.
    public var refusedJoins: Int
    /// fastLink's estimates from the match probabilities: Σ(1 − p) over the links made, and Σp
    /// over the compared pairs below the threshold between different persons.
    public var expectedFalseLinks: Double
    public var expectedMissedLinks: Double
    /// Pairs listed for review, and the local list (nil: none).
    public var reviewPairs: Int
    /// Pairs in the review band (more than listed when `review_limit` cut the list).
    public var reviewBandPairs: Int?
    public var reviewFile: String?
    /// Decisions of the decisions file that concern records of this run.
    public var decisionsApplied: Int
    /// What the estimate means for `ohne_aktivitaet`: a missed link can make one person two (one
    /// of them perhaps "reached by no programme"), a false link two persons one. So the true value
    /// lies, by the estimate, between the published one minus the expected missed links and plus
    /// the expected false links (nil under exact linkage, or before the table is counted).
    public var withoutActivityRange: [Int]?
    /// The estimated m of each field's agreeing level (`vorname`, `familienname`, `geburtsdatum`,
    /// …), three decimals: how the model sees one person's records; it should not swing between
    /// quarters or with the size of the district (README).
    public var mAgreeing: [String: Double]?

    enum CodingKeys: String, CodingKey {
        case method, threshold
        case reviewFrom = "review_from"
        case comparedPairs = "compared_pairs"
        case acceptedPairs = "accepted_pairs"
        case refusedJoins = "refused_joins"
        case expectedFalseLinks = "expected_false_links"
        case expectedMissedLinks = "expected_missed_links"
        case reviewPairs = "review_pairs"
        case reviewBandPairs = "review_band_pairs"
        case reviewFile = "review_file"
        case decisionsApplied = "decisions_applied"
        case withoutActivityRange = "ohne_aktivitaet_range"
        case mAgreeing = "m_agreeing"
    }

    /// The range of `ohne_aktivitaet` the estimate allows around `value`.
    mutating func setRange(withoutActivity value: Int) {
        withoutActivityRange = [max(0, value - Int(expectedMissedLinks.rounded(.up))), value + Int(expectedFalseLinks.rounded(.up))]
    }
}

extension QuarterlyRun {
    /// Links the index's records into persons (probabilistic linkage), writes the review list and
    /// returns what the run reports.
    func linkPersons(_ index: inout PersonIndex, previous: PreviousQuarter?, files: [[String]], pseudonymizer: Pseudonymizer, quarantine: Quarantine)
        throws(KlapptError) -> LinkageSummary
    {
        let settings = pipeline.linkageSettings
        let decisions = try settings.decisionsFile.map { (path) throws(KlapptError) in try LinkageReview.decisions(path: path) } ?? []
        let diagnosis = ProcessInfo.processInfo.environment["KLAPPT_VERKNUEPFUNG_DIAGNOSE"]
        index.diagnosing = diagnosis != nil
        let linked = index.link(ProbabilisticLinker(settings: settings), previous: previous?.pseudonyms ?? [], decisions: decisions)
        let outcome = linked.outcome
        var summary = LinkageSummary(
            method: pipeline.linkage.ledgerValue, threshold: settings.threshold, reviewFrom: settings.reviewFrom, comparedPairs: outcome.comparedPairs,
            acceptedPairs: outcome.acceptedPairs, refusedJoins: outcome.refusedJoins,
            expectedFalseLinks: (outcome.expectedFalseLinks * 10).rounded() / 10, expectedMissedLinks: (outcome.expectedMissedLinks * 10).rounded() / 10,
            reviewPairs: outcome.reviewPairs.count, reviewFile: nil, decisionsApplied: outcome.decisionsApplied)
        summary.reviewBandPairs = outcome.reviewBandPairs
        summary.mAgreeing = Dictionary(
            uniqueKeysWithValues: LinkageField.allCases.map { field in
                (field.reportKey, (outcome.model.m[field.rawValue][field.levels - 1] * 1000).rounded() / 1000)
            })
        // For measurements against generated data (benchmarks/linkage_quality.py): each linked
        // record's place (source, file, row position) and person number, nothing of its content.
        if let path = diagnosis, let origins = linked.allOrigins {
            var text = "quelle;datei;position;person\n"
            for (local, origin) in origins.enumerated() {
                text += "\(origin.sourceIndex);\(origin.fileIndex);\(origin.order);\(outcome.person[local])\n"
            }
            try AtomicFile.write(text, to: path, mode: 0o600)
            var joins = "a;b;log_odds;vergleich\n"
            for join in outcome.joins {
                let a = origins[join.first]
                let b = origins[join.second]
                joins +=
                    "\(a.sourceIndex),\(a.fileIndex),\(a.order);\(b.sourceIndex),\(b.fileIndex),\(b.order);\(join.logOdds);\(ProbabilisticLinker.describe(join.pattern))\n"
            }
            try AtomicFile.write(joins, to: path + ".kanten", mode: 0o600)
        }
        summary.reviewFile = try writeReviewList(linked, files: files, pseudonymizer: pseudonymizer, quarantine: quarantine)
        logger.info(
            "Verknüpfung",
            metadata: [
                "paare_verglichen": "\(outcome.comparedPairs)", "paare_angenommen": "\(outcome.acceptedPairs)",
                "verkettungen_abgelehnt": "\(outcome.refusedJoins)", "erwartete_falsche_verknuepfungen": "\(summary.expectedFalseLinks)",
                "erwartete_verpasste_verknuepfungen": "\(summary.expectedMissedLinks)", "pruefpaare": "\(outcome.reviewPairs.count)",
                "entscheidungen_angewandt": "\(outcome.decisionsApplied)", "em_runden": "\(outcome.model.iterations)",
            ])
        return summary
    }

    /// Writes `quarantaene/<P>/pruefpaare.csv` (0600) with the review band's pairs, the records
    /// read again from their files; nil (and an old list removed) when there are none.
    func writeReviewList(_ linked: LinkedRecords, files: [[String]], pseudonymizer: Pseudonymizer, quarantine: Quarantine) throws(KlapptError) -> String? {
        let path = "\(quarantine.directory)/pruefpaare.csv"
        let pairs = linked.outcome.reviewPairs.sorted { ($0.probability, $1.first) > ($1.probability, $0.first) }
        guard !pairs.isEmpty else {
            unlink(path)
            return nil
        }
        // The rows wanted, per (source, file).
        var wanted: [Int: [Int: Set<Int>]] = [:]
        for pair in pairs {
            for position in [pair.first, pair.second] {
                guard let origin = linked.listed[position]?.origin else { continue }
                wanted[origin.sourceIndex, default: [:]][origin.fileIndex, default: []].insert(origin.order)
            }
        }
        // Each file is read again on its own, the files two at a time (a file is scanned to its last
        // wanted row).
        var readers: [Int: SourceReader] = [:]
        for sourceIndex in wanted.keys {
            readers[sourceIndex] = try SourceReader.make(
                source: pipeline.sources[sourceIndex], codeLists: pipeline.codeLists, nationalityBreakdown: pipeline.nationalityBreakdown,
                pseudonymizer: pseudonymizer, period: period)
        }
        let jobs = wanted.flatMap { source, byFile in byFile.map { (source: source, file: $0.key, orders: $0.value) } }.sorted {
            ($0.source, $0.file) < ($1.source, $1.file)
        }
        let chosen = readers
        let results = Mutex([Int: Result<[Int: (line: Int, values: [CanonicalField: String])], KlapptError>]())
        DispatchQueue.concurrentPerform(iterations: jobs.count) { job in
            let (sourceIndex, fileIndex, orders) = jobs[job]
            let file = files[sourceIndex][fileIndex]
            let result: Result<[Int: (line: Int, values: [CanonicalField: String])], KlapptError>
            do {
                let reader = chosen[sourceIndex]!
                result = .success(try reader.rows(file, try reader.layout(file), orders))
            } catch {
                result = .failure(KlapptError(error))
            }
            results.withLock { $0[job] = result }
        }
        var found: [Int: [Int: [Int: (line: Int, values: [CanonicalField: String])]]] = [:]
        let finished = results.withLock { $0 }
        for (job, entry) in jobs.enumerated() {
            found[entry.source, default: [:]][entry.file] = try finished[job]!.get()
        }
        func row(_ position: Int) -> LinkageReview.Row {
            let (origin, pseudonym) = linked.listed[position]!
            let entry = found[origin.sourceIndex]?[origin.fileIndex]?[origin.order]
            return LinkageReview.Row(
                satz: LinkageReview.satz(pseudonym), source: pipeline.sources[origin.sourceIndex].id,
                file: files[origin.sourceIndex][origin.fileIndex], line: entry?.line ?? 0,
                values: LinkageReview.shownFields.map { entry?.values[$0.0] ?? "" })
        }
        let listed = pairs.map { pair in
            LinkageReview.Pair(
                probability: pair.probability, comparison: ProbabilisticLinker.describe(pair.pattern), first: row(pair.first), second: row(pair.second))
        }
        return try quarantine.writeFile(named: "pruefpaare.csv", text: LinkageReview.text(listed))
    }
}
