import Foundation
import KlapptTestSupport
import Testing

@testable import KlapptKit
@testable import KlapptSamples

/// The generator's ground truth assumes that its name variants link and that different people never
/// share linkage material; this checks those assumptions against the linkage rule.
@Suite struct SampleVocabularyTests {
    func code(_ name: String, family: Bool) -> String {
        KoelnerPhonetik.code((family ? NameFolding.familyNameToken(name) : NameFolding.givenNameToken(name)) ?? "")
    }

    @Test func variantsOfANameShareOneCodeAndGroupsDiffer() {
        var givenCodes: [String] = []
        for group in SampleVocabulary.givenNames {
            let codes = Set(group.map { code($0, family: false) })
            #expect(codes.count == 1, "\(group) -> \(codes)")
            givenCodes.append(codes.first!)
        }
        var familyCodes: [String] = []
        for group in SampleVocabulary.familyNames {
            let codes = Set(group.map { code($0, family: true) })
            #expect(codes.count == 1, "\(group) -> \(codes)")
            familyCodes.append(codes.first!)
        }
        #expect(Set(familyCodes).count == familyCodes.count)
        #expect(Set(familyCodes).isDisjoint(with: givenCodes))
    }

    @Test func sameSeedSameFiles() throws {
        let period = Period("2026-Q3")!
        let a = makeTemporaryDirectory("klappt-samples")
        let b = makeTemporaryDirectory("klappt-samples")
        try SampleGenerator(persons: 60, seed: 9, period: period).write(to: a)
        try SampleGenerator(persons: 60, seed: 9, period: period).write(to: b)
        for file in ["jobcenter/jobcenter_kreis_unna_2026-09-30.csv", "berufskolleg/bk_170011_2026-09-30.xml", "erwartet_2026-Q3.json"] {
            #expect(FileManager.default.contents(atPath: "\(a)/\(file)") == FileManager.default.contents(atPath: "\(b)/\(file)"))
        }
    }
}

@Suite struct DoubleNameTests {
    @Test func doubleNamesHaveTheirOwnCodes() {
        let codes = SampleVocabulary.allFamilyNames.map { KoelnerPhonetik.code(NameFolding.familyNameToken($0[0]) ?? "") }
        #expect(SampleVocabulary.doubleFamilyNames.count > 100)
        #expect(Set(codes).count == codes.count)
    }
}
