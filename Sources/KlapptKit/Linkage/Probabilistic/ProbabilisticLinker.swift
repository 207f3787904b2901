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
    /// At most this many pairs of the review band are listed, the most likely first (a state's
    /// quarter has tens of thousands in the band; nobody reviews those, and re-reading their rows
    /// took longer than the linkage).
    public var reviewLimit = 1000

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
    /// Pairs in the review band between two different persons, not decided yet.
    public var reviewBandPairs = 0
    /// The `reviewLimit` most likely of them, by positions, with their probability (most likely first).
    public var reviewPairs: [(first: Int, second: Int, probability: Double, pattern: Int)] = []
    /// The joins made, for measurements (`KLAPPT_VERKNUEPFUNG_DIAGNOSE`).
    public var joins: [(first: Int, second: Int, logOdds: Double, pattern: Int)] = []
    /// Decisions applied (pairs of the decisions file whose records are in this run).
    public var decisionsApplied = 0
}

/// Fellegi–Sunter linkage of a quarter's records (SPEC 4.1 v3; handbook, section 8a):
/// group, block, compare, estimate, score, cluster without chaining.
///
/// Records that agree on every compared feature form one node first (a person written alike by
/// several partners: most of a quarter's records). Their pairs would all compare alike, so they
/// are scored once; a node whose own pairs fall below the threshold (a common name with a
/// 1 January, say) is taken apart again into its records before the pairs are scored.
public struct ProbabilisticLinker: Sendable {
    public var settings: LinkageSettings
    var blocking = Blocking()
    /// Random pairs for u (fewer when the records have fewer pairs).
    var randomPairs = 400_000
    /// Above this many nodes the model is estimated from a sample of the blocks (every n-th by its
    /// key: each pair has one block where it is compared, so each is in the sample with
    /// probability 1/n), sized to about this many nodes' pairs.
    var estimateNodes = 250_000
    /// Two records whose match probability is below this are different people: no join may put
    /// them into one person.
    static let differentBelow = 0.5

    public init(settings: LinkageSettings = LinkageSettings()) {
        self.settings = settings
    }

    /// Links `records` into persons (tests, small runs): see `link(_:decisions:)` on an input.
    public func link(_ records: [LinkageRecord], decisions: [PairDecision] = []) -> LinkageOutcome {
        link(LinkageInput(records), decisions: decisions)
    }

    /// Links the records of `input` into persons; `decisions` bind pairs (same: joined even below
    /// the threshold; different: never in one person).
    public func link(_ input: consuming LinkageInput, decisions: [PairDecision] = []) -> LinkageOutcome {
        let names = input.names
        var entries = input.takeEntries()
        return names.withUnsafeBufferPointer { names in link(&entries, names: names, decisions: decisions) }
    }

    /// (`entries` are emptied once the nodes are made: a state's 90 MB.)
    private func link(_ entries: inout [LinkageEntry], names: UnsafeBufferPointer<NameEncoding>, decisions: [PairDecision]) -> LinkageOutcome {
        let count = entries.count
        guard count > 1 else {
            return LinkageOutcome(
                person: Array(0..<count),
                model: MatchModel.estimate(randomPatterns: [:], sameDatePatterns: [:], sameNamesPatterns: [:], comparedPatterns: [:], records: count))
        }
        // u from random pairs of records (a fixed seed: the same inputs give the same persons).
        var randomPatterns: [Int: Int] = [:]
        func recordPattern(_ a: Int, _ b: Int) -> Int {
            let entries = entries
            let x = LinkageNode(entries[a], names: names)
            let y = LinkageNode(entries[b], names: names)
            return RecordComparison.pattern(x, y, names: names, sourceLevel: entries[a].source == entries[b].source ? 0 : 1)
        }
        let allPairs = count * (count - 1) / 2
        if allPairs <= randomPairs {
            for a in 0..<count { for b in (a + 1)..<count { randomPatterns[recordPattern(a, b), default: 0] += 1 } }
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
                randomPatterns[recordPattern(a, b), default: 0] += 1
                drawn += 1
            }
        }
        // A decision binds the nodes of its records (records with the same features are, to the
        // model, the same; the coordinator decided on what it showed). Only two records decided
        // "different" within one node stay nodes of their own.
        var grouping = NodeGrouping(entries, names: names, alone: [])
        let valid = decisions.filter { $0.first < count && $0.second < count && $0.first != $0.second }
        let torn = valid.filter { !$0.same && grouping.node(of: $0.first) == grouping.node(of: $0.second) }
        if !torn.isEmpty { grouping = NodeGrouping(entries, names: names, alone: Set(torn.flatMap { [$0.first, $0.second] })) }
        let frequencies = ValueFrequencies(entries, names: names)

        // One pass over the candidate pairs (of a sample of the blocks, for a large quarter): the
        // patterns of all of them (for λ), of those that share the full birth date (m of names
        // and attributes) and of those whose names sound the same (m of the date):
        // `MatchModel.estimate`. A pair of nodes stands for the pairs of their records; the pairs
        // within a node are added as they compare. Whole counts: their sum has no order.
        let patternCount = LinkageField.patternCount
        struct Counts {
            var compared: [Int]
            var sameDate: [Int]
            var sameNames: [Int]
        }
        let empty = [Int](repeating: 0, count: patternCount)
        let sampleEvery = max(1, grouping.nodes.count / estimateNodes)
        let counted = blocking.forEachPair(
            grouping.nodes, names: names, sampleEvery: sampleEvery, initial: Counts(compared: empty, sameDate: empty, sameNames: empty)
        ) {
            counts, _, _, x, y in
            let pattern = RecordComparison.pattern(x, y, names: names, sourceLevel: RecordComparison.bestSourceLevel(x, y))
            let weight = Int(x.records) * Int(y.records) * sampleEvery
            counts.compared[pattern] += weight
            if Blocking.sameFullDate(x, y) { counts.sameDate[pattern] += weight }
            if Blocking.sameSounds(x, y) { counts.sameNames[pattern] += weight }
        }
        var inside = Counts(compared: empty, sameDate: empty, sameNames: empty)
        for node in grouping.nodes where node.records > 1 {
            let pattern = RecordComparison.pattern(node, node, names: names, sourceLevel: node.insideSourceLevel)
            let pairs = Int(node.records) * Int(node.records - 1) / 2
            inside.compared[pattern] += pairs
            if Blocking.sameFullDate(node, node) { inside.sameDate[pattern] += pairs }
            inside.sameNames[pattern] += pairs
        }
        func merged(_ part: (Counts) -> [Int]) -> [Int: Int] {
            var result: [Int: Int] = [:]
            for pattern in 0..<patternCount {
                let value = counted.reduce(part(inside)[pattern]) { $0 + part($1)[pattern] }
                if value > 0 { result[pattern] = value }
            }
            return result
        }
        let compared = merged(\.compared)
        let model = MatchModel.estimate(
            randomPatterns: randomPatterns, sameDatePatterns: merged(\.sameDate), sameNamesPatterns: merged(\.sameNames), comparedPatterns: compared,
            records: count)
        let bonuses = frequencies.bonuses(weights: model.weights, records: count, names: names)
        let scorer = PairScorer(weights: model.weights, names: names, givenBonus: bonuses.given, familyBonus: bonuses.family)
        let acceptLogOdds = PairScorer.logOdds(settings.threshold)
        let differentLogOdds = PairScorer.logOdds(ProbabilisticLinker.differentBelow)
        bonuses.setDates(&grouping.nodes)

        // Nodes whose own pairs the model does not call one person go apart into their records.
        var outcome = LinkageOutcome(person: [], model: model)
        var insideFalse = 0.0
        var insideJoined = 0
        var insidePairs = 0
        grouping.split(entries, names: names) { node in
            guard node.records > 1 else { return true }
            var logOdds = scorer.logOdds(node, node, sourceLevel: node.insideSourceLevel)
            if node.sameSourceInside { logOdds = min(logOdds, scorer.logOdds(node, node, sourceLevel: 0)) }
            guard logOdds >= acceptLogOdds else { return false }
            insideFalse += Double(node.records - 1) * (1 - PairScorer.probability(logOdds))
            insideJoined += Int(node.records - 1)
            insidePairs += Int(node.records) * Int(node.records - 1) / 2
            return true
        }
        entries = []
        let nodes = grouping.nodes

        // Score: keep the pairs from the review band up.
        let reviewLogOdds = PairScorer.logOdds(settings.reviewFrom)
        struct Scored {
            var edges: [(a: Int32, b: Int32, logOdds: Double)] = []
            var lowMass = 0.0
            var pairs = 0
        }
        var scored = blocking.forEachPair(nodes, names: names, initial: Scored()) { state, a, b, x, y in
            let logOdds = scorer.logOdds(x, y, sourceLevel: RecordComparison.bestSourceLevel(x, y))
            let weight = Int(x.records) * Int(y.records)
            state.pairs += weight
            if logOdds >= reviewLogOdds {
                state.edges.append((Int32(min(a, b)), Int32(max(a, b)), logOdds))
            } else if logOdds > -15 {
                // (Below, p < 3 · 10^-7: a state's fifty million such pairs add less than a
                // hundredth of the estimate, and each would cost an exponential.)
                state.lowMass += Double(weight) * PairScorer.probability(logOdds)
            }
        }
        // (Moved out, not copied: a state's two million edges.)
        var edges = scored[0].edges
        scored[0].edges = []
        edges += scored[1].edges
        scored[1].edges = []
        let lowMass = scored[0].lowMass + scored[1].lowMass
        outcome.comparedPairs = scored[0].pairs + scored[1].pairs + insidePairs
        outcome.acceptedPairs = insideJoined
        outcome.expectedFalseLinks = insideFalse
        var clusters = PersonClusters(count: nodes.count)
        // "Different" decisions first: those nodes may never meet.
        var apart = Set<Int64>()
        var decidedPairs = Set<Int64>()
        for decision in valid {
            outcome.decisionsApplied += 1
            let key = PersonClusters.pairKey(grouping.node(of: decision.first), grouping.node(of: decision.second))
            decidedPairs.insert(key)
            if !decision.same { apart.insert(key) }
        }
        edges.sort { ($0.logOdds, $1.a, $1.b) > ($1.logOdds, $0.a, $0.b) }
        for edge in edges where edge.logOdds >= acceptLogOdds {
            outcome.acceptedPairs += 1
            let a = Int(edge.a)
            let b = Int(edge.b)
            switch clusters.join(
                a, b,
                allowed: { x, y in
                    !apart.contains(PersonClusters.pairKey(x, y))
                        && scorer.logOdds(nodes[x], nodes[y], sourceLevel: RecordComparison.worstSourceLevel(nodes[x], nodes[y])) >= differentLogOdds
                })
            {
            case .joined:
                outcome.expectedFalseLinks += 1 - PairScorer.probability(edge.logOdds)
                outcome.joins.append(
                    (
                        grouping.firstRecord[a], grouping.firstRecord[b], edge.logOdds,
                        RecordComparison.pattern(nodes[a], nodes[b], names: names, sourceLevel: RecordComparison.bestSourceLevel(nodes[a], nodes[b]))
                    ))
            case .refused: outcome.refusedJoins += 1
            case .already: break
            }
        }
        // "Same" decisions last: the persons of the two records become one (the coordinator saw
        // both; the model's other joins stand), unless a "different" decision stands between them.
        for decision in valid where decision.same {
            _ = clusters.join(grouping.node(of: decision.first), grouping.node(of: decision.second)) { x, y in
                !apart.contains(PersonClusters.pairKey(x, y))
            }
        }
        outcome.expectedMissedLinks = lowMass
        for edge in edges where edge.logOdds < acceptLogOdds {
            let a = Int(edge.a)
            let b = Int(edge.b)
            guard clusters.root(a) != clusters.root(b) else { continue }
            let probability = PairScorer.probability(edge.logOdds)
            outcome.expectedMissedLinks += Double(nodes[a].records) * Double(nodes[b].records) * probability
            // A pair the coordinator decided is not listed again.
            guard !decidedPairs.contains(PersonClusters.pairKey(a, b)) else { continue }
            outcome.reviewPairs.append(
                (
                    grouping.firstRecord[a], grouping.firstRecord[b], probability,
                    RecordComparison.pattern(nodes[a], nodes[b], names: names, sourceLevel: RecordComparison.bestSourceLevel(nodes[a], nodes[b]))
                ))
        }
        outcome.reviewBandPairs = outcome.reviewPairs.count
        outcome.reviewPairs.sort { ($0.probability, $1.first, $1.second) > ($1.probability, $0.first, $0.second) }
        if outcome.reviewPairs.count > settings.reviewLimit { outcome.reviewPairs.removeLast(outcome.reviewPairs.count - settings.reviewLimit) }
        // A person's number is its first record's position.
        var first = [Int32](repeating: Int32.max, count: nodes.count)
        for node in 0..<nodes.count {
            let root = clusters.root(node)
            first[root] = min(first[root], Int32(grouping.firstRecord[node]))
        }
        outcome.person = (0..<count).map { Int(first[clusters.root(grouping.node(of: $0))]) }
        return outcome
    }
}

/// The records of a quarter grouped into nodes of equal features (see `ProbabilisticLinker`).
struct NodeGrouping {
    var nodes: [LinkageNode] = []
    /// Per node, its first record's position.
    var firstRecord: [Int] = []
    /// Per record, its node.
    private var nodeOfRecord: [Int32]

    func node(of record: Int) -> Int { Int(nodeOfRecord[record]) }

    /// Groups `entries`; those in `alone` (records a decision names) stay nodes of their own.
    init(_ entries: [LinkageEntry], names: UnsafeBufferPointer<NameEncoding>, alone: Set<Int>) {
        nodeOfRecord = [Int32](repeating: -1, count: entries.count)
        // At most one node a record: reserved once (growth would copy and could leave twice as many places).
        nodes.reserveCapacity(entries.count)
        firstRecord.reserveCapacity(entries.count)
        var capacity = 1024
        while capacity < entries.count * 2 { capacity *= 2 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        for (position, entry) in entries.enumerated() {
            var slot = Int(truncatingIfNeeded: entry.featureHash) & mask
            var found = -1
            let single = !alone.isEmpty && alone.contains(position)
            if !single {
                while slots[slot] >= 0 {
                    let candidate = Int(slots[slot])
                    if entries[firstRecord[candidate]].sameFeatures(entry) {
                        found = candidate
                        break
                    }
                    slot = (slot + 1) & mask
                }
            }
            if found >= 0 {
                let bit: UInt64 = 1 << UInt64(entry.source & 63)
                if nodes[found].sources & bit != 0 { nodes[found].sameSourceInside = true }
                nodes[found].sources |= bit
                nodes[found].records += 1
                nodeOfRecord[position] = Int32(found)
            } else {
                nodes.append(LinkageNode(entry, names: names))
                firstRecord.append(position)
                nodeOfRecord[position] = Int32(nodes.count - 1)
                if !single { slots[slot] = Int32(nodes.count - 1) }
            }
        }
    }

    /// Takes apart the nodes for which `keep` says false: each of their records becomes a node of
    /// its own (the first keeps the node's place, the others are added at the end), with the
    /// node's date weight (its records share the date).
    mutating func split(_ entries: [LinkageEntry], names: UnsafeBufferPointer<NameEncoding>, keep: (LinkageNode) -> Bool) {
        var apart: [Bool] = []
        apart.reserveCapacity(nodes.count)
        for node in nodes { apart.append(!keep(node)) }
        guard apart.contains(true) else { return }
        var seen = [Bool](repeating: false, count: nodes.count)
        for position in 0..<entries.count {
            let old = Int(nodeOfRecord[position])
            guard old < apart.count, apart[old] else { continue }
            var single = LinkageNode(entries[position], names: names)
            single.dateBonus = nodes[old].dateBonus
            if !seen[old] {
                seen[old] = true
                nodes[old] = single
            } else {
                nodes.append(single)
                firstRecord.append(position)
                nodeOfRecord[position] = Int32(nodes.count - 1)
            }
        }
    }
}

/// How often each given name, family name (by joined skeleton) and full birth date occurs among a
/// quarter's records: the term frequencies of `PairScorer`.
struct ValueFrequencies {
    private var given: [UInt32: Int] = [:]
    private var family: [UInt32: Int] = [:]
    private var date: [UInt32: Int] = [:]

    init(_ entries: [LinkageEntry], names: UnsafeBufferPointer<NameEncoding>) {
        // Per name number first (an array), then per joined skeleton (a few thousand keys).
        var givenByNumber = [Int](repeating: 0, count: names.count)
        var familyByNumber = [Int](repeating: 0, count: names.count)
        for entry in entries {
            givenByNumber[Int(entry.given)] += 1
            familyByNumber[Int(entry.family)] += 1
            if entry.birth.precision == .day { date[entry.birth.digits, default: 0] += 1 }
        }
        for (number, name) in names.enumerated() {
            if givenByNumber[number] > 0 { given[name.joined, default: 0] += givenByNumber[number] }
            if familyByNumber[number] > 0 { family[name.joined, default: 0] += familyByNumber[number] }
        }
    }

    /// The corrections of exact agreement: log(m / share of the value) − the level's weight, per
    /// name number (given and family) and per full date. A value's share among the other records
    /// is drawn towards the field's u of exact agreement by `PairScorer.priorRecords`
    /// pseudo-records: with a few records, two that agree would otherwise make their value look
    /// common.
    func bonuses(weights: MatchWeights, records: Int, names: UnsafeBufferPointer<NameEncoding>) -> Bonuses {
        let others = Double(records - 1)
        let floor = 1 / Double(records + Int(PairScorer.priorRecords))
        func bonus(_ count: Int?, _ field: LinkageField, _ m: Double) -> Float {
            guard let count else { return 0 }
            let prior = weights.u[field.rawValue][3]
            let share = (Double(count - 1) + PairScorer.priorRecords * prior) / (others + PairScorer.priorRecords)
            return Float(log(m / max(share, floor)) - weights.perLevel[field.rawValue][3])
        }
        return Bonuses(
            given: names.map { bonus(given[$0.joined], .given, weights.exactM.given) },
            family: names.map { bonus(family[$0.joined], .family, weights.exactM.family) },
            date: date.mapValues { bonus($0, .birthDate, weights.exactM.date) })
    }

    struct Bonuses {
        var given: [Float]
        var family: [Float]
        var date: [UInt32: Float]

        /// Sets each node's date correction.
        func setDates(_ nodes: inout [LinkageNode]) {
            for index in nodes.indices {
                let birth = nodes[index].entry.birth
                nodes[index].dateBonus = birth.precision == .day ? date[birth.digits] ?? 0 : 0
            }
        }
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
/// agree exactly (Splink's term-frequency adjustment: the value's share of records as its u; the
/// corrections sit in the nodes, so that scoring a pair looks nothing up).
struct PairScorer {
    let weights: MatchWeights
    let names: UnsafeBufferPointer<NameEncoding>
    /// Per name number: the correction of an exactly agreeing given and family name.
    let givenBonus: [Float]
    let familyBonus: [Float]

    static let priorRecords = 50.0

    static func logOdds(_ probability: Double) -> Double { log(probability / (1 - probability)) }
    static func probability(_ logOdds: Double) -> Double { 1 / (1 + exp(-logOdds)) }

    /// The highest log-odds of a pair whose given names differ completely (level 0, straight and
    /// crosswise: no common sound, under 40 % of the bigrams shared): such a pair is two people.
    /// Siblings born the same day agree on everything else, and the model alone would join them
    /// (conditional independence does not hold within a family); a given name that is another
    /// spelling keeps some bigrams or its sound.
    let vetoLogOdds = -4.595_119_850_134_589  // log(0.01 / 0.99)

    @inline(__always)
    func logOdds(_ x: LinkageNode, _ y: LinkageNode, sourceLevel: Int) -> Double {
        let pattern = RecordComparison.pattern(x, y, names: names, sourceLevel: sourceLevel)
        var value = weights.patternLogOdds[pattern]
        if RecordComparison.level(pattern, .given) == 3, x.givenJoined == y.givenJoined { value += Double(givenBonus[Int(x.entry.given)]) }
        if RecordComparison.level(pattern, .family) == 3, x.familyJoined == y.familyJoined { value += Double(familyBonus[Int(x.entry.family)]) }
        if RecordComparison.level(pattern, .birthDate) == 3 { value += Double(x.dateBonus) }
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
