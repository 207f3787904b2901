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
        var table = IndicatorTable(dimensions: dimensions, families: families)
        let indicators = table.indicators
        let ordinal = Dictionary(uniqueKeysWithValues: indicators.enumerated().map { ($1, $0) })
        // Each family's column positions in the table.
        let columnsOf = families.map { $0.columns.map { ordinal[$0]! } }
        let positions = dimensions.map { Dictionary($0.categories.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first }) }
        var counts = dimensions.map { [Int](repeating: 0, count: $0.categories.count * indicators.count) }
        var counted: [Int] = []
        var local: [Int] = []
        for person in persons where person.inTargetGroup {
            counted.removeAll(keepingCapacity: true)
            for (number, family) in families.enumerated() {
                local.removeAll(keepingCapacity: true)
                family.count(person, into: &local)
                for position in local { counted.append(columnsOf[number][position]) }
            }
            if counted.isEmpty { continue }
            for (position, dimension) in dimensions.enumerated() {
                guard let category = dimension.categoryOf(person), let row = positions[position][category] else { continue }
                for indicator in counted { counts[position][row * indicators.count + indicator] += 1 }
            }
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
