import Foundation
import KlapptTestSupport
import Testing

@testable import KlapptKit

/// The row stages alone and composed (issue 10): a hand-made row through validation, then
/// pseudonymisation, as `Stages.Chain` runs them in the per-row loop.
@Suite struct RowStageTests {
    let source = standardPipeline.sources.first { $0.id == "jobcenter" }!
    let pseudonymizer = Pseudonymizer(keyBytes: testKey)
    let period = Period("2026-Q3")!

    func chain() -> Stages.Chain<RecordValidation<JobcenterRole>, Pseudonymisation<JobcenterRole>> {
        let role = JobcenterRole(codeLists: standardPipeline.codeLists)
        return RecordValidation(source: source, role: role, codeLists: standardPipeline.codeLists, nationalityBreakdown: standardPipeline.nationalityBreakdown)
            .then(Pseudonymisation(pseudonymizer: pseudonymizer, period: period, sourceID: "jobcenter", role: role))
    }

    func process(_ values: [CanonicalField: String]) -> (PseudoRecord?, RowContext) {
        var stages = chain()
        var context = RowContext()
        let record = RawRow.with(origin: RowOrigin(sourceIndex: 0, fileIndex: 0, order: 0, line: 5), values: FieldValues(values)) {
            stages.process($0, context: &context)
        }
        return (record, context)
    }

    let valid: [CanonicalField: String] = [
        .recordID: "K1", .familyName: "Al-Hassan", .givenName: "Mohammed", .birthDate: "15.05.2000", .sex: "M", .nationality: "475",
        .residence: "Duldung", .postcode: "59423", .status: "AUS", .statusSince: "01.08.2026", .asOf: "30.09.2026",
    ]

    @Test func aValidRowBecomesAPseudonymisedRecord() throws {
        let (record, context) = process(valid)
        let pseudo = try #require(record)
        #expect(context.rejection == nil && context.warnings.isEmpty)
        // SPEC 4.1: the pseudonym of the linkage material, and nothing personal beyond it.
        let material = Pseudonymizer.linkageMaterial(givenToken: "mohammed", familyToken: "hassan", birthDate: CivilDate(year: 2000, month: 5, day: 15)!)
        #expect(pseudo.person == pseudonymizer.personPseudonym(material))
        #expect(pseudo.age == 26 && pseudo.sex == .m && pseudo.residence == .duldung && pseudo.rank == UInt8(JobcenterRole.attributeRank))
        #expect(pseudo.currentActivity == .ausbildung && pseudo.flows == .trainingEntry)
    }

    /// Validation folds and codes each distinct name once (issue 24) and remembers it: every row of
    /// one stage, the first of a spelling or a repeat, a short code or one too long to keep inline,
    /// ASCII or not, gets the pseudonym of the SPEC 4.1 material of its tokens.
    @Test func rememberedNamesGiveThePseudonymOfTheirMaterial() throws {
        let names: [(given: String, family: String, tokens: (String, String))] = [
            ("Mohammed", "Al-Hassan", ("mohammed", "hassan")),
            ("Muhammad", "al Hassan", ("muhammad", "hassan")),
            ("Mohammed", "Al-Hassan", ("mohammed", "hassan")),
            ("Zoë", "Ørsted-Müller", ("zoe", "orstedmuller")),
            ("Maximilianchristopherxavier", "Schwarzkopfberghausendietrichsen", ("maximilianchristopherxavier", "schwarzkopfberghausendietrichsen")),
            ("Maximilianchristopherxavier", "Schwarzkopfberghausendietrichsen", ("maximilianchristopherxavier", "schwarzkopfberghausendietrichsen")),
        ]
        // The long names' codes do not fit inline: that path is taken too.
        #expect(KoelnerPhonetik.code("schwarzkopfberghausendietrichsen").utf8.count > ShortText.capacity)
        var stages = chain()
        let date = CivilDate(year: 2000, month: 5, day: 15)!
        for (line, name) in names.enumerated() {
            var row = valid
            row[.givenName] = name.given
            row[.familyName] = name.family
            var context = RowContext()
            let record = RawRow.with(origin: RowOrigin(sourceIndex: 0, fileIndex: 0, order: line, line: line + 2), values: FieldValues(row)) {
                stages.process($0, context: &context)
            }
            let material = Pseudonymizer.linkageMaterial(givenToken: name.tokens.0, familyToken: name.tokens.1, birthDate: date)
            #expect(try #require(record).person == pseudonymizer.personPseudonym(material), "\(name)")
        }
        #expect(process(valid.merging([.givenName: "--"]) { $1 }).1.rejection?.reason == .nameMissing)
    }

    @Test func aRejectedRowStopsTheChainWithItsReason() {
        var row = valid
        row[.recordID] = "  "
        let (record, context) = process(row)
        #expect(record == nil)
        #expect(context.rejection?.reason == .fieldMissing && context.rejection?.field == "Kundennummer" && context.rejection?.origin.line == 5)
        row = valid
        row[.status] = "XYZ"
        #expect(process(row).1.rejection?.reason == .statusUnknown)
    }

    @Test func theRegisterHasNoActivityAndNoStatus() throws {
        let register = standardPipeline.sources.first { $0.id == "auslaenderbehoerde" }!
        let role = RegisterRole(codeLists: standardPipeline.codeLists)
        var stages = RecordValidation(
            source: register, role: role, codeLists: standardPipeline.codeLists, nationalityBreakdown: standardPipeline.nationalityBreakdown
        )
        .then(Pseudonymisation(pseudonymizer: pseudonymizer, period: period, sourceID: "auslaenderbehoerde", role: role))
        var context = RowContext()
        let values: [CanonicalField: String] = [
            .recordID: "000000000001", .familyName: "Sahin", .givenName: "Fatma Noor", .birthDate: "01.06.2004", .sex: "ohne Angabe",
            .nationality: "475", .residence: "Aufenthaltsgestattung (§ 55 AsylG)", .postcode: "59192", .asOf: "30.09.2026",
        ]
        let record = RawRow.with(origin: RowOrigin(sourceIndex: 0, fileIndex: 0, order: 0, line: 2), values: FieldValues(values)) {
            stages.process($0, context: &context)
        }
        let pseudo = try #require(record)
        #expect(context.warnings.isEmpty)
        #expect(pseudo.sex == .x && pseudo.residence == .gestattung && pseudo.currentActivity == nil && pseudo.flows == [] && pseudo.rank == 0)
    }
}
