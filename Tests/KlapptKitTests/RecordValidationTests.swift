import KlapptTestSupport
import Testing

@testable import KlapptKit

@Suite struct RecordValidationTests {
    let jobcenter = standardPipeline.sources.first { $0.id == "jobcenter" }!
    let college = standardPipeline.sources.first { $0.id == "berufskolleg" }!

    /// A row to validate: its values and the element a record lacks (XML), if any.
    struct Row {
        var values: [CanonicalField: String]
        var missing: String?
    }

    func row(_ values: [CanonicalField: String], missing: String? = nil) -> Row { Row(values: values, missing: missing) }

    var validJobcenter: [CanonicalField: String] {
        [
            .recordID: "123D1", .familyName: "Al-Hassan", .givenName: "Mohammed", .birthDate: "15.05.2000", .sex: "m",
            .nationality: "475", .residence: " duldung  § 60a ", .postcode: "59423", .status: "alo", .statusSince: "01.02.2026", .asOf: "30.09.2026",
        ]
    }

    var validCollege: [CanonicalField: String] {
        [
            .recordID: "S1", .familyName: "Muhammad", .givenName: "Hassan", .birthDate: "2000-05-15", .sex: "4", .nationality: "423",
            .postcode: "", .status: "2", .course: "a14", .entryDate: "2026-08-01", .exitDate: "", .asOf: "2026-09-30",
        ]
    }

    func validate(_ source: SourceSpec, _ row: Row) -> (Result<CleanRecord, Rejection>, RowWarnings) {
        var warnings = RowWarnings()
        func run<Role: SourceSemantics>(_ role: Role) -> Result<CleanRecord, Rejection> {
            var validation = RecordValidation(
                source: source, role: role, codeLists: standardPipeline.codeLists, nationalityBreakdown: standardPipeline.nationalityBreakdown)
            return RawRow.with(origin: RowOrigin(sourceIndex: 0, fileIndex: 0, order: 0, line: 7), values: FieldValues(row.values), missingField: row.missing) {
                validation.validate($0, warnings: &warnings)
            }
        }
        let role = try! source.role.init(codeLists: standardPipeline.codeLists)
        return (run(role), warnings)
    }

    @Test func normalisesAValidJobcenterRow() throws {
        let (result, warnings) = validate(jobcenter, row(validJobcenter))
        let record = try result.get()
        #expect(record.givenToken == "mohammed")
        #expect(record.familyToken == "hassan")
        #expect(record.birthDate == CivilDate(year: 2000, month: 5, day: 15))
        #expect(record.sex == .m)
        #expect(record.nationality == "SYR")
        #expect(record.residence == .duldung)
        #expect(record.municipality == .district("05978036"))
        #expect(record.activity == .arbeitsuchend)
        #expect(record.status == "ALO")
        #expect(warnings.isEmpty)
    }

    @Test func normalisesAValidCollegeRecord() throws {
        let record = try validate(college, row(validCollege)).0.get()
        #expect(record.sex == .w)
        #expect(record.nationality == "AFG")
        #expect(record.municipality == .unknown)
        #expect(record.residence == .unbekannt)
        #expect(record.activity == .ausbildung)
        #expect(record.entryDate == CivilDate(year: 2026, month: 8, day: 1))
        #expect(record.exitDate == nil)
    }

    @Test(arguments: [
        (CanonicalField.birthDate, "2000-05-15", ReasonCode.birthDateInvalid),
        (.birthDate, "", .birthDateInvalid), (.birthDate, "31.02.2000", .birthDateInvalid),
        (.givenName, "  ", .nameMissing), (.familyName, "", .nameMissing), (.givenName, "محمد", .nameMissing),
        (.status, "XYZ", .statusUnknown), (.status, "", .statusUnknown),
        (.statusSince, "2026-02-01", .dateInvalid), (.asOf, "31.09.2026", .dateInvalid),
    ])
    func jobcenterRejections(field: CanonicalField, value: String, reason: ReasonCode) {
        var values = validJobcenter
        values[field] = value
        guard case .failure(let rejection) = validate(jobcenter, row(values)).0 else {
            Issue.record("expected \(reason)")
            return
        }
        #expect(rejection.reason == reason)
        #expect(rejection.origin.line == 7)
        #expect(rejection.field == jobcenter.fields[field])
    }

    @Test(arguments: [
        (CanonicalField.birthDate, "17.03.2004", ReasonCode.birthDateInvalid), (.status, "7", .statusUnknown),
        (.course, "Z99", .courseUnknown), (.course, "", .courseUnknown), (.entryDate, "2025-13-01", .dateInvalid),
        (.exitDate, "2026-02-30", .dateInvalid),
    ])
    func collegeRejections(field: CanonicalField, value: String, reason: ReasonCode) {
        var values = validCollege
        values[field] = value
        guard case .failure(let rejection) = validate(college, row(values)).0 else {
            Issue.record("expected \(reason)")
            return
        }
        #expect(rejection.reason == reason)
    }

    @Test func missingElementIsFeldFehltBeforeAnythingElse() {
        var values = validCollege
        values[.birthDate] = nil
        values[.status] = "7"
        guard case .failure(let rejection) = validate(college, row(values, missing: "Geburtsdatum")).0 else {
            Issue.record("expected feld_fehlt")
            return
        }
        #expect(rejection.reason == .fieldMissing)
        #expect(rejection.field == "Geburtsdatum")
    }

    @Test func firstDefectInSpecOrderIsTheReason() {
        var values = validJobcenter
        values[.givenName] = ""
        values[.status] = "XYZ"
        values[.birthDate] = "x"
        guard case .failure(let rejection) = validate(jobcenter, row(values)).0 else {
            Issue.record("expected rejection")
            return
        }
        #expect(rejection.reason == .birthDateInvalid)
    }

    @Test(arguments: [
        ("Aufenthaltsgestattung", ResidenceGroup.gestattung), ("AG § 55 AsylG", .gestattung), ("DULDUNG", .duldung),
        ("Beschäftigungsduldung § 60d", .duldung), ("AE § 25 Abs. 4", .schutz), ("AE  §  25b", .schutz),
        ("Aufenthaltserlaubnis (humanitär)", .schutz), ("§ 24 AufenthG", .ukraine), ("Chancen-Aufenthaltsrecht § 104c", .chancen),
        ("EU-Freizügigkeit", .andere), ("deutsch", .andere), ("", .unbekannt), ("Fiktionsbescheinigung", .unbekannt),
    ])
    func residenceTexts(text: String, group: ResidenceGroup) {
        var values = validJobcenter
        values[.residence] = text
        let (result, warnings) = validate(jobcenter, row(values))
        #expect((try? result.get())?.residence == group)
        #expect((warnings["aufenthalt_unbekannt"] != nil) == (text == "Fiktionsbescheinigung"))
    }

    @Test(arguments: [
        ("475", "SYR"), ("423", "AFG"), ("166", "UKR"), ("000", "sonstige"), ("221", "sonstige"),
        ("997", "unbekannt"), ("998", "unbekannt"), ("999", "unbekannt"), ("", "unbekannt"),
    ])
    func nationalityCategories(key: String, category: String) {
        var values = validJobcenter
        values[.nationality] = key
        #expect((try? validate(jobcenter, row(values)).0.get())?.nationality.string == category)
    }

    /// SPEC 2.1 v3 (issue 32): a birth date whose day, or day and month, is `00` is partly known, in
    /// every format: it stands for the first day of what is known, with its precision. A missing
    /// date (`00.00.0000`), a month `00` under a known day, or no real date is invalid.
    @Test(
        arguments: [
            ("00.05.2003", "2003-05-01", DatePrecision.month), ("00.00.2003", "2003-01-01", .year), ("15.05.2003", "2003-05-15", .day),
            ("00.02.2004", "2004-02-01", .month), ("00.00.0000", nil, nil), ("15.00.2003", nil, nil), ("00.13.2003", nil, nil),
            ("31.02.2003", nil, nil), ("0.0.2003", nil, nil), ("00.00.03", nil, nil),
        ] as [(String, String?, DatePrecision?)])
    func partlyKnownBirthDates(text: String, iso: String?, precision: DatePrecision?) throws {
        for (source, values, spelled) in [
            (jobcenter, validJobcenter, text),
            // The college's ISO format, with the same parts.
            (college, validCollege, "\(text.dropFirst(6))-\(text.dropFirst(3).prefix(2))-\(text.prefix(2))"),
        ] {
            var changed = values
            changed[.birthDate] = spelled
            let result = validate(source, row(changed)).0
            if let iso, let precision {
                let record = try result.get()
                #expect(record.birthDate.iso == iso, "\(spelled)")
                #expect(record.birthPrecision == precision, "\(spelled)")
            } else {
                guard case .failure(let rejection) = result else {
                    Issue.record("\(spelled) was accepted")
                    continue
                }
                #expect(rejection.reason == .birthDateInvalid, "\(spelled)")
            }
        }
        // Other date fields stay strict: `00` is no date there.
        var status = validJobcenter
        status[.statusSince] = text
        if text.hasPrefix("00") {
            guard case .failure(let rejection) = validate(jobcenter, row(status)).0 else {
                Issue.record("Status_seit \(text) was accepted")
                return
            }
            #expect(rejection.reason == .dateInvalid)
        }
    }

    /// Issue 31: ids and codes a spreadsheet turned into numbers are rejected with a reason of
    /// their own, naming the field; what only looks like a number stays valid.
    @Test(arguments: [
        (CanonicalField.recordID, "1.7976931348623157E+308", true), (.recordID, "1,21E+102", true), (.recordID, "1.21e102", true),
        (.recordID, "121E100113", false), (.recordID, "123D102035", false), (.recordID, "1,5E3", true), (.recordID, "12E+5", true),
        (.recordID, "123456789012", false), (.recordID, "9007199254740993", true), (.recordID, "99999999999999999999", true),
        (.recordID, "121100113.0", true), (.recordID, "inf", true), (.recordID, "-INF", true), (.recordID, "#ZAHL!", true), (.recordID, "1,#INF", true),
        (.recordID, "17.05.2001", true), (.recordID, "S42000460", false), (.recordID, "-00380115188", false),
        (.postcode, "4532", true), (.postcode, "59423.0", true), (.postcode, "59.423", true), (.postcode, "59423", false), (.postcode, "44135", false),
        (.postcode, "", false), (.nationality, "0", true), (.nationality, "75", true), (.nationality, "475", false), (.nationality, "4,75E+2", true),
        (.status, "1E+00", true),
    ])
    func spreadsheetNumbers(field: CanonicalField, value: String, damaged: Bool) throws {
        var values = validJobcenter
        values[field] = value
        let result = validate(jobcenter, row(values)).0
        if damaged {
            guard case .failure(let rejection) = result else {
                Issue.record("\(value) in \(field) was accepted")
                return
            }
            #expect(rejection.reason == .spreadsheetNumber)
            #expect(rejection.field == jobcenter.fields[field])
        } else {
            #expect((try? result.get()) != nil, "\(value) in \(field)")
        }
    }

    @Test(arguments: [("59423", Municipality.district("05978036")), ("44501", .district("05978024")), ("", .unknown), ("44135", .outside), ("abc", .outside)])
    func municipalities(postcode: String, municipality: Municipality) {
        var values = validJobcenter
        values[.postcode] = postcode
        #expect((try? validate(jobcenter, row(values)).0.get())?.municipality == municipality)
    }

    @Test(arguments: [("M", Sex.m), ("weiblich", .w), ("d", .d), ("", .x), ("?", .x)])
    func sexes(value: String, sex: Sex) {
        var values = validJobcenter
        values[.sex] = value
        #expect((try? validate(jobcenter, row(values)).0.get())?.sex == sex)
    }
}
