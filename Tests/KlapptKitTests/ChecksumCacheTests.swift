import Foundation
import KlapptTestSupport
import Testing

@testable import KlapptKit

/// A run with nothing to do reads no input again (issue 14), and a changed input is never taken for
/// an unchanged one, even with the same size and a restored modification time.
@Suite struct ChecksumCacheTests {
    @Test func rememberedSumsAreTakenOnlyForUnchangedFiles() throws {
        let directory = makeTemporaryDirectory("klappt-pruefsummen")
        let a = "\(directory)/a.csv"
        let b = "\(directory)/b.csv"
        try "Kundennummer;Name\n1;Alpha\n".write(toFile: a, atomically: false, encoding: .utf8)
        try "Kundennummer;Name\n2;Beta\n".write(toFile: b, atomically: false, encoding: .utf8)
        let store = try Store(path: "\(directory)/klappt.sqlite")

        let first = try InputChecksums.compute([a, b], remembered: try store.rememberedChecksums([a, b]))
        #expect(first.remembered == 0)
        #expect(first.hashes[a] == (try QuarterlyRun.sha256(of: a)))
        try store.rememberChecksums(first)

        let second = try InputChecksums.compute([a, b], remembered: try store.rememberedChecksums([a, b]))
        #expect(second.remembered == 2)
        #expect(second.hashes == first.hashes)

        // Same size, one byte different, modification time set back: the status change time moved.
        let modified = try #require(FileManager.default.attributesOfItem(atPath: b)[.modificationDate] as? Date)
        Thread.sleep(forTimeInterval: 0.02)
        try "Kundennummer;Name\n2;Bete\n".write(toFile: b, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: b)
        #expect(FileIdentity.of(b)?.size == first.identities[b]?.size)
        let third = try InputChecksums.compute([a, b], remembered: try store.rememberedChecksums([a, b]))
        #expect(third.remembered == 1)
        #expect(third.hashes[a] == first.hashes[a])
        #expect(third.hashes[b] == (try QuarterlyRun.sha256(of: b)))
        #expect(third.hashes[b] != first.hashes[b])
    }

    @Test func aSecondRunOfTheSameQuarterReadsNoInput() throws {
        let directory = makeTemporaryDirectory("klappt-pruefsummen-lauf")
        let pipeline = try standardPipeline.overriding(sources: [:], outputDirectory: "\(directory)/out")
        let result = try QuarterlyRun(pipeline: pipeline, period: Period("2026-Q2")!, logger: quietLogger).execute(key: testKey)
        #expect(result.outcome != nil)
        let store = try Store(path: "\(directory)/out/klappt.sqlite")
        let paths = Array(try QuarterlyRun(pipeline: pipeline, period: Period("2026-Q2")!, logger: quietLogger).resolveInputs().joined())
        let remembered = try store.rememberedChecksums(paths)
        #expect(remembered.count == paths.count && paths.count == 6)
        #expect(try InputChecksums.compute(paths, remembered: remembered).remembered == paths.count)
        // And the run itself finds the quarter finished.
        let again = try QuarterlyRun(pipeline: pipeline, period: Period("2026-Q2")!, logger: quietLogger).execute(key: testKey)
        #expect(again.unchangedSince != nil)
        // A look that found nothing to do remembers the sums it had to read (a store of before schema 8).
        _ = try store.query("DELETE FROM pruefsummen")
        let look = try QuarterlyRun(pipeline: pipeline, period: Period("2026-Q2")!, logger: quietLogger).execute(key: testKey)
        #expect(look.unchangedSince != nil)
        #expect(try store.rememberedChecksums(paths).count == paths.count)
    }

    /// A quarter never published is read before its inputs are hashed (issue 24): the sums hashed
    /// after reading are still every file's own, in the run report, the store's inputs and the
    /// cache; and a validation reports them too.
    @Test func sumsHashedAfterReadingAreTheFilesOwn() throws {
        let directory = makeTemporaryDirectory("klappt-pruefsummen-spaeter")
        let pipeline = try standardPipeline.overriding(sources: [:], outputDirectory: "\(directory)/out")
        let period = Period("2026-Q2")!
        let paths = Array(try QuarterlyRun(pipeline: pipeline, period: period, logger: quietLogger).resolveInputs().joined())
        let expected = Dictionary(uniqueKeysWithValues: try paths.map { ($0, try QuarterlyRun.sha256(of: $0)) })
        #expect(expected.count == 6)

        func reported(_ file: String) throws -> [String: String] {
            let data = try #require(FileManager.default.contents(atPath: "\(directory)/out/\(file)"))
            let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let inputs = try #require(json["inputs"] as? [[String: Any]])
            return Dictionary(uniqueKeysWithValues: inputs.map { ($0["file"] as! String, $0["sha256"] as! String) })
        }

        let validation = QuarterlyRun(pipeline: pipeline, period: period, mode: .validate, logger: quietLogger)
        #expect(try validation.execute(key: nil).outcome?.files.map(\.sha256).sorted() == expected.values.sorted())
        #expect(try reported("pruefung_2026-Q2.json") == expected)

        _ = try QuarterlyRun(pipeline: pipeline, period: period, logger: quietLogger).execute(key: testKey)
        #expect(try reported("lauf_2026-Q2.json") == expected)
        let store = try Store(path: "\(directory)/out/klappt.sqlite")
        let stored = try store.query("SELECT datei, sha256 FROM inputs WHERE zeitraum = '2026-Q2'")
        #expect(Dictionary(uniqueKeysWithValues: stored.map { ($0[0]!, $0[1]!) }) == expected)
        #expect(try store.rememberedChecksums(paths).mapValues(\.sha256) == expected)
    }
}
