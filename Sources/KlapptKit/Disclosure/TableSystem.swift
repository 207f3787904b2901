/// The published tables of a period as one linear system (SPEC 6), the model both the secondary
/// suppression and the audit work on.
///
/// Each dimension is a table: its categories plus the shared total row (the `insgesamt` dimension),
/// the indicators as columns. Two kinds of equations hold for the exact values, and a reader of the
/// published table knows them:
/// - per indicator and dimension, the categories add up to the total row;
/// - per row (every category, and the total row), each identity the indicator families declare
///   (`TableIdentity`, e.g. the six activity columns add up to `personen`); an `atMost` identity is
///   an inequality (each flow is at most `zielgruppe` of its row).
/// Every cell is also non-negative. Tables are linked through the shared total row.
public struct TableSystem: Sendable {
    public let cells: [CellID]
    public let index: [CellID: Int]
    /// Each equation: Σ coefficient · x[cell] = 0.
    public let equations: [[(cell: Int, coefficient: Double)]]
    /// Equations each cell appears in.
    public let equationsOfCell: [[Int]]
    /// Inequalities x[column] ≤ x[bound] (`TableIdentity.atMost`: a flow counts target-group
    /// persons only), and those each cell appears in.
    public let inequalities: [(column: Int, bound: Int)]
    public let inequalitiesOfCell: [[Int]]

    /// The name of the dimension that holds the total row, and its one category.
    public static let totalDimension = "insgesamt"
    public static let totalCategory = "insgesamt"

    /// The system of `table`, with the identities of its families.
    public init(_ table: IndicatorTable) {
        self.init(cells: table.cells, identities: table.identities)
    }

    /// The system of `cells`: per table (`CellID.table`) the dimension sums and the identities
    /// among its columns, plus `links`: equations across tables (Σ coefficient · x = 0), e.g. a
    /// transition table's rows and columns adding up to two quarters' totals (SPEC 10).
    public init(cells: [CellID], identities: [TableIdentity], links: [[(cell: CellID, coefficient: Double)]] = []) {
        self.cells = cells
        var index: [CellID: Int] = [:]
        for (position, cell) in cells.enumerated() { index[cell] = position }
        self.index = index
        var equations: [[(cell: Int, coefficient: Double)]] = []
        var inequalities: [(column: Int, bound: Int)] = []
        var tables: [String] = []
        for cell in cells where !tables.contains(cell.table) { tables.append(cell.table) }
        for table in tables {
            var dimensions: [String: [String]] = [:]
            var dimensionOrder: [String] = []
            var indicators: [Indicator] = []
            var seenRows = Set<String>()
            for cell in cells where cell.table == table {
                if !indicators.contains(cell.indicator) { indicators.append(cell.indicator) }
                if seenRows.insert("\(cell.dimension)\u{1F}\(cell.category)").inserted {
                    if dimensions[cell.dimension] == nil { dimensionOrder.append(cell.dimension) }
                    dimensions[cell.dimension, default: []].append(cell.category)
                }
            }
            indicators.sort()
            // Categories add up to the total row.
            for indicator in indicators {
                guard let total = index[CellID(table: table, indicator: indicator, dimension: Self.totalDimension, category: Self.totalCategory)] else {
                    continue
                }
                for dimension in dimensionOrder where dimension != Self.totalDimension {
                    var equation = [(cell: total, coefficient: -1.0)]
                    for category in dimensions[dimension]! {
                        if let cell = index[CellID(table: table, indicator: indicator, dimension: dimension, category: category)] { equation.append((cell, 1)) }
                    }
                    equations.append(equation)
                }
            }
            // The families' identities, in every row.
            for identity in identities {
                switch identity {
                case .atMost(let column, let bound):
                    for dimension in dimensionOrder {
                        for category in dimensions[dimension]! {
                            guard let upper = index[CellID(table: table, indicator: bound, dimension: dimension, category: category)],
                                let cell = index[CellID(table: table, indicator: column, dimension: dimension, category: category)]
                            else { continue }
                            inequalities.append((cell, upper))
                        }
                    }
                case .sum(let whole, let parts):
                    for dimension in dimensionOrder {
                        for category in dimensions[dimension]! {
                            guard let sum = index[CellID(table: table, indicator: whole, dimension: dimension, category: category)] else { continue }
                            var equation = [(cell: sum, coefficient: -1.0)]
                            for part in parts {
                                if let cell = index[CellID(table: table, indicator: part, dimension: dimension, category: category)] {
                                    equation.append((cell, 1))
                                }
                            }
                            if equation.count > 1 { equations.append(equation) }
                        }
                    }
                }
            }
        }
        // Equations across tables.
        for link in links {
            let terms = link.compactMap { term in index[term.cell].map { (cell: $0, coefficient: term.coefficient) } }
            if terms.count == link.count, terms.count > 1 { equations.append(terms) }
        }
        self.equations = equations
        var equationsOfCell = [[Int]](repeating: [], count: cells.count)
        for (number, equation) in equations.enumerated() {
            for term in equation { equationsOfCell[term.cell].append(number) }
        }
        self.equationsOfCell = equationsOfCell
        self.inequalities = inequalities
        var inequalitiesOfCell = [[Int]](repeating: [], count: cells.count)
        for (number, pair) in inequalities.enumerated() {
            inequalitiesOfCell[pair.column].append(number)
            inequalitiesOfCell[pair.bound].append(number)
        }
        self.inequalitiesOfCell = inequalitiesOfCell
    }

    /// The cells connected to `cell` through equations and inequalities (its block of the system).
    public func component(of cell: Int) -> [Int] {
        var seen: Set<Int> = [cell]
        var stack = [cell]
        while let next = stack.popLast() {
            for equation in equationsOfCell[next] {
                for term in equations[equation] where seen.insert(term.cell).inserted { stack.append(term.cell) }
            }
            for number in inequalitiesOfCell[next] {
                let pair = inequalities[number]
                for other in [pair.column, pair.bound] where seen.insert(other).inserted { stack.append(other) }
            }
        }
        return seen.sorted()
    }
}
