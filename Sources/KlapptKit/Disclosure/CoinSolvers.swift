import CCoinOR
import Foundation

/// A linear or 0/1 program in rows, handed to COIN-OR's CLP or CBC (Debian coinor-libclp-dev and
/// coinor-libcbc-dev, EPL-2.0) through their C interfaces.
///
/// Rows are `lower ≤ Σ coefficient · x ≤ upper` with `.infinity` for a missing side; columns have
/// bounds and an objective to minimise.
struct SparseProgram {
    var columns: Int
    var objective: [Double]
    var columnLower: [Double]
    var columnUpper: [Double]
    var rows: [[(column: Int, coefficient: Double)]] = []
    var rowLower: [Double] = []
    var rowUpper: [Double] = []

    init(columns: Int, lower: Double = 0, upper: Double = .infinity) {
        self.columns = columns
        objective = [Double](repeating: 0, count: columns)
        columnLower = [Double](repeating: lower, count: columns)
        columnUpper = [Double](repeating: upper, count: columns)
    }

    mutating func add(_ terms: [(column: Int, coefficient: Double)], lower: Double, upper: Double) {
        rows.append(terms)
        rowLower.append(lower)
        rowUpper.append(upper)
    }

    /// The matrix column by column (CLP's and CBC's loading format), with COIN's infinity.
    func withColumnMajor<R>(_ body: ([CoinBigIndex], [Int32], [Double], [Double], [Double], [Double], [Double]) -> R) -> R {
        var counts = [Int](repeating: 0, count: columns + 1)
        for row in rows { for term in row { counts[term.column + 1] += 1 } }
        for column in 0..<columns { counts[column + 1] += counts[column] }
        var next = counts
        var index = [Int32](repeating: 0, count: counts[columns])
        var value = [Double](repeating: 0, count: counts[columns])
        for (number, row) in rows.enumerated() {
            for term in row {
                index[next[term.column]] = Int32(number)
                value[next[term.column]] = term.coefficient
                next[term.column] += 1
            }
        }
        func coin(_ bounds: [Double]) -> [Double] {
            bounds.map { $0 == .infinity ? Double.greatestFiniteMagnitude : $0 == -.infinity ? -Double.greatestFiniteMagnitude : $0 }
        }
        return body(
            counts.map { CoinBigIndex($0) }, index, value, coin(columnLower), coin(columnUpper), coin(rowLower), coin(rowUpper))
    }
}

/// CLP, one loaded linear program whose objective can change between solves (the basis of the last
/// solve is the start of the next).
final class CLPModel {
    private let model: UnsafeMutableRawPointer

    enum Result {
        /// Optimal: the objective value and the dual value (row price) of every row.
        case optimal(objective: Double, rowPrices: [Double])
        case unbounded
        case infeasible
        case failed
    }

    init(_ program: SparseProgram) {
        model = Clp_newModel()!
        Clp_setLogLevel(model, 0)
        program.withColumnMajor { start, index, value, columnLower, columnUpper, rowLower, rowUpper in
            Clp_loadProblem(
                model, Int32(program.columns), Int32(program.rows.count), start, index, value, columnLower, columnUpper, program.objective,
                rowLower, rowUpper)
        }
    }

    deinit { Clp_deleteModel(model) }

    /// Minimises `objective` (one coefficient per column) over the loaded rows and bounds.
    func minimize(_ objective: [Double]) -> Result {
        Clp_chgObjCoefficients(model, objective)
        Clp_primal(model, 0)
        switch Clp_status(model) {
        case 0:
            let rows = Int(Clp_numberRows(model))
            let prices = Clp_dualRowSolution(model).map { Array(UnsafeBufferPointer(start: $0, count: rows)) } ?? []
            return .optimal(objective: Clp_objectiveValue(model), rowPrices: prices)
        case 1: return .infeasible
        case 2: return .unbounded
        default: return .failed
        }
    }
}

/// CBC: a 0/1 program solved to proven optimality within a time limit.
enum CBCSolver {
    enum Result {
        /// Proven optimal: the solution and its objective.
        case optimal([Double], objective: Double)
        /// Stopped at the time limit; the best bound on the optimum it had proven, if any.
        case timeLimit(bound: Double?)
        case infeasible
        case failed
    }

    /// CBC's command-line driver keeps state of its own between calls; one solve at a time.
    private static let lock = NSLock()

    /// Minimises over integer columns (0/1 with the program's bounds 0 and 1). Fixed settings (one thread, CBC's default seeds), so the same
    /// program gives the same solution on every run.
    /// `start`: a solution known to be feasible (columns set to 1), CBC's first incumbent.
    static func solveBinary(_ program: SparseProgram, seconds: Double, start: [Int]? = nil) -> Result {
        lock.lock()
        defer { lock.unlock() }
        guard let model = Cbc_newModel() else { return .failed }
        defer { Cbc_deleteModel(model) }
        program.withColumnMajor { start, index, value, columnLower, columnUpper, rowLower, rowUpper in
            Cbc_loadProblem(
                model, Int32(program.columns), Int32(program.rows.count), start, index, value, columnLower, columnUpper, program.objective,
                rowLower, rowUpper)
        }
        for column in 0..<program.columns { Cbc_setInteger(model, Int32(column)) }
        if let start {
            Cbc_setMIPStartI(model, Int32(start.count), start.map { Int32($0) }, start.map { _ in 1.0 })
        }
        Cbc_setLogLevel(model, 0)
        Cbc_setParameter(model, "threads", "0")
        Cbc_setMaximumSeconds(model, max(seconds, 0.001))
        // The objective takes whole values only: a gap below 1 proves the optimum.
        Cbc_setAllowableGap(model, 0.5)
        Cbc_setAllowableFractionGap(model, 0)
        Cbc_solve(model)
        if Cbc_isProvenOptimal(model) != 0, let solution = Cbc_getColSolution(model) {
            return .optimal(Array(UnsafeBufferPointer(start: solution, count: program.columns)), objective: Cbc_getObjValue(model))
        }
        if Cbc_isProvenInfeasible(model) != 0 { return .infeasible }
        if Cbc_isSecondsLimitReached(model) != 0 {
            let bound = Cbc_getBestPossibleObjValue(model)
            return .timeLimit(bound: bound.isFinite && abs(bound) < 1e15 ? bound : nil)
        }
        return .failed
    }
}
