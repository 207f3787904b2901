import Foundation

/// The Fellegi–Sunter model of one run (handbook, section 8a): per field and level the
/// probability m that two records of one person compare so, and u that two records of different
/// persons do; λ, the share of one-person pairs among the compared ones; term frequencies for the
/// names and dates that agree exactly.
///
/// - u comes from random pairs of the quarter's records (Splink's way: nearly all of them are of
///   different persons).
/// - m and λ come from EM on the counts of the compared pairs' patterns (fastLink's way: the work
///   is per pattern, not per pair), starting from and drawn towards prior values by
///   `priorWeight` pseudo-pairs, so that a small district's few hundred pairs cannot swing them.
/// - A name or date that agrees exactly says as much as it is rare: its u is the value's share of
///   the records (a common name or a 1 January says less than a rare one).
/// Nothing is trained on labels.
public struct MatchModel: Sendable {
    /// m and u per field and level.
    public var m: [[Double]]
    public var u: [[Double]]
    /// The share of one-person pairs among the compared pairs.
    public var lambda: Double
    /// EM's rounds until it settled.
    public var iterations = 0

    /// Prior m per field and level (the share of one person's record pairs at each level), from
    /// what the partners' lists are known to do: most names and dates agree, a tenth or so vary.
    static let priorM: [[Double]] = [
        [0.03, 0.07, 0.20, 0.70],  // given
        [0.03, 0.07, 0.15, 0.75],  // family
        [0.04, 0.06, 0.10, 0.80],  // birth date
        [0.00, 0.05, 0.95],  // sex
        [0.00, 0.07, 0.93],  // nationality
        [0.00, 0.15, 0.85],  // municipality
        [0.10, 0.90],  // source: one person's records are mostly in different sources
    ]
    static let priorWeight = 200.0

    /// Prior u per field and level: how often two records of different people compare so in a
    /// district's lists (names and dates rarely agree, sex half the time, nationality and
    /// municipality often). `priorPairs` pseudo-pairs of it join the random pairs, so that a run of
    /// a few records (a test, a small source) does not take two agreeing records as typical.
    static let priorU: [[Double]] = [
        [0.90, 0.06, 0.02, 0.02],  // given
        [0.90, 0.06, 0.02, 0.02],  // family
        [0.985, 0.005, 0.009, 0.001],  // birth date
        [0.08, 0.45, 0.47],  // sex
        [0.10, 0.75, 0.15],  // nationality
        [0.05, 0.85, 0.10],  // municipality
        [0.35, 0.65],  // source
    ]
    static let priorPairs = 1000.0

    /// Estimates the model of a quarter's `records` records (Splink's way of training, without
    /// labels):
    /// - u from `randomPatterns`, the patterns of random pairs (nearly all of different people);
    /// - m of the names and the attributes by EM on `sameDatePatterns`, pairs that share the full
    ///   birth date (the date itself then says nothing and is left out);
    /// - m of the birth date by EM on `sameNamesPatterns`, pairs whose names sound the same (the
    ///   names are left out).
    /// Each EM has two free classes (m, and u of its pairs) and starts from, and is drawn towards,
    /// the prior m by `priorWeight` pseudo-pairs, so that a few hundred pairs cannot swing it. A
    /// field is never estimated from pairs chosen for agreeing on it: EM on all compared pairs at
    /// once found "same birth date, different names" as its second class on 20,000 persons.
    public static func estimate(
        randomPatterns: [Int: Int], sameDatePatterns: [Int: Int], sameNamesPatterns: [Int: Int], comparedPatterns: [Int: Int], records: Int,
        maxIterations: Int = 200
    ) -> MatchModel {
        let fields = LinkageField.allCases
        // Whole counts first (exact in any order), then the prior's pseudo-pairs.
        var whole = fields.map { [Int](repeating: 0, count: $0.levels) }
        for (pattern, count) in randomPatterns {
            for field in fields { whole[field.rawValue][RecordComparison.level(pattern, field)] += count }
        }
        let counts = fields.map { field in (0..<field.levels).map { Double(whole[field.rawValue][$0]) + priorU[field.rawValue][$0] * priorPairs } }
        let u = counts.map { row in row.map { $0 / row.reduce(0, +) } }
        let names = em(sameDatePatterns, fields: fields.filter { $0 != .birthDate }, u: u, maxIterations: maxIterations)
        let date = em(sameNamesPatterns, fields: [.birthDate, .sex, .nationality, .municipality, .source], u: u, maxIterations: maxIterations)
        var m = names.m
        m[LinkageField.birthDate.rawValue] = date.m[LinkageField.birthDate.rawValue]
        // λ, the share of one-person pairs among all pairs: with m and u fixed, the fixed point of
        // λ = Σ P(one person | pattern; λ) / all pairs over the compared pairs (the others have
        // next to no chance: blocking is built so that one person's records meet).
        let allPairs = Double(records) * Double(max(records - 1, 1)) / 2
        var lambda = min(max(Double(records) / 2 / allPairs, 1e-9), 0.5)
        // (In pattern order: a sum in a dictionary's order would differ in its last bits from run to run.)
        let bayesFactors = comparedPatterns.sorted { $0.key < $1.key }.map { entry -> (count: Double, logFactor: Double) in
            var logFactor = 0.0
            for field in fields where !(field.hasMissingLevel && RecordComparison.level(entry.key, field) == 0) {
                let level = RecordComparison.level(entry.key, field)
                logFactor += log(m[field.rawValue][level] / u[field.rawValue][level])
            }
            return (Double(entry.value), logFactor)
        }
        for _ in 0..<100 {
            let prior = log(lambda / (1 - lambda))
            let matched = bayesFactors.reduce(0.0) { $0 + $1.count / (1 + exp(-(prior + $1.logFactor))) }
            let next = min(max(matched / allPairs, 1e-9), 0.5)
            if abs(next - lambda) < lambda * 1e-6 {
                lambda = next
                break
            }
            lambda = next
        }
        var model = MatchModel(m: m, u: u, lambda: lambda)
        model.iterations = names.iterations + date.iterations
        model.comparedLambda = names.lambda
        return model
    }

    /// Two-class EM on pattern counts over `fields` (the others are ignored).
    static func em(_ counted: [Int: Int], fields: [LinkageField], u: [[Double]], maxIterations: Int) -> (
        m: [[Double]], lambda: Double, matched: Double, iterations: Int
    ) {
        var m = priorM.map { levels in levels.map { max($0, 1e-4) } }
        var uPairs = u
        var lambda = 0.1
        let patterns = counted.sorted { $0.key < $1.key }.map { (pattern: $0.key, count: Double($0.value)) }
        let levels = patterns.map { entry in LinkageField.allCases.map { RecordComparison.level(entry.pattern, $0) } }
        let total = patterns.reduce(0) { $0 + $1.count }
        var matched = 0.0
        var iteration = 0
        while iteration < maxIterations, total > 0 {
            iteration += 1
            var mCounts = priorM.map { $0.map { $0 * priorWeight } }
            var uCounts = LinkageField.allCases.map { [Double](repeating: 1, count: $0.levels) }
            matched = 0
            for (index, entry) in patterns.enumerated() {
                var logRatio = log(lambda / (1 - lambda))
                for field in fields where !(field.hasMissingLevel && levels[index][field.rawValue] == 0) {
                    let level = levels[index][field.rawValue]
                    logRatio += log(m[field.rawValue][level] / uPairs[field.rawValue][level])
                }
                let posterior = 1 / (1 + exp(-logRatio))
                matched += posterior * entry.count
                for field in fields {
                    mCounts[field.rawValue][levels[index][field.rawValue]] += posterior * entry.count
                    uCounts[field.rawValue][levels[index][field.rawValue]] += (1 - posterior) * entry.count
                }
            }
            var change = 0.0
            for field in fields {
                let mSum = mCounts[field.rawValue].reduce(0, +)
                let uSum = uCounts[field.rawValue].reduce(0, +)
                for level in 0..<field.levels {
                    let value = max(mCounts[field.rawValue][level] / mSum, 1e-4)
                    change = max(change, abs(value - m[field.rawValue][level]))
                    m[field.rawValue][level] = value
                    uPairs[field.rawValue][level] = max(uCounts[field.rawValue][level] / uSum, 1e-6)
                }
            }
            let newLambda = min(max(matched / total, 1e-6), 1 - 1e-6)
            change = max(change, abs(newLambda - lambda))
            lambda = newLambda
            if change < 1e-6 { break }
        }
        return (m, lambda, matched, iteration)
    }

    /// EM's share of one-person pairs among the compared pairs.
    public var comparedLambda = 0.0

    public init(m: [[Double]], u: [[Double]], lambda: Double) {
        self.m = m
        self.u = u
        self.lambda = lambda
    }

    /// log(m/u) per field and level (0 for a missing level), and the prior log-odds: a pair's
    /// log-odds is their sum, term frequencies aside.
    public var weights: MatchWeights {
        var table = [[Double]]()
        for field in LinkageField.allCases {
            table.append(
                (0..<field.levels).map { level in
                    field.hasMissingLevel && level == 0 ? 0 : log(m[field.rawValue][level] / u[field.rawValue][level])
                })
        }
        return MatchWeights(perLevel: table, priorLogOdds: log(lambda / (1 - lambda)), m: m, u: u)
    }
}

/// The model's weights as the per-pair loop uses them.
public struct MatchWeights: Sendable {
    /// log(m/u) per field and level.
    public var perLevel: [[Double]]
    public var priorLogOdds: Double
    /// m of the exact levels (for the term-frequency weight log(m / share of the value)).
    let exactM: (given: Double, family: Double, date: Double)
    /// Each pattern's log-odds, looked up in the per-pair loop.
    let patternLogOdds: [Double]

    /// u per field and level (the term frequencies' prior).
    let u: [[Double]]

    init(perLevel: [[Double]], priorLogOdds: Double, m: [[Double]], u: [[Double]]) {
        self.u = u
        self.perLevel = perLevel
        self.priorLogOdds = priorLogOdds
        exactM = (m[LinkageField.given.rawValue][3], m[LinkageField.family.rawValue][3], m[LinkageField.birthDate.rawValue][3])
        patternLogOdds = (0..<LinkageField.patternCount).map { pattern in
            LinkageField.allCases.reduce(priorLogOdds) { $0 + perLevel[$1.rawValue][RecordComparison.level(pattern, $1)] }
        }
    }
}
