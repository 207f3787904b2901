/// A published table: the exact table, the cells withheld from publication (SPEC 6) and the audit
/// that proves them safe.
public struct ProtectedTable: Sendable {
    public var table: IndicatorTable
    public var primary: Set<CellID>
    public var secondary: Set<CellID>
    /// The audit of every suppressed cell, in table order (of linked tables too).
    public var audit: [SuppressionAudit.Finding]
    /// Exact values of this publication's cells of other tables (the transition table), if any.
    public var linkedValues: [CellID: Int] = [:]
    /// How the secondary cells were chosen.
    public var method: SuppressionMethod = .heuristic(reason: nil, lowerBound: nil)
    /// Cells kept published because an earlier publication of the same period showed them.
    public var keptPublished = 0
    /// An earlier publication of the same period could not be kept (its values changed so much
    /// that a primary cell was unprotectable with them): its files must not be passed on any more.
    public var earlierPublicationDropped = false
    public var suppressed: Set<CellID> { primary.union(secondary) }
    /// Secondary cells of the district's total row: a reader loses most by them, so the exact
    /// method withholds one only where nothing else protects the tables (`OptimalSuppression`).
    public var secondaryTotals: Set<CellID> { secondary.filter { $0.dimension == TableSystem.totalDimension } }

    /// The published text of a cell: the count, or `*`.
    public func published(_ cell: CellID) -> String {
        suppressed.contains(cell) ? "*" : String(table.values[cell] ?? linkedValues[cell] ?? 0)
    }
}

/// What disclosure control works on (SPEC 6, 10): a linear system of published tables with the
/// exact values of its cells, the cells to protect, and, for a system linked to a publication that
/// cannot change any more (the previous quarter), the cells that publication hid and those it
/// published.
public struct ProtectionProblem: Sendable {
    public var system: TableSystem
    /// Exact value per cell (system order).
    public var values: [Int]
    /// Cells to protect: counts from 1 to min_cell − 1, of every table (the previous quarter's too).
    public var primary: Set<Int>
    /// Cells hidden already (the previous quarter's suppressed cells): unknowns, free complements.
    public var hidden: Set<Int> = []
    /// Cells published already and unchangeable: never suppressed now.
    public var fixed: Set<Int> = []
    /// Cells of this publication that an earlier publication of the same period showed with the
    /// same value: kept published (suppressing them again would hide nothing, and protecting the
    /// primaries without them would let a reader of both files combine them).
    public var keep: Set<Int> = []

    public init(system: TableSystem, values: [Int], primary: Set<Int>, hidden: Set<Int> = [], fixed: Set<Int> = []) {
        self.system = system
        self.values = values
        self.primary = primary
        self.hidden = hidden
        self.fixed = fixed
    }

    /// One period's table alone: counts from 1 to `minCell − 1` are primary.
    public init(table: IndicatorTable, minCell: Int) {
        let system = TableSystem(table)
        let values = table.cells.map { table.values[$0] ?? 0 }
        self.init(system: system, values: values, primary: Set(values.indices.filter { values[$0] > 0 && values[$0] < minCell }))
    }
}

/// Chooses further cells to suppress so that no primary cell can be recovered from the published
/// ones (SPEC 6, secondary suppression). Returns the new cells (system indices), never `fixed` ones.
public protocol SecondarySuppression: Sendable {
    func secondaryCells(for problem: ProtectionProblem, minCell: Int) throws -> Set<Int>
    /// The secondary cells and how they were found.
    func suppress(_ problem: ProtectionProblem, minCell: Int) throws -> SuppressionResult
}

extension SecondarySuppression {
    public func suppress(_ problem: ProtectionProblem, minCell: Int) throws -> SuppressionResult {
        SuppressionResult(cells: try secondaryCells(for: problem, minCell: minCell), method: .heuristic(reason: nil, lowerBound: nil))
    }

    /// The secondary cells of one table alone.
    public func secondaryCells(for table: IndicatorTable, primary: Set<CellID>, minCell: Int) throws -> Set<CellID> {
        let system = TableSystem(table)
        let problem = ProtectionProblem(
            system: system, values: table.cells.map { table.values[$0] ?? 0 }, primary: Set(primary.compactMap { system.index[$0] }))
        return Set(try secondaryCells(for: problem, minCell: minCell).map { system.cells[$0] })
    }
}

/// Suppresses nothing further: primary suppression alone. Only for tests that need to show what the
/// audit catches; never used for publication.
public struct NoSecondarySuppression: SecondarySuppression {
    public init() {}
    public func secondaryCells(for problem: ProtectionProblem, minCell: Int) -> Set<Int> { [] }
}

/// Applies SPEC 6: counts from 1 to `minCell - 1` are primary (0 is published), the secondary
/// suppression protects them, and the audit proves it or the run fails.
public struct DisclosureControl: Sendable {
    public var minCell: Int
    public var secondary: any SecondarySuppression

    public init(minCell: Int, secondary: any SecondarySuppression = OptimalSuppression()) {
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
        try protect(table, linked: ProtectionProblem(table: table, minCell: minCell))
    }

    /// Protects `problem`, keeping the cells an earlier publication of the same period showed
    /// (`earlier`: published value per cell) where the value is the same now. When that leaves a
    /// primary cell unprotectable (the data changed since), protects without them and says so
    /// (`earlierPublicationDropped`).
    public func protect(_ table: IndicatorTable, linked problem: ProtectionProblem, earlier: [CellID: Int]) throws -> ProtectedTable {
        var keeping = problem
        keeping.keep = Set(problem.system.cells.indices.filter { earlier[problem.system.cells[$0]] == problem.values[$0] })
        if keeping.keep.isEmpty { return try protect(table, linked: problem) }
        do {
            return try protect(table, linked: keeping)
        } catch DisclosureError.unprotectable {
            var protected = try protect(table, linked: problem)
            protected.earlierPublicationDropped = true
            return protected
        }
    }

    /// Suppresses and audits `table` as part of `problem` (its cells are the table's, `table ""`,
    /// plus those of linked tables); secondary cells are chosen among every cell not `fixed`. The
    /// audit proves every primary cell of every table protected, or throws.
    public func protect(_ table: IndicatorTable, linked problem: ProtectionProblem) throws -> ProtectedTable {
        let system = problem.system
        var solving = problem
        solving.fixed.formUnion(problem.keep.subtracting(problem.primary))
        let result = try secondary.suppress(solving, minCell: minCell)
        let newSecondary = result.cells
            .subtracting(problem.primary).subtracting(problem.hidden).subtracting(solving.fixed)
        let suppressed = problem.primary.union(problem.hidden).union(newSecondary)
        let findings = SuppressionAudit(minCell: minCell).audit(system: system, values: problem.values, suppressed: suppressed, primary: problem.primary)
        let unsafe = findings.filter { !$0.protected }
        if !unsafe.isEmpty { throw DisclosureError.auditFailed(unsafe) }
        // The cells this publication withholds: its own tables' primaries and new secondaries.
        let own = { (cell: Int) in !problem.hidden.contains(cell) && !problem.fixed.contains(cell) }
        return ProtectedTable(
            table: table, primary: Set(problem.primary.filter(own).map { system.cells[$0] }), secondary: Set(newSecondary.map { system.cells[$0] }),
            audit: findings, linkedValues: Dictionary(uniqueKeysWithValues: system.cells.indices.filter(own).map { (system.cells[$0], problem.values[$0]) }),
            method: result.method, keptPublished: solving.fixed.subtracting(problem.fixed).count)
    }
}
