import KlapptFormats

/// Validates and normalises raw rows of one source (SPEC 2.1, 3): each row becomes a
/// `CleanRecord` or a `Rejection` with one reason code.
///
/// When a row has several defects, the first in this order is its reason: a structural defect
/// (`spaltenzahl_falsch`, `feld_fehlt`), an id or code a spreadsheet turned into a number
/// (`zahl_entstellt`), then the order of SPEC 2.1: `geburtsdatum_ungueltig`, `name_fehlt`,
/// `status_unbekannt`, `gliederung_unbekannt`, `datum_ungueltig`.
///
/// It works on the row's bytes: dates are parsed from them, ASCII names folded on them, and the
/// coded fields (status, course, sex, nationality, postcode, residence) are normalised once per
/// distinct spelling and then remembered (`ByteMemo`). The normalisation itself is the functions
/// below on decoded text, so the rules live in one place whatever the input encoding.
public struct RecordValidation<Role: SourceSemantics>: RowStage, Sendable {
    public let source: SourceSpec
    public let role: Role
    /// The code lists and the breakdown, behind one reference: the normalisers capture it per
    /// row, and copying the struct of dictionaries instead cost a retain and release of each.
    final class Rules: Sendable {
        let codeLists: CodeLists
        let nationalityBreakdown: Set<String>
        let role: Role
        init(codeLists: CodeLists, nationalityBreakdown: Set<String>, role: Role) {
            self.codeLists = codeLists
            self.nationalityBreakdown = nationalityBreakdown
            self.role = role
        }
    }

    private let rules: Rules
    public var codeLists: CodeLists { rules.codeLists }

    /// Mapped date fields other than the birth date, and whether a course is mapped: looked up
    /// once, not per row.
    let otherDateFields: [CanonicalField]
    let mapsCourse: Bool
    /// The fixed widths of postcodes and nationality keys where their code lists have one (all
    /// keys digits of one length): fewer digits are a lost leading zero (`SpreadsheetDamage`).
    let postcodeWidth: Int?
    let nationalityWidth: Int?

    /// A normalised value and the warning its spelling raises, if any.
    struct Normalised<Value> {
        var value: Value
        var warning: (kind: String, value: String)?
    }

    /// A name's folded token and the token's phonetic code (nil when the code is longer than a
    /// `ShortText`: pseudonymisation then codes the token itself).
    struct FoldedName {
        var token: String
        var code: ShortText?
        /// The keyed encoding of the whole name (probabilistic linkage only).
        var encoding: NameEncoding?

        init?(_ token: String?, encoding: NameEncoding? = nil) {
            guard let token else { return nil }
            self.token = token
            self.encoding = encoding
            var letters = token
            code = letters.withUTF8 { letters in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: KoelnerPhonetik.maxCodeLength(letters.count)) { out in
                    ShortText(bytes: UnsafeBufferPointer(rebasing: out[0..<KoelnerPhonetik.encode(letters, into: out)]))
                }
            }
        }
    }

    /// Names by their raw bytes: the exports repeat given and family names many times, and each
    /// distinct spelling is folded and coded once (the name tokens and Kölner Phonetik were about
    /// 7 % of a state's quarter).
    private var givenMemo = ByteMemo<FoldedName?>()
    private var familyMemo = ByteMemo<FoldedName?>()
    private var statusMemo = ByteMemo<StatusMeaning?>()
    private var courseMemo = ByteMemo<Activity?>()
    private var sexMemo = ByteMemo<Normalised<Sex>>()
    private var nationalityMemo = ByteMemo<Normalised<ShortText>>()
    private var postcodeMemo = ByteMemo<Municipality>()
    private var residenceMemo = ByteMemo<Normalised<ResidenceGroup>>()

    /// Encodes the names for probabilistic linkage (nil: exact linkage).
    let nameEncoder: LinkageEncoder?

    public init(source: SourceSpec, role: Role, codeLists: CodeLists, nationalityBreakdown: [String], nameEncoder: LinkageEncoder? = nil) {
        self.nameEncoder = nameEncoder
        self.source = source
        self.role = role
        rules = Rules(codeLists: codeLists, nationalityBreakdown: Set(nationalityBreakdown), role: role)
        otherDateFields = [CanonicalField.statusSince, .entryDate, .exitDate, .asOf].filter { source.fields[$0] != nil }
        mapsCourse = source.fields[.course] != nil
        /// The one width of a code list's keys when they are all digits (postcodes 5, DESTATIS keys 3).
        func width(_ keys: some Collection<String>) -> Int? {
            guard let first = keys.first, first.count > 1 else { return nil }
            return keys.allSatisfy({ $0.count == first.count && $0.allSatisfy { $0.isASCII && $0.isNumber } }) ? first.count : nil
        }
        postcodeWidth = width(codeLists.postcodes.keys)
        nationalityWidth = width(codeLists.nationalities.keys)
    }

    /// The stage: a valid row becomes a record, an invalid one a rejection in the context.
    public mutating func process(_ row: RawRow, context: inout RowContext) -> CleanRecord? {
        switch validate(row, warnings: &context.warnings) {
        case .success(let record): return record
        case .failure(let rejection):
            context.rejection = rejection
            return nil
        }
    }

    public mutating func validate(_ row: RawRow, warnings: inout RowWarnings) -> Result<CleanRecord, Rejection> {
        func reject(_ reason: ReasonCode, _ field: CanonicalField?) -> Result<CleanRecord, Rejection> {
            .failure(Rejection(origin: row.origin, reason: reason, field: field.flatMap { source.fields[$0] }))
        }
        if let defect = row.structuralDefect { return .failure(Rejection(origin: row.origin, reason: defect, field: nil)) }
        if let missing = row.missingField { return .failure(Rejection(origin: row.origin, reason: .fieldMissing, field: missing)) }
        let encoding = row.encoding
        func value(_ field: CanonicalField) -> UnsafeBufferPointer<UInt8> { RawRow.trimmed(row[field], encoding: encoding) }
        func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String { encoding.decode(bytes) ?? "" }
        func date(_ field: CanonicalField) -> (CivilDate?, valid: Bool) {
            let bytes = value(field)
            if bytes.isEmpty { return (nil, true) }
            guard let parsed = source.dateFormat.parse(bytes: bytes) else { return (nil, false) }
            return (parsed, true)
        }

        // SPEC 2.1 (v2): an empty record id is a missing field, in every source.
        let idBytes = value(.recordID)
        if idBytes.isEmpty { return reject(.fieldMissing, .recordID) }
        // The coded fields, trimmed once for the check below and their normalisation further on
        // (an unmapped field is empty).
        let sexBytes = value(.sex)
        let nationalityBytes = value(.nationality)
        let postcodeBytes = value(.postcode)
        let statusBytes = value(.status)
        let courseBytes = value(.course)
        // Ids and codes a spreadsheet turned into numbers, the first in field order.
        if SpreadsheetDamage.isDamaged(idBytes, width: nil, isDate: { source.dateFormat.parse(bytes: idBytes) != nil }) {
            return reject(.spreadsheetNumber, .recordID)
        }
        if SpreadsheetDamage.isDamaged(sexBytes, width: nil) { return reject(.spreadsheetNumber, .sex) }
        if SpreadsheetDamage.isDamaged(nationalityBytes, width: nationalityWidth) { return reject(.spreadsheetNumber, .nationality) }
        if SpreadsheetDamage.isDamaged(postcodeBytes, width: postcodeWidth) { return reject(.spreadsheetNumber, .postcode) }
        if SpreadsheetDamage.isDamaged(statusBytes, width: nil) { return reject(.spreadsheetNumber, .status) }
        if SpreadsheetDamage.isDamaged(courseBytes, width: nil) { return reject(.spreadsheetNumber, .course) }
        guard let (birthDate, birthPrecision) = source.dateFormat.parseBirthDate(bytes: value(.birthDate)) else {
            return reject(.birthDateInvalid, .birthDate)
        }
        let givenBytes = value(.givenName)
        let nameEncoder = self.nameEncoder
        func encoded(_ bytes: UnsafeBufferPointer<UInt8>, family: Bool) -> NameEncoding? {
            nameEncoder.map { $0.encodeName(words: NameFolding.words(encoding.decode(bytes) ?? ""), family: family) }
        }
        guard
            let given = givenMemo.value(
                for: givenBytes,
                compute: { FoldedName(NameFolding.givenNameToken(givenBytes, encoding: encoding), encoding: encoded(givenBytes, family: false)) })
        else {
            return reject(.nameMissing, .givenName)
        }
        let familyBytes = value(.familyName)
        guard
            let family = familyMemo.value(
                for: familyBytes,
                compute: { FoldedName(NameFolding.familyNameToken(familyBytes, encoding: encoding), encoding: encoded(familyBytes, family: true)) })
        else { return reject(.nameMissing, .familyName) }

        // Borrowed, not retained: `self` holds the rules for the whole call, and the normalisers
        // below touch them only when a spelling is new (a retain and release of a shared object
        // per row made both cores fight over its count).
        unowned(unsafe) let rules = self.rules
        guard let status = statusMemo.value(for: statusBytes, compute: { rules.role.status(text(statusBytes)) }) else {
            return reject(.statusUnknown, .status)
        }
        var activity = status.activity
        if Role.activityFromCourse || mapsCourse {
            guard let course = courseMemo.value(for: courseBytes, compute: { rules.codeLists.courses[text(courseBytes).uppercased()] }) else {
                return reject(.courseUnknown, .course)
            }
            if Role.activityFromCourse { activity = course }
        }
        var statusSince: CivilDate?
        var entryDate: CivilDate?
        var exitDate: CivilDate?
        var asOf: CivilDate?
        for field in otherDateFields {
            let (parsed, valid) = date(field)
            guard valid else { return reject(.dateInvalid, field) }
            switch field {
            case .statusSince: statusSince = parsed
            case .entryDate: entryDate = parsed
            case .exitDate: exitDate = parsed
            default: asOf = parsed
            }
        }

        let residenceBytes = value(.residence)
        let sex = sexMemo.value(for: sexBytes) { RecordValidation.sex(text(sexBytes), codeLists: rules.codeLists) }
        let nationality = nationalityMemo.value(for: nationalityBytes) {
            RecordValidation.nationality(text(nationalityBytes), codeLists: rules.codeLists, breakdown: rules.nationalityBreakdown)
        }
        let residence = residenceMemo.value(for: residenceBytes) { RecordValidation.residence(text(residenceBytes), codeLists: rules.codeLists) }
        if let warning = sex.warning { warnings.warn(warning.kind, warning.value) }
        if let warning = nationality.warning { warnings.warn(warning.kind, warning.value) }
        if let warning = residence.warning { warnings.warn(warning.kind, warning.value) }
        var codes: (given: ShortText, family: ShortText)?
        if let givenCode = given.code, let familyCode = family.code { codes = (givenCode, familyCode) }
        var names: (given: NameEncoding, family: NameEncoding)?
        if let givenEncoding = given.encoding, let familyEncoding = family.encoding { names = (givenEncoding, familyEncoding) }
        return .success(
            CleanRecord(
                origin: row.origin, recordID: Self.idDigest(idBytes, encoding: encoding),
                givenToken: given.token, familyToken: family.token, birthDate: birthDate, birthPrecision: birthPrecision,
                sex: sex.value, nationality: nationality.value,
                municipality: postcodeMemo.value(for: postcodeBytes) { RecordValidation.municipality(text(postcodeBytes), codeLists: rules.codeLists) },
                residence: residence.value, residenceUnmapped: residence.warning != nil,
                status: status.status, activity: activity,
                statusSince: statusSince, entryDate: entryDate, exitDate: exitDate, asOf: asOf,
                statusCanBeCurrent: status.current, leaving: status.leaving, phoneticCodes: codes, nameEncodings: names))
    }

    /// The digest of an id's UTF-8: taken from the bytes when they are ASCII (the same bytes in
    /// every encoding), else from the decoded text.
    static func idDigest(_ bytes: UnsafeBufferPointer<UInt8>, encoding: TextEncoding) -> RowFingerprint {
        if NameFolding.isASCII(bytes) { return RowFingerprint(bytes: bytes) }
        var text = encoding.decode(bytes) ?? ""
        return text.withUTF8 { RowFingerprint(bytes: $0) }
    }

    // MARK: - Normalisation (SPEC 3), on decoded and trimmed text

    static func sex(_ text: String, codeLists: CodeLists) -> Normalised<Sex> {
        if let sex = codeLists.sexes[text.lowercased()] { return Normalised(value: sex) }
        return Normalised(value: .x, warning: text.isEmpty ? nil : ("geschlecht_unbekannt", text))
    }

    /// SPEC 3.4: DESTATIS key -> breakdown category. A key that lost its leading zeros in a
    /// spreadsheet (`0` for `000`) never gets here: it rejects its row (`SpreadsheetDamage`).
    static func nationality(_ text: String, codeLists: CodeLists, breakdown: Set<String>) -> Normalised<ShortText> {
        if text.isEmpty { return Normalised(value: "unbekannt") }
        guard let iso = codeLists.nationalities[text] else {
            return Normalised(value: "unbekannt", warning: ("staatsangehoerigkeit_unbekannt", text))
        }
        if iso == "unbekannt" { return Normalised(value: "unbekannt") }
        return Normalised(value: breakdown.contains(iso) ? ShortText(iso) : "sonstige")
    }

    /// SPEC 3.3.
    static func municipality(_ postcode: String, codeLists: CodeLists) -> Municipality {
        if postcode.isEmpty { return .unknown }
        if let ags = codeLists.postcodes[postcode] { return .district(ShortText(ags)) }
        return .outside
    }

    /// SPEC 3.2: an unknown text is `unbekannt` and counted for the report.
    static func residence(_ text: String, codeLists: CodeLists) -> Normalised<ResidenceGroup> {
        if text.isEmpty { return Normalised(value: .unbekannt) }
        if let group = codeLists.residenceTexts[CodeLists.normaliseResidenceText(text)] { return Normalised(value: group) }
        return Normalised(value: .unbekannt, warning: ("aufenthalt_unbekannt", String(text.prefix(200))))
    }
}

extension RecordValidation.Normalised: Sendable where Value: Sendable {}

/// Warnings raised by rows, for the run report: kind (e.g. `aufenthalt_unbekannt`) and the value
/// that raised it. Codes and code-list texts only, no personal data.
public struct RowWarnings: Sendable {
    public private(set) var entries: [(kind: String, value: String)] = []

    public init() {}

    public var isEmpty: Bool { entries.isEmpty }

    public mutating func warn(_ kind: String, _ value: String) { entries.append((kind, value)) }

    public mutating func removeAll() { entries.removeAll(keepingCapacity: true) }

    /// Value -> count of one kind; nil when there is none.
    public subscript(kind: String) -> [String: Int]? {
        var counts: [String: Int] = [:]
        for entry in entries where entry.kind == kind { counts[entry.value, default: 0] += 1 }
        return counts.isEmpty ? nil : counts
    }
}
