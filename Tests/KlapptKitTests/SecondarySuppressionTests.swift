import Testing

@testable import KlapptKit

/// Tables for the disclosure tests: every indicator, the given dimensions, all cells 0 unless set.
func makeTable(_ dimensions: [(String, [String])], _ values: [(Indicator, String, String, Int)]) -> IndicatorTable {
    var all = [Dimension(name: "insgesamt", categories: ["insgesamt"]) { _ in "insgesamt" }]
    all += dimensions.map { name, categories in Dimension(name: name, categories: categories) { _ in nil } }
    var table = IndicatorTable(dimensions: all, families: [StockFamily(), FlowFamily()])
    for (indicator, dimension, category, value) in values {
        table.set(CellID(indicator: indicator, dimension: dimension, category: category), value)
    }
    return table
}

func cell(_ indicator: Indicator, _ dimension: String, _ category: String) -> CellID {
    CellID(indicator: indicator, dimension: dimension, category: category)
}

func audit(_ table: IndicatorTable, suppressed: Set<CellID>, primary: Set<CellID>, minCell: Int = 3) -> [CellID: SuppressionAudit.Finding] {
    let system = TableSystem(table)
    let values = table.cells.map { table.values[$0] ?? 0 }
    let findings = SuppressionAudit(minCell: minCell).audit(
        system: system, values: values,
        suppressed: Set(suppressed.map { system.index[$0]! }),
        primary: Set(primary.map { system.index[$0]! }))
    return Dictionary(uniqueKeysWithValues: findings.map { ($0.cell, $0) })
}

@Suite struct SecondarySuppressionTests {
    let control = DisclosureControl(minCell: 3)

    @Test func oneRowWithOnePrimaryGetsTheCheapestRectangle() throws {
        // geschlecht m: personen 10 = ausbildung 4 + schule 6; w: personen 5 = ausbildung 1 + schule 4.
        let table = makeTable(
            [("geschlecht", ["m", "w"])],
            [
                (.personen, "insgesamt", "insgesamt", 15), (.ausbildung, "insgesamt", "insgesamt", 5), (.schule, "insgesamt", "insgesamt", 10),
                (.personen, "geschlecht", "m", 10), (.ausbildung, "geschlecht", "m", 4), (.schule, "geschlecht", "m", 6),
                (.personen, "geschlecht", "w", 5), (.ausbildung, "geschlecht", "w", 1), (.schule, "geschlecht", "w", 4),
            ])
        let protected = try control.protect(table)
        #expect(protected.primary == [cell(.ausbildung, "geschlecht", "w")])
        // Three complements are the minimum; of the three-cell cycles this one hides the least (4 + 4 + 6).
        #expect(protected.secondary == [cell(.ausbildung, "geschlecht", "m"), cell(.schule, "geschlecht", "w"), cell(.schule, "geschlecht", "m")])
        let finding = try #require(protected.audit.first { $0.cell == cell(.ausbildung, "geschlecht", "w") })
        #expect(finding.interval == CellInterval(lower: 0, upper: 5))
        #expect(finding.primary && finding.protected)
    }

    @Test func twoPrimariesInARowThatSumBelowMinCell() throws {
        // abschluss by geschlecht: m 10, w 7, d 1, x 1; suppressing d and x alone reveals d + x = 2.
        let table = makeTable(
            [("geschlecht", ["m", "w", "d", "x"])],
            [
                (.abschluss, "insgesamt", "insgesamt", 19), (.abschluss, "geschlecht", "m", 10), (.abschluss, "geschlecht", "w", 7),
                (.abschluss, "geschlecht", "d", 1), (.abschluss, "geschlecht", "x", 1),
            ])
        let primaries: Set = [cell(.abschluss, "geschlecht", "d"), cell(.abschluss, "geschlecht", "x")]
        let unsafe = audit(table, suppressed: primaries, primary: primaries)
        #expect(unsafe[cell(.abschluss, "geschlecht", "d")]?.interval == CellInterval(lower: 0, upper: 2))
        #expect(unsafe[cell(.abschluss, "geschlecht", "d")]?.protected == false)

        let protected = try control.protect(table)
        #expect(protected.primary == primaries)
        #expect(protected.secondary == [cell(.abschluss, "geschlecht", "w")])
        #expect(protected.audit.first { $0.cell == cell(.abschluss, "geschlecht", "d") }?.interval == CellInterval(lower: 0, upper: 9))
    }

    @Test func primaryInTheTotalRow() throws {
        // sonstige: 2 in total (1 m, 1 w); schule 18 (9 m, 9 w); personen 20 (10, 10).
        let table = makeTable(
            [("geschlecht", ["m", "w"])],
            [
                (.personen, "insgesamt", "insgesamt", 20), (.schule, "insgesamt", "insgesamt", 18), (.sonstige, "insgesamt", "insgesamt", 2),
                (.personen, "geschlecht", "m", 10), (.schule, "geschlecht", "m", 9), (.sonstige, "geschlecht", "m", 1),
                (.personen, "geschlecht", "w", 10), (.schule, "geschlecht", "w", 9), (.sonstige, "geschlecht", "w", 1),
            ])
        let protected = try control.protect(table)
        #expect(protected.primary.contains(cell(.sonstige, "insgesamt", "insgesamt")))
        // Each of the three rows needs a complement: three is the minimum, and the schule cells are the smallest.
        #expect(protected.secondary == [cell(.schule, "insgesamt", "insgesamt"), cell(.schule, "geschlecht", "m"), cell(.schule, "geschlecht", "w")])
        let total = try #require(protected.audit.first { $0.cell == cell(.sonstige, "insgesamt", "insgesamt") })
        #expect((total.interval.upper ?? .max) >= 3)
    }

    @Test func protectionThroughAnotherDimensionTable() throws {
        // abschluss: geschlecht m 1, w 9; altersgruppe a 4, b 6; total 10. The tables share the total.
        let table = makeTable(
            [("geschlecht", ["m", "w"]), ("altersgruppe", ["a", "b"])],
            [
                (.abschluss, "insgesamt", "insgesamt", 10), (.abschluss, "geschlecht", "m", 1), (.abschluss, "geschlecht", "w", 9),
                (.abschluss, "altersgruppe", "a", 4), (.abschluss, "altersgruppe", "b", 6),
            ])
        let m = cell(.abschluss, "geschlecht", "m")
        let total = cell(.abschluss, "insgesamt", "insgesamt")
        let a = cell(.abschluss, "altersgruppe", "a")
        // Hiding the total with m does not help while the age table still adds up to it...
        #expect(audit(table, suppressed: [m, total], primary: [m])[m]?.interval == CellInterval(lower: 1, upper: 1))
        // ...but one suppressed age cell frees the shared total, and with it m (m = total - 9 = a - 3).
        let linked = audit(table, suppressed: [m, total, a], primary: [m])
        #expect(linked[m]?.interval == CellInterval(lower: 0, upper: nil))
        #expect(linked[a]?.interval == CellInterval(lower: 3, upper: nil))
        #expect(linked[m]?.protected == true)
    }

    @Test func zeroCellsArePublishedAndBoundTheIntervals() throws {
        // abschluss by geschlecht: m 1, w 0, d 0, x 5. Zeros cannot go below 0, so only x can balance m.
        let table = makeTable(
            [("geschlecht", ["m", "w", "d", "x"])],
            [
                (.abschluss, "insgesamt", "insgesamt", 6), (.abschluss, "geschlecht", "m", 1), (.abschluss, "geschlecht", "x", 5),
            ])
        let protected = try control.protect(table)
        #expect(protected.primary == [cell(.abschluss, "geschlecht", "m")])
        #expect(protected.secondary == [cell(.abschluss, "geschlecht", "x")])
        #expect(protected.published(cell(.abschluss, "geschlecht", "w")) == "0")
        #expect(protected.audit.first { $0.cell == cell(.abschluss, "geschlecht", "x") }?.interval == CellInterval(lower: 0, upper: 6))
    }

    @Test func tableWithoutSmallCellsSuppressesNothing() throws {
        let table = makeTable(
            [("geschlecht", ["m", "w"])],
            [
                (.personen, "insgesamt", "insgesamt", 10), (.schule, "insgesamt", "insgesamt", 10),
                (.personen, "geschlecht", "m", 6), (.schule, "geschlecht", "m", 6), (.personen, "geschlecht", "w", 4), (.schule, "geschlecht", "w", 4),
            ])
        let protected = try control.protect(table)
        #expect(protected.suppressed.isEmpty)
        #expect(protected.audit.isEmpty)
    }

    @Test func theAuditCatchesAnUnsafePattern() throws {
        let table = makeTable(
            [("geschlecht", ["m", "w"])],
            [
                (.abschluss, "insgesamt", "insgesamt", 9), (.abschluss, "geschlecht", "m", 1), (.abschluss, "geschlecht", "w", 8),
            ])
        let primaryOnly = DisclosureControl(minCell: 3, secondary: NoSecondarySuppression())
        #expect {
            _ = try primaryOnly.protect(table)
        } throws: { error in
            guard case DisclosureError.auditFailed(let findings) = error else { return false }
            return findings.map(\.cell) == [cell(.abschluss, "geschlecht", "m")] && findings[0].interval == CellInterval(lower: 1, upper: 1)
        }
    }

    @Test func samePatternEveryTime() throws {
        let table = makeTable(
            [("geschlecht", ["m", "w", "d"]), ("altersgruppe", ["a", "b"])],
            [
                (.personen, "insgesamt", "insgesamt", 12), (.massnahme, "insgesamt", "insgesamt", 7), (.sonstige, "insgesamt", "insgesamt", 5),
                (.personen, "geschlecht", "m", 6), (.massnahme, "geschlecht", "m", 4), (.sonstige, "geschlecht", "m", 2),
                (.personen, "geschlecht", "w", 5), (.massnahme, "geschlecht", "w", 3), (.sonstige, "geschlecht", "w", 2),
                (.personen, "geschlecht", "d", 1), (.sonstige, "geschlecht", "d", 1),
                (.personen, "altersgruppe", "a", 7), (.massnahme, "altersgruppe", "a", 4), (.sonstige, "altersgruppe", "a", 3),
                (.personen, "altersgruppe", "b", 5), (.massnahme, "altersgruppe", "b", 3), (.sonstige, "altersgruppe", "b", 2),
            ])
        let first = try control.protect(table)
        for _ in 0..<3 { #expect(try control.protect(table).secondary == first.secondary) }
        #expect(first.audit.allSatisfy { $0.protected })
    }
}
