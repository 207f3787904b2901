import Foundation

/// The settings of probabilistic linkage (pipeline file, `linkage_settings:`; handbook, section 8a).
public struct LinkageSettings: Sendable, Equatable {
    /// Pairs with a match probability from here on are one person. The default 0.5, "more likely
    /// the same person than not", is the decision that errs least; it gave the smallest errors
    /// against the true persons of generated quarters (handbook, section 8a; README).
    public var threshold: Double = 0.5
    /// Pairs from here up to the threshold are listed for review.
    public var reviewFrom: Double = 0.2
    /// The coordinator's decisions on listed pairs (a review list with `entscheidung` filled in).
    public var decisionsFile: String? = nil

    public init(threshold: Double = 0.5, reviewFrom: Double = 0.2) {
        self.threshold = threshold
        self.reviewFrom = reviewFrom
    }
}

/// A pair of records the coordinator decided on (`gleich` or `verschieden`), by positions.
public struct PairDecision: Sendable, Equatable {
    public var first: Int
    public var second: Int
    public var same: Bool

    public init(first: Int, second: Int, same: Bool) {
        self.first = first
        self.second = second
        self.same = same
    }
}

/// What probabilistic linkage found: a person number per record, and what the run reports.
public struct LinkageOutcome: Sendable {
    /// Per record: the position of its person's first record (a person number).
    public var person: [Int]
    public var model: MatchModel
    /// Candidate pairs compared.
    public var comparedPairs = 0
    /// Pairs with a probability at or above the threshold, and those joined (a pair between two
    /// records already one person is not joined again).
    public var acceptedPairs = 0
    /// Joins refused because two records of the persons to be joined are, by the model, different
    /// people (no chaining).
    public var refusedJoins = 0
    /// fastLink's estimates: expected false links Σ(1 − p) over the joins made, expected missed
    /// links Σp over the compared pairs below the threshold between different persons.
    public var expectedFalseLinks = 0.0
    public var expectedMissedLinks = 0.0
    /// Pairs in the review band between two different persons, by positions, with their probability.
    public var reviewPairs: [(first: Int, second: Int, probability: Double, pattern: Int)] = []
    /// The joins made, for measurements (`KLAPPT_VERKNUEPFUNG_DIAGNOSE`).
    public var joins: [(first: Int, second: Int, logOdds: Double, pattern: Int)] = []
    /// Decisions applied (pairs of the decisions file whose records are in this run).
    public var decisionsApplied = 0
}

/// Fellegi–Sunter linkage of a quarter's records (SPEC 4.1 v3; handbook, section 8a):
/// block, compare, estimate, score, cluster without chaining.
public struct ProbabilisticLinker: Sendable {
    public var settings: LinkageSettings
    var blocking = Blocking()
    /// Random pairs for u (fewer when the records have fewer pairs).
    var randomPairs = 400_000
    /// Two records whose match probability is below this are different people: no join may put
    /// them into one person.
    static let differentBelow = 0.5

    public init(settings: LinkageSettings = LinkageSettings()) {
        self.settings = settings
    }

    /// Links `records` into persons; `decisions` bind pairs (same: joined even below the
    /// threshold; different: never in one person).
    public func link(_ records: [LinkageRecord], decisions: [PairDecision] = []) -> LinkageOutcome {
        let count = records.count
        guard count > 1 else {
            return LinkageOutcome(
                person: Array(0..<count),
                model: MatchModel.estimate(randomPatterns: [:], sameDatePatterns: [:], sameNamesPatterns: [:], comparedPatterns: [:], records: count))
        }
        // u from random pairs (a fixed seed: the same inputs give the same persons).
        var randomPatterns: [Int: Int] = [:]
        let allPairs = count * (count - 1) / 2
        if allPairs <= randomPairs {
            for a in 0..<count { for b in (a + 1)..<count { randomPatterns[RecordComparison.pattern(records[a], records[b]), default: 0] += 1 } }
        } else {
            var state: UInt64 = 0x5EED
            func next() -> Int {
                state &+= 0x9E37_79B9_7F4A_7C15
                return Int(truncatingIfNeeded: LinkageEncoder.mix(state) >> 1)
            }
            var drawn = 0
            while drawn < randomPairs {
                let a = next() % count
                let b = next() % count
                guard a != b else { continue }
                randomPatterns[RecordComparison.pattern(records[a], records[b]), default: 0] += 1
                drawn += 1
            }
        }
        // One pass over the candidate pairs: the patterns of all of them (for λ), of those that
        // share the full birth date (m of names and attributes) and of those whose names sound
        // the same (m of the date): `MatchModel.estimate`. Whole counts: their sum has no order.
        let patternCount = LinkageField.patternCount
        struct Counts {
            var compared: [Int]
            var sameDate: [Int]
            var sameNames: [Int]
        }
        let empty = [Int](repeating: 0, count: patternCount)
        let counted = blocking.forEachPair(records, initial: Counts(compared: empty, sameDate: empty, sameNames: empty)) { counts, _, _, x, y in
            let pattern = RecordComparison.pattern(x, y)
            counts.compared[pattern] += 1
            if Blocking.share(x, y, rule: 3) { counts.sameDate[pattern] += 1 }
            if Blocking.share(x, y, rule: 2) { counts.sameNames[pattern] += 1 }
        }
        func merged(_ part: (Counts) -> [Int]) -> [Int: Int] {
            var result: [Int: Int] = [:]
            for pattern in 0..<patternCount {
                let value = counted.reduce(0) { $0 + part($1)[pattern] }
                if value > 0 { result[pattern] = value }
            }
            return result
        }
        let compared = merged(\.compared)
        let model = MatchModel.estimate(
            randomPatterns: randomPatterns, sameDatePatterns: merged(\.sameDate), sameNamesPatterns: merged(\.sameNames), comparedPatterns: compared,
            records: count)
        let scorer = PairScorer(records: records, weights: model.weights)

        // Score: keep the pairs from the review band up.
        let reviewLogOdds = PairScorer.logOdds(settings.reviewFrom)
        struct Scored {
            var edges: [(a: Int32, b: Int32, logOdds: Double)] = []
            var lowMass = 0.0
        }
        let scored = blocking.forEachPair(records, initial: Scored()) { state, a, b, x, y in
            let logOdds = scorer.logOdds(a, b, x, y)
            if logOdds >= reviewLogOdds {
                state.edges.append((Int32(min(a, b)), Int32(max(a, b)), logOdds))
            } else if logOdds > -30 {
                // (Below, p < 10^-13: nothing the sum would show.)
                state.lowMass += PairScorer.probability(logOdds)
            }
        }
        var edges = scored[0].edges + scored[1].edges
        let lowMass = scored[0].lowMass + scored[1].lowMass
        let comparedPairs = compared.values.reduce(0, +)
        var outcome = LinkageOutcome(person: [], model: model)
        outcome.comparedPairs = comparedPairs
        var clusters = PersonClusters(count: count)
        // Decisions first: "different" pairs may never meet, "same" pairs are joined.
        var apart = Set<Int64>()
        let decided = Set(decisions.map { PersonClusters.pairKey($0.first, $0.second) })
        for decision in decisions where decision.first < count && decision.second < count && decision.first != decision.second {
            outcome.decisionsApplied += 1
            if !decision.same { apart.insert(PersonClusters.pairKey(decision.first, decision.second)) }
        }
        for decision in decisions where decision.same && decision.first < count && decision.second < count {
            _ = clusters.join(decision.first, decision.second) { x, y in !apart.contains(PersonClusters.pairKey(x, y)) }
        }
        edges.sort { ($0.logOdds, $1.a, $1.b) > ($1.logOdds, $0.a, $0.b) }
        let acceptLogOdds = PairScorer.logOdds(settings.threshold)
        let differentLogOdds = PairScorer.logOdds(ProbabilisticLinker.differentBelow)
        for edge in edges where edge.logOdds >= acceptLogOdds {
            outcome.acceptedPairs += 1
            let a = Int(edge.a)
            let b = Int(edge.b)
            switch clusters.join(
                a, b,
                allowed: { x, y in
                    !apart.contains(PersonClusters.pairKey(x, y)) && scorer.logOdds(x, y) >= differentLogOdds
                })
            {
            case .joined:
                outcome.expectedFalseLinks += 1 - PairScorer.probability(edge.logOdds)
                outcome.joins.append((a, b, edge.logOdds, RecordComparison.pattern(records[a], records[b])))
            case .refused: outcome.refusedJoins += 1
            case .already: break
            }
        }
        outcome.expectedMissedLinks = lowMass
        for edge in edges where edge.logOdds < acceptLogOdds {
            let a = Int(edge.a)
            let b = Int(edge.b)
            guard clusters.root(a) != clusters.root(b) else { continue }
            let probability = PairScorer.probability(edge.logOdds)
            outcome.expectedMissedLinks += probability
            // A pair the coordinator decided is not listed again.
            guard !decided.contains(PersonClusters.pairKey(a, b)) else { continue }
            outcome.reviewPairs.append((a, b, probability, RecordComparison.pattern(records[a], records[b])))
        }
        outcome.person = (0..<count).map { clusters.root($0) }
        return outcome
    }
}

extension ProbabilisticLinker {
    /// A pattern in German words for the review list: "Vorname ähnlich, Familienname gleich, …".
    public static func describe(_ pattern: Int) -> String {
        LinkageField.allCases.map { field in
            "\(field.germanName): \(field.levelNames[RecordComparison.level(pattern, field)])"
        }.joined(separator: ", ")
    }
}

/// A pair's match log-odds: the pattern's, with term-frequency weights for names and dates that
/// agree exactly (Splink's term-frequency adjustment: the value's share of records as its u).
struct PairScorer {
    let records: [LinkageRecord]
    let weights: MatchWeights
    /// Per record: the term-frequency correction of its given name, family name and birth date
    /// when they agree exactly (log(m / share of the value) − the level's weight), computed once
    /// per record so that scoring a pair looks nothing up.
    let givenBonus: [Float]
    let familyBonus: [Float]
    let dateBonus: [Float]

    init(records: [LinkageRecord], weights: MatchWeights) {
        self.records = records
        self.weights = weights
        var given: [UInt32: Int] = [:]
        var family: [UInt32: Int] = [:]
        var date: [UInt32: Int] = [:]
        for record in records {
            given[record.features.given.joined, default: 0] += 1
            family[record.features.family.joined, default: 0] += 1
            if record.features.birth.precision == .day { date[record.features.birth.digits, default: 0] += 1 }
        }
        // A value's share among the other records, drawn towards the field's u of exact agreement
        // by `PairScorer.priorRecords` pseudo-records: with a few records, two that agree would
        // otherwise make their value look common.
        let others = Double(records.count - 1)
        let floor = 1 / Double(records.count + Int(PairScorer.priorRecords))
        func bonus(_ count: Int?, _ field: LinkageField, _ m: Double) -> Float {
            guard let count else { return 0 }
            let prior = weights.u[field.rawValue][3]
            let share = (Double(count - 1) + PairScorer.priorRecords * prior) / (others + PairScorer.priorRecords)
            return Float(log(m / max(share, floor)) - weights.perLevel[field.rawValue][3])
        }
        givenBonus = records.map { bonus(given[$0.features.given.joined], .given, weights.exactM.given) }
        familyBonus = records.map { bonus(family[$0.features.family.joined], .family, weights.exactM.family) }
        dateBonus = records.map { $0.features.birth.precision == .day ? bonus(date[$0.features.birth.digits], .birthDate, weights.exactM.date) : 0 }
    }

    static let priorRecords = 50.0

    static func logOdds(_ probability: Double) -> Double { log(probability / (1 - probability)) }
    static func probability(_ logOdds: Double) -> Double { 1 / (1 + exp(-logOdds)) }

    /// The highest log-odds of a pair whose given names differ completely (level 0, straight and
    /// crosswise: no common sound, under 40 % of the bigrams shared): such a pair is two people.
    /// Siblings born the same day agree on everything else, and the model alone would join them
    /// (conditional independence does not hold within a family); a given name that is another
    /// spelling keeps some bigrams or its sound.
    let vetoLogOdds = -4.595_119_850_134_589  // log(0.01 / 0.99)

    func logOdds(_ a: Int, _ b: Int) -> Double { logOdds(a, b, records[a], records[b]) }

    /// The same, for records at hand (blocking's copies).
    @inline(__always)
    func logOdds(_ a: Int, _ b: Int, _ x: LinkageRecord, _ y: LinkageRecord) -> Double {
        let pattern = RecordComparison.pattern(x, y)
        var value = weights.patternLogOdds[pattern]
        if RecordComparison.level(pattern, .given) == 3, x.features.given.joined == y.features.given.joined { value += Double(givenBonus[a]) }
        if RecordComparison.level(pattern, .family) == 3, x.features.family.joined == y.features.family.joined { value += Double(familyBonus[a]) }
        if RecordComparison.level(pattern, .birthDate) == 3 { value += Double(dateBonus[a]) }
        return RecordComparison.level(pattern, .given) == 0 ? min(value, vetoLogOdds) : value
    }
}

/// Persons as sets of records, joined pair by pair: a join happens only when every pair across the
/// two persons is allowed (no chaining: two records the model calls different never end up in one
/// person through a third).
struct PersonClusters {
    private var parent: [Int32]
    /// Each person's records as a chain: `next` of a record (−1 at the end), `last` of a person's
    /// first record (a list per person would be two million arrays in a state's run).
    private var next: [Int32]
    private var last: [Int32]

    enum Join { case joined, refused, already }

    init(count: Int) {
        parent = (0..<count).map { Int32($0) }
        next = [Int32](repeating: -1, count: count)
        last = parent
    }

    static func pairKey(_ a: Int, _ b: Int) -> Int64 { Int64(min(a, b)) << 32 | Int64(max(a, b)) }

    mutating func root(_ position: Int) -> Int {
        var current = position
        while Int(parent[current]) != current {
            parent[current] = parent[Int(parent[current])]
            current = Int(parent[current])
        }
        return current
    }

    /// Calls `body` with each record of the person whose first record is `root`; stops at false.
    func allMembers(of root: Int, _ body: (Int) -> Bool) -> Bool {
        var member = root
        while member >= 0 {
            guard body(member) else { return false }
            member = Int(next[member])
        }
        return true
    }

    mutating func join(_ a: Int, _ b: Int, allowed: (Int, Int) -> Bool) -> Join {
        let rootA = root(a)
        let rootB = root(b)
        guard rootA != rootB else { return .already }
        let fits = allMembers(of: rootA) { x in allMembers(of: rootB) { y in allowed(x, y) } }
        guard fits else { return .refused }
        // The smaller root number stays (the person number is its first record).
        let (keep, gone) = rootA < rootB ? (rootA, rootB) : (rootB, rootA)
        parent[gone] = Int32(keep)
        next[Int(last[keep])] = Int32(gone)
        last[keep] = last[gone]
        return .joined
    }
}
