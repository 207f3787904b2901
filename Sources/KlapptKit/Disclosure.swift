/// A published table: the exact table and the cells withheld from publication (SPEC 6).
public struct ProtectedTable: Sendable {
    public var table: IndicatorTable
    public var primary: Set<CellID>
    public var secondary: Set<CellID>
    public var suppressed: Set<CellID> { primary.union(secondary) }

    /// The published text of a cell: the count, or `*`.
    public func published(_ cell: CellID) -> String {
        suppressed.contains(cell) ? "*" : String(table.values[cell] ?? 0)
    }
}

/// Chooses further cells to suppress so that no primary cell can be recovered from the published
/// ones (SPEC 6, secondary suppression). The seam where the linked-tables algorithm plugs in.
public protocol SecondarySuppression: Sendable {
    func secondaryCells(for table: IndicatorTable, primary: Set<CellID>, minCell: Int) throws -> Set<CellID>
}

/// Primary suppression only: suppresses nothing further. v1 publishes with this until the
/// secondary suppression and its audit (issue 3) land.
public struct NoSecondarySuppression: SecondarySuppression {
    public init() {}
    public func secondaryCells(for table: IndicatorTable, primary: Set<CellID>, minCell: Int) -> Set<CellID> { [] }
}

/// Applies SPEC 6: counts from 1 to `minCell - 1` are primary; 0 is published.
public struct DisclosureControl: Sendable {
    public var minCell: Int
    public var secondary: any SecondarySuppression

    public init(minCell: Int, secondary: any SecondarySuppression = NoSecondarySuppression()) {
        self.minCell = minCell
        self.secondary = secondary
    }

    public func protect(_ table: IndicatorTable) throws -> ProtectedTable {
        let primary = Set(table.cells.filter { cell in
            let value = table.values[cell] ?? 0
            return value > 0 && value < minCell
        })
        let secondaryCells = try secondary.secondaryCells(for: table, primary: primary, minCell: minCell)
        return ProtectedTable(table: table, primary: primary, secondary: secondaryCells.subtracting(primary))
    }
}
