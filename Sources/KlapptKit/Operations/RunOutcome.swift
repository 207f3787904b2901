/// Accounting of one input file (SPEC 2.1, 7): `rows_read = accepted + rejected + duplicates`.
public struct FileAccount: Sendable, Codable, Equatable {
    public var source: String
    public var file: String
    public var sha256: String
    public var rowsRead: Int
    public var accepted: Int
    public var rejected: Int
    public var duplicates: Int
    /// Reason code -> rows.
    public var reasons: [String: Int]
    /// Accepted rows replaced by a newer row of the same customer number or student id (SPEC 4.1).
    public var superseded: Int
    /// The newest `Stand` of the file's accepted rows (ISO date), for the plausibility check.
    public var newestStand: String? = nil
    /// The school number of a college export (its root attribute), when the pipeline expects schools.
    public var school: String? = nil
    /// The line of the header row when title lines stand above it (nil: line 1).
    public var headerLine: Int? = nil
    /// Trailing rows that hold only a total or a note ("Summe: 263"): not records, so neither
    /// accepted nor rejected, and not in `rowsRead` (handbook, 7c); nil: none. Both are absent
    /// from the report of an ordinary file, which so stays as it was.
    public var footerRows: Int? = nil

    enum CodingKeys: String, CodingKey {
        case source, file, sha256, accepted, rejected, duplicates, reasons, superseded, school
        case rowsRead = "rows_read"
        case newestStand = "newest_stand"
        case headerLine = "header_line"
        case footerRows = "footer_rows"
    }
}

/// The funnel from linked persons to the target group (SPEC 4.2), for the run report.
public struct TargetGroupCounts: Sendable, Codable, Equatable {
    public var persons: Int
    public var ageInRange: Int
    public var refugeeResidence: Int
    public var inDistrictOrUnknown: Int
    public var targetGroup: Int
    public var withCurrentRecord: Int
    /// Persons of the right age in the district or with unknown municipality whose residence group
    /// is `unbekannt` only because a residence text is missing from the code list: with the text
    /// mapped to a refugee-context group they would be in the target group.
    public var outByUnknownResidenceText: Int = 0

    public init(persons: Int, ageInRange: Int, refugeeResidence: Int, inDistrictOrUnknown: Int, targetGroup: Int, withCurrentRecord: Int) {
        self.persons = persons
        self.ageInRange = ageInRange
        self.refugeeResidence = refugeeResidence
        self.inDistrictOrUnknown = inDistrictOrUnknown
        self.targetGroup = targetGroup
        self.withCurrentRecord = withCurrentRecord
    }

    /// Counts one person into the funnel.
    public mutating func count(_ person: PersonFacts) {
        persons += 1
        guard person.ageInRange else { return }
        ageInRange += 1
        if person.residenceUnmapped, person.inDistrict { outByUnknownResidenceText += 1 }
        guard person.refugeeContext else { return }
        refugeeResidence += 1
        guard person.inDistrict else { return }
        inDistrictOrUnknown += 1
        targetGroup += 1
        if person.activity != nil { withCurrentRecord += 1 }
    }

    enum CodingKeys: String, CodingKey {
        case persons
        case ageInRange = "age_in_range"
        case refugeeResidence = "and_refugee_residence"
        case inDistrictOrUnknown = "and_in_district_or_unknown"
        case targetGroup = "target_group"
        case withCurrentRecord = "stock_with_current_record"
        case outByUnknownResidenceText = "out_by_unknown_residence_text"
    }
}

/// A rejected row as it is stored: where and why, no content (SPEC 7).
public struct StoredRejection: Sendable, Equatable {
    public var source: String
    public var file: String
    public var line: Int
    public var reason: ReasonCode
    public var field: String?
}

/// Everything a run found, before it is written anywhere.
public struct RunOutcome: Sendable {
    public var period: Period
    public var pipelineName: String
    public var startedAt: String
    public var files: [FileAccount]
    public var personsBySource: [String: Int]
    public var linkedPersons: Int
    public var filter: TargetGroupCounts
    /// Warning kind -> value -> count.
    public var warnings: [String: [String: Int]]
    public var rejections: [StoredRejection]
    public var quarantineFiles: [String]
    /// The local file (0600, in the quarantine folder) that lists the values no code list knows.
    public var unknownValuesFile: String? = nil
    public var table: ProtectedTable?
    /// SPEC 10: where people went since the previous quarter (exact), or why there is no table.
    public var transitions: TransitionTable? = nil
    public var previousPeriod: Period? = nil
    public var transitionNote: String? = nil
    /// The previous quarter's published `insgesamt` values per state (`*` where withheld), for the
    /// summary's "Von 212 Personen in Schule im Vorquartal: …".
    public var previousTotals: [String: String] = [:]
    /// Plausibility findings (issue 9); non-empty only when the operator overrode them.
    public var plausibilityFindings: [String] = []
    /// What probabilistic linkage found and estimates of its errors (nil under exact linkage).
    public var linkage: LinkageSummary? = nil
}

/// How a run ended: states that cannot coexist, as cases.
public enum RunResult: Sendable {
    /// The period was already finished with exactly these inputs, pipeline and key: the start time
    /// of that run. Nothing was read or written (SPEC 7: no double work, no double counting).
    case unchanged(since: String)
    /// `klappt validate`: read and checked; only the check report was written.
    case validated(RunOutcome)
    /// Computed, protected, audited and published.
    case published(RunOutcome)

    /// What the run found; nil when it had nothing to do.
    public var outcome: RunOutcome? {
        switch self {
        case .unchanged: return nil
        case .validated(let outcome), .published(let outcome): return outcome
        }
    }

    /// The start of the finished run this one found unchanged.
    public var unchangedSince: String? {
        if case .unchanged(let since) = self { return since }
        return nil
    }
}
