import KlapptFormats

/// Validates and normalises raw rows of one source (SPEC 2.1, 3): each row becomes a
/// `CleanRecord` or a `Rejection` with one reason code.
///
/// When a row has several defects, the first in this order is its reason: a structural defect
/// (`spaltenzahl_falsch`, `feld_fehlt`), then the order of SPEC 2.1: `geburtsdatum_ungueltig`,
/// `name_fehlt`, `status_unbekannt`, `gliederung_unbekannt`, `datum_ungueltig`.
public struct RecordValidation: Stage {
    public let source: SourceSpec
    public let codeLists: CodeLists
    public let nationalityBreakdown: Set<String>

    /// Mapped date fields other than the birth date, and whether a course is mapped: looked up
    /// once, not per row.
    let otherDateFields: [CanonicalField]
    let mapsCourse: Bool

    public init(source: SourceSpec, codeLists: CodeLists, nationalityBreakdown: [String]) {
        self.source = source
        self.codeLists = codeLists
        self.nationalityBreakdown = Set(nationalityBreakdown)
        otherDateFields = [CanonicalField.statusSince, .entryDate, .exitDate, .asOf].filter { source.fields[$0] != nil }
        mapsCourse = source.fields[.course] != nil
    }

    public mutating func process(_ batch: [RawRow], in context: inout StageContext) -> [CleanRecord] {
        var accepted: [CleanRecord] = []
        accepted.reserveCapacity(batch.count)
        for row in batch {
            switch validate(row, warnings: &context) {
            case .success(let record): accepted.append(record)
            case .failure(let rejection): context.rejections.append(rejection)
            }
        }
        return accepted
    }

    public func validate(_ row: RawRow, warnings context: inout StageContext) -> Result<CleanRecord, Rejection> {
        func reject(_ reason: ReasonCode, _ field: CanonicalField?) -> Result<CleanRecord, Rejection> {
            .failure(Rejection(origin: row.origin, reason: reason, field: field.flatMap { source.fields[$0] }))
        }
        if let defect = row.structuralDefect { return .failure(Rejection(origin: row.origin, reason: defect, field: nil)) }
        if let missing = row.missingField { return .failure(Rejection(origin: row.origin, reason: .fieldMissing, field: missing)) }
        func value(_ field: CanonicalField) -> String { (row.values[field] ?? "").trimmingASCIIWhitespace() }
        func date(_ field: CanonicalField) -> (CivilDate?, valid: Bool) {
            let text = value(field)
            if text.isEmpty { return (nil, true) }
            guard let parsed = source.dateFormat.parse(text) else { return (nil, false) }
            return (parsed, true)
        }

        guard let birthDate = date(.birthDate).0 else { return reject(.birthDateInvalid, .birthDate) }
        guard let givenToken = NameFolding.givenNameToken(value(.givenName)) else { return reject(.nameMissing, .givenName) }
        guard let familyToken = NameFolding.familyNameToken(value(.familyName)) else { return reject(.nameMissing, .familyName) }

        let statusText = value(.status)
        let status: String
        var activity: Activity
        var canBeCurrent = true
        var leaving: Leaving?
        switch source.role {
        case .jobcenter:
            status = statusText.uppercased()
            guard let mapped = codeLists.jobcenterStatus[status] else { return reject(.statusUnknown, .status) }
            activity = mapped
        case .berufskolleg:
            status = statusText
            guard let mapped = codeLists.collegeStatus[status] else { return reject(.statusUnknown, .status) }
            canBeCurrent = mapped.current
            leaving = mapped.leaving
            activity = .schule
        }
        if source.role == .berufskolleg || mapsCourse {
            guard let course = codeLists.courses[value(.course).uppercased()] else { return reject(.courseUnknown, .course) }
            if source.role == .berufskolleg { activity = course }
        }
        var dates: [CanonicalField: CivilDate] = [:]
        for field in otherDateFields {
            let (parsed, valid) = date(field)
            guard valid else { return reject(.dateInvalid, field) }
            dates[field] = parsed
        }

        return .success(CleanRecord(
            origin: row.origin, role: source.role, recordID: value(.recordID),
            givenToken: givenToken, familyToken: familyToken, birthDate: birthDate,
            sex: sex(value(.sex), context: &context),
            nationality: nationality(value(.nationality), context: &context),
            municipality: municipality(value(.postcode)),
            residence: residence(value(.residence), context: &context),
            status: status, activity: activity,
            statusSince: dates[.statusSince], entryDate: dates[.entryDate], exitDate: dates[.exitDate], asOf: dates[.asOf],
            statusCanBeCurrent: canBeCurrent, leaving: leaving))
    }

    // MARK: - Normalisation (SPEC 3)

    func sex(_ text: String, context: inout StageContext) -> Sex {
        if let sex = codeLists.sexes[text.lowercased()] { return sex }
        if !text.isEmpty { context.warn("geschlecht_unbekannt", text) }
        return .x
    }

    /// SPEC 3.4: DESTATIS key -> breakdown category. Keys are 3 digits; shorter numbers are
    /// left-padded (`0` -> `000`) because spreadsheets drop leading zeros.
    func nationality(_ text: String, context: inout StageContext) -> String {
        if text.isEmpty { return "unbekannt" }
        var key = text
        if key.count < 3, key.allSatisfy({ $0.isASCII && $0.isNumber }) {
            key = String(repeating: "0", count: 3 - key.count) + key
        }
        guard let iso = codeLists.nationalities[key] else {
            context.warn("staatsangehoerigkeit_unbekannt", text)
            return "unbekannt"
        }
        if iso == "unbekannt" { return "unbekannt" }
        return nationalityBreakdown.contains(iso) ? iso : "sonstige"
    }

    /// SPEC 3.3.
    func municipality(_ postcode: String) -> Municipality {
        if postcode.isEmpty { return .unknown }
        if let ags = codeLists.postcodes[postcode] { return .district(ags) }
        return .outside
    }

    /// SPEC 3.2: an unknown text is `unbekannt` and counted for the report. The exact spelling is
    /// tried first, so the normalisation runs only for spellings the code list lacks literally.
    func residence(_ text: String, context: inout StageContext) -> ResidenceGroup {
        if text.isEmpty { return .unbekannt }
        if let group = codeLists.literalResidenceTexts[text] { return group }
        if let group = codeLists.residenceTexts[CodeLists.normaliseResidenceText(text)] { return group }
        context.warn("aufenthalt_unbekannt", String(text.prefix(60)))
        return .unbekannt
    }
}
