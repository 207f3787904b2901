import KlapptKit

/// The generator's own knowledge of the domain, written down independently of the pipeline's code
/// lists and rules so that its ground truth is an independent check of them.
enum SampleVocabulary {
    /// Given names, grouped by spellings of the same name (each group one Kölner Phonetik code).
    static let givenNames: [[String]] = [
        ["Mohammed", "Mohammad", "Muhammad"], ["Khaled", "Chaled"], ["Yousef", "Yusuf"], ["Ahmad", "Ahmed"],
        ["Ali"], ["Hiba"], ["Fatima", "Fatma"], ["Omar", "Umar"], ["Aisha", "Aischa"], ["Amina"],
        ["Samira"], ["Olena"], ["Dmytro"], ["Reza"],
    ]

    /// Family names, grouped the same way; the codes of all groups differ from each other and from
    /// every given-name code (checked by a test), so distinct people never share linkage material.
    static let familyNames: [[String]] = [
        ["Al-Hassan", "Hassan", "El Hassan"], ["Khalil", "Chalil"], ["Abdullah", "Abdulla"],
        ["Haidari", "Heidari"], ["Rahimi", "Rahimy"], ["Tesfay", "Tesfai"], ["Okafor"],
        ["Yilmaz", "Yılmaz", "YILMAZ"], ["Sahin", "Şahin"], ["Kovalenko", "Kowalenko"], ["Nazari"],
        ["Osman"], ["Haddad"], ["Ibrahim", "Ibrahimi"], ["Warsame"], ["Bondarenko"], ["Melnyk", "Melnik"],
    ]

    /// Double family names ("Hassan-Khalil") for large samples: one spelling each, kept only when
    /// the joined name's phonetic code differs from every other family code and every given-name
    /// code, so that distinct invented people still never share linkage material. (The check uses
    /// the linkage rule's own phonetics; the figures the generator expects never do.)
    static let doubleFamilyNames: [String] = {
        func code(_ name: String, family: Bool) -> String {
            KoelnerPhonetik.code((family ? NameFolding.familyNameToken(name) : NameFolding.givenNameToken(name)) ?? "")
        }
        let givenCodes = Set(givenNames.map { code($0[0], family: false) })
        var taken = Set(familyNames.map { code($0[0], family: true) })
        let bases = familyNames.map { $0[0].split(whereSeparator: { $0 == "-" || $0 == " " }).last.map(String.init)! }
        var result: [String] = []
        for first in bases {
            for second in bases where second != first {
                let name = "\(first)-\(second)"
                let joined = code(name, family: true)
                if !givenCodes.contains(joined) && taken.insert(joined).inserted { result.append(name) }
            }
        }
        return result
    }()

    /// Every family-name group: the spelling groups, then the double names.
    static let allFamilyNames: [[String]] = familyNames + doubleFamilyNames.map { [$0] }

    /// DESTATIS key, breakdown category (SPEC 3.4), weight.
    static let nationalities: [((key: String, category: String), Int)] = [
        (("475", "SYR"), 25), (("423", "AFG"), 15), (("166", "UKR"), 15), (("438", "IRQ"), 8), (("163", "TUR"), 6),
        (("224", "ERI"), 5), (("439", "IRN"), 5), (("273", "SOM"), 3), (("232", "NGA"), 3), (("461", "PAK"), 3),
        (("261", "sonstige"), 3), (("221", "sonstige"), 2), (("000", "sonstige"), 2), (("160", "sonstige"), 2),
        (("997", "unbekannt"), 1), (("999", "unbekannt"), 1), (("", "unbekannt"), 1),
    ]

    /// The ten municipalities of the district with their main postcodes (SPEC 3.3).
    static let municipalities: [(ags: String, name: String, postcodes: [String])] = [
        ("05978004", "Bergkamen", ["59192"]), ("05978008", "Bönen", ["59199"]),
        ("05978012", "Fröndenberg/Ruhr", ["58730"]), ("05978016", "Holzwickede", ["59439"]),
        ("05978020", "Kamen", ["59174"]), ("05978024", "Lünen", ["44532", "44534", "44536"]),
        ("05978028", "Schwerte", ["58239"]), ("05978032", "Selm", ["59379"]),
        ("05978036", "Unna", ["59423", "59425", "59427"]), ("05978040", "Werne", ["59368"]),
    ]

    static let outsidePostcodes: [(String, String)] = [("44135", "Dortmund"), ("59065", "Hamm"), ("45127", "Essen")]

    /// Residence texts as case workers type them, by group (SPEC 3.2); nil group: not classifiable.
    static let residenceTexts: [(text: String, group: String?)] = [
        ("Aufenthaltsgestattung", "gestattung"), ("Gestattung", "gestattung"), ("AG § 55 AsylG", "gestattung"),
        ("Duldung", "duldung"), ("  duldung ", "duldung"), ("Duldung § 60a", "duldung"), ("Ausbildungsduldung § 60c", "duldung"),
        ("Beschäftigungsduldung § 60d", "duldung"),
        ("AE § 22", "schutz"), ("AE § 23 Abs. 1", "schutz"), ("AE § 25 Abs. 1", "schutz"), ("AE  § 25 Abs. 2", "schutz"),
        ("AE § 25 Abs. 3", "schutz"), ("AE § 25 Abs. 5", "schutz"), ("AE § 25a", "schutz"), ("AE § 25b", "schutz"),
        ("Aufenthaltserlaubnis (humanitär)", "schutz"),
        ("AE § 24", "ukraine"), ("§ 24 AufenthG", "ukraine"), ("Aufenthaltserlaubnis § 24", "ukraine"),
        ("AE § 104c", "chancen"), ("Chancen-Aufenthaltsrecht § 104c", "chancen"), ("§ 104c AufenthG", "chancen"),
        ("Niederlassungserlaubnis", "andere"), ("AE § 16a", "andere"), ("AE § 18a", "andere"), ("AE § 28", "andere"),
        ("EU-Freizügigkeit", "andere"), ("Deutsch", "andere"), ("sonstiger Titel", "andere"),
    ]

    /// The register's texts (SPEC 2.5, 3.2 v2): the document and its legal basis. The provisional
    /// `Fiktionsbescheinigung` says nothing of the status (group nil, but listed: no warning).
    static let registerResidenceTexts: [(text: String, group: String?)] = [
        ("Aufenthaltsgestattung (§ 55 AsylG)", "gestattung"), ("Duldung (§ 60a AufenthG)", "duldung"), ("Duldung (§ 60c AufenthG)", "duldung"),
        ("Duldung (§ 60d AufenthG)", "duldung"), ("Aufenthaltserlaubnis (§ 22 AufenthG)", "schutz"),
        ("Aufenthaltserlaubnis (§ 23 Abs. 1 AufenthG)", "schutz"), ("Aufenthaltserlaubnis (§ 25 Abs. 1 AufenthG)", "schutz"),
        ("Aufenthaltserlaubnis (§ 25 Abs. 2 AufenthG)", "schutz"), ("aufenthaltserlaubnis (§ 25 abs. 3 aufenthg)", "schutz"),
        ("Aufenthaltserlaubnis (§ 25a AufenthG)", "schutz"), ("Aufenthaltserlaubnis (§ 25b AufenthG)", "schutz"),
        ("Aufenthaltserlaubnis (§ 24 AufenthG)", "ukraine"), ("Aufenthaltserlaubnis  (§ 24 AufenthG)", "ukraine"),
        ("Aufenthaltserlaubnis (§ 104c AufenthG)", "chancen"), ("Niederlassungserlaubnis (§ 9 AufenthG)", "andere"),
        ("Aufenthaltserlaubnis (§ 16a AufenthG)", "andere"), ("Aufenthaltserlaubnis (§ 28 AufenthG)", "andere"),
    ]
    static let provisionalResidenceText = "Fiktionsbescheinigung (§ 81 AufenthG)"

    static let unknownResidenceTexts = ["Fiktionsbescheinigung", "in Klärung", "Grenzübertrittsbescheinigung", "AE §25(3) alt"]

    static let refugeeGroups = ["gestattung", "duldung", "schutz", "ukraine", "chancen"]

    /// Courses (SPEC 2.3): training courses and other Berufskolleg courses.
    static let trainingCourses = ["A01", "A02", "A03", "A04", "A16", "A14", "A15", "B08", "B09"]
    static let schoolCourses = ["A12", "A13", "A17", "A18", "A19", "B06", "B07", "C06", "C03"]

    static let measures = ["Integrationskurs", "Berufssprachkurs", "Aktivierungshilfe", "Einstiegsqualifizierung"]

    static let remarks = [
        "", "", "", "", "Termin am 12.10.; Rückruf erbeten", "sagt: \"kommt nächste Woche\"",
        "Dolmetscher nötig\r\nArabisch", "=Wiedervorlage", "Unterlagen fehlen; \"Pass\" nachreichen\nbis Oktober",
    ]

    static let schools: [(number: String, name: String)] = [
        ("170011", "Hansa-Berufskolleg Unna"), ("170023", "Lippe-Berufskolleg Lünen"), ("170035", "Märkisches Berufskolleg Unna"),
    ]
}
