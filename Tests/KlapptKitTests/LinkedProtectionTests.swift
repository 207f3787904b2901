import Testing

@testable import KlapptKit

/// SPEC 10: disclosure control of a period linked to its transition table and to the previous
/// quarter's publication. The attacks that break naive schemes, on tables small enough to check by
/// hand (only the `insgesamt` row, so every relation is visible).
@Suite struct LinkedProtectionTests {
    let minCell = 3
    let dimensions = [Dimension(name: "insgesamt", categories: ["insgesamt"]) { _ in "insgesamt" }]

    func table(_ values: [Indicator: Int]) -> IndicatorTable {
        var table = IndicatorTable(dimensions: dimensions)
        for (indicator, value) in values { table.set(CellID(indicator: indicator, dimension: "insgesamt", category: "insgesamt"), value) }
        return table
    }

    /// The previous quarter's publication: its exact table with `suppressed` withheld.
    func previous(_ values: [Indicator: Int], suppressed: Set<Indicator>, period: String = "2026-Q2") -> PreviousQuarter {
        let exact = table(values)
        let cells = exact.cells.map { cell in
            PreviousQuarter.PublishedCell(
                cell: CellID(table: CellID.Table.previous, indicator: cell.indicator, dimension: cell.dimension, category: cell.category),
                value: exact.values[cell] ?? 0, suppressed: suppressed.contains(cell.indicator))
        }
        return PreviousQuarter(period: Period(period)!, runID: 1, persons: [], cells: cells)
    }

    func transitions(_ moves: [(PersonState, PersonState, Int)]) -> TransitionTable {
        // Persons p0, p1, … with the given pair of states.
        let pseudonymizer = Pseudonymizer(keyBytes: Array(UInt8(0)...UInt8(31)))
        var before: [(PersonPseudonym, PersonState)] = []
        var now: [(PersonPseudonym, PersonState)] = []
        var number = 0
        for (from, to, count) in moves {
            for _ in 0..<count {
                let person = pseudonymizer.personPseudonym("p\(number)")
                number += 1
                if from != .outside { before.append((person, from)) }
                if to != .outside { now.append((person, to)) }
            }
        }
        return TransitionTable(previous: before.sorted { $0.0 < $1.0 }, current: now.sorted { $0.0 < $1.0 })
    }

    func transitionCell(_ from: PersonState, _ to: PersonState) -> CellID {
        CellID(table: CellID.Table.transitions, indicator: .transition, dimension: from.description, category: to.description)
    }

    /// The previous quarter: 10 persons, 2 in training (withheld, with school as its complement).
    let before: [Indicator: Int] = [.zielgruppe: 10, .personen: 10, .ausbildung: 2, .schule: 8]

    @Test func aSmallPreviousCellIsNotRecoveredThroughATransitionRow() throws {
        // Now: the two trainees still in training, three from school joined them, five stayed in
        // school. Published naively, the transition row of `ausbildung` adds up to the previous
        // quarter's withheld 2.
        let now = table([.zielgruppe: 10, .personen: 10, .ausbildung: 5, .schule: 5])
        let moves = transitions([
            (.activity(.ausbildung), .activity(.ausbildung), 2), (.activity(.schule), .activity(.ausbildung), 3), (.activity(.schule), .activity(.schule), 5),
        ])
        let problem = LinkedProtection.problem(
            table: now, transitions: moves, previous: previous(before, suppressed: [.ausbildung, .schule]), minCell: minCell)
        let system = problem.system
        let previousTraining = try #require(
            system.index[CellID(table: CellID.Table.previous, indicator: .ausbildung, dimension: "insgesamt", category: "insgesamt")])
        #expect(problem.primary.contains(previousTraining))
        // Naive: only the primaries hidden (here the transition 2 itself): the column of
        // `ausbildung` (published 5) minus the published 3 gives it back, and with it last quarter's 2.
        let naive = SuppressionAudit(minCell: minCell).audit(
            system: system, values: problem.values, suppressed: problem.primary.union(problem.hidden), primary: problem.primary)
        #expect(naive.contains { !$0.protected })
        #expect(naive.first { $0.cell == transitionCell(.activity(.ausbildung), .activity(.ausbildung)) }?.interval == CellInterval(lower: 2, upper: 2))
        // Linked protection: everything protected, and nothing of the previous publication changed.
        let protected = try DisclosureControl(minCell: minCell).protect(now, linked: problem)
        #expect(protected.audit.allSatisfy { $0.protected })
        #expect(protected.suppressed.allSatisfy { $0.table == "" || $0.table == CellID.Table.transitions })
        #expect(protected.suppressed.contains(transitionCell(.activity(.ausbildung), .activity(.ausbildung))))
        #expect(protected.secondary.count >= 1)
        let bound = try #require(protected.audit.first { $0.cell.table == CellID.Table.previous && $0.cell.indicator == .ausbildung })
        #expect((bound.interval.upper ?? .max) >= minCell)
    }

    @Test func aSmallTransitionCellIsNotRecoveredFromTheColumnTotal() throws {
        // Nothing small in either quarter's table; one transition of 1: from measure to training.
        let previousQuarter = previous([.zielgruppe: 12, .personen: 12, .massnahme: 6, .schule: 6], suppressed: [])
        let now = table([.zielgruppe: 12, .personen: 12, .ausbildung: 1 + 5, .schule: 6])
        let moves = transitions([
            (.activity(.massnahme), .activity(.ausbildung), 1), (.activity(.massnahme), .activity(.schule), 5), (.activity(.schule), .activity(.ausbildung), 5),
            (.activity(.schule), .activity(.schule), 1),
        ])
        let problem = LinkedProtection.problem(table: now, transitions: moves, previous: previousQuarter, minCell: minCell)
        let protected = try DisclosureControl(minCell: minCell).protect(now, linked: problem)
        let small = transitionCell(.activity(.massnahme), .activity(.ausbildung))
        #expect(protected.primary.contains(small))
        // Its row (6 in measure before) and its column (6 in training now) are published totals:
        // another cell of each must be withheld, or the 1 follows.
        #expect(protected.secondary.contains { $0.table == CellID.Table.transitions && $0.dimension == "massnahme" })
        #expect(protected.secondary.contains { $0.table == CellID.Table.transitions && $0.category == "ausbildung" })
        #expect((protected.audit.first { $0.cell == small }?.interval.upper ?? .max) >= minCell)
        // The previous quarter's published cells stay published: none of them is withheld now.
        #expect(!protected.suppressed.contains { $0.table == CellID.Table.previous })
    }

    @Test func aChainOverBothQuartersDimensionTablesIsClosed() throws {
        // The previous quarter withheld training in Unna (2) and, to protect it, training in total
        // (7) and the total of Unna's stock (hidden row); Kamen's 5 was published. A transition row
        // that adds up to the previous training total would give back 7, and 7 − 5 = 2.
        let municipal = [
            Dimension(name: "insgesamt", categories: ["insgesamt"]) { _ in "insgesamt" },
            Dimension(name: "gemeinde", categories: ["05978036", "05978020"]) { _ in nil },
        ]
        var old = IndicatorTable(dimensions: municipal)
        var new = IndicatorTable(dimensions: municipal)
        func set(_ table: inout IndicatorTable, _ indicator: Indicator, _ dimension: String, _ category: String, _ value: Int) {
            table.set(CellID(indicator: indicator, dimension: dimension, category: category), value)
        }
        for (indicator, total, unna, kamen) in [(Indicator.zielgruppe, 17, 6, 11), (.personen, 17, 6, 11), (.ausbildung, 7, 2, 5), (.schule, 10, 4, 6)] {
            set(&old, indicator, "insgesamt", "insgesamt", total)
            set(&old, indicator, "gemeinde", "05978036", unna)
            set(&old, indicator, "gemeinde", "05978020", kamen)
        }
        for (indicator, total, unna, kamen) in [(Indicator.zielgruppe, 17, 6, 11), (.personen, 17, 6, 11), (.ausbildung, 7, 3, 4), (.schule, 10, 3, 7)] {
            set(&new, indicator, "insgesamt", "insgesamt", total)
            set(&new, indicator, "gemeinde", "05978036", unna)
            set(&new, indicator, "gemeinde", "05978020", kamen)
        }
        let withheld: Set<CellID> = [
            CellID(indicator: .ausbildung, dimension: "gemeinde", category: "05978036"),
            CellID(indicator: .ausbildung, dimension: "insgesamt", category: "insgesamt"),
            CellID(indicator: .schule, dimension: "gemeinde", category: "05978036"), CellID(indicator: .schule, dimension: "insgesamt", category: "insgesamt"),
        ]
        let publication = PreviousQuarter(
            period: Period("2026-Q2")!, runID: 1, persons: [],
            cells: old.cells.map { cell in
                PreviousQuarter.PublishedCell(
                    cell: CellID(table: CellID.Table.previous, indicator: cell.indicator, dimension: cell.dimension, category: cell.category),
                    value: old.values[cell] ?? 0, suppressed: withheld.contains(cell))
            })
        let moves = transitions([(.activity(.ausbildung), .activity(.ausbildung), 7), (.activity(.schule), .activity(.schule), 10)])
        let problem = LinkedProtection.problem(table: new, transitions: moves, previous: publication, minCell: minCell)
        let unna = try #require(problem.system.index[CellID(table: CellID.Table.previous, indicator: .ausbildung, dimension: "gemeinde", category: "05978036")])
        // Before this quarter, the previous publication protected Unna's 2 ...
        let alone = SuppressionAudit(minCell: minCell).audit(
            system: problem.system, values: problem.values,
            suppressed: problem.hidden.union(Set(problem.values.indices.filter { problem.system.cells[$0].table == CellID.Table.transitions })), primary: [unna]
        )
        #expect(alone.first { $0.cell == problem.system.cells[unna] }?.protected == true)
        // ... published naively, the transitions (no cell of them small) give it away ...
        let naive = SuppressionAudit(minCell: minCell).audit(
            system: problem.system, values: problem.values, suppressed: problem.primary.union(problem.hidden), primary: problem.primary)
        #expect(naive.first { $0.cell == problem.system.cells[unna] }?.interval == CellInterval(lower: 2, upper: 2))
        // ... and the linked protection withholds transitions (or this quarter's cells) to close it.
        let protected = try DisclosureControl(minCell: minCell).protect(new, linked: problem)
        #expect((protected.audit.first { $0.cell == problem.system.cells[unna] }?.interval.upper ?? .max) >= minCell)
        #expect(protected.secondary.contains { $0.table == CellID.Table.transitions })
    }

    @Test func theAuditFailsTheRunOnAnUnsafePattern() throws {
        let now = table([.zielgruppe: 10, .personen: 10, .ausbildung: 5, .schule: 5])
        let moves = transitions([
            (.activity(.ausbildung), .activity(.ausbildung), 2), (.activity(.schule), .activity(.ausbildung), 3), (.activity(.schule), .activity(.schule), 5),
        ])
        let problem = LinkedProtection.problem(
            table: now, transitions: moves, previous: previous(before, suppressed: [.ausbildung, .schule]), minCell: minCell)
        #expect(throws: DisclosureError.self) { _ = try DisclosureControl(minCell: minCell, secondary: NoSecondarySuppression()).protect(now, linked: problem) }
    }
}
