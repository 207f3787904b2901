import Foundation
import KlapptFormats
import KlapptKit

/// Writes realistic synthetic exports in the reference layouts (SPEC 2.2, 2.3, 2.5) together with the
/// figures a correct pipeline must compute from them (`erwartet_<period>.json`).
///
/// The generator first decides what is true of each person (age, residence group, what they do on
/// the reference date, which flows they had) and then renders records that say so, with the mess
/// of real exports: Windows-1252 and UTF-8 with BOM, quoted `;`, quotes and line breaks in
/// `Bemerkung`, exact duplicate rows, rows that must be rejected, unknown residence texts, name
/// variants and swapped name fields across sources, a later delivery that supersedes rows, CDATA,
/// character references, comments and namespace prefixes in XML, birthdays right on the age bounds.
/// Its expectations come from that truth, not from the pipeline's code.
/// A municipality of the district the samples are made for.
public struct SampleMunicipality: Sendable, Equatable {
    public var ags: String
    public var name: String
    public var postcodes: [String]

    public init(ags: String, name: String, postcodes: [String]) {
        self.ags = ags
        self.name = name
        self.postcodes = postcodes
    }

    /// The municipalities of a postcode list (`plz;ags;gemeinde`, SPEC 3.3), in the order of their AGS.
    public static func from(postcodeList path: String) throws(PipelineError) -> [SampleMunicipality] {
        let list = try CodeList(path: path)
        try list.require("plz", "ags", "gemeinde")
        var byAGS: [String: SampleMunicipality] = [:]
        for row in list.rows {
            byAGS[row["ags"]!, default: SampleMunicipality(ags: row["ags"]!, name: row["gemeinde"]!, postcodes: [])].postcodes.append(row["plz"]!)
        }
        guard !byAGS.isEmpty else { throw PipelineError(file: path, message: "Die Postleitzahlenliste ist leer.") }
        return byAGS.values.sorted { $0.ags < $1.ags }
    }
}

public struct SampleGenerator {
    public var persons: Int
    public var seed: UInt64
    public var period: Period
    /// The sources to write; with one only, every invented person has records in it alone (for
    /// benchmarks of one reader: a 1.8-million-row job-centre file, say).
    public var sources: Set<SampleSource>
    /// How the job centre's and the register's lists are written (the colleges' files are XML).
    public var listFormat: SampleListFormat = .csv
    /// How the colleges' exports are written.
    public var collegeLayout: SampleCollegeLayout = .xml
    /// Whether the partners write a person's names and birth date differently, as real partners do
    /// (transliterations, compound names, typing errors, swapped fields, `00.00.`, a fictitious
    /// 1 January, day and month swapped, a wrong digit), with siblings born the same day. The
    /// expectation stays the true persons' figures: a linkage is measured against them.
    public var identityVariants = false
    /// The district's municipalities with their postcodes, where the invented persons live
    /// (default: Kreis Unna's ten with their main postcodes; `klappt samples --plz` for another).
    public var municipalities: [SampleMunicipality] = SampleVocabulary.municipalities.map {
        SampleMunicipality(ags: $0.ags, name: $0.name, postcodes: $0.postcodes)
    }

    public init(persons: Int = 400, seed: UInt64 = 1, period: Period, sources: Set<SampleSource> = Set(SampleSource.allCases)) {
        self.persons = persons
        self.seed = seed
        self.period = period
        self.sources = sources
    }

    /// Places outside the district (Dortmund, Hamm, Essen; those of them the district's own list
    /// does not name).
    var outsidePostcodes: [(String, String)] {
        let inside = Set(municipalities.flatMap(\.postcodes))
        let outside = SampleVocabulary.outsidePostcodes.filter { !inside.contains($0.0) }
        return outside.isEmpty ? [("99999", "Anderswo")] : outside
    }

    /// What a run on the generated files must report.
    public struct Expectation: Codable, Sendable {
        public struct File: Codable, Sendable, Equatable {
            public var file: String
            public var rowsRead: Int
            public var accepted: Int
            public var rejected: Int
            public var duplicates: Int
            public var reasons: [String: Int]

            enum CodingKeys: String, CodingKey {
                case file, accepted, rejected, duplicates, reasons
                case rowsRead = "rows_read"
            }
        }

        public var zeitraum: String
        public var files: [File]
        public var persons: Int
        public var targetGroup: Int
        /// `indikator|dimension|auspraegung` -> exact count.
        public var figures: [String: Int]
        /// `von|nach` -> persons (SPEC 10), from the second quarter of `writeQuarters` on.
        public var transitions: [String: Int]? = nil

        enum CodingKeys: String, CodingKey {
            case zeitraum, files, persons, figures, transitions
            case targetGroup = "target_group"
        }
    }

    // MARK: - The truth

    struct JobcenterState {
        var customer: String
        var status: String
        var since: CivilDate
        var measure: String
    }

    struct CollegeRecord {
        var school: Int
        var id: String
        var course: String
        var status: String
        var entry: CivilDate?
        var exit: CivilDate?
        var current: Bool
        var entryFlow: Bool
        var qualification: Bool
        var dropout: Bool
    }

    /// Where a person lives.
    struct Address {
        var postcode: String
        var place: String
        var ags: String?
        var outside: Bool
    }

    struct TruePerson {
        var given: Int
        var family: Int
        var birth: CivilDate
        var sex: String
        var nationality: (key: String, category: String)
        var postcode: String
        var place: String
        var ags: String?
        var outside: Bool
        var jobcenterResidence: (text: String, group: String?)
        var collegeResidence: (text: String, group: String?)?
        /// Job-centre rows that count, in file order; the last of each customer number wins.
        var jobcenter: [JobcenterState] = []
        var college: [CollegeRecord] = []
        /// In the register of the immigration office (SPEC 2.5), under this AZR number.
        var azr: String? = nil
        /// The register's residence text and its group (nil: not classifiable, or the provisional
        /// document); authoritative (SPEC 4.2: the register comes first).
        var registerResidence: (text: String, group: String?) = ("", nil)
        /// An older register row of the same AZR number with another text, superseded by Stand.
        var registerOutdatedText: String? = nil
        /// The register's address where it differs from the one the programmes know (a move).
        var registerAddress: Address? = nil
        /// The job centre leaves sex empty, or gives nationality 999, for this person (the register
        /// or a college may know better: SPEC 4.2 takes the first known value).
        var jobcenterSexBlank = false
        var jobcenterNationalityUnknown = false
        /// With `identityVariants`: the spellings the partners use for this person's names (the
        /// first is the register's), a second given name, and how the birth date was registered.
        var spellings: (given: [String], family: [String])? = nil
        var secondGiven: String? = nil
        var registeredBirth: RegisteredBirth = .known
        /// The real birth date where the register and the job centre do not know it (`birth` is
        /// then the 1 January of its year: the date SPEC 4.2 takes the age from).
        var realBirth: CivilDate? = nil
    }

    // MARK: - Writing

    /// Generates the exports under `directory` (`auslaenderbehoerde/`, `jobcenter/`, `berufskolleg/`)
    /// and the expectation.
    @discardableResult
    public func write(to directory: String) throws -> Expectation {
        var random = SeededRandom(seed: seed)
        let people = makePeople(&random)
        return try writeQuarter(people, to: directory, &random)
    }

    /// Writes one quarter of `people` and its expectation.
    func writeQuarter(_ people: [TruePerson], to directory: String, _ random: inout SeededRandom) throws -> Expectation {
        let reference = period.referenceDate
        let fm = FileManager.default
        try fm.createDirectory(atPath: "\(directory)/jobcenter", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: "\(directory)/berufskolleg", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: "\(directory)/auslaenderbehoerde", withIntermediateDirectories: true)

        var files: [Expectation.File] = []
        var lists: [Expectation.File] = []
        if sources.contains(.auslaenderbehoerde) { lists += try writeRegister(people, directory: directory, random: &random) }
        if sources.contains(.jobcenter) { lists += try writeJobcenter(people, directory: directory, random: &random) }
        if listFormat == .xlsx { lists = try lists.map { try Self.convertToWorkbook($0, directory: directory) } }
        files += lists
        if sources.contains(.berufskolleg) {
            files +=
                collegeLayout == .svws
                ? try writeSVWSColleges(people, directory: directory, random: &random) : try writeColleges(people, directory: directory, random: &random)
        }

        // Known to some source this quarter (people who moved away are not).
        let known = people.filter { $0.azr != nil || !$0.jobcenter.isEmpty || !$0.college.isEmpty }
        let expectation = Expectation(
            zeitraum: period.description, files: files, persons: known.count,
            targetGroup: people.filter { isTargetGroup($0, reference: reference) }.count,
            figures: figures(people, reference: reference))
        try save(expectation, to: directory)
        // For measurements of linkage only (benchmarks/linkage_quality.py), never in the exports:
        // which true person each record id belongs to.
        if ProcessInfo.processInfo.environment["KLAPPT_SAMPLES_WAHRHEIT"] != nil {
            var truth = "quelle;kennung;person\n"
            for (index, person) in people.enumerated() {
                if let azr = person.azr { truth += "auslaenderbehoerde;\(azr);\(index)\n" }
                for state in person.jobcenter { truth += "jobcenter;\(state.customer);\(index)\n" }
                for record in person.college { truth += "berufskolleg;\(record.id);\(index)\n" }
            }
            try truth.write(toFile: "\(directory)/wahrheit_\(period).csv", atomically: true, encoding: .utf8)
        }
        return expectation
    }

    func save(_ expectation: Expectation, to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(expectation).write(to: URL(fileURLWithPath: "\(directory)/erwartet_\(period).json"))
    }

    // MARK: - People

    func makePeople(_ random: inout SeededRandom) -> [TruePerson] {
        let reference = period.referenceDate
        // A person is (given-name group, family-name group, birth date); each combination once.
        // Small samples draw from the spelling groups only, large ones also from the double names.
        let families = persons <= 50_000 ? SampleVocabulary.familyNames.count : SampleVocabulary.allFamilyNames.count
        let capacity = SampleVocabulary.givenNames.count * families * 17 * 365 / 2
        precondition(persons <= capacity, "klappt samples: höchstens \(capacity) Personen möglich")
        var used = Set<Int>()
        var people: [TruePerson] = []
        var customer = 100_000
        var student = 42_000_000
        for index in 0..<persons {
            var person: TruePerson
            repeat {
                let given = Int.random(in: 0..<SampleVocabulary.givenNames.count, using: &random)
                let family = Int.random(in: 0..<families, using: &random)
                var birth: CivilDate
                switch index {
                // Birthdays right on the age bounds (SPEC 4.2): 18 today, 18 tomorrow, 27 today, 27 tomorrow.
                case 0: birth = shift(reference, years: -18, days: 0)
                case 1: birth = shift(reference, years: -18, days: 1)
                case 2: birth = shift(reference, years: -27, days: 0)
                case 3: birth = shift(reference, years: -27, days: 1)
                default:
                    let age = random.weighted([
                        (Int.random(in: 18...26, using: &random), 85), (Int.random(in: 15...17, using: &random), 7),
                        (Int.random(in: 27...31, using: &random), 8),
                    ])
                    birth = shift(reference, years: -age, days: -Int.random(in: 0..<365, using: &random))
                }
                person = TruePerson(
                    given: given, family: family, birth: birth,
                    sex: random.weighted([("m", 60), ("w", 36), ("d", 2), ("x", 2)]),
                    nationality: random.weighted(SampleVocabulary.nationalities),
                    postcode: "", place: "", ags: nil, outside: false,
                    jobcenterResidence: ("", nil), collegeResidence: nil)
            } while !used.insert((person.given * 10_000 + person.family) * 1_000_000 + person.birth.dayNumber + 500_000).inserted
            // Where they live: mostly in the district, some outside, some unknown.
            switch random.weighted([("in", 88), ("out", 8), ("empty", 4)]) {
            case "in":
                let municipality = random.pick(municipalities)
                person.postcode = random.pick(municipality.postcodes)
                person.place = municipality.name
                person.ags = municipality.ags
            case "out":
                let (postcode, place) = random.pick(outsidePostcodes)
                person.postcode = postcode
                person.place = place
                person.outside = true
            default:
                break
            }
            person.jobcenterResidence = residenceText(&random)
            var membership = random.weighted([("jc", 55), ("bk", 25), ("both", 20)])
            if !sources.contains(.berufskolleg) { membership = "jc" }
            if !sources.contains(.jobcenter) { membership = "bk" }
            if sources.contains(.auslaenderbehoerde) {
                // Known to the register only: reached by no programme (SPEC 5: ohne_aktivitaet).
                let registerOnly = !sources.contains(.jobcenter) && !sources.contains(.berufskolleg) || random.chance(0.2)
                if registerOnly { membership = "register" }
                register(&person, only: registerOnly, &random)
            }
            if membership != "bk" && membership != "register" {
                person.jobcenterSexBlank = person.azr != nil && random.chance(0.1)
                person.jobcenterNationalityUnknown = person.azr != nil && random.chance(0.08)
                customer += Int.random(in: 1...40, using: &random)
                person.jobcenter.append(jobcenterState(customer: "123D\(customer)", &random))
                if random.chance(0.02) {
                    // Registered twice under another customer number: both rows count.
                    customer += 7
                    person.jobcenter.append(jobcenterState(customer: "123D\(customer)", &random))
                }
            }
            if membership != "jc" && membership != "register" {
                // Schools rarely keep the residence status.
                if membership == "bk" ? random.chance(0.75) : random.chance(0.2) {
                    person.collegeResidence = residenceText(&random)
                }
                let count = random.chance(0.2) ? 2 : 1
                for _ in 0..<count {
                    student += Int.random(in: 1...30, using: &random)
                    person.college.append(collegeRecord(id: "S\(student)", &random))
                }
            }
            people.append(person)
        }
        if identityVariants { addIdentityVariants(&people, &random) }
        return people
    }

    /// Puts a person into the register (most are; a person known only to the register always is,
    /// and so is no one who lives outside the district unless the register knows a move into it).
    func register(_ person: inout TruePerson, only: Bool, _ random: inout SeededRandom) {
        func districtAddress(_ random: inout SeededRandom) -> Address {
            let municipality = random.pick(municipalities)
            return Address(postcode: random.pick(municipality.postcodes), place: municipality.name, ags: municipality.ags, outside: false)
        }
        var address: Address? = nil
        if person.outside {
            // The register holds the district's residents: someone the programmes know with an
            // address outside is in it only after a move into the district (which it knows first).
            guard only || random.chance(0.3) else { return }
            address = districtAddress(&random)
        } else {
            guard only || random.chance(0.8) else { return }
            if random.chance(0.06) || (person.postcode.isEmpty && random.chance(0.8)) { address = districtAddress(&random) }
        }
        // A number of its own per person (drawn at random, 500,000 people would share one with a
        // chance of one in seven): from the identity, which is unique.
        let identity = (person.given * 10_000 + person.family) * 1_000_000 + person.birth.dayNumber + 500_000
        person.azr = String(format: "%012d", 100_000_000_000 + identity)
        person.registerAddress = address
        switch random.weighted([("known", 86), ("provisional", 4), ("unknown", 3), ("sameAsJobcentre", 7)]) {
        case "provisional": person.registerResidence = (SampleVocabulary.provisionalResidenceText, nil)
        case "unknown": person.registerResidence = (random.pick(SampleVocabulary.unknownResidenceTexts), nil)
        case "sameAsJobcentre":
            // The same group as the job centre's, in the register's words.
            let same = SampleVocabulary.registerResidenceTexts.filter { $0.group != nil && $0.group == person.jobcenterResidence.group }
            let entry = same.isEmpty ? random.pick(SampleVocabulary.registerResidenceTexts) : random.pick(same)
            person.registerResidence = (entry.text, entry.group)
        default:
            let entry = random.pick(SampleVocabulary.registerResidenceTexts)
            person.registerResidence = (entry.text, entry.group)
        }
        if random.chance(0.05) { person.registerOutdatedText = random.pick(SampleVocabulary.registerResidenceTexts).text }
    }

    func residenceText(_ random: inout SeededRandom) -> (text: String, group: String?) {
        switch random.weighted([("known", 90), ("unknown", 5), ("empty", 5)]) {
        case "known":
            let entry = random.pick(SampleVocabulary.residenceTexts)
            return (entry.text, entry.group)
        case "unknown":
            return (random.pick(SampleVocabulary.unknownResidenceTexts), nil)
        default:
            return ("", nil)
        }
    }

    func jobcenterState(customer: String, _ random: inout SeededRandom) -> JobcenterState {
        let status = random.weighted([("ALO", 25), ("ASU", 15), ("MAS", 20), ("AUS", 12), ("SVB", 10), ("GFB", 8), ("SON", 10)])
        let since: CivilDate
        if random.chance(0.3) {
            since = day(in: period, &random)
        } else {
            since = shift(period.firstDay, years: 0, days: -Int.random(in: 1...700, using: &random))
        }
        return JobcenterState(customer: customer, status: status, since: since, measure: status == "MAS" ? random.pick(SampleVocabulary.measures) : "")
    }

    func collegeRecord(id: String, _ random: inout SeededRandom) -> CollegeRecord {
        let training = random.chance(0.45)
        let course = training ? random.pick(SampleVocabulary.trainingCourses) : random.pick(SampleVocabulary.schoolCourses)
        let earlier = { (r: inout SeededRandom) in shift(self.period.firstDay, years: 0, days: -Int.random(in: 1...900, using: &r)) }
        var record = CollegeRecord(
            school: Int.random(in: 0..<SampleVocabulary.schools.count, using: &random), id: id, course: course,
            status: "2", entry: nil, exit: nil, current: false, entryFlow: false, qualification: false, dropout: false)
        let reference = period.referenceDate
        switch random.weighted([
            ("current", 52), ("currentLeavingLater", 6), ("enteredNow", 10), ("future", 4), ("qualified", 8),
            ("droppedOut", 8), ("leftEarlier", 5), ("waiting", 3), ("leftOnReferenceDay", 4),
        ]) {
        case "current":
            record.status = random.pick(["2", "2", "2", "3"])
            record.entry = earlier(&random)
            record.current = true
        case "currentLeavingLater":
            record.status = "2"
            record.entry = earlier(&random)
            record.exit = shift(reference, years: 0, days: Int.random(in: 1...300, using: &random))
            record.current = true
        case "enteredNow":
            record.status = "2"
            record.entry = day(in: period, &random)
            record.current = true
            record.entryFlow = training
        case "future":
            record.status = "2"
            record.entry = shift(reference, years: 0, days: Int.random(in: 1...60, using: &random))
        case "qualified":
            record.status = "8"
            record.entry = earlier(&random)
            record.exit = day(in: period, &random)
            record.qualification = true
        case "droppedOut":
            record.status = "9"
            record.entry = earlier(&random)
            record.exit = day(in: period, &random)
            record.dropout = training
        case "leftEarlier":
            record.status = random.pick(["8", "9", "10"])
            record.entry = shift(period.firstDay, years: -2, days: 0)
            record.exit = shift(period.firstDay, years: 0, days: -Int.random(in: 1...300, using: &random))
        case "waiting":
            record.status = random.pick(["0", "1"])
            record.entry = random.chance(0.5) ? shift(reference, years: 0, days: Int.random(in: 20...200, using: &random)) : nil
        default:  // leaves on the reference day: no longer current (SPEC 4.3: Entlassdatum after it)
            record.status = "2"
            record.entry = earlier(&random)
            record.exit = reference
        }
        return record
    }

    // MARK: - Ground truth (SPEC 4.2-5, from the truth, not from the rendered records)

    func age(_ birth: CivilDate, on reference: CivilDate) -> Int {
        let hadBirthday = reference.month > birth.month || (reference.month == birth.month && reference.day >= birth.day)
        return reference.year - birth.year - (hadBirthday ? 0 : 1)
    }

    /// SPEC 4.2 (v2): each attribute from the first source, in the order register, job centre,
    /// college, that knows it.
    func residenceGroup(_ person: TruePerson) -> String {
        if person.azr != nil, let group = person.registerResidence.group { return group }
        if !person.jobcenter.isEmpty, let group = person.jobcenterResidence.group { return group }
        // The SVWS export has no residence status (SampleCollegeLayout.svws).
        if !person.college.isEmpty, collegeLayout == .xml, let group = person.collegeResidence?.group { return group }
        return "unbekannt"
    }

    func sex(_ person: TruePerson) -> String {
        let known = person.azr != nil || (!person.jobcenter.isEmpty && !person.jobcenterSexBlank) || !person.college.isEmpty
        return known ? person.sex : "x"
    }

    func nationality(_ person: TruePerson) -> String {
        let known = person.azr != nil || (!person.jobcenter.isEmpty && !person.jobcenterNationalityUnknown) || !person.college.isEmpty
        return known ? person.nationality.category : "unbekannt"
    }

    /// The first non-empty postcode: the register's address, else the one the programmes know.
    func address(_ person: TruePerson) -> Address {
        if person.azr != nil, let moved = person.registerAddress { return moved }
        let known = person.azr != nil || !person.jobcenter.isEmpty || !person.college.isEmpty
        return known
            ? Address(postcode: person.postcode, place: person.place, ags: person.ags, outside: person.outside)
            : Address(postcode: "", place: "", ags: nil, outside: false)
    }

    func isTargetGroup(_ person: TruePerson, reference: CivilDate) -> Bool {
        let years = age(person.birth, on: reference)
        return years >= 18 && years <= 26 && SampleVocabulary.refugeeGroups.contains(residenceGroup(person)) && !address(person).outside
    }

    func activity(_ person: TruePerson) -> String? {
        var activities: [String] = []
        // Per customer number, the last row counts (later rows correct earlier ones).
        var latest: [String: JobcenterState] = [:]
        for state in person.jobcenter { latest[state.customer] = state }
        for state in latest.values {
            switch state.status {
            case "AUS": activities.append("ausbildung")
            case "SVB": activities.append("beschaeftigung")
            case "MAS": activities.append("massnahme")
            case "ALO", "ASU": activities.append("arbeitsuchend")
            default: activities.append("sonstige")
            }
        }
        for record in person.college where record.current {
            activities.append(SampleVocabulary.trainingCourses.contains(record.course) ? "ausbildung" : "schule")
        }
        let priority = ["ausbildung", "beschaeftigung", "schule", "massnahme", "arbeitsuchend", "sonstige"]
        return priority.first(where: activities.contains)
    }

    func figures(_ people: [TruePerson], reference: CivilDate) -> [String: Int] {
        let dimensions: [(String, [String])] = [
            ("insgesamt", ["insgesamt"]),
            ("gemeinde", municipalities.map(\.ags).sorted() + ["unbekannt"]),
            ("geschlecht", ["m", "w", "d", "x"]),
            ("altersgruppe", ["18-20", "21-23", "24-26"]),
            ("aufenthalt", SampleVocabulary.refugeeGroups),
            ("staatsangehoerigkeit", ["AFG", "ERI", "IRN", "IRQ", "NGA", "PAK", "SOM", "SYR", "UKR", "TUR", "sonstige", "unbekannt"]),
        ]
        let indicators = [
            "zielgruppe", "personen", "ausbildung", "beschaeftigung", "schule", "massnahme", "arbeitsuchend", "sonstige",
            "ohne_aktivitaet", "eintritt_ausbildung", "abschluss", "abbruch",
        ]
        var result: [String: Int] = [:]
        for indicator in indicators {
            for (dimension, categories) in dimensions { for category in categories { result["\(indicator)|\(dimension)|\(category)"] = 0 } }
        }
        for person in people where isTargetGroup(person, reference: reference) {
            var counted = ["zielgruppe"]
            if let activity = activity(person) { counted += ["personen", activity] } else { counted.append("ohne_aktivitaet") }
            let latest = Dictionary(person.jobcenter.map { ($0.customer, $0) }, uniquingKeysWith: { $1 }).values
            if latest.contains(where: { $0.status == "AUS" && period.contains($0.since) }) || person.college.contains(where: \.entryFlow) {
                counted.append("eintritt_ausbildung")
            }
            if person.college.contains(where: \.qualification) { counted.append("abschluss") }
            if person.college.contains(where: \.dropout) { counted.append("abbruch") }
            let years = age(person.birth, on: reference)
            let categories = [
                ("insgesamt", "insgesamt"), ("gemeinde", address(person).ags ?? "unbekannt"), ("geschlecht", sex(person)),
                ("altersgruppe", years <= 20 ? "18-20" : years <= 23 ? "21-23" : "24-26"),
                ("aufenthalt", residenceGroup(person)), ("staatsangehoerigkeit", nationality(person)),
            ]
            for indicator in counted { for (dimension, category) in categories { result["\(indicator)|\(dimension)|\(category)", default: 0] += 1 } }
        }
        return result
    }

    // MARK: - Dates

    /// `years` years (the same day, or the month's last day) and then `days` days from `date`.
    func shift(_ date: CivilDate, years: Int, days: Int) -> CivilDate {
        let year = date.year + years
        let moved = CivilDate(year: year, month: date.month, day: min(date.day, CivilDate.daysInMonth(year: year, month: date.month)))!
        return moved.adding(days: days)
    }

    func day(in period: Period, _ random: inout SeededRandom) -> CivilDate {
        let first = period.firstDay
        let length = 92
        var date = shift(first, years: 0, days: Int.random(in: 0..<length, using: &random))
        if date > period.referenceDate { date = period.referenceDate }
        return date
    }
}

/// The exports the generator can write, by the role of the source that sends them.
public enum SampleSource: String, Sendable, CaseIterable {
    case jobcenter, berufskolleg, auslaenderbehoerde
}
