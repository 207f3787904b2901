/// The feasible interval of a suppressed cell: what a reader can conclude from everything published.
public struct CellInterval: Sendable, Equatable {
    /// Smallest integer value consistent with the published table.
    public var lower: Int
    /// Largest integer value; nil when unbounded.
    public var upper: Int?
}

/// Proves, by linear programming, that no suppressed cell can be narrowed below `minCell` (SPEC 6):
/// for every suppressed cell it computes the exact interval of values consistent with all
/// published cells, the equations of `TableSystem` and non-negativity. A primary cell is protected
/// when the largest such value is at least `minCell`.
///
/// The intervals are those of the LP relaxation, rounded inwards to integers (a reader knows the
/// counts are whole numbers): the same bounds tau-ARGUS's audit reports.
public struct SuppressionAudit: Sendable {
    public struct Finding: Sendable, Equatable {
        public var cell: CellID
        /// The exact value, where the auditor knows it (not when auditing a published file).
        public var value: Int?
        public var primary: Bool
        public var interval: CellInterval
        public var protected: Bool
    }

    public let minCell: Int

    public init(minCell: Int) { self.minCell = minCell }

    /// Audits `suppressed` cells of a table with known exact `values` (only the published ones are
    /// used as known; the exact values of suppressed cells only fill in the report). A published
    /// file has no exact values: pass `exactValuesKnown: false`.
    public func audit(system: TableSystem, values: [Int], suppressed: Set<Int>, primary: Set<Int>, exactValuesKnown: Bool = true) -> [Finding] {
        let (base, hidden, variableOf) = program(system: system, values: values, suppressed: suppressed)
        let feasible = base.prepare()
        return hidden.map { cell in
            let variable = variableOf[cell]!
            var objective = [Double](repeating: 0, count: base.variables)
            objective[variable] = 1
            let lower: Int
            if case .optimal(let value, _)? = feasible?.minimize(objective) { lower = Int((value - 1e-6).rounded(.up)) } else { lower = 0 }
            objective[variable] = -1
            let upper: Int?
            switch feasible?.minimize(objective) {
            case .optimal(let value, _)?: upper = Int((-value + 1e-6).rounded(.down))
            default: upper = nil
            }
            let isPrimary = primary.contains(cell)
            let safe = !isPrimary || (upper ?? Int.max) >= minCell
            return Finding(
                cell: system.cells[cell], value: exactValuesKnown ? values[cell] : nil, primary: isPrimary,
                interval: CellInterval(lower: max(0, lower), upper: upper), protected: safe)
        }
    }

    /// Whether every cell of `cells` (all suppressed, one block of the system) can reach `minCell`;
    /// one phase 1 serves all of them.
    public func allReachMinCell(_ cells: [Int], block: Set<Int>, system: TableSystem, values: [Int], suppressed: Set<Int>) -> Bool {
        let (base, _, variableOf) = program(system: system, values: values, suppressed: suppressed.filter(block.contains))
        guard let feasible = base.prepare() else { return false }
        for cell in cells {
            var objective = [Double](repeating: 0, count: base.variables)
            objective[variableOf[cell]!] = -1
            if case .optimal(let value, _) = feasible.minimize(objective), Int((-value + 1e-6).rounded(.down)) < minCell { return false }
        }
        return true
    }

    /// The LP over the suppressed cells: every equation with the published cells moved to the right.
    func program(system: TableSystem, values: [Int], suppressed: Set<Int>) -> (LinearProgram, [Int], [Int: Int]) {
        let hidden = suppressed.sorted()
        var variableOf: [Int: Int] = [:]
        for (position, cell) in hidden.enumerated() { variableOf[cell] = position }
        var base = LinearProgram(variables: hidden.count)
        for equation in system.equations {
            var coefficients: [Int: Double] = [:]
            var known = 0.0
            for term in equation {
                if let variable = variableOf[term.cell] {
                    coefficients[variable, default: 0] += term.coefficient
                } else {
                    known += term.coefficient * Double(values[term.cell])
                }
            }
            if !coefficients.isEmpty { base.add(coefficients, .equal, -known) }
        }
        // x[column] - x[bound] <= 0, the published side moved to the right.
        for pair in system.inequalities {
            var coefficients: [Int: Double] = [:]
            var known = 0.0
            for (cell, coefficient) in [(pair.column, 1.0), (pair.bound, -1.0)] {
                if let variable = variableOf[cell] { coefficients[variable, default: 0] += coefficient } else { known += coefficient * Double(values[cell]) }
            }
            if !coefficients.isEmpty { base.add(coefficients, .lessOrEqual, -known) }
        }
        return (base, hidden, variableOf)
    }
}
