import Testing

@testable import KlapptKit

/// Issue 15: the exact secondary suppression against the definition itself. On small tables every
/// pattern can be tried: the fewest cells whose suppression the audit (the project's own simplex,
/// not CBC or CLP) proves safe, and among those the smallest total.
@Suite struct OptimalSuppressionTests {
    /// A reproducible stream of numbers (SplitMix64).
    struct Numbers {
        var state: UInt64
        mutating func next(_ range: ClosedRange<Int>) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return range.lowerBound + Int(z % UInt64(range.count))
        }
    }

    /// A table of `personen = ausbildung + schule + sonstige` by the categories of each dimension,
    /// with random interior counts (many of them 1 or 2) and the margins they add up to.
    static func randomProblem(_ dimensions: [(String, [String])], seed: UInt64, minCell: Int = 3) -> ProtectionProblem {
        var numbers = Numbers(state: seed)
        let parts: [Indicator] = [.ausbildung, .schule, .sonstige]
        var cells: [CellID] = []
        var values: [Int] = []
        // Every dimension splits the same persons: draw the first dimension's interior, then let the
        // others split each column's total at random.
        var columnTotals: [Int] = []
        var rows: [(String, String, [Int])] = []
        for (number, (dimension, categories)) in dimensions.enumerated() {
            if number == 0 {
                for category in categories {
                    rows.append((dimension, category, parts.map { _ in [0, 1, 1, 2, 2, 3, 4, 5, 7, 9][numbers.next(0...9)] }))
                }
                columnTotals = parts.indices.map { column in rows.reduce(0) { $0 + $1.2[column] } }
            } else {
                var split = categories.map { _ in parts.map { _ in 0 } }
                for (column, total) in columnTotals.enumerated() {
                    for _ in 0..<total { split[numbers.next(0...(categories.count - 1))][column] += 1 }
                }
                for (category, counts) in zip(categories, split) { rows.append((dimension, category, counts)) }
            }
        }
        rows.insert((TableSystem.totalDimension, TableSystem.totalCategory, columnTotals), at: 0)
        for (dimension, category, counts) in rows {
            cells.append(CellID(indicator: .personen, dimension: dimension, category: category))
            values.append(counts.reduce(0, +))
            for (indicator, count) in zip(parts, counts) {
                cells.append(CellID(indicator: indicator, dimension: dimension, category: category))
                values.append(count)
            }
        }
        let system = TableSystem(cells: cells, identities: [.sum(whole: .personen, parts: parts)])
        return ProtectionProblem(system: system, values: values, primary: Set(values.indices.filter { values[$0] > 0 && values[$0] < minCell }))
    }

    /// The fewest secondary cells (then the smallest total) by trying every pattern, smallest first.
    static func exhaustiveMinimum(_ problem: ProtectionProblem, minCell: Int = 3) -> (count: Int, total: Int)? {
        let candidates = problem.values.indices.filter { !problem.primary.contains($0) && !problem.hidden.contains($0) && !problem.fixed.contains($0) }
        let audit = SuppressionAudit(minCell: minCell)
        let all = Set(problem.values.indices)
        let primaries = problem.primary.sorted()
        func safe(_ pattern: [Int]) -> Bool {
            audit.allReachMinCell(
                primaries, block: all, system: problem.system, values: problem.values, suppressed: problem.primary.union(problem.hidden).union(pattern))
        }
        for size in 0...candidates.count {
            var best: Int?
            var chosen: [Int] = []
            func visit(from start: Int) {
                if chosen.count == size {
                    let total = chosen.reduce(0) { $0 + problem.values[$1] }
                    if total < (best ?? .max), safe(chosen) { best = total }
                    return
                }
                guard start < candidates.count, candidates.count - start >= size - chosen.count else { return }
                for index in start..<candidates.count {
                    chosen.append(candidates[index])
                    visit(from: index + 1)
                    chosen.removeLast()
                }
            }
            visit(from: 0)
            if let best { return (size, best) }
        }
        return nil
    }

    /// Issue 31's cost of a pattern: district totals first (each is worth more than all other
    /// cells together), then the sum of the values, plus one for each cell that is no total.
    static func cost(_ pattern: some Collection<Int>, _ problem: ProtectionProblem) -> (totals: Int, cost: Int) {
        let totals = pattern.filter { problem.system.cells[$0].dimension == TableSystem.totalDimension }
        return (totals.count, pattern.reduce(0) { $0 + problem.values[$1] } + pattern.count - totals.count)
    }

    /// The least cost of every safe pattern with at most `extra` cells more than the fewest, by
    /// trying them all (a pattern of least cost has few cells more than the fewest, as each cell
    /// costs at least 1).
    static func exhaustiveLeastCost(_ problem: ProtectionProblem, fewest: Int, extra: Int = 1, minCell: Int = 3) -> (totals: Int, cost: Int)? {
        let candidates = problem.values.indices.filter { !problem.primary.contains($0) && !problem.hidden.contains($0) && !problem.fixed.contains($0) }
        let audit = SuppressionAudit(minCell: minCell)
        let all = Set(problem.values.indices)
        let primaries = problem.primary.sorted()
        var best: (totals: Int, cost: Int)?
        var chosen: [Int] = []
        func visit(from start: Int, size: Int) {
            if chosen.count == size {
                let value = cost(chosen, problem)
                if best.map({ value < $0 }) ?? true,
                    audit.allReachMinCell(
                        primaries, block: all, system: problem.system, values: problem.values, suppressed: problem.primary.union(problem.hidden).union(chosen))
                {
                    best = value
                }
                return
            }
            guard start < candidates.count, candidates.count - start >= size - chosen.count else { return }
            for index in start..<candidates.count {
                chosen.append(candidates[index])
                visit(from: index + 1, size: size)
                chosen.removeLast()
            }
        }
        for size in fewest...min(fewest + extra, candidates.count) { visit(from: 0, size: size) }
        return best
    }

    @Test(arguments: UInt64(1)...UInt64(24))
    func leastCostForTheReaderOnATable(seed: UInt64) throws {
        let problem = Self.randomProblem([("geschlecht", ["m", "w", "d"])], seed: seed)
        let result = try OptimalSuppression().suppress(problem, minCell: 3)
        let fewest = try #require(Self.exhaustiveMinimum(problem))
        let least = try #require(Self.exhaustiveLeastCost(problem, fewest: fewest.count))
        #expect(result.method.isProvenOptimal)
        // Never more costly than any safe pattern of the fewest cells or one more; and never a
        // total where a pattern without one exists.
        let found = Self.cost(result.cells, problem)
        #expect(found <= least, "seed \(seed): \(found) > \(least)")
        #expect(found.totals <= least.totals, "seed \(seed): a total withheld where a pattern without it protects")
        let findings = SuppressionAudit(minCell: 3).audit(
            system: problem.system, values: problem.values, suppressed: problem.primary.union(result.cells), primary: problem.primary)
        #expect(findings.allSatisfy { $0.protected })
    }

    @Test(arguments: UInt64(31)...UInt64(42))
    func leastCostForTheReaderOnLinkedTables(seed: UInt64) throws {
        // Two dimensions share the total row: a cell can be protected through the other table.
        let problem = Self.randomProblem([("geschlecht", ["m", "w"]), ("altersgruppe", ["a", "b"])], seed: seed)
        let result = try OptimalSuppression().suppress(problem, minCell: 3)
        let fewest = try #require(Self.exhaustiveMinimum(problem))
        let least = try #require(Self.exhaustiveLeastCost(problem, fewest: fewest.count))
        #expect(Self.cost(result.cells, problem) <= least, "seed \(seed)")
    }

    @Test(arguments: UInt64(51)...UInt64(62))
    func publishedAndHiddenCellsOfAnEarlierPublicationAreRespected(seed: UInt64) throws {
        // As with the previous quarter: some cells are published for good (never suppressed now),
        // some hidden already (free complements); the pattern may only add other cells.
        var problem = Self.randomProblem([("geschlecht", ["m", "w", "d"])], seed: seed)
        var numbers = Numbers(state: seed &* 7)
        for cell in problem.values.indices where !problem.primary.contains(cell) {
            switch numbers.next(0...5) {
            case 0: problem.fixed.insert(cell)
            case 1: problem.hidden.insert(cell)
            default: break
            }
        }
        guard let expected = Self.exhaustiveMinimum(problem) else {
            // No pattern protects every primary cell: the heuristic fallback names one and fails.
            #expect(throws: DisclosureError.self) { try OptimalSuppression().suppress(problem, minCell: 3) }
            return
        }
        let result = try OptimalSuppression().suppress(problem, minCell: 3)
        #expect(result.cells.isDisjoint(with: problem.fixed) && result.cells.isDisjoint(with: problem.hidden))
        #expect(result.cells.count == expected.count, "seed \(seed)")
        #expect(result.cells.reduce(0) { $0 + problem.values[$1] } == expected.total, "seed \(seed)")
    }

    @Test func timeLimitZeroUsesTheHeuristic() throws {
        let problem = Self.randomProblem([("geschlecht", ["m", "w", "d"])], seed: 3)
        let result = try OptimalSuppression(timeLimit: 0).suppress(problem, minCell: 3)
        #expect(result.method == .heuristic(reason: .disabled, lowerBound: nil))
        #expect(result.cells == (try LinkedTablesSuppression().secondaryCells(for: problem, minCell: 3)))
    }

    @Test func samePatternEveryTime() throws {
        let problem = Self.randomProblem([("geschlecht", ["m", "w", "d"]), ("altersgruppe", ["a", "b", "c"])], seed: 77)
        let first = try OptimalSuppression().suppress(problem, minCell: 3)
        #expect(!first.cells.isEmpty)
        for _ in 0..<5 { #expect(try OptimalSuppression().suppress(problem, minCell: 3).cells == first.cells) }
    }

    @Test func clpAndTheProjectsSimplexAgreeOnEveryInterval() throws {
        // The attacker LP (CLP) that makes the cuts and the audit's own simplex, on many patterns.
        var numbers = Numbers(state: 5)
        var compared = 0
        for seed in UInt64(100)...UInt64(115) {
            let problem = Self.randomProblem([("geschlecht", ["m", "w", "d"]), ("altersgruppe", ["a", "b"])], seed: seed)
            var pattern = problem.primary
            for cell in problem.values.indices where numbers.next(0...2) == 0 { pattern.insert(cell) }
            let attacker = OptimalSuppression.AttackerProgram(problem: problem, suppressed: pattern)
            let findings = SuppressionAudit(minCell: 3).audit(system: problem.system, values: problem.values, suppressed: pattern, primary: problem.primary)
            for finding in findings {
                let cell = problem.system.index[finding.cell]!
                switch attacker.largestValue(of: cell) {
                case .bounded(let largest, _): #expect(Int((largest + 1e-6).rounded(.down)) == finding.interval.upper, "seed \(seed) \(finding.cell)")
                case .unbounded: #expect(finding.interval.upper == nil)
                case .failed: Issue.record("CLP failed")
                }
                var objective = [Double](repeating: 0, count: attacker.columnOf.count)
                objective[attacker.columnOf[cell]!] = 1
                if case .optimal(let smallest, _) = attacker.model.minimize(objective) {
                    #expect(max(0, Int((smallest - 1e-6).rounded(.up))) == finding.interval.lower, "seed \(seed) \(finding.cell)")
                } else {
                    Issue.record("CLP found no smallest value")
                }
                compared += 1
            }
        }
        #expect(compared > 100)
    }

    @Test func anEarlierPublicationIsKeptWhereItCanBe() throws {
        // abschluss by geschlecht: m 2 (primary), w 5, d 3, total 10.
        let table = makeTable(
            [("geschlecht", ["m", "w", "d"])],
            [
                (.abschluss, "insgesamt", "insgesamt", 10), (.abschluss, "geschlecht", "m", 2), (.abschluss, "geschlecht", "w", 5),
                (.abschluss, "geschlecht", "d", 3),
            ])
        let control = DisclosureControl(minCell: 3)
        let problem = ProtectionProblem(table: table, minCell: 3)
        // Alone, the smallest complement is d (3).
        #expect(try control.protect(table, linked: problem).secondary == [cell(.abschluss, "geschlecht", "d")])
        // An earlier publication showed d = 3: it stays published, w takes its place.
        let kept = try control.protect(table, linked: problem, earlier: [cell(.abschluss, "geschlecht", "d"): 3])
        #expect(!kept.earlierPublicationDropped)
        #expect(kept.secondary == [cell(.abschluss, "geschlecht", "w")])
        #expect(kept.keptPublished == 1)
        // It showed d = 4 (the data changed since): nothing to keep.
        let changed = try control.protect(table, linked: problem, earlier: [cell(.abschluss, "geschlecht", "d"): 4])
        #expect(changed.secondary == [cell(.abschluss, "geschlecht", "d")])
        #expect(changed.keptPublished == 0 && !changed.earlierPublicationDropped)
        // It showed w, d and the total with these values (it cannot have: m would follow): nothing
        // protects m with them; protected without them, and said so.
        let unkept = try control.protect(
            table, linked: problem,
            earlier: [cell(.abschluss, "geschlecht", "w"): 5, cell(.abschluss, "geschlecht", "d"): 3, cell(.abschluss, "insgesamt", "insgesamt"): 10])
        #expect(unkept.earlierPublicationDropped)
        #expect(unkept.keptPublished == 0)
        #expect(unkept.secondary == [cell(.abschluss, "geschlecht", "d")])
        #expect(unkept.audit.allSatisfy { $0.protected })
    }
}
