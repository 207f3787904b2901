import Dispatch

/// A dimension of the published table with all its categories, always listed (SPEC 5).
public struct Dimension: Sendable, Equatable {
    public var name: String
    public var categories: [String]
    /// The category of a person; nil when the person falls outside every category.
    public var categoryOf: @Sendable (PersonFacts) -> String?

    public static func == (lhs: Dimension, rhs: Dimension) -> Bool { lhs.name == rhs.name && lhs.categories == rhs.categories }

    /// The names of the dimensions whose categories other code lists name (report labels).
    public static let municipality = "gemeinde"
    public static let nationality = "staatsangehoerigkeit"
    /// The dimension of the shared total row.
    public static let total = "insgesamt"

    /// The dimensions of SPEC 5 for a pipeline.
    public static func standard(for pipeline: Pipeline) -> [Dimension] {
        [
            Dimension(name: "insgesamt", categories: ["insgesamt"]) { _ in "insgesamt" },
            Dimension(name: "gemeinde", categories: pipeline.codeLists.municipalities.map(\.ags) + ["unbekannt"]) { $0.municipality.category },
            Dimension(name: "geschlecht", categories: Sex.allCases.map(\.rawValue)) { $0.sex.rawValue },
            Dimension(name: "altersgruppe", categories: pipeline.targetGroup.ageGroups.map(\.label)) { $0.ageGroup },
            Dimension(name: "aufenthalt", categories: pipeline.targetGroup.residenceGroups.map(\.rawValue)) { $0.residence.rawValue },
            Dimension(name: "staatsangehoerigkeit", categories: pipeline.nationalityBreakdown + ["sonstige", "unbekannt"]) { $0.nationality.string },
        ]
    }
}

/// One cell of a published table. `table` tells the tables of a linked system apart (SPEC 10): ""
/// the period's indicator table, and `CellID.Table` names the others.
public struct CellID: Hashable, Sendable, Comparable {
    public var table: String
    public var indicator: Indicator
    public var dimension: String
    public var category: String

    /// The tables a linked disclosure model holds besides the period's own.
    public enum Table {
        /// The period's transition table (`uebergaenge_<P>.csv`).
        public static let transitions = "uebergaenge"
        /// The previous quarter's published table.
        public static let previous = "vorquartal"
        /// The previous quarter's own transition table.
        public static let previousTransitions = "vorquartal_uebergaenge"
    }

    public init(table: String = "", indicator: Indicator, dimension: String, category: String) {
        self.table = table
        self.indicator = indicator
        self.dimension = dimension
        self.category = category
    }

    public static func < (lhs: CellID, rhs: CellID) -> Bool {
        (lhs.table, lhs.indicator, lhs.dimension, lhs.category) < (rhs.table, rhs.indicator, rhs.dimension, rhs.category)
    }
}

/// Exact counts of every indicator by every dimension and category (SPEC 5).
public struct IndicatorTable: Sendable {
    public var dimensions: [Dimension]
    /// The columns, in the order of publication (the families' columns by rank).
    public let indicators: [Indicator]
    /// What a reader knows about the columns (from the families): the disclosure model's equations.
    public let identities: [TableIdentity]
    /// Row order of publication: indicator, then dimension in table order, then category.
    public private(set) var cells: [CellID]
    public private(set) var values: [CellID: Int]

    /// The standard families of SPEC 5.
    public static let standardFamilies: [any IndicatorFamily] = [TargetGroupFamily(), StockFamily(), FlowFamily()]

    public init(dimensions: [Dimension], families: [any IndicatorFamily] = IndicatorTable.standardFamilies) {
        self.dimensions = dimensions
        let indicators = families.flatMap(\.columns).sorted()
        self.indicators = indicators
        // An identity is known only where the table publishes all its columns.
        let present = Set(indicators)
        identities = families.flatMap(\.identities).filter { $0.columns.allSatisfy(present.contains) }
        var cells: [CellID] = []
        for indicator in indicators {
            for dimension in dimensions {
                for category in dimension.categories { cells.append(CellID(indicator: indicator, dimension: dimension.name, category: category)) }
            }
        }
        self.cells = cells
        self.values = Dictionary(uniqueKeysWithValues: cells.map { ($0, 0) })
    }

    public subscript(indicator: Indicator, dimension: String, category: String) -> Int {
        values[CellID(indicator: indicator, dimension: dimension, category: category)] ?? 0
    }

    /// Sets one cell (tests and hand-built tables).
    public mutating func set(_ cell: CellID, _ value: Int) {
        precondition(values[cell] != nil, "unknown cell \(cell)")
        values[cell] = value
    }

    /// Counts the target-group persons into the families' columns (SPEC 4.3, 4.4, 5). Counting goes
    /// into one flat array per dimension (category position x indicator); the cells are filled from
    /// it at the end.
    public static func aggregate(
        _ persons: [PersonFacts], dimensions: [Dimension],
        families: [any IndicatorFamily] = IndicatorTable.standardFamilies
    ) -> IndicatorTable {
        aggregate(weighted: persons.lazy.map { ($0, 1) }, dimensions: dimensions, families: families)
    }

    /// Counts persons given as (a representative, how many persons are like it): what
    /// `PersonClasses` collects during linkage, so that the families and dimensions run once per
    /// kind of person instead of once per person.
    public static func aggregate(
        weighted persons: some Sequence<(PersonFacts, Int)>, dimensions: [Dimension],
        families: [any IndicatorFamily] = IndicatorTable.standardFamilies
    ) -> IndicatorTable {
        var table = IndicatorTable(dimensions: dimensions, families: families)
        let indicators = table.indicators
        let ordinal = Dictionary(uniqueKeysWithValues: indicators.enumerated().map { ($1, $0) })
        // Each family's column positions in the table.
        let columnsOf = families.map { $0.columns.map { ordinal[$0]! } }
        let positions = dimensions.map { Dictionary($0.categories.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first }) }
        /// The counts of `persons`, per dimension: row * indicators + column.
        @Sendable func counted(_ persons: ArraySlice<(PersonFacts, Int)>) -> [[Int]] {
            var counts = dimensions.map { [Int](repeating: 0, count: $0.categories.count * indicators.count) }
            var counted: [Int] = []
            var local: [Int] = []
            for (person, weight) in persons where person.inTargetGroup {
                counted.removeAll(keepingCapacity: true)
                for (number, family) in families.enumerated() {
                    local.removeAll(keepingCapacity: true)
                    family.count(person, into: &local)
                    for position in local { counted.append(columnsOf[number][position]) }
                }
                if counted.isEmpty { continue }
                for (position, dimension) in dimensions.enumerated() {
                    guard let category = dimension.categoryOf(person), let row = positions[position][category] else { continue }
                    for indicator in counted { counts[position][row * indicators.count + indicator] += weight }
                }
            }
            return counts
        }
        var counts: [[Int]]
        let kinds = persons as? [(PersonFacts, Int)] ?? Array(persons)  // the run's kinds are an array already
        if kinds.count >= 8192 {
            // The kinds of a state's quarter (tens of thousands) on both cores: the run's last
            // phases are single-threaded otherwise.
            let halves = ResultSlots<[[Int]]>(count: 2)
            let middle = kinds.count / 2
            DispatchQueue.concurrentPerform(iterations: 2) { half in
                halves[half] = .success(counted(half == 0 ? kinds[..<middle] : kinds[middle...]))
            }
            counts = try! halves.take(0).get()
            let second = try! halves.take(1).get()
            for position in counts.indices {
                for index in counts[position].indices { counts[position][index] += second[position][index] }
            }
        } else {
            counts = counted(kinds[...])
        }
        for (position, dimension) in dimensions.enumerated() {
            for (row, category) in dimension.categories.enumerated() {
                for (column, indicator) in indicators.enumerated() {
                    table.values[CellID(indicator: indicator, dimension: dimension.name, category: category)] =
                        counts[position][row * indicators.count + column]
                }
            }
        }
        return table
    }
}

/// Target-group persons counted by everything but their pseudonym (issue 14): the table depends on
/// nothing else, and a state's 1.2 million persons fall into some tens of thousands of kinds, so
/// the families and dimensions run once per kind instead of once per person.
///
/// A kind is one 64-bit key packed from the facts (small codes for nationality, municipality and
/// sources); the first person of a kind stands for it.
public struct PersonClasses: Sendable {
    /// Key -> position in `counts` and `keys` (the key mixed into random-looking bits).
    private var positions = RandomKeyTable(capacity: 1024)
    private var counts: [Int] = []
    /// The kinds by their keys: the facts are made again from a key when the table is aggregated
    /// (8 bytes a kind where a representative took 128: a state's 261,000 kinds, 31 MB less at
    /// the run's peak).
    private var keys: [UInt64] = []
    /// Field values as small numbers, without hashing a value already seen (SipHash lookups were
    /// most of `add` for a state's 1.2 million persons).
    private var nationalities = ShortTextCodes()
    private var places = ShortTextCodes()
    private var sources: [UInt64: UInt64] = [:]
    /// Source code -> mask.
    private var masks: [UInt64] = []
    /// By source mask, for the first 12 sources (-1: not seen yet).
    private var sourceCodes = [Int16](repeating: -1, count: 4096)
    /// The age group of each age seen (a function of the age under the run's rules).
    private var ageGroups = [String?](repeating: nil, count: 256)
    private var sourceNames: SourceNames?

    public init() {}

    private static func bounded(_ code: UInt64) -> UInt64 {
        precondition(code < 4096, "more than 4096 values of one field in the person classes")
        return code
    }

    private mutating func sourceCode(_ mask: UInt64) -> UInt64 {
        guard mask < 4096 else { return code(mask) }
        if sourceCodes[Int(mask)] < 0 { sourceCodes[Int(mask)] = Int16(code(mask)) }
        return UInt64(sourceCodes[Int(mask)])
    }

    private mutating func code(_ mask: UInt64) -> UInt64 {
        if let code = sources[mask] { return code }
        let code = Self.bounded(UInt64(masks.count))
        sources[mask] = code
        masks.append(mask)
        return code
    }

    private static func clamped(_ age: Int) -> Int { min(max(age, 0), 255) }

    private static let residences: [ResidenceGroup] = [.gestattung, .duldung, .schutz, .ukraine, .chancen, .andere, .unbekannt]
    private static let sexes: [Sex] = [.m, .w, .d, .x]
    private static let activities = Activity.allCases.sorted { $0.priority < $1.priority }

    /// The facts as one key: every field but the pseudonym (and the age group, a function of the age).
    mutating func key(_ person: PersonFacts) -> UInt64 {
        var key = UInt64(Self.sexes.firstIndex(of: person.sex)!)  // 2 bits
        key |= UInt64(Self.clamped(person.age)) << 2  // 8 bits (the target group's ages are far inside)
        key |= UInt64(Self.residences.firstIndex(of: person.residence)!) << 10  // 3 bits
        key |= UInt64(person.activity.map { $0.priority + 1 } ?? 0) << 13  // 3 bits
        key |= UInt64(person.flows.rawValue & 0xFF) << 16  // 8 bits
        if person.ageInRange { key |= 1 << 24 }
        if person.refugeeContext { key |= 1 << 25 }
        if person.inDistrict { key |= 1 << 26 }
        if person.residenceUnmapped { key |= 1 << 27 }
        key |= Self.bounded(UInt64(nationalities.code(person.nationality))) << 28  // up to 12 bits
        let place: UInt64
        switch person.municipality {
        case .unknown: place = 0
        case .outside: place = 1
        case .district(let ags): place = 2 + UInt64(places.code(ags))
        }
        key |= Self.bounded(place) << 40  // up to 12 bits
        key |= sourceCode(person.sourceMask) << 52  // up to 12 bits
        return key
    }

    /// The facts of a kind (its pseudonym zero: no table counts by it).
    func facts(_ key: UInt64) -> PersonFacts {
        func bits(_ shift: UInt64, _ count: UInt64) -> Int { Int((key >> shift) & ((1 << count) - 1)) }
        let age = bits(2, 8)
        let activity = bits(13, 3)
        let place = bits(40, 12)
        let municipality: Municipality = place == 0 ? .unknown : place == 1 ? .outside : .district(places.values[place - 2])
        return PersonFacts(
            pseudonym: PersonPseudonym(words: SIMD8<UInt32>(repeating: 0)), sex: Self.sexes[bits(0, 2)], age: age, ageGroup: ageGroups[age],
            nationality: nationalities.values[bits(28, 12)], municipality: municipality, residence: Self.residences[bits(10, 3)],
            residenceUnmapped: bits(27, 1) == 1, sourceMask: masks[bits(52, 12)], allSourceIDs: sourceNames!,
            ageInRange: bits(24, 1) == 1, refugeeContext: bits(25, 1) == 1, inDistrict: bits(26, 1) == 1,
            activity: activity == 0 ? nil : Self.activities[activity - 1], flows: Flows(rawValue: UInt8(bits(16, 8))))
    }

    public mutating func add(_ person: PersonFacts) {
        let key = key(person)
        let mixed = key &* 0x9E37_79B9_7F4A_7C15
        if let position = positions.value(mixed ^ (mixed >> 29), key) {
            counts[Int(position)] += 1
        } else {
            _ = positions.set(mixed ^ (mixed >> 29), key, Int32(counts.count))
            counts.append(1)
            keys.append(key)
            ageGroups[Self.clamped(person.age)] = person.ageGroup
            if sourceNames == nil { sourceNames = person.allSourceIDs }
        }
    }

    /// Each kind of person with how many there are.
    public var weighted: [(PersonFacts, Int)] { keys.indices.map { (facts(keys[$0]), counts[$0]) } }

    public var kinds: Int { counts.count }
}
