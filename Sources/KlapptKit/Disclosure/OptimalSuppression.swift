/// Secondary suppression at the proven optimum (SPEC 6, issue 15), for the cost of what a reader
/// loses (issue 31, tau-ARGUS's "frequency" cost with the margins last): withholding a cell costs
/// its value plus one (a large count says more than a small one; an empty cell is not free, so
/// among equal sums fewer cells win), and withholding a district total (a cell of the `insgesamt`
/// row, which every table shares) costs more than all other candidates together. So a total is
/// withheld only where no pattern without it protects the tables, and the result says when that
/// happened (`ProtectedTable.secondaryTotals`).
///
/// The method is the exact one of Fischetti and Salazar (tau-ARGUS's "optimal"), as a cut loop:
/// - A **master** 0/1 program over which cells to suppress (CBC) that minimises their cost (`costs`).
///   Its constraints are the cuts found so far and the structural rows (`structuralRows`).
/// - An **attacker** linear program per primary cell p (CLP): the largest value of p consistent with
///   the cells the master's pattern publishes (every equation and inequality of the system, all
///   cells ≥ 0). When it is below `min_cell`, its dual (λ for the equations, μ ≥ 0 for the
///   inequalities) gives r = e_p − Aᵀλ − Gᵀμ, and for every pattern y, by weak duality,
///   max x_p ≤ Σ_c r_c·value_c + Σ_c (value_c·r⁻_c)·y_c + ∞·Σ_{r_c > 0} y_c
///   (a suppressed cell may fall to 0 and rise without bound). A safe pattern needs that bound to
///   reach `min_cell`: the cut Σ_c min(rhs, coef_c)·y_c ≥ rhs, with rhs = min_cell − Σ_c r_c·value_c,
///   coef_c = value_c·r⁻_c, or rhs when r_c > 0. It holds for every safe pattern and fails for the
///   master's.
/// The loop ends when the master's optimum is safe: as the master is a relaxation of the real
/// problem (every cut holds for every safe pattern), that optimum is the proven minimum.
///
/// When the time limit is reached (or a solver fails), the heuristic `fallback` makes the pattern,
/// and the result says so together with the lower bound the exact method had proven by then.
public struct OptimalSuppression: SecondarySuppression {
    /// Seconds the exact method may take for a period; 0 uses the heuristic at once.
    public var timeLimit: Double
    public var fallback: any SecondarySuppression

    public init(timeLimit: Double = 10, fallback: any SecondarySuppression = LinkedTablesSuppression()) {
        self.timeLimit = timeLimit
        self.fallback = fallback
    }

    public func secondaryCells(for problem: ProtectionProblem, minCell: Int) throws -> Set<Int> {
        try suppress(problem, minCell: minCell).cells
    }

    public func suppress(_ problem: ProtectionProblem, minCell: Int) throws -> SuppressionResult {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int64((max(timeLimit, 0) * 1000).rounded()))
        // (No lower bound on the count for the fallback: the master bounds the cost, not the count.)
        func fallingBack(_ reason: SuppressionMethod.Reason) throws -> SuppressionResult {
            return SuppressionResult(
                cells: try fallback.secondaryCells(for: problem, minCell: minCell), method: .heuristic(reason: reason, lowerBound: nil))
        }
        if timeLimit <= 0 { return try fallingBack(.disabled) }
        if problem.primary.isEmpty { return SuppressionResult(cells: [], method: .optimal(rounds: 0, cuts: 0)) }

        let fixedOnes = problem.primary.union(problem.hidden)
        let isCandidate = { (cell: Int) in !fixedOnes.contains(cell) && !problem.fixed.contains(cell) }
        // The master's unknowns: the candidates of the primary cells' blocks (the others stay published).
        var blocks = Set<Int>()
        for p in problem.primary where !blocks.contains(p) { blocks.formUnion(problem.system.component(of: p)) }
        let columns = blocks.filter(isCandidate).sorted()
        var position: [Int: Int] = [:]
        for (index, cell) in columns.enumerated() { position[cell] = index }
        let structure = structuralRows(problem, position: position, alreadyHidden: fixedOnes)

        var cuts: [Cut] = []
        var pattern = Set<Int>()
        var rounds = 0
        let costs = OptimalSuppression.costs(of: columns, in: problem)
        while true {
            let attacker = AttackerProgram(problem: problem, suppressed: fixedOnes.union(pattern))
            var found: [Cut] = []
            for p in problem.primary.sorted() {
                switch attacker.largestValue(of: p) {
                case .unbounded: continue
                case .failed: return try fallingBack(.solverFailed)
                case .bounded(let largest, let prices):
                    if Int((largest + 1e-6).rounded(.down)) >= minCell { continue }
                    guard let cut = attacker.cut(protecting: p, minCell: minCell, prices: prices, isCandidate: isCandidate),
                        cut.isViolated(by: pattern)
                    else { return try fallingBack(.solverFailed) }
                    found.append(cut)
                }
            }
            if found.isEmpty {
                return SuppressionResult(cells: pattern, method: .optimal(rounds: rounds, cuts: cuts.count))
            }
            cuts.append(contentsOf: found)
            rounds += 1

            var master = SparseProgram(columns: columns.count, upper: 1)
            master.rows = structure.rows
            master.rowLower = structure.lower
            master.rowUpper = structure.lower.map { _ in .infinity }
            for cut in cuts { master.add(cut.terms.map { (position[$0.cell]!, $0.coefficient) }, lower: 1, upper: .infinity) }
            master.objective = costs
            let remaining = deadline - clock.now
            if remaining <= .zero { return try fallingBack(.timeLimit) }
            switch CBCSolver.solveBinary(
                master, seconds: Double(remaining.components.seconds) + Double(remaining.components.attoseconds) * 1e-18, start: nil)
            {
            case .optimal(let solution, _):
                pattern = Set(columns.indices.filter { solution[$0] > 0.5 }.map { columns[$0] })
            case .timeLimit:
                return try fallingBack(.timeLimit)
            case .infeasible, .failed:
                // (Infeasible: no pattern protects every primary cell; the heuristic names the cell.)
                return try fallingBack(.solverFailed)
            }
        }
    }

    /// Whether `cell` is a district total: a cell of the total row (`insgesamt`) that the tables share.
    static func isDistrictTotal(_ cell: Int, in problem: ProtectionProblem) -> Bool {
        problem.system.cells[cell].dimension == TableSystem.totalDimension
    }

    /// The master's cost per candidate (`columns`): value + 1, and for a district total more than
    /// all other candidates together, so that the optimum withholds a total only when it must.
    static func costs(of columns: [Int], in problem: ProtectionProblem) -> [Double] {
        var costs = columns.map { Double(problem.values[$0] + 1) }
        let totals = Set(columns.indices.filter { isDistrictTotal(columns[$0], in: problem) })
        let rest = columns.indices.reduce(0.0) { $0 + (totals.contains($1) ? 0 : costs[$1]) }
        for index in totals { costs[index] = rest + 1 + Double(problem.values[columns[index]]) }
        return costs
    }

    /// Rows every optimal pattern satisfies, known before any attacker is asked: no equation may
    /// leave a primary cell or a suppressed candidate as its only unknown. For a primary cell that
    /// would be a disclosure; for a candidate, an exact value, so a wasted cell that a pattern with
    /// fewer cells and the same protection does without. (Lower bounds; upper sides are infinite.)
    func structuralRows(_ problem: ProtectionProblem, position: [Int: Int], alreadyHidden: Set<Int>)
        -> (rows: [[(column: Int, coefficient: Double)]], lower: [Double])
    {
        var rows: [[(column: Int, coefficient: Double)]] = []
        var lower: [Double] = []
        for equation in problem.system.equations {
            for term in equation where problem.primary.contains(term.cell) || position[term.cell] != nil {
                var terms: [(column: Int, coefficient: Double)] = []
                var hidden = 0.0
                for other in equation where other.cell != term.cell {
                    if let column = position[other.cell] { terms.append((column, 1)) } else if alreadyHidden.contains(other.cell) { hidden += 1 }
                }
                if let own = position[term.cell] {
                    // y_own ≤ Σ y_others (+ the others hidden anyway).
                    rows.append(terms + [(own, -1)])
                    lower.append(-hidden)
                } else if hidden < 1 {
                    rows.append(terms)
                    lower.append(1)
                }
            }
        }
        return (rows, lower)
    }

    /// A constraint Σ coefficient·y_cell ≥ 1 on the candidate cells every safe pattern satisfies.
    struct Cut {
        var terms: [(cell: Int, coefficient: Double)]

        func isViolated(by pattern: Set<Int>) -> Bool {
            terms.reduce(0) { $0 + (pattern.contains($1.cell) ? $1.coefficient : 0) } < 1 - 1e-7
        }
    }

    /// The LP a reader solves: the suppressed cells as unknowns ≥ 0, every equation and inequality
    /// of the system with the published cells moved to the right.
    struct AttackerProgram {
        let problem: ProtectionProblem
        let columnOf: [Int: Int]
        /// The system's equations, then its inequalities, that have an unknown (CLP's rows, in order).
        let rowSources: [RowSource]
        let model: CLPModel

        enum RowSource {
            case equation(Int)
            case inequality(Int)
        }

        enum Largest {
            case bounded(Double, prices: [Double])
            case unbounded
            case failed
        }

        init(problem: ProtectionProblem, suppressed: Set<Int>) {
            self.problem = problem
            let system = problem.system
            let unknowns = suppressed.sorted()
            var columnOf: [Int: Int] = [:]
            for (column, cell) in unknowns.enumerated() { columnOf[cell] = column }
            var program = SparseProgram(columns: unknowns.count)
            var sources: [RowSource] = []
            for (number, equation) in system.equations.enumerated() {
                var terms: [(column: Int, coefficient: Double)] = []
                var known = 0.0
                for term in equation {
                    if let column = columnOf[term.cell] {
                        terms.append((column, term.coefficient))
                    } else {
                        known += term.coefficient * Double(problem.values[term.cell])
                    }
                }
                if terms.isEmpty { continue }
                program.add(terms, lower: -known, upper: -known)
                sources.append(.equation(number))
            }
            for (number, pair) in system.inequalities.enumerated() {
                var terms: [(column: Int, coefficient: Double)] = []
                var known = 0.0
                for (cell, coefficient) in [(pair.column, 1.0), (pair.bound, -1.0)] {
                    if let column = columnOf[cell] { terms.append((column, coefficient)) } else { known += coefficient * Double(problem.values[cell]) }
                }
                if terms.isEmpty { continue }
                program.add(terms, lower: -.infinity, upper: -known)
                sources.append(.inequality(number))
            }
            self.columnOf = columnOf
            self.rowSources = sources
            self.model = CLPModel(program)
        }

        /// The largest value of `cell` (suppressed) consistent with the published cells.
        func largestValue(of cell: Int) -> Largest {
            var objective = [Double](repeating: 0, count: columnOf.count)
            objective[columnOf[cell]!] = -1
            switch model.minimize(objective) {
            case .optimal(let value, let prices): return .bounded(-value, prices: prices)
            case .unbounded: return .unbounded
            case .infeasible, .failed: return .failed
            }
        }

        /// The cut from the attacker's dual for primary cell `p` (see the type's comment), over the
        /// candidate cells; nil when the dual proves nothing.
        func cut(protecting p: Int, minCell: Int, prices: [Double], isCandidate: (Int) -> Bool) -> Cut? {
            let system = problem.system
            // r = e_p + Aᵀ·price over every cell the rows touch (CLP minimised −x_p, so its prices
            // are −λ and −μ; an inequality's must be ≤ 0, rounding is clipped).
            var r: [Int: Double] = [p: 1]
            for (row, source) in rowSources.enumerated() {
                switch source {
                case .equation(let number):
                    let price = prices[row]
                    if price == 0 { continue }
                    for term in system.equations[number] { r[term.cell, default: 0] += price * term.coefficient }
                case .inequality(let number):
                    let price = min(prices[row], 0)
                    if price == 0 { continue }
                    let pair = system.inequalities[number]
                    r[pair.column, default: 0] += price
                    r[pair.bound, default: 0] -= price
                }
            }
            let tolerance = 1e-9
            var rhs = Double(minCell)
            for (cell, value) in r where abs(value) > tolerance { rhs -= value * Double(problem.values[cell]) }
            // Constant terms: cells suppressed in any case (y = 1) move to the right; fixed ones are 0.
            var terms: [(cell: Int, coefficient: Double)] = []
            var unbounded: [Int] = []
            for (cell, value) in r.sorted(by: { $0.key < $1.key }) where abs(value) > tolerance {
                let coefficient = value > 0 ? Double.infinity : -value * Double(problem.values[cell])
                if coefficient == 0 { continue }
                if isCandidate(cell) {
                    if coefficient == .infinity { unbounded.append(cell) } else { terms.append((cell, coefficient)) }
                } else if !problem.fixed.contains(cell) {
                    if coefficient == .infinity { return nil }
                    rhs -= coefficient
                }
            }
            guard rhs > 1e-9 else { return nil }
            terms += unbounded.map { ($0, rhs) }
            return Cut(terms: terms.map { ($0.cell, min($0.coefficient, rhs) / rhs) }.sorted { $0.cell < $1.cell })
        }
    }
}

/// How a period's secondary cells were chosen (run report, summary).
public enum SuppressionMethod: Sendable, Equatable {
    /// The proven minimum: `rounds` master problems, `cuts` constraints learnt from the attackers.
    case optimal(rounds: Int, cuts: Int)
    /// The heuristic (`LinkedTablesSuppression`); why, and the smallest number of secondary cells
    /// the exact method had proven necessary when it stopped, if any.
    case heuristic(reason: Reason?, lowerBound: Int?)

    public enum Reason: String, Sendable {
        /// `time_limit_s: 0`: the exact method is switched off.
        case disabled = "abgeschaltet"
        case timeLimit = "zeitlimit"
        case solverFailed = "solver"
    }
}

extension SuppressionMethod {
    /// Whether the cells are the proven minimum.
    public var isProvenOptimal: Bool { if case .optimal = self { true } else { false } }
}

extension SuppressionMethod: CustomStringConvertible {
    /// For the log: `exakt (3 Runden, 28 Schnitte)`, `heuristisch (zeitlimit, mindestens 14)`.
    public var description: String {
        switch self {
        case .optimal(let rounds, let cuts): return "exakt (\(rounds) Runden, \(cuts) Schnitte)"
        case .heuristic(let reason, let lowerBound):
            return "heuristisch (\(reason?.rawValue ?? "gewählt")\(lowerBound.map { ", mindestens \($0)" } ?? ""))"
        }
    }
}

/// The cells a secondary suppression chose and how.
public struct SuppressionResult: Sendable {
    public var cells: Set<Int>
    public var method: SuppressionMethod

    public init(cells: Set<Int>, method: SuppressionMethod) {
        self.cells = cells
        self.method = method
    }
}
