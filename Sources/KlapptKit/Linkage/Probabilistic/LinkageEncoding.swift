/// The keyed encodings probabilistic linkage compares (handbook, section 8a). They are made at the
/// reading stage from the folded names and the birth date, and they are all that passes the
/// pseudonymisation boundary of a name or a birth date:
/// - per name field a 128-bit Bloom filter of the skeleton words' bigrams, each bigram set at one
///   position chosen by a keyed hash (Schnell, Bachteler, Reiher 2009), for the Dice similarity;
/// - keyed 32-bit hashes of the joined skeleton (the "same spelling" level) and of the Kölner
///   Phonetik codes of the first two words (the "same sound" level, and the blocking keys);
/// - the birth date's eight digits, each put through a keyed permutation of 0-9 (day and month
///   share theirs, so that swapped day and month can still be seen), unknown digits marked.
///
/// They live only in memory for the run: nothing of them is written to the store or any file.
/// Without the key a hash or a filter says nothing of the name; with the key, the names of a list
/// of candidates could be tried against them, as against the person pseudonyms of SPEC 4.1.
public struct LinkageEncoder: Sendable {
    private let nameSeeds: (UInt64, UInt64, UInt64)
    /// Per date digit position (year 4, month 2, day 2): a permutation of 0-9.
    private let digitTables: [[UInt8]]

    public init(pseudonymizer: Pseudonymizer) {
        let names = pseudonymizer.personPseudonym("klappt-verknuepfung-v3|namen").words
        nameSeeds = (names.0, names.1, names.2)
        var state = pseudonymizer.personPseudonym("klappt-verknuepfung-v3|datum").words.0
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            return LinkageEncoder.mix(state)
        }
        var tables: [[UInt8]] = []
        for _ in 0..<6 {
            var table: [UInt8] = Array(0...9)
            for index in stride(from: 9, to: 0, by: -1) { table.swapAt(index, Int(next() % UInt64(index + 1))) }
            tables.append(table)
        }
        // Positions: year 0-3 own tables; month tens and day tens share table 4, month units and
        // day units table 5.
        digitTables = [tables[0], tables[1], tables[2], tables[3], tables[4], tables[5], tables[4], tables[5]]
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A keyed hash of bytes under one of the seeds; never 0 (0 marks "none").
    func hash(_ bytes: some Sequence<UInt8>, seed: UInt64) -> UInt32 {
        var value = seed
        for byte in bytes { value = LinkageEncoder.mix(value ^ UInt64(byte) &+ 0x9E37_79B9_7F4A_7C15) }
        let folded = UInt32(truncatingIfNeeded: LinkageEncoder.mix(value ^ seed))
        return folded == 0 ? 1 : folded
    }

    /// The encoding of a name from its folded words (`NameFolding.words`); `family` drops leading
    /// particles for the sound codes as SPEC 4.1 does for the family-name token.
    public func encodeName(words: [String], family: Bool) -> NameEncoding {
        var soundWords = words
        if family { while soundWords.count > 1, NameFolding.particles.contains(soundWords[0]) { soundWords.removeFirst() } }
        let skeletons = words.map(NameSkeleton.skeleton)
        var encoding = NameEncoding()
        encoding.joined = hash(skeletons.joined().utf8, seed: nameSeeds.0)
        // Sound codes: the first two words, and for a family name also the words joined (particles
        // dropped) when there are several (`Abdul Rahman` meets `Abdulrahman`).
        var soundSources = soundWords.prefix(2).map(NameSkeleton.skeleton)
        if family, soundWords.count > 1 { soundSources = [NameSkeleton.skeleton(soundWords.joined())] + soundSources.prefix(1) }
        var sounds: [UInt32] = []
        for source in soundSources {
            let code = KoelnerPhonetik.code(source)
            sounds.append(hash(("s" + code).utf8, seed: nameSeeds.1))
        }
        encoding.sound0 = sounds.first ?? 0
        encoding.sound1 = sounds.count > 1 ? sounds[1] : 0
        var low: UInt64 = 0
        var high: UInt64 = 0
        for skeleton in skeletons {
            let letters = [UInt8(ascii: "_")] + Array(skeleton.utf8) + [UInt8(ascii: "_")]
            for index in 0..<(letters.count - 1) {
                // One position per bigram: with two, a name's 7 or so bigrams set 14 of the 128 bits,
                // and chance overlaps lifted the Dice of `Halyna`/`Olena` from 0.31 to 0.45.
                let position = hash(letters[index...index + 1], seed: nameSeeds.2) & 127
                if position < 64 { low |= 1 << UInt64(position) } else { high |= 1 << UInt64(position - 64) }
            }
        }
        encoding.bloom = SIMD2(low, high)
        return encoding
    }

    /// The encoding of a birth date of the given precision.
    public func encodeDate(_ date: CivilDate, precision: DatePrecision) -> DateEncoding {
        // Once per record (a state's 3.7 million): no array per call.
        func digits(_ year: Int, _ month: Int, _ day: Int) -> UInt32 {
            var packed: UInt32 = 0
            func put(_ position: Int, _ value: Int) {
                let nibble = value < 0 ? 0xF : UInt32(digitTables[position][value])
                packed |= nibble << UInt32(28 - 4 * position)
            }
            put(0, year / 1000 % 10)
            put(1, year / 100 % 10)
            put(2, year / 10 % 10)
            put(3, year % 10)
            put(4, month < 0 ? -1 : month / 10)
            put(5, month < 0 ? -1 : month % 10)
            put(6, day < 0 ? -1 : day / 10)
            put(7, day < 0 ? -1 : day % 10)
            return packed
        }
        let month = precision >= .month ? date.month : -1
        let day = precision == .day ? date.day : -1
        var encoding = DateEncoding()
        encoding.digits = digits(date.year, month, day)
        encoding.nextYear = UInt16(truncatingIfNeeded: digits(date.year + 1, -1, -1) >> 16)
        encoding.flags = precision.rawValue | (precision == .day && date.month == 1 && date.day == 1 ? DateEncoding.firstJanuary : 0)
        return encoding
    }
}

/// A name field's keyed encoding (see `LinkageEncoder`): 28 bytes.
public struct NameEncoding: Sendable, Hashable {
    /// The Bloom filter of the skeleton words' bigrams.
    public var bloom = SIMD2<UInt64>(0, 0)
    /// The joined skeleton's keyed hash.
    public var joined: UInt32 = 0
    /// The keyed hashes of up to two sound codes (0: none).
    public var sound0: UInt32 = 0
    public var sound1: UInt32 = 0

    public init() {}

    /// The bits both filters set, and the bits each sets, added.
    @inline(__always)
    func bitCounts(_ other: NameEncoding) -> (shared: Int, total: Int) {
        let common = bloom & other.bloom
        return (
            common[0].nonzeroBitCount + common[1].nonzeroBitCount,
            bloom[0].nonzeroBitCount + bloom[1].nonzeroBitCount + other.bloom[0].nonzeroBitCount + other.bloom[1].nonzeroBitCount
        )
    }

    /// Whether a sound code of one is a sound code of the other.
    func sharesSound(_ other: NameEncoding) -> Bool {
        (sound0 != 0 && (sound0 == other.sound0 || sound0 == other.sound1)) || (sound1 != 0 && (sound1 == other.sound0 || sound1 == other.sound1))
    }
}

/// A birth date's keyed encoding (see `LinkageEncoder`): 8 bytes.
public struct DateEncoding: Sendable, Hashable {
    /// Eight permuted digits, 4 bits each (year, month, day); 0xF for an unknown digit.
    public var digits: UInt32 = 0
    /// The permuted digits of the following year (the year one off).
    public var nextYear: UInt16 = 0
    /// Bits 0-1: `DatePrecision`; bit 2: the date is a 1 January (the fictitious date of a
    /// registration that did not know it).
    public var flags: UInt8 = 0

    static let firstJanuary: UInt8 = 4

    public init() {}

    var precision: DatePrecision { DatePrecision(rawValue: flags & 3) ?? .day }
    var isFirstJanuary: Bool { flags & DateEncoding.firstJanuary != 0 }
    var year: UInt16 { UInt16(truncatingIfNeeded: digits >> 16) }
    var month: UInt8 { UInt8(truncatingIfNeeded: digits >> 8) }
    var day: UInt8 { UInt8(truncatingIfNeeded: digits) }
}

/// What linkage compares of a record: its names and birth date, keyed; sex, nationality category
/// and municipality as the index keeps them; its source.
public struct LinkageFeatures: Sendable {
    public var given: NameEncoding
    public var family: NameEncoding
    public var birth: DateEncoding

    public init(given: NameEncoding, family: NameEncoding, birth: DateEncoding) {
        self.given = given
        self.family = family
        self.birth = birth
    }
}
