import KlapptFormats

/// The code lists of a pipeline, loaded from their data files (SPEC 3: code lists are data, not
/// Swift literals) and checked against the values the domain knows.
public struct CodeLists: Sendable {
    /// DESTATIS key (3 digits) -> ISO 3166-1 alpha-3, or `unbekannt` for 997, 998, 999.
    public var nationalities: [String: String]
    /// ISO alpha-3 -> the German name of its first row (the report's labels).
    public var nationalityNames: [String: String]
    /// Normalised residence text (see `normaliseResidenceText`) -> group.
    public var residenceTexts: [String: ResidenceGroup]
    /// Postcode -> AGS of a district municipality.
    public var postcodes: [String: String]
    /// The district's municipalities in AGS order: the `gemeinde` categories.
    public var municipalities: [(ags: String, name: String)]
    /// ASD course code -> activity (SPEC 2.3).
    public var courses: [String: Activity]
    /// Job-centre status (upper case) -> activity (SPEC 4.3).
    public var jobcenterStatus: [String: Activity]
    /// Vocational-college status -> whether a record with it can be current (SPEC 4.3: 2 and 3)
    /// and what kind of leaving it records (SPEC 4.4: 8 Abschluss, 9 Abgang).
    public var collegeStatus: [String: CollegeStatus]
    /// Lower-cased sex value of any source -> sex.
    public var sexes: [String: Sex]

    public init(
        nationalities: String, residence: String, postcodes: String, courses: String,
        jobcenterStatus: String, collegeStatus: String, sexes: String
    ) throws(PipelineError) {
        let nat = try CodeList(path: nationalities)
        try nat.require("schluessel", "iso3")
        self.nationalities = try nat.map(key: "schluessel") { (row, line) throws(PipelineError) in
            guard ShortText(exactly: row["iso3"]!) != nil else {
                throw PipelineError(file: nationalities, line: line, message: "ISO-Code „\(row["iso3"]!)“ ist zu lang.")
            }
            return row["iso3"]!
        }
        var names: [String: String] = [:]
        if nat.columns.contains("bezeichnung") {
            for row in nat.rows where names[row["iso3"]!] == nil && !row["bezeichnung"]!.isEmpty { names[row["iso3"]!] = row["bezeichnung"]! }
        }
        self.nationalityNames = names

        let res = try CodeList(path: residence)
        try res.require("text", "gruppe")
        self.residenceTexts = try res.map(key: "text", normalise: CodeLists.normaliseResidenceText) { (row, line) throws(PipelineError) in
            guard let group = ResidenceGroup(rawValue: row["gruppe"]!) else {
                throw PipelineError(file: residence, line: line, message: "Unbekannte Aufenthaltsgruppe „\(row["gruppe"]!)“.")
            }
            return group
        }

        let plz = try CodeList(path: postcodes)
        try plz.require("plz", "ags", "gemeinde")
        self.postcodes = try plz.map(key: "plz") { (row, line) throws(PipelineError) in
            guard ShortText(exactly: row["ags"]!) != nil else { throw PipelineError(file: postcodes, line: line, message: "AGS „\(row["ags"]!)“ ist zu lang.") }
            return row["ags"]!
        }
        var seen: [String: String] = [:]
        for row in plz.rows { seen[row["ags"]!] = seen[row["ags"]!] ?? row["gemeinde"]! }
        self.municipalities = seen.sorted { $0.key < $1.key }.map { (ags: $0.key, name: $0.value) }

        func activities(_ path: String, key: String) throws(PipelineError) -> [String: Activity] {
            let list = try CodeList(path: path)
            try list.require(key, "aktivitaet")
            let upper: (String) -> String = { $0.uppercased() }
            return try list.map(key: key, normalise: upper) { (row, line) throws(PipelineError) in
                guard let activity = Activity(rawValue: row["aktivitaet"]!) else {
                    throw PipelineError(file: path, line: line, message: "Unbekannte Aktivität „\(row["aktivitaet"]!)“.")
                }
                return activity
            }
        }
        self.courses = try activities(courses, key: "gliederung")
        self.jobcenterStatus = try activities(jobcenterStatus, key: "status")

        let status = try CodeList(path: collegeStatus)
        try status.require("status", "aktuell", "austritt")
        self.collegeStatus = try status.map(key: "status") { (row, line) throws(PipelineError) in
            let current: Bool
            switch row["aktuell"]! {
            case "ja": current = true
            case "nein": current = false
            default: throw PipelineError(file: collegeStatus, line: line, message: "Spalte „aktuell“ muss „ja“ oder „nein“ sein.")
            }
            let leavingText = row["austritt"]!
            let leaving = Leaving(rawValue: leavingText)
            if !leavingText.isEmpty && leaving == nil {
                throw PipelineError(file: collegeStatus, line: line, message: "Spalte „austritt“ muss leer, „abschluss“ oder „abgang“ sein.")
            }
            return CollegeStatus(current: current, leaving: leaving)
        }

        let sex = try CodeList(path: sexes)
        try sex.require("wert", "geschlecht")
        let lower: (String) -> String = { $0.lowercased() }
        self.sexes = try sex.map(key: "wert", normalise: lower) { (row, line) throws(PipelineError) in
            guard let value = Sex(rawValue: row["geschlecht"]!) else {
                throw PipelineError(file: sexes, line: line, message: "Unbekanntes Geschlecht „\(row["geschlecht"]!)“.")
            }
            return value
        }
    }

    public struct CollegeStatus: Sendable {
        public var current: Bool
        public var leaving: Leaving?
    }

    /// SPEC 3.2: case-insensitive after trimming and collapsing white space.
    public static func normaliseResidenceText(_ text: String) -> String {
        collapsedWhitespace(text.lowercased())
    }

    /// The text trimmed, with each run of white space made one space.
    public static func collapsedWhitespace(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// Only the postcodes and municipalities of the district `key` (AGS prefix): the others count as
    /// outside (issue 22: one list may span several districts when the pipeline names its own).
    public mutating func keep(district key: String) {
        postcodes = postcodes.filter { $0.value.hasPrefix(key) }
        municipalities = municipalities.filter { $0.ags.hasPrefix(key) }
    }
}
