/// A record as the person index keeps it until persons are linked: 56 bytes where `PseudoRecord`
/// takes 112 (a state's quarter holds 3.9 million of them: 218 MB less at the run's peak). The
/// nationality and the municipality are numbers into the index's `ShortTextCodes`; the record id's
/// key is kept beside it only until supersession is decided; the rest is `PseudoRecord`'s content,
/// bit for bit.
struct IndexedRecord: Sendable {
    var person: PersonPseudonym
    var asOfDate: UInt32
    /// The row's position in its file: bits 0-31 here, 32-39 in `orderHigh` (the 40 bits SPEC 4.2
    /// ordering uses, `PersonIndex.rank`).
    var orderLow: UInt32
    var nationality: UInt16
    /// 0 unknown, 1 outside the district, else 2 + the AGS's code.
    var municipality: UInt16
    var fileIndex: UInt16
    var sourceIndex: UInt8
    var orderHigh: UInt8
    var rank: UInt8
    var sex: Sex
    var age: UInt8
    var residence: ResidenceGroup
    var activity: Activity?
    var flows: Flows
    /// Bit 0: the record has an id; bit 1: its residence text was not in the code list.
    var flags: UInt8

    init(_ record: PseudoRecord, codes: inout ShortTextCodes) {
        person = record.person
        let origin = record.origin
        asOfDate = record.asOf?.packed ?? 0
        precondition(origin.order >= 0 && origin.order < 1 << 40, "Mehr als 2^40 Zeilen in einer Datei")
        orderLow = UInt32(truncatingIfNeeded: origin.order)
        orderHigh = UInt8(truncatingIfNeeded: origin.order >> 32)
        nationality = codes.code(record.nationality)
        switch record.municipality {
        case .unknown: municipality = 0
        case .outside: municipality = 1
        case .district(let ags): municipality = 2 + codes.code(ags)
        }
        fileIndex = UInt16(origin.fileIndex)
        sourceIndex = UInt8(origin.sourceIndex)
        rank = record.rank
        sex = record.sex
        age = UInt8(record.age)
        residence = record.residence
        activity = record.currentActivity
        flows = record.flows
        flags = (record.recordKey == nil ? 0 : 1) | (record.residenceUnmapped ? 2 : 0)
    }

    var hasKey: Bool { flags & 1 != 0 }
    var order: Int { Int(orderHigh) << 32 | Int(orderLow) }
    var origin: RowOrigin { RowOrigin(sourceIndex: Int(sourceIndex), fileIndex: Int(fileIndex), order: order, line: 0) }
    var asOf: CivilDate? { asOfDate == 0 ? nil : CivilDate(packed: asOfDate) }

    /// The record as validation made it, but for the record id's key (nothing after supersession
    /// reads it): nil.
    func record(_ codes: ShortTextCodes) -> PseudoRecord {
        let place: Municipality
        switch municipality {
        case 0: place = .unknown
        case 1: place = .outside
        default: place = .district(codes.values[Int(municipality - 2)])
        }
        return PseudoRecord(
            person: person, recordKey: nil, rank: Int(rank), origin: origin, asOf: asOf, sex: sex, age: Int(age),
            nationality: codes.values[Int(nationality)], municipality: place, residence: residence,
            residenceUnmapped: flags & 2 != 0, currentActivity: activity, flows: flows)
    }
}

/// Numbers for the few short texts a run's records hold (nationality categories, AGS: bounded by
/// the code lists): an open-addressing table on the text's two words, so that coding a record
/// costs a multiply and a compare, not a hash of 16 bytes.
struct ShortTextCodes: Sendable {
    private(set) var values: [ShortText] = []
    private var slots = [Int32](repeating: -1, count: 256)

    mutating func code(_ text: ShortText) -> UInt16 {
        let words = text.words
        let mask = slots.count - 1
        let hash = (words.0 ^ (words.1 &* 0x9E37_79B9_7F4A_7C15)) &* 0xBF58_476D_1CE4_E5B9
        var slot = Int(truncatingIfNeeded: hash >> 40) & mask
        while true {
            let value = slots[slot]
            if value < 0 { break }
            if values[Int(value)] == text { return UInt16(value) }
            slot = (slot + 1) & mask
        }
        // Code lists bound these values to a few hundred; 65,533 is far beyond any list.
        precondition(values.count < Int(UInt16.max) - 2, "Zu viele verschiedene Codes in den Datensätzen")
        slots[slot] = Int32(values.count)
        values.append(text)
        if values.count * 2 > slots.count { grow() }
        return UInt16(values.count - 1)
    }

    private mutating func grow() {
        let old = values
        values = []
        slots = [Int32](repeating: -1, count: slots.count * 2)
        for text in old { _ = code(text) }
    }
}
