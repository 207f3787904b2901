/// A published table: the exact table, the cells withheld from publication (SPEC 6) and the audit
/// that proves them safe.
public struct ProtectedTable: Sendable {
    public var table: IndicatorTable
    public var primary: Set<CellID>
    public var secondary: Set<CellID>
    /// The audit of every suppressed cell, in table order.
    public var audit: [SuppressionAudit.Finding]
    public var suppressed: Set<CellID> { primary.union(secondary) }

    /// The published text of a cell: the count, or `*`.
    public func published(_ cell: CellID) -> String {
        suppressed.contains(cell) ? "*" : String(table.values[cell] ?? 0)
    }
}

/// Chooses further cells to suppress so that no primary cell can be recovered from the published
/// ones (SPEC 6, secondary suppression).
public protocol SecondarySuppression: Sendable {
    func secondaryCells(for table: IndicatorTable, primary: Set<CellID>, minCell: Int) throws -> Set<CellID>
}

/// Suppresses nothing further: primary suppression alone. Only for tests that need to show what the
/// audit catches; never used for publication.
public struct NoSecondarySuppression: SecondarySuppression {
    public init() {}
    public func secondaryCells(for table: IndicatorTable, primary: Set<CellID>, minCell: Int) -> Set<CellID> { [] }
}

/// Applies SPEC 6: counts from 1 to `minCell - 1` are primary (0 is published), the secondary
/// suppression protects them, and the audit proves it or the run fails.
public struct DisclosureControl: Sendable {
    public var minCell: Int
    public var secondary: any SecondarySuppression

    public init(minCell: Int, secondary: any SecondarySuppression = LinkedTablesSuppression()) {
        self.minCell = minCell
        self.secondary = secondary
    }

    public func primaryCells(of table: IndicatorTable) -> Set<CellID> {
        Set(
            table.cells.filter { cell in
                let value = table.values[cell] ?? 0
                return value > 0 && value < minCell
            })
    }

    /// Suppresses and audits; throws `DisclosureError.auditFailed` when a primary cell stays unprotected.
    public func protect(_ table: IndicatorTable) throws -> ProtectedTable {
        let primary = primaryCells(of: table)
        let secondaryCells = try secondary.secondaryCells(for: table, primary: primary, minCell: minCell).subtracting(primary)
        let system = TableSystem(table)
        let values = table.cells.map { table.values[$0] ?? 0 }
        let findings = SuppressionAudit(minCell: minCell).audit(
            system: system, values: values,
            suppressed: Set(primary.union(secondaryCells).compactMap { system.index[$0] }),
            primary: Set(primary.compactMap { system.index[$0] }))
        let unsafe = findings.filter { !$0.protected }
        if !unsafe.isEmpty { throw DisclosureError.auditFailed(unsafe) }
        return ProtectedTable(table: table, primary: primary, secondary: secondaryCells, audit: findings)
    }
}
