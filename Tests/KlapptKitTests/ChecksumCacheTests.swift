import Crypto
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

    /// Two files hashed side by side give each file's own sum, whatever their lengths (empty, under
    /// a block, across the 4 MiB pieces, one ending long before the other), checked against
    /// swift-crypto; a missing file fails alone.
    @Test func filesHashedInPairsGiveTheirOwnSums() throws {
        let directory = makeTemporaryDirectory("klappt-pruefsummen-paare")
        let lengths = [0, 1, 63, 64, 65, 1000, (4 << 20) - 1, 4 << 20, (4 << 20) + 7, 9_000_001]
        var paths: [String] = []
        for (number, length) in lengths.enumerated() {
            let path = "\(directory)/f\(number)"
            var state = UInt64(number + 1)
            let bytes = (0..<length).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 56)
            }
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            paths.append(path)
        }
        func reference(_ path: String) throws -> String {
            let data = try #require(FileManager.default.contents(atPath: path))
            return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        }
        for first in paths.indices {
            for second in paths.indices where second != first && (first + second) % 3 == 0 {
                let (a, b) = QuarterlyRun.sha256(of: paths[first], and: paths[second])
                #expect(try a.get() == reference(paths[first]), "\(lengths[first]) neben \(lengths[second])")
                #expect(try b.get() == reference(paths[second]), "\(lengths[second]) neben \(lengths[first])")
            }
        }
        let (missing, present) = QuarterlyRun.sha256(of: "\(directory)/fehlt", and: paths[5])
        #expect(throws: KlapptError.self) { try missing.get() }
        #expect(try present.get() == reference(paths[5]))
    }
}
