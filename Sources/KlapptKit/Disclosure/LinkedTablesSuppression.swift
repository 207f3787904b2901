/// Secondary suppression for linked tables (SPEC 6), the heuristic: `OptimalSuppression`'s fallback
/// when its time limit is reached. In the manner of tau-ARGUS's modular method: each unprotected
/// primary cell is protected by the cheapest set of complementary cells, found as a linear program;
/// safe, but not always the fewest cells.
///
/// For a primary cell p with value v, it looks for a perturbation d of the table: d_p = min_cell − v,
/// d = 0 on every published cell, all equations still hold (A·d = 0) and every cell stays
/// non-negative (x + d ≥ 0). If such a d exists using only suppressed cells, a reader cannot rule out
/// that p is at least min_cell, which is the protection SPEC 6 asks for. The LP minimises the cost of
/// the cells d touches: free for cells already suppressed, otherwise 1 plus a small share of the
/// value, so fewer cells win first and smaller values next. The cells it touches are suppressed,
/// and the next primary cell is handled with them already free. Primaries are taken in table order
/// and the LP is deterministic, so the same table always gives the same pattern.
public struct LinkedTablesSuppression: SecondarySuppression {
    public init() {}

    public func secondaryCells(for problem: ProtectionProblem, minCell: Int) throws -> Set<Int> {
        let system = problem.system
        let values = problem.values
        let primaryCells = problem.primary
        // Cells hidden before (the previous quarter's) are free complements; published cells of a
        // publication that cannot change (`fixed`) are never touched.
        var suppressed = primaryCells.union(problem.hidden)
        let fixed = problem.fixed
        let audit = SuppressionAudit(minCell: minCell)
        let totalValue = values.reduce(0, +)
        // A fractional LP solution can leave an integer bound just short; a later round asks for more.
        for round in 0..<3 {
            var changed = false
            for p in primaryCells.sorted() {
                if isProtected(p, audit: audit, system: system, values: values, suppressed: suppressed) { continue }
                let component = system.component(of: p)
                let needed = Double(minCell - values[p] + round)
                guard
                    let touched = cheapestComplement(
                        for: p, raise: needed, component: component.filter { !fixed.contains($0) || $0 == p }, system: system, values: values,
                        suppressed: suppressed, totalValue: totalValue)
                else {
                    throw DisclosureError.unprotectable(system.cells[p])
                }
                changed = changed || !touched.isEmpty
                suppressed.formUnion(touched)
            }
            if !changed { break }
        }
        // Clean-up: the greedy pass can leave complements that later choices made redundant. Try to
        // publish each secondary cell again, largest first, and keep it published when every primary
        // stays protected.
        let secondaryCells = suppressed.subtracting(primaryCells).subtracting(problem.hidden).sorted { (values[$0], $0) > (values[$1], $1) }
        for cell in secondaryCells {
            var trial = suppressed
            trial.remove(cell)
            let block = Set(system.component(of: cell))
            let affected = primaryCells.filter(block.contains).sorted()
            if audit.allReachMinCell(affected, block: block, system: system, values: values, suppressed: trial) {
                suppressed = trial
            }
        }
        return suppressed.subtracting(primaryCells).subtracting(problem.hidden)
    }

    /// Whether the largest value of `p` consistent with the cells published so far reaches min_cell.
    func isProtected(_ p: Int, audit: SuppressionAudit, system: TableSystem, values: [Int], suppressed: Set<Int>) -> Bool {
        audit.allReachMinCell([p], block: Set(system.component(of: p)), system: system, values: values, suppressed: suppressed)
    }

    /// Solves the protection LP for one primary cell; returns the cells to suppress.
    ///
    /// Variables: an increase d⁺ for every other cell of p's block, a decrease d⁻ for every cell with
    /// a positive value (a zero cannot go lower). The bound d⁻ ≤ value keeps the alternative table
    /// non-negative; it is added up front for the cells the LP may change for free (already
    /// suppressed) and for small values, and for the others only when a solution breaks it (exact,
    /// and the LP stays small).
    func cheapestComplement(
        for p: Int, raise: Double, component: [Int], system: TableSystem, values: [Int],
        suppressed: Set<Int>, totalValue: Int
    ) -> Set<Int>? {
        let others = component.filter { $0 != p }
        var increase: [Int: Int] = [:]
        var decrease: [Int: Int] = [:]
        var variables = 0
        for cell in others {
            increase[cell] = variables
            variables += 1
            if values[cell] > 0 {
                decrease[cell] = variables
                variables += 1
            }
        }
        var lp = LinearProgram(variables: variables)
        let scale = 1.0 / (Double(system.cells.count) * Double(totalValue + 1))
        for cell in others {
            let weight = suppressed.contains(cell) ? 0 : 1 + Double(values[cell]) * scale
            lp.objective[increase[cell]!] = weight
            if let down = decrease[cell] {
                lp.objective[down] = weight
                if suppressed.contains(cell) || Double(values[cell]) <= raise { lp.upperBounds[down] = Double(values[cell]) }
            }
        }
        var equationNumbers = Set<Int>()
        for cell in component { equationNumbers.formUnion(system.equationsOfCell[cell]) }
        for number in equationNumbers.sorted() {
            var coefficients: [Int: Double] = [:]
            var rhs = 0.0
            for term in system.equations[number] {
                if term.cell == p {
                    rhs -= term.coefficient * raise
                } else if let up = increase[term.cell] {
                    // (A cell outside `component`, published and fixed, keeps d = 0.)
                    coefficients[up, default: 0] += term.coefficient
                    if let down = decrease[term.cell] { coefficients[down, default: 0] -= term.coefficient }
                }
            }
            if coefficients.isEmpty {
                if abs(rhs) > 1e-9 { return nil }
            } else {
                lp.add(coefficients, .equal, rhs)
            }
        }
        // The alternative table keeps every inequality: (x + d)[column] <= (x + d)[bound].
        var inequalityNumbers = Set<Int>()
        for cell in component { inequalityNumbers.formUnion(system.inequalitiesOfCell[cell]) }
        for number in inequalityNumbers.sorted() {
            let pair = system.inequalities[number]
            var coefficients: [Int: Double] = [:]
            var rhs = Double(values[pair.bound] - values[pair.column])
            for (cell, sign) in [(pair.column, 1.0), (pair.bound, -1.0)] {
                if cell == p {
                    rhs -= sign * raise
                } else if let up = increase[cell] {
                    coefficients[up, default: 0] += sign
                    if let down = decrease[cell] { coefficients[down, default: 0] -= sign }
                }
            }
            if !coefficients.isEmpty { lp.add(coefficients, .lessOrEqual, rhs) } else if rhs < -1e-9 { return nil }
        }
        while true {
            guard case .optimal(_, let x) = lp.minimize() else { return nil }
            var violated = false
            for (cell, down) in decrease where lp.upperBounds[down] == nil && x[down] > Double(values[cell]) + 1e-7 {
                lp.upperBounds[down] = Double(values[cell])
                violated = true
            }
            if violated { continue }
            var touched: Set<Int> = []
            for cell in others where !suppressed.contains(cell) {
                if x[increase[cell]!] > 1e-7 || (decrease[cell].map { x[$0] > 1e-7 } ?? false) { touched.insert(cell) }
            }
            return touched
        }
    }
}

public enum DisclosureError: Error, CustomStringConvertible {
    case unprotectable(CellID)
    case auditFailed([SuppressionAudit.Finding])

    public var description: String {
        switch self {
        case .unprotectable(let cell):
            return "Zelle \(cell.indicator.rawValue)/\(cell.dimension)/\(cell.category) lässt sich nicht schützen."
        case .auditFailed(let findings):
            let cells = findings.map {
                "\($0.cell.indicator.rawValue)/\($0.cell.dimension)/\($0.cell.category) (höchstens \($0.interval.upper.map(String.init) ?? "∞"))"
            }
            return "Prüfung der Geheimhaltung fehlgeschlagen: ungeschützt \(cells.joined(separator: ", "))."
        }
    }
}
