/// The disclosure model of a period whose transitions are published (SPEC 10): the period's table,
/// its transition table and the previous quarter's complete publication, as one linear system.
///
/// The transition table's row of a state adds up to the previous quarter's `insgesamt` cell of that
/// state (an activity, or `ohne_aktivitaet`), its column to this quarter's; the `ausserhalb` row and
/// column are free. The previous quarter's own transition table is in the system with its columns
/// (its rows belong to the quarter before, which is not modelled: longer chains are not). The
/// previous publication cannot change: its published cells are constants (`fixed`), its suppressed
/// cells unknowns (`hidden`) whose primaries must stay protected too.
public enum LinkedProtection {
    /// The transition table's cells in publication order (table `uebergaenge`).
    public static func transitionCells(table: String = CellID.Table.transitions) -> [CellID] {
        TransitionTable.pairs.map { CellID(table: table, indicator: .transition, dimension: $0.from.description, category: $0.to.description) }
    }

    /// The indicator of a state's `insgesamt` cell.
    static func indicator(of state: PersonState) -> Indicator? {
        switch state {
        case .activity(let activity): return Indicator.of(activity)
        case .withoutActivity: return .ohneAktivitaet
        case .outside: return nil
        }
    }

    static func total(_ state: PersonState, table: String) -> CellID? {
        indicator(of: state).map { CellID(table: table, indicator: $0, dimension: TableSystem.totalDimension, category: TableSystem.totalCategory) }
    }

    /// The linked problem; counts from 1 to `minCell − 1` of this period's tables and the previous
    /// quarter's withheld ones are primary.
    public static func problem(table: IndicatorTable, transitions: TransitionTable, previous: PreviousQuarter, minCell: Int) -> ProtectionProblem {
        let transitionCells = transitionCells()
        var cells = table.cells + transitionCells
        var values = table.cells.map { table.values[$0] ?? 0 } + transitions.counts
        let own = cells.count
        for published in previous.cells {
            cells.append(published.cell)
            values.append(published.value)
        }
        let links = Self.links(.own)
        let system = TableSystem(cells: cells, identities: table.identities, links: links)
        var primary = Set<Int>()
        var hidden = Set<Int>()
        var fixed = Set<Int>()
        for position in 0..<own where values[position] > 0 && values[position] < minCell { primary.insert(position) }
        for (offset, published) in previous.cells.enumerated() {
            let position = own + offset
            if published.suppressed {
                hidden.insert(position)
                if published.value > 0 && published.value < minCell { primary.insert(position) }
            } else {
                fixed.insert(position)
            }
        }
        return ProtectionProblem(system: system, values: values, primary: primary, hidden: hidden, fixed: fixed)
    }

    /// The names of the four tables of one publisher's linked system: its quarter, its transition
    /// table, and the previous quarter's table and transition table.
    public struct Tables: Sendable, Equatable {
        public var current: String
        public var transitions: String
        public var previous: String
        public var previousTransitions: String

        /// A district's own run (SPEC 10), and the Land's state tables.
        public static let own = Tables(
            current: "", transitions: CellID.Table.transitions, previous: CellID.Table.previous, previousTransitions: CellID.Table.previousTransitions)

        /// A district's publications inside the Land's joint system (issue 22): `kreis:<key>`,
        /// `kreis:<key>/uebergaenge`, and so on.
        public static func district(_ key: String) -> Tables {
            let prefix = "kreis:\(key)"
            return Tables(
                current: prefix, transitions: "\(prefix)/\(CellID.Table.transitions)", previous: "\(prefix)/\(CellID.Table.previous)",
                previousTransitions: "\(prefix)/\(CellID.Table.previousTransitions)")
        }

        /// This publisher's table that plays the part `table` plays among `other`'s four.
        public func matching(_ table: String, in other: Tables) -> String {
            switch table {
            case other.current: return current
            case other.transitions: return transitions
            case other.previous: return previous
            default: return previousTransitions
            }
        }
    }

    /// The equations that link one publisher's transition tables to its two quarters (SPEC 10):
    /// each row of a state to the previous quarter's `insgesamt` cell, each column to this quarter's,
    /// and the previous quarter's own transition columns to its totals. A system without one of
    /// the tables drops the equations that name it (`TableSystem` keeps complete links only).
    public static func links(_ tables: Tables) -> [[(cell: CellID, coefficient: Double)]] {
        var links: [[(cell: CellID, coefficient: Double)]] = []
        for state in PersonState.all where state != .outside {
            // Row: where the previous quarter's persons of this state went.
            if let total = total(state, table: tables.previous) {
                links.append(PersonState.all.compactMap { to in cell(state, to, tables.transitions).map { ($0, 1.0) } } + [(total, -1)])
            }
            // Column: where this quarter's persons of this state came from.
            if let total = total(state, table: tables.current) {
                links.append(PersonState.all.compactMap { from in cell(from, state, tables.transitions).map { ($0, 1.0) } } + [(total, -1)])
            }
            // The previous quarter's own transitions: columns add up to its totals.
            if let total = total(state, table: tables.previous) {
                links.append(PersonState.all.compactMap { from in cell(from, state, tables.previousTransitions).map { ($0, 1.0) } } + [(total, -1)])
            }
        }
        return links
    }

    static func cell(_ from: PersonState, _ to: PersonState, _ table: String) -> CellID? {
        from == .outside && to == .outside ? nil : CellID(table: table, indicator: .transition, dimension: from.description, category: to.description)
    }
}
