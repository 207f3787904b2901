/// A quarter's records as probabilistic linkage takes them, compact (handbook, section 8a): each
/// distinct name encoding once in `names`, each record as 24 bytes that point into it. A state's
/// quarter has three million records but a few thousand to a few hundred thousand spellings: the
/// 72 bytes of encodings per record would be 200 MB beside the index.
public struct LinkageInput: Sendable {
    /// The distinct name encodings (given and family names share the table).
    public private(set) var names: [NameEncoding] = []
    public private(set) var entries: [LinkageEntry] = []
    private var table = NameTable()

    public init() {}

    /// The record of `entry`'s names and date, as tests and small runs write them.
    public init(_ records: [LinkageRecord]) {
        entries.reserveCapacity(records.count)
        for record in records {
            let given = intern(record.features.given)
            let family = intern(record.features.family)
            entries.append(
                LinkageEntry(
                    given: given, family: family, birth: record.features.birth, sex: record.sex, nationality: record.nationality,
                    municipality: record.municipality, source: record.source))
        }
    }

    /// The number of `name` in `names` (added when new).
    public mutating func intern(_ name: NameEncoding) -> UInt32 {
        table.intern(name, into: &names)
    }

    public mutating func append(_ entry: LinkageEntry) {
        entries.append(entry)
    }

    public mutating func reserveCapacity(_ count: Int) {
        entries.reserveCapacity(count)
    }

    public var count: Int { entries.count }

    /// The entries, leaving none (so that their memory goes once linkage is done with them).
    mutating func takeEntries() -> [LinkageEntry] {
        defer { entries = [] }
        return entries
    }
}

/// A record for linkage: its names by number in `LinkageInput.names`, its date's encoding, the
/// coded attributes and its source (24 bytes).
public struct LinkageEntry: Sendable, Equatable {
    public var given: UInt32
    public var family: UInt32
    public var birth: DateEncoding
    public var nationality: UInt16
    public var municipality: UInt16
    public var sex: Sex
    public var source: UInt8

    public init(given: UInt32, family: UInt32, birth: DateEncoding, sex: Sex, nationality: UInt16, municipality: UInt16, source: UInt8) {
        self.given = given
        self.family = family
        self.birth = birth
        self.nationality = nationality
        self.municipality = municipality
        self.sex = sex
        self.source = source
    }

    /// Whether two records agree on everything linkage compares but the source.
    @inline(__always)
    func sameFeatures(_ other: LinkageEntry) -> Bool {
        given == other.given && family == other.family && birth == other.birth && nationality == other.nationality
            && municipality == other.municipality && sex == other.sex
    }

    /// A hash of what `sameFeatures` compares.
    @inline(__always)
    var featureHash: UInt64 {
        var value = LinkageEncoder.mix(UInt64(given) << 32 | UInt64(family))
        value = LinkageEncoder.mix(value ^ (UInt64(birth.digits) << 32 | UInt64(birth.nextYear) << 8 | UInt64(birth.flags)))
        return LinkageEncoder.mix(value ^ (UInt64(nationality) << 24 | UInt64(municipality) << 8 | UInt64(sex.linkageCode)))
    }
}

/// Open addressing from a name encoding to its number (a `Dictionary` of six million lookups was
/// slower than the rest of the index's work on a record).
struct NameTable: Sendable {
    private var slots = [Int32](repeating: -1, count: 1024)

    mutating func intern(_ name: NameEncoding, into names: inout [NameEncoding]) -> UInt32 {
        var mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: Self.hash(name)) & mask
        while true {
            let index = slots[slot]
            if index < 0 { break }
            if names[Int(index)] == name { return UInt32(index) }
            slot = (slot + 1) & mask
        }
        names.append(name)
        let number = Int32(names.count - 1)
        slots[slot] = number
        if names.count * 2 > slots.count {
            slots = [Int32](repeating: -1, count: slots.count * 2)
            mask = slots.count - 1
            for (index, stored) in names.enumerated() {
                var free = Int(truncatingIfNeeded: Self.hash(stored)) & mask
                while slots[free] >= 0 { free = (free + 1) & mask }
                slots[free] = Int32(index)
            }
        }
        return UInt32(number)
    }

    @inline(__always)
    static func hash(_ name: NameEncoding) -> UInt64 {
        LinkageEncoder.mix(name.bloom[0] ^ LinkageEncoder.mix(name.bloom[1] ^ (UInt64(name.joined) << 32 | UInt64(name.sound0))) ^ UInt64(name.sound1))
    }
}

extension Sex {
    /// A small number per value (the raw value is text).
    @inline(__always)
    var linkageCode: UInt8 {
        switch self {
        case .m: return 0
        case .w: return 1
        case .d: return 2
        case .x: return 3
        }
    }
}

/// What blocking and scoring handle: one record, or the records of a quarter that agree on every
/// compared feature (a person written alike by the register, the job centre and a college is one
/// node, and its records are never compared with each other). It carries, beside the first
/// record's entry, what blocking and the exact name levels read on every pair (the joined
/// skeletons' and the first words' hashes: no lookup in the name table for them), the sources of
/// its records and the term-frequency weight of its birth date: 56 bytes (a state's quarter has
/// nearly three million nodes).
struct LinkageNode: Sendable {
    var entry: LinkageEntry
    /// A bit per source of its records (bit `source & 63`).
    var sources: UInt64
    var givenJoined: UInt32
    var familyJoined: UInt32
    /// The sound of the first word of each name (its second sound is in the name table).
    var givenSound: UInt32
    var familySound: UInt32
    /// The term-frequency correction of an exactly agreeing birth date (see `PairScorer`).
    var dateBonus: Float = 0
    /// Bits 0-30: how many records it stands for; bit 31: two of them come from the same source.
    private var packed: UInt32 = 1

    init(_ entry: LinkageEntry, names: UnsafeBufferPointer<NameEncoding>) {
        self.entry = entry
        let given = names[Int(entry.given)]
        let family = names[Int(entry.family)]
        givenJoined = given.joined
        familyJoined = family.joined
        givenSound = given.sound0
        familySound = family.sound0
        sources = 1 << UInt64(entry.source & 63)
    }

    var records: UInt32 {
        get { packed & 0x7FFF_FFFF }
        set { packed = packed & 0x8000_0000 | newValue }
    }

    /// The source's level of the pairs inside: 1 (different sources) when its records come from
    /// several (a pair of one source among them is checked on its own: `sameSourceInside`).
    var insideSourceLevel: Int { sources.nonzeroBitCount > 1 ? 1 : 0 }

    var sameSourceInside: Bool {
        get { packed >> 31 != 0 }
        set { packed = packed & 0x7FFF_FFFF | (newValue ? 0x8000_0000 : 0) }
    }
}
