import KlapptFormats

/// A reason a row is rejected (SPEC 2.1). The raw value is the code in reports and the store.
public enum ReasonCode: String, Sendable, CaseIterable, Codable {
    case birthDateInvalid = "geburtsdatum_ungueltig"
    case nameMissing = "name_fehlt"
    case statusUnknown = "status_unbekannt"
    case courseUnknown = "gliederung_unbekannt"
    case dateInvalid = "datum_ungueltig"
    case fieldMissing = "feld_fehlt"
    /// A CSV row with more or fewer fields than the header (the row's structure is broken).
    case wrongFieldCount = "spaltenzahl_falsch"
    /// A record id or a code that a spreadsheet turned into a number (`SpreadsheetDamage`).
    case spreadsheetNumber = "zahl_entstellt"
    /// Not a rejection: a row after a list's last record that holds only a total or a note. It is
    /// kept in the quarantine file under this name (nothing is lost), but counted as neither
    /// accepted nor rejected (`FileAccount.footerRows`).
    case footerRow = "fusszeile"

    public var germanText: String {
        switch self {
        case .birthDateInvalid: return "Geburtsdatum fehlt oder ist kein gültiges Datum"
        case .nameMissing: return "Vor- oder Nachname fehlt"
        case .statusUnknown: return "Status nicht in der Codeliste"
        case .courseUnknown: return "Gliederung nicht im ASD-Katalog"
        case .dateInvalid: return "Datumsfeld ist kein gültiges Datum"
        case .fieldMissing: return "Pflichtfeld fehlt im Datensatz"
        case .wrongFieldCount: return "Zeile hat nicht so viele Felder wie die Kopfzeile"
        case .spreadsheetNumber: return "Kennung oder Code von einer Tabellenkalkulation in eine Zahl verwandelt"
        case .footerRow: return "Fußzeile nach dem letzten Datensatz (Summe oder Notiz), kein Datensatz"
        }
    }
}

/// Where a row came from: enough to find it again, nothing of its content.
public struct RowOrigin: Sendable, Hashable {
    public var sourceIndex: Int
    public var fileIndex: Int
    /// 0-based position of the row among the file's rows.
    public var order: Int
    public var line: Int

    public init(sourceIndex: Int, fileIndex: Int, order: Int, line: Int) {
        self.sourceIndex = sourceIndex
        self.fileIndex = fileIndex
        self.order = order
        self.line = line
    }
}

/// A row as read: the mapped fields' bytes in the file's encoding, not yet decoded. Still personal
/// data: it lives only inside validation. A view into the reader's buffer, valid only during the
/// call that receives it, so that no row is copied or decoded before validation needs a value.
public struct RawRow {
    public var origin: RowOrigin
    public var bytes: UnsafeBufferPointer<UInt8>
    /// By `CanonicalField.ordinal`; `FieldSpan.absent` for a field the row does not have.
    public var spans: UnsafeBufferPointer<FieldSpan>
    public var encoding: TextEncoding
    /// The first mapped, required field the record lacks (XML), if any.
    public var missingField: String?
    /// A structural defect found while mapping (wrong field count).
    public var structuralDefect: ReasonCode?

    public init(
        origin: RowOrigin, bytes: UnsafeBufferPointer<UInt8>, spans: UnsafeBufferPointer<FieldSpan>, encoding: TextEncoding,
        missingField: String?, structuralDefect: ReasonCode?
    ) {
        self.origin = origin
        self.bytes = bytes
        self.spans = spans
        self.encoding = encoding
        self.missingField = missingField
        self.structuralDefect = structuralDefect
    }

    /// The untrimmed bytes of a field; nil when the row does not have it.
    public subscript(field: CanonicalField) -> UnsafeBufferPointer<UInt8>? {
        spans[field.ordinal].bytes(in: bytes)
    }

    /// Calls `body` with a row made of decoded values (XML records, tests), laid out as UTF-8.
    public static func with<Result>(
        origin: RowOrigin, values: FieldValues, missingField: String? = nil, structuralDefect: ReasonCode? = nil,
        _ body: (RawRow) throws -> Result
    ) rethrows -> Result {
        var bytes: [UInt8] = []
        var spans = [FieldSpan](repeating: .absent, count: CanonicalField.allCases.count)
        for field in CanonicalField.allCases {
            guard let value = values[field] else { continue }
            spans[field.ordinal] = FieldSpan(start: Int32(bytes.count), count: Int32(value.utf8.count))
            bytes.append(contentsOf: value.utf8)
        }
        return try bytes.withUnsafeBufferPointer { buffer in
            try spans.withUnsafeBufferPointer { spanBuffer in
                try body(
                    RawRow(origin: origin, bytes: buffer, spans: spanBuffer, encoding: .utf8, missingField: missingField, structuralDefect: structuralDefect))
            }
        }
    }

    /// `bytes` without leading and trailing spaces, tabs, line breaks and no-break spaces (as
    /// `String.trimmingASCIIWhitespace`, on bytes of `encoding`); empty for nil.
    public static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>?, encoding: TextEncoding) -> UnsafeBufferPointer<UInt8> {
        guard let bytes, !bytes.isEmpty else { return UnsafeBufferPointer(start: nil, count: 0) }
        var lower = 0
        var upper = bytes.count
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        while lower < upper {
            if isSpace(bytes[lower]) {
                lower += 1
                continue
            }
            if encoding == .windows1252, bytes[lower] == 0xA0 {
                lower += 1
                continue
            }
            if encoding == .utf8, bytes[lower] == 0xC2, lower + 1 < upper, bytes[lower + 1] == 0xA0 {
                lower += 2
                continue
            }
            break
        }
        while upper > lower {
            if isSpace(bytes[upper - 1]) {
                upper -= 1
                continue
            }
            if encoding == .windows1252, bytes[upper - 1] == 0xA0 {
                upper -= 1
                continue
            }
            if encoding == .utf8, bytes[upper - 1] == 0xA0, upper - 2 >= lower, bytes[upper - 2] == 0xC2 {
                upper -= 2
                continue
            }
            break
        }
        return UnsafeBufferPointer(rebasing: bytes[lower..<upper])
    }
}

/// The values of one row by canonical field: a fixed array indexed by the field, because a
/// dictionary per row (hashing the field names) was a tenth of the run time.
public struct FieldValues: Sendable, ExpressibleByDictionaryLiteral {
    private var storage: [String?]

    public init() { storage = Array(repeating: nil, count: CanonicalField.allCases.count) }

    public init(_ values: [CanonicalField: String]) {
        self.init()
        for (field, value) in values { self[field] = value }
    }

    public init(dictionaryLiteral elements: (CanonicalField, String)...) {
        self.init()
        for (field, value) in elements { self[field] = value }
    }

    public subscript(field: CanonicalField) -> String? {
        get { storage[field.ordinal] }
        set { storage[field.ordinal] = newValue }
    }
}

/// A rejected row (SPEC 2.1): a value, never thrown. No raw content, only where and why.
public struct Rejection: Error, Sendable {
    public var origin: RowOrigin
    public var reason: ReasonCode
    public var field: String?
}

/// A validated and normalised record. Still personal data (tokens, birth date, record id): it
/// exists only between validation and pseudonymisation.
public struct CleanRecord: Sendable {
    public var origin: RowOrigin
    /// The record id as a 128-bit digest of its UTF-8 (SPEC 4.1: rows of the same customer number
    /// or student id compete): the id's text is never kept, and no string is made per row.
    public var recordID: RowFingerprint
    public var givenToken: String
    public var familyToken: String
    /// The birth date, or for a partly known one the first day of what is known (`birthPrecision`).
    public var birthDate: CivilDate
    /// How much of the birth date is known (SPEC 2.1 v3): exact linkage uses `birthDate` as it is
    /// (a register's `00.00.2004` meets another source's fictitious `01.01.2004`).
    public var birthPrecision: DatePrecision = .day
    public var sex: Sex
    /// Breakdown category: one of the pipeline's ISO codes, `sonstige` or `unbekannt`.
    public var nationality: ShortText
    public var municipality: Municipality
    public var residence: ResidenceGroup
    /// A residence text was given but is not in the code list (SPEC 3.2: it counts as `unbekannt`;
    /// the run report says how many persons fell out of the target group because of it).
    public var residenceUnmapped = false
    public var status: String
    /// The activity the status or the course means (none for a role without one, the register).
    public var activity: Activity?
    /// Job centre: `Status_seit`. College: unused.
    public var statusSince: CivilDate?
    public var entryDate: CivilDate?
    public var exitDate: CivilDate?
    public var asOf: CivilDate?
    /// College: whether the status may be current (2, 3); job centre: always true.
    public var statusCanBeCurrent: Bool
    /// College: the kind of leaving the status means, if any.
    public var leaving: Leaving?
    /// The tokens' Kölner Phonetik codes, when validation computed them with the tokens (once per
    /// distinct spelling); nil: pseudonymisation computes them from the tokens.
    public var phoneticCodes: (given: ShortText, family: ShortText)? = nil
    /// The names' keyed encodings, when linkage is probabilistic (`LinkageEncoder`).
    public var nameEncodings: (given: NameEncoding, family: NameEncoding)? = nil
}

/// What a college status says about leaving (from the status code list).
public enum Leaving: String, Sendable {
    case qualification = "abschluss"
    case dropout = "abgang"
}

/// A record after pseudonymisation: the privacy boundary (ARCHITECTURE). It has no field that could
/// hold a name, a birth date or a source id: age on the reference date replaces the birth date, a
/// keyed digest the record id.
///
/// Kept compact (about 100 bytes, plain bytes to copy): the person index holds one per row until
/// persons are linked, millions in a state-wide run. The row's line is not kept (rejections carry
/// theirs); `origin.line` is 0.
public struct PseudoRecord: Sendable {
    public init(
        person: PersonPseudonym, recordKey: RecordKey?, rank: Int, origin: RowOrigin, asOf: CivilDate?, sex: Sex, age: Int,
        nationality: ShortText, municipality: Municipality, residence: ResidenceGroup, residenceUnmapped: Bool = false,
        currentActivity: Activity?, flows: Flows
    ) {
        self.person = person
        key = recordKey ?? RecordKey(a: 0, b: 0)
        hasKey = recordKey != nil
        self.rank = UInt8(clamping: rank)
        order = origin.order
        sourceIndex = UInt8(origin.sourceIndex)
        fileIndex = UInt16(origin.fileIndex)
        asOfDate = asOf?.packed ?? 0
        self.sex = sex
        ageInYears = UInt8(clamping: age)
        self.nationality = nationality
        self.municipality = municipality
        self.residence = residence
        self.residenceUnmapped = residenceUnmapped
        self.currentActivity = currentActivity
        self.flows = flows
    }

    public var person: PersonPseudonym
    private var key: RecordKey
    private var order: Int
    public var nationality: ShortText
    public var municipality: Municipality
    private var asOfDate: UInt32
    private var fileIndex: UInt16
    private var sourceIndex: UInt8
    private var hasKey: Bool
    /// The role's rank among roles (SPEC 4.2: `SourceSemantics.attributeRank`).
    public var rank: UInt8
    public var sex: Sex
    private var ageInYears: UInt8
    public var residence: ResidenceGroup
    /// The residence text was not in the code list (see `CleanRecord.residenceUnmapped`).
    public var residenceUnmapped: Bool
    /// The activity when the record is current on the reference date (SPEC 4.3), else nil.
    public var currentActivity: Activity?
    public var flows: Flows
    /// What probabilistic linkage compares (nil under exact linkage).
    public var linkage: LinkageFeatures? = nil

    public var recordKey: RecordKey? { hasKey ? key : nil }
    public var origin: RowOrigin { RowOrigin(sourceIndex: Int(sourceIndex), fileIndex: Int(fileIndex), order: order, line: 0) }
    public var asOf: CivilDate? { asOfDate == 0 ? nil : CivilDate(packed: asOfDate) }
    /// Completed years on the reference date (0...255).
    public var age: Int { Int(ageInYears) }
}
