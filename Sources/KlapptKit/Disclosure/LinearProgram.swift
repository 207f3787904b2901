/// A linear program, solved exactly enough for counts by a dense two-phase simplex.
///
/// klappt needs small LPs (a few hundred variables, about a hundred equations) for two jobs of
/// disclosure control: finding complementary cells to suppress, and auditing the feasible interval
/// of every suppressed cell. A dense tableau is the simplest correct tool for that size; it runs in
/// milliseconds and has no dependency. Pivoting follows Dantzig's rule and falls back to Bland's
/// rule when the objective stalls, so degenerate problems (common here: many zero cells) terminate.
///
/// ```swift
/// var lp = LinearProgram(variables: 2)
/// lp.objective = [-1, -1]                         // maximise x + y
/// lp.add([0: 1, 1: 2], .lessOrEqual, 4)
/// lp.upperBounds[0] = 3
/// let solution = lp.minimize()                    // .optimal(value: -3.5, x: [3, 0.5])
/// ```
public struct LinearProgram: Sendable {
    public enum Relation: Sendable { case lessOrEqual, equal, greaterOrEqual }

    public struct Constraint: Sendable {
        public var coefficients: [Int: Double]
        public var relation: Relation
        public var rhs: Double
    }

    public enum Solution: Sendable, Equatable {
        case optimal(value: Double, x: [Double])
        case infeasible
        case unbounded
    }

    public let variables: Int
    /// Minimised; default all zero.
    public var objective: [Double]
    public private(set) var constraints: [Constraint] = []
    /// Optional upper bound per variable; every variable is at least 0.
    public var upperBounds: [Double?]

    public init(variables: Int) {
        self.variables = variables
        objective = Array(repeating: 0, count: variables)
        upperBounds = Array(repeating: nil, count: variables)
    }

    public mutating func add(_ coefficients: [Int: Double], _ relation: Relation, _ rhs: Double) {
        constraints.append(Constraint(coefficients: coefficients, relation: relation, rhs: rhs))
    }

    static let epsilon = 1e-9

    // MARK: - Solving

    public func minimize() -> Solution {
        guard let feasible = prepare() else { return .infeasible }
        return feasible.minimize(objective)
    }

    /// Runs phase 1 once; the result minimises any number of objectives over the same constraints
    /// (the audit asks for the minimum and maximum of every suppressed cell).
    public func prepare() -> FeasibleProgram? {
        var rows = constraints
        for (index, bound) in upperBounds.enumerated() {
            if let bound { rows.append(Constraint(coefficients: [index: 1], relation: .lessOrEqual, rhs: bound)) }
        }
        // Standard form with b >= 0: slack for <=, surplus and artificial for >=, artificial for =.
        for index in rows.indices where rows[index].rhs < 0 {
            rows[index].rhs = -rows[index].rhs
            rows[index].coefficients = rows[index].coefficients.mapValues { -$0 }
            switch rows[index].relation {
            case .lessOrEqual: rows[index].relation = .greaterOrEqual
            case .greaterOrEqual: rows[index].relation = .lessOrEqual
            case .equal: break
            }
        }
        let m = rows.count
        let slackCount = rows.filter { $0.relation != .equal }.count
        let artificialCount = rows.filter { $0.relation != .lessOrEqual }.count
        let columns = variables + slackCount + artificialCount
        var tableau = Tableau(rows: m, columns: columns)
        var basis = [Int](repeating: 0, count: m)
        var nextSlack = variables
        var nextArtificial = variables + slackCount
        var artificials: [Int] = []
        for (r, row) in rows.enumerated() {
            for (column, value) in row.coefficients { tableau[r, column] += value }
            tableau.rhs[r] = row.rhs
            switch row.relation {
            case .lessOrEqual:
                tableau[r, nextSlack] = 1
                basis[r] = nextSlack
                nextSlack += 1
            case .greaterOrEqual:
                tableau[r, nextSlack] = -1
                nextSlack += 1
                tableau[r, nextArtificial] = 1
                basis[r] = nextArtificial
                artificials.append(nextArtificial)
                nextArtificial += 1
            case .equal:
                tableau[r, nextArtificial] = 1
                basis[r] = nextArtificial
                artificials.append(nextArtificial)
                nextArtificial += 1
            }
        }
        let artificialStart = variables + slackCount
        // Phase 1: minimise the sum of the artificials.
        if !artificials.isEmpty {
            var cost = [Double](repeating: 0, count: columns)
            for column in artificials { cost[column] = 1 }
            guard case .optimal(let value) = tableau.optimize(cost: cost, basis: &basis, allowed: columns) else { return nil }
            if value > 1e-7 { return nil }
            // Drive artificials out of the basis where possible.
            for r in 0..<m where basis[r] >= artificialStart {
                if let column = (0..<artificialStart).first(where: { abs(tableau[r, $0]) > LinearProgram.epsilon }) {
                    tableau.pivot(row: r, column: column)
                    basis[r] = column
                }
            }
        }
        return FeasibleProgram(variables: variables, tableau: tableau, basis: basis, allowed: artificialStart)
    }

    /// A program after phase 1: a feasible basis to start every objective from.
    public struct FeasibleProgram: Sendable {
        let variables: Int
        let tableau: Tableau
        let basis: [Int]
        let allowed: Int

        public func minimize(_ objective: [Double]) -> Solution {
            var tableau = self.tableau
            var basis = self.basis
            var cost = [Double](repeating: 0, count: tableau.columns)
            for (index, value) in objective.enumerated() { cost[index] = value }
            switch tableau.optimize(cost: cost, basis: &basis, allowed: allowed) {
            case .unbounded:
                return .unbounded
            case .optimal(let value):
                var x = [Double](repeating: 0, count: variables)
                for (r, column) in basis.enumerated() where column < variables { x[column] = tableau.rhs[r] }
                return .optimal(value: value, x: x)
            }
        }
    }

    /// A dense simplex tableau, row-major.
    struct Tableau: Sendable {
        let rows: Int
        let columns: Int
        var cells: [Double]
        var rhs: [Double]

        init(rows: Int, columns: Int) {
            self.rows = rows
            self.columns = columns
            cells = [Double](repeating: 0, count: rows * columns)
            rhs = [Double](repeating: 0, count: rows)
        }

        subscript(row: Int, column: Int) -> Double {
            get { cells[row * columns + column] }
            set { cells[row * columns + column] = newValue }
        }

        mutating func pivot(row pivotRow: Int, column pivotColumn: Int) {
            let columns = self.columns
            cells.withUnsafeMutableBufferPointer { cells in
                let pivotValue = cells[pivotRow * columns + pivotColumn]
                let pivotBase = pivotRow * columns
                for c in 0..<columns { cells[pivotBase + c] /= pivotValue }
                rhs[pivotRow] /= pivotValue
                for r in 0..<rows where r != pivotRow {
                    let base = r * columns
                    let factor = cells[base + pivotColumn]
                    if factor == 0 { continue }
                    for c in 0..<columns {
                        let v = cells[pivotBase + c]
                        if v != 0 { cells[base + c] -= factor * v }
                    }
                    cells[base + pivotColumn] = 0
                    rhs[r] -= factor * rhs[pivotRow]
                    if abs(rhs[r]) < 1e-12 { rhs[r] = 0 }
                }
            }
        }

        enum Outcome {
            case optimal(Double)
            case unbounded
        }

        /// Minimises `cost` over the columns below `allowed` from the current basis. The reduced costs
        /// are kept as an extra row and updated with each pivot.
        mutating func optimize(cost: [Double], basis: inout [Int], allowed: Int) -> Outcome {
            var reduced = cost
            for r in 0..<rows {
                let weight = cost[basis[r]]
                if weight == 0 { continue }
                let base = r * columns
                for column in 0..<columns { reduced[column] -= weight * cells[base + column] }
            }
            var stalled = 0
            var lastValue = Double.infinity
            var iterations = 0
            while true {
                iterations += 1
                if iterations > 50_000 { return .optimal(objectiveValue(cost, basis)) }
                var entering = -1
                var best = -LinearProgram.epsilon
                let useBland = stalled > 30
                for column in 0..<allowed where reduced[column] < best {
                    entering = column
                    if useBland { break }
                    best = reduced[column]
                }
                if entering < 0 { return .optimal(objectiveValue(cost, basis)) }
                var leaving = -1
                var ratio = Double.infinity
                for r in 0..<rows {
                    let a = self[r, entering]
                    if a > LinearProgram.epsilon {
                        let candidate = rhs[r] / a
                        if leaving < 0 || candidate < ratio - 1e-12 || (abs(candidate - ratio) <= 1e-12 && basis[r] < basis[leaving]) {
                            ratio = candidate
                            leaving = r
                        }
                    }
                }
                if leaving < 0 { return .unbounded }
                pivot(row: leaving, column: entering)
                basis[leaving] = entering
                let factor = reduced[entering]
                let base = leaving * columns
                for column in 0..<columns where cells[base + column] != 0 { reduced[column] -= factor * cells[base + column] }
                reduced[entering] = 0
                let value = objectiveValue(cost, basis)
                if value < lastValue - 1e-9 {
                    stalled = 0
                    lastValue = value
                } else {
                    stalled += 1
                }
            }
        }

        func objectiveValue(_ cost: [Double], _ basis: [Int]) -> Double {
            var value = 0.0
            for (r, column) in basis.enumerated() { value += cost[column] * rhs[r] }
            return value
        }
    }
}
