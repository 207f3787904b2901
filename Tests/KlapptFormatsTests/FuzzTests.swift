import Foundation
import Testing

@testable import KlapptFormats

/// A seeded random-mutation fuzzer for the readers (issue 4): each input from the corpus is mutated
/// (bytes flipped, inserted, deleted, duplicated, truncated, spliced with another corpus file) and
/// fed to the reader. A reader may reject an input only with a `FormatError`; it must never crash,
/// hang or grow. The same seed gives the same inputs, so a failure here is reproducible; inputs
/// that once crashed a reader stay in `Corpus/` as regression cases.
@Suite struct FuzzTests {
    static let corpusDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus").path

    static func corpus(_ suffix: String) -> [[UInt8]] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: corpusDirectory)) ?? []).filter { $0.hasSuffix(suffix) }.sorted()
        return names.compactMap { FileManager.default.contents(atPath: "\(corpusDirectory)/\($0)").map { [UInt8]($0) } }
    }

    struct Mutator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }

        static let interesting: [UInt8] = Array(";\"\r\n<>&/!?[]=-'#".utf8) + [0x00, 0x80, 0x81, 0x9D, 0xC3, 0xEF, 0xBB, 0xBF, 0xFF, 0xFE]

        mutating func mutate(_ input: [UInt8], splice: [UInt8]) -> [UInt8] {
            var bytes = input
            for _ in 0..<(1 + below(8)) {
                let position = below(bytes.count + 1)
                switch below(7) {
                case 0 where !bytes.isEmpty: bytes[min(position, bytes.count - 1)] ^= UInt8(1 << below(8))
                case 1: bytes.insert(contentsOf: (0..<(1 + below(4))).map { _ in Self.interesting[below(Self.interesting.count)] }, at: position)
                case 2 where !bytes.isEmpty:
                    let end = min(bytes.count, position + 1 + below(32))
                    if position < end { bytes.removeSubrange(position..<end) }
                case 3 where !bytes.isEmpty:
                    let start = below(bytes.count)
                    let chunk = Array(bytes[start..<min(bytes.count, start + 1 + below(64))])
                    bytes.insert(contentsOf: chunk, at: position)
                case 4: bytes = Array(bytes.prefix(position))
                case 5 where !splice.isEmpty:
                    let start = below(splice.count)
                    bytes.insert(contentsOf: splice[start..<min(splice.count, start + 1 + below(128))], at: position)
                default: bytes.insert(UInt8(truncatingIfNeeded: next()), at: position)
                }
            }
            return bytes
        }
    }

    /// 400 inputs per seed in CI; `KLAPPT_FUZZ_ITERATIONS` runs a longer campaign locally.
    static let iterations = Int(ProcessInfo.processInfo.environment["KLAPPT_FUZZ_ITERATIONS"] ?? "") ?? 400

    static let directory: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("klappt-fuzz-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    /// Reads a whole CSV file; returns the rows or the error.
    static func readCSV(_ path: String, chunk: Int) -> Result<Int, FormatError> {
        do {
            let reader = try CSVReader(path: path, options: .init(maxRecordBytes: 4096, chunkSize: chunk))
            _ = try reader.readHeader()
            var rows = 0
            while let row = try reader.next() {
                rows += 1
                #expect(row.line >= 2)
            }
            return .success(rows)
        } catch {
            return .failure(error)
        }
    }

    static func readXML(_ path: String) -> Result<Int, FormatError> {
        do {
            let reader = try XMLRecordReader(path: path, recordElement: "Schueler", maxFieldBytes: 4096)
            var records = 0
            while try reader.next() != nil { records += 1 }
            return .success(records)
        } catch {
            return .failure(error)
        }
    }

    /// Runs `check` on `iterations` mutated corpus inputs; returns how many it rejected.
    static func campaign(_ suffix: String, seed: UInt64, check: (_ path: String, _ iteration: Int) -> Bool) -> Int {
        let corpus = Self.corpus(suffix)
        #expect(corpus.count >= 2)
        var mutator = Mutator(state: seed)
        var rejected = 0
        for iteration in 0..<Self.iterations {
            let input = mutator.mutate(corpus[iteration % corpus.count], splice: corpus[(iteration + 1) % corpus.count])
            let path = "\(Self.directory)/fuzz-\(seed)-\(iteration)\(suffix)"
            _ = FileManager.default.createFile(atPath: path, contents: Data(input))
            if !check(path, iteration) { rejected += 1 }
            try? FileManager.default.removeItem(atPath: path)
        }
        return rejected
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func csvReaderSurvivesMutations(seed: UInt64) throws {
        let rejected = Self.campaign(".csv", seed: seed) { path, iteration in
            // The result never depends on how the file is cut into chunks.
            switch (Self.readCSV(path, chunk: 1 << 16), Self.readCSV(path, chunk: 7)) {
            case (.success(let a), .success(let b)):
                #expect(a == b, "Seed \(seed), Eingabe \(iteration)")
                return true
            case (.failure(let a), .failure(let b)):
                #expect(a.kind == b.kind, "Seed \(seed), Eingabe \(iteration)")
                return false
            default:
                Issue.record("Seed \(seed), Eingabe \(iteration): Ergebnis hängt von der Blockgröße ab")
                return false
            }
        }
        #expect(rejected > 0)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func xmlReaderSurvivesMutations(seed: UInt64) throws {
        let rejected = Self.campaign(".xml", seed: seed) { path, _ in
            if case .success = Self.readXML(path) { return true }
            return false
        }
        #expect(rejected > 0)
    }

    @Test func absurdLineAndFieldLengthsFailFastInBoundedMemory() throws {
        // 20 MB without a line break: the reader stops at its record limit instead of buffering it all.
        var big = Array("a;b\n\"".utf8)
        big += [UInt8](repeating: UInt8(ascii: "x"), count: 20_000_000)
        let path = "\(Self.directory)/long.csv"
        _ = FileManager.default.createFile(atPath: path, contents: Data(big))
        let reader = try CSVReader(path: path)
        _ = try reader.readHeader()
        #expect(throws: FormatError.self) { _ = try reader.next() }
        #expect(reader.bytesConsumed < 1 << 21)

        var xml = Array("<r><Schueler><Name>".utf8)
        xml += [UInt8](repeating: UInt8(ascii: "y"), count: 5_000_000)
        xml += Array("</Name></Schueler></r>".utf8)
        let xmlPath = "\(Self.directory)/long.xml"
        _ = FileManager.default.createFile(atPath: xmlPath, contents: Data(xml))
        guard case .failure(let error) = Self.readXML(xmlPath) else {
            Issue.record("must fail")
            return
        }
        #expect(error.kind == .tooLong || error.kind == .malformed)
    }

    @Test func externalDTDIsRefused() throws {
        let path = "\(Self.directory)/dtd.xml"
        _ = FileManager.default.createFile(
            atPath: path, contents: Data("<?xml version=\"1.0\"?>\n<!DOCTYPE r SYSTEM \"http://example.invalid/evil.dtd\">\n<r><Schueler/></r>".utf8))
        guard case .failure(let error) = Self.readXML(path) else {
            Issue.record("must fail")
            return
        }
        #expect(error.kind == .forbiddenDTD)
    }
}
