import Foundation
import Testing

@testable import KlapptFormats

/// Issue 24: klappt's own XML scanner against libxml2, its reference. On generated exports with
/// every construct the scanner reads (and on their mutations) the scanner — over the whole file and
/// cut into slices the way a run cuts them — must give libxml2's records byte for byte, with the same
/// lines, spans and fingerprints, or libxml2's refusal with the same kind, line and message.
@Suite struct XMLScannerTests {
    static let mapped = ["Name", "Vorname", "Geburtsdatum", "@Id", "/@Stand", "Status", "Gliederung", "@b"]

    struct Record: Equatable, CustomStringConvertible {
        var line: Int
        var bytes: [UInt8]
        var spans: [FieldSpan]
        var fingerprint: RowFingerprint
        var description: String {
            let text = String(decoding: bytes.map { $0 == 0x1F ? 0x7C : $0 }, as: UTF8.self)
            return "Zeile \(line): \(text.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n"))"
        }
    }

    enum Outcome: Equatable {
        case records([Record], root: [String: String])
        case refused(FormatError.Kind, line: Int?, message: String, field: String?)

        init(_ error: FormatError) { self = .refused(error.kind, line: error.line, message: error.message, field: error.field) }
    }

    /// Where two outcomes first differ (for a readable failure).
    static func difference(_ a: Outcome, _ b: Outcome) -> String {
        guard case .records(let x, let rootX) = a, case .records(let y, let rootY) = b else { return "\(a)\n!=\n\(b)" }
        if rootX != rootY { return "Wurzel \(rootX) != \(rootY)" }
        for (index, (p, q)) in zip(x, y).enumerated() where p != q {
            return "Datensatz \(index): \(p) [\(p.spans)] != \(q) [\(q.spans)]"
        }
        return "\(x.count) != \(y.count) Datensätze"
    }

    /// libxml2 over the whole file.
    static func reference(_ path: String) -> Outcome {
        do {
            let reader = try XMLRecordReader(path: path, recordElement: "Schueler", mappedFields: mapped, maxFieldBytes: 4096)
            var records: [Record] = []
            while try reader.advance() {
                records.append(reader.withRecord { Record(line: reader.recordLine, bytes: Array($0), spans: $1, fingerprint: reader.recordFingerprint) })
            }
            return .records(records, root: reader.rootAttributes)
        } catch {
            return Outcome(error)
        }
    }

    /// The scanner, whole (`sliceBytes` nil) or in slices put together as `FileMerge` does: a slice
    /// that does not begin where the one before ended is read again from there, and lines of slices
    /// after the first are counted on from the line the slice before ended on.
    static func scanned(_ path: String, sliceBytes: Int?) -> (outcome: Outcome, handedOver: Bool, slices: Int) {
        let head = XMLDocumentHead.read(path: path, recordElement: "Schueler")
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let ranges: [Range<Int>?] =
            if let sliceBytes, let head { head.cuts(path: path, size: size, sliceBytes: sliceBytes, recordElement: "Schueler") } else { [nil] }
        var records: [Record] = []
        var root: [String: String] = [:]
        var handedOver = false
        var expected: Int?
        var nextLine = 1
        for planned in ranges {
            var range = planned
            if let planned, let expected, planned.lowerBound != expected {
                guard expected < planned.upperBound else { continue }
                range = expected..<planned.upperBound
            }
            let firstLine = (range?.lowerBound ?? 0) == 0 ? 1 : 0
            let offset = firstLine == 0 ? nextLine : 0
            do {
                let reader = try XMLExportReader(
                    path: path, recordElement: "Schueler", mappedFields: mapped, maxFieldBytes: 4096, range: range, firstLine: firstLine, head: head)
                while try reader.advance() {
                    records.append(
                        reader.withRecord { Record(line: reader.recordLine + offset, bytes: Array($0), spans: $1, fingerprint: reader.recordFingerprint) })
                }
                handedOver = handedOver || reader.handedOver
                root = reader.rootAttributes
                expected = reader.nextRecordOffset
                nextLine = (firstLine == 0 ? nextLine : firstLine) + reader.linesSpanned
            } catch {
                var error = error
                if let line = error.line { error.line = line + offset }
                return (Outcome(error), true, ranges.count)
            }
        }
        return (.records(records, root: root), handedOver, ranges.count)
    }

    /// A random export in SchILD's shape with every construct the scanner reads.
    struct Generator {
        var random: FuzzTests.Mutator

        mutating func pick<T>(_ items: [T]) -> T { items[random.below(items.count)] }
        mutating func chance(_ percent: Int) -> Bool { random.below(100) < percent }

        mutating func text() -> String {
            var parts: [String] = []
            for _ in 0..<(1 + random.below(3)) {
                parts.append(
                    pick([
                        "Nazari-Osman", "Müller", "Ölçek", "Fatima", "A&amp;B", "&#252;ber", "&#x1F600;", "x &lt; y &gt; z", "&quot;q&quot; &apos;a&apos;",
                        "<![CDATA[<roh> & ]] ]>]]>", "2008-03-10", "", "  ", "Zeile\neins", "Zeile\r\nzwei", "r\rs", "<!-- k -->", "<?pi daten?>",
                        "Tab\there", "€ 5", "ẞ",
                    ]))
            }
            return parts.joined()
        }

        mutating func field(_ newline: String) -> String {
            let name = pick(["Name", "Vorname", "Geburtsdatum", "Status", "Gliederung", "PLZ", "Abschluss", "Name"])
            switch random.below(10) {
            case 0: return "<\(name)/>"
            case 1: return "<\(name) />"
            case 2: return "<\(name)><Teil>\(text())</Teil>\(text())</\(name)>"
            case 3: return "<\(name) art=\"x\">\(text())</\(name) >"
            case 4: return "<bk:\(name)>\(text())</bk:\(name)>"
            default: return "<\(name)>\(text())</\(name)>"
            }
        }

        mutating func record(_ newline: String, id: Int) -> String {
            var attributes = ["Id=\"S\(id)\""]
            if chance(30) { attributes.append(pick(["b='x &amp; y'", "b=\"zwei\(newline)Zeilen\"", "b=\"t\ta&#10;b\"", "c=\"1\"", "xml:lang=\"de\""])) }
            if chance(20) { attributes.reverse() }
            let separator = chance(10) ? "\(newline)   " : " "
            var result = "<\(chance(10) ? "bk:" : "")Schueler \(attributes.joined(separator: separator))"
            if chance(3) { return result + "/>" }
            let prefixed = result.hasPrefix("<bk:")
            result += ">"
            for _ in 0..<(random.below(9)) { result += newline + "    " + field(newline) }
            if chance(10) { result += "<!-- \(text().replacingOccurrences(of: "--", with: "")) -->" }
            return result + newline + "  </\(prefixed ? "bk:" : "")Schueler>"
        }

        mutating func document() -> String {
            let newline = chance(25) ? "\r\n" : "\n"
            var result = chance(10) ? "\u{FEFF}" : ""
            if chance(80) {
                result += pick([
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "<?xml version='1.0'?>", "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>",
                ])
                result += newline
            }
            if chance(30) { result += "<?svws export=\"1.4\"?>" + newline }
            if chance(30) { result += "<!-- Export aus SchILD-NRW -->" + newline }
            let prefixedRoot = chance(20)
            let rootName = prefixedRoot ? "bk:Schuelerdaten" : "Schuelerdaten"
            result +=
                "<\(rootName) \(prefixedRoot ? "xmlns:bk" : "xmlns")=\"urn:klappt:berufskolleg:1\" xmlns:bk=\"urn:x\" Schulnummer=\"170011\" Stand=\"2026-09-30\">"
                .replacingOccurrences(of: "xmlns:bk=\"urn:klappt:berufskolleg:1\" xmlns:bk=\"urn:x\"", with: "xmlns:bk=\"urn:x\"")
            let wrapped = chance(10)
            if wrapped { result += newline + "<Gruppe>" }
            for id in 0..<(3 + random.below(40)) {
                result += newline + "  " + record(newline, id: id)
                if chance(5) { result += newline + "  <Meta a=\"1\"><x>y</x></Meta>" }
                if chance(5) { result += newline + "  <!-- <Schueler Id=\"falsch\"> -->" }
                if chance(3) { result += newline + "  <![CDATA[<Schueler Id=\"auch falsch\">]]>" }
            }
            if wrapped { result += newline + "</Gruppe>" }
            result += newline + "</\(rootName)>" + newline
            if chance(30) { result += "<!-- Ende -->" + newline }
            return result
        }
    }

    static func write(_ text: String, _ name: String) -> String { temporaryFile(Array(text.utf8), name: name) }

    @Test(arguments: [UInt64(11), 12, 13])
    func generatedExportsReadAsLibxml2ReadsThemWholeAndInSlices(seed: UInt64) throws {
        var generator = Generator(random: FuzzTests.Mutator(state: seed))
        var sliced = 0
        for iteration in 0..<80 {
            let path = Self.write(generator.document(), "export-\(seed)-\(iteration).xml")
            let reference = Self.reference(path)
            guard case .records(let records, _) = reference else {
                Issue.record("Seed \(seed), Eingabe \(iteration): libxml2 lehnt das erzeugte Dokument ab: \(reference)")
                continue
            }
            #expect(!records.isEmpty)
            let whole = Self.scanned(path, sliceBytes: nil)
            #expect(whole.outcome == reference, "Seed \(seed), Eingabe \(iteration), ganz")
            // Every construct here is the scanner's own: libxml2 never has to take over.
            #expect(!whole.handedOver, "Seed \(seed), Eingabe \(iteration): an libxml2 übergeben")
            for sliceBytes in [97, 400, 1500] {
                let parts = Self.scanned(path, sliceBytes: sliceBytes)
                #expect(parts.outcome == reference, "Seed \(seed), Eingabe \(iteration), Scheiben zu \(sliceBytes) Bytes")
                if parts.slices > 2 { sliced += 1 }
            }
        }
        #expect(sliced > 100)
    }

    @Test(arguments: [UInt64(21), 22, 23])
    func mutatedExportsGetLibxml2sRecordsOrItsRefusal(seed: UInt64) throws {
        var generator = Generator(random: FuzzTests.Mutator(state: seed))
        var mutator = FuzzTests.Mutator(state: seed &* 7)
        var refused = 0
        var readByTheScanner = 0
        let corpus = FuzzTests.corpus(".xml")
        for iteration in 0..<FuzzTests.iterations {
            let base = iteration % 4 == 0 && !corpus.isEmpty ? corpus[iteration % corpus.count] : Array(generator.document().utf8)
            // Every other input is changed gently (markup put in after a tag, where most of it
            // stays well-formed), the rest by the fuzzer's byte mutations.
            let input = iteration % 2 == 0 ? Self.gentle(base, &mutator) : mutator.mutate(base, splice: Array(generator.document().utf8))
            let path = temporaryFile(input, name: "mutiert-\(seed)-\(iteration).xml")
            let reference = Self.reference(path)
            let whole = Self.scanned(path, sliceBytes: nil)
            #expect(whole.outcome == reference, "Seed \(seed), Eingabe \(iteration), ganz: \(Self.difference(whole.outcome, reference))")
            let parts = Self.scanned(path, sliceBytes: 300)
            #expect(parts.outcome == reference, "Seed \(seed), Eingabe \(iteration), in Scheiben: \(Self.difference(parts.outcome, reference))")
            if case .refused = reference { refused += 1 }
            if case .records = reference, !whole.handedOver { readByTheScanner += 1 }
        }
        // Both sides of the comparison were exercised.
        #expect(refused > FuzzTests.iterations / 10)
        #expect(readByTheScanner > FuzzTests.iterations / 10)
    }

    /// One to three pieces of markup or text, each put in right after a `>`.
    static func gentle(_ input: [UInt8], _ random: inout FuzzTests.Mutator) -> [UInt8] {
        let pieces = [
            "&#10;", "&amp;", "&#xD;", "\r", "\r\n", " ", "<!---->", "<?x y?>", "<![CDATA[]]>", "<![CDATA[\r\n]]>", "<a/>", "<a b='&lt;'>t</a>", "ü",
            "&#x10FFFF;", "\t", "<Schueler Id=\"neu\"><Name>n</Name></Schueler>", "<Schueler/>", "<x:a xmlns:x='u'/>", "]]", "&#0;", "\u{7F}",
        ]
        var bytes = input
        for _ in 0..<(1 + random.below(3)) {
            let start = random.below(bytes.count)
            guard let close = bytes[start...].firstIndex(of: UInt8(ascii: ">")) else { continue }
            bytes.insert(contentsOf: Array(pieces[random.below(pieces.count)].utf8), at: close + 1)
        }
        return bytes
    }

    @Test func aCutInsideACommentOrCDATAIsCorrectedWhenTheSlicesAreMerged() throws {
        var text = "<?xml version=\"1.0\"?>\n<r Stand=\"2026-09-30\">\n"
        for id in 0..<40 {
            text += "<Schueler Id=\"S\(id)\"><Name>N\(id)</Name></Schueler>\n"
            text += "<!-- <Schueler Id=\"nein\"> <Schueler Id=\"nein\"> -->\n<![CDATA[ <Schueler Id=\"nein\"> ]]>\n"
        }
        text += "</r>\n"
        let path = Self.write(text, "schnitte.xml")
        guard case .records(let records, let root) = Self.reference(path) else {
            Issue.record("libxml2 liest die Datei nicht")
            return
        }
        #expect(records.count == 40)
        #expect(root == ["Stand": "2026-09-30"])
        for sliceBytes in [23, 61, 150] {
            let parts = Self.scanned(path, sliceBytes: sliceBytes)
            #expect(parts.outcome == .records(records, root: root))
            #expect(!parts.handedOver)
            #expect(parts.slices > 10)
        }
    }

    @Test func whatTheScannerDoesNotReadLibxml2ReadsOrRefusesWithItsOwnMessage() throws {
        // Another encoding: the head is not read, libxml2 reads the whole file.
        let latin1 = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<r><Schueler Id=\"1\"><Name>M\u{FC}ller</Name></Schueler></r>"
        let latin1Path = temporaryFile(latin1.unicodeScalars.map { UInt8($0.value) }, name: "latin1.xml")
        #expect(XMLDocumentHead.read(path: latin1Path, recordElement: "Schueler") == nil)
        let latin1Read = Self.scanned(latin1Path, sliceBytes: nil)
        #expect(latin1Read.outcome == Self.reference(latin1Path))
        #expect(latin1Read.handedOver)
        if case .records(let records, _) = latin1Read.outcome { #expect(records.first?.description.contains("Müller") == true) }

        // An undeclared prefix: libxml2 decides (it reads the record).
        let undeclared = Self.write("<r>\n<x:Schueler Id=\"1\"><Name>a</Name></x:Schueler>\n</r>\n", "praefix.xml")
        #expect(Self.scanned(undeclared, sliceBytes: nil).outcome == Self.reference(undeclared))
        #expect(Self.scanned(undeclared, sliceBytes: nil).handedOver)

        // Hostile and broken documents get libxml2's refusal, word for word, also in the middle of
        // a slice after the first.
        var records = ""
        for id in 0..<30 { records += "<Schueler Id=\"\(id)\"><Name>n</Name></Schueler>\n" }
        let cases = [
            "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY a \"b\">]>\n<r>\(records)<Schueler><Name>&a;</Name></Schueler></r>",
            "<r>\n\(records)<Schueler><Name>&xxe;</Name></Schueler>\n\(records)</r>",
            "<r>\n\(records)<Schueler><Name>x</Vorname></Schueler>\n\(records)</r>",
            "<r>\n\(records)<Schueler>\n<Name>a\n<Vorname>b</Vorname>\n</Schueler>\n</r>",
            "<r>\n\(records)<Schueler><Name>\(String(repeating: "x", count: 5000))</Name></Schueler>\n</r>",
            "<r>\n\(records)<Schueler><Name>a]]>b</Name></Schueler>\n</r>",
            "<r>\n\(records)",
            "<r>\n\(records)</r>\n<r/>",
        ]
        for (number, text) in cases.enumerated() {
            let path = Self.write(text, "feindlich-\(number).xml")
            let reference = Self.reference(path)
            guard case .refused = reference else {
                Issue.record("Fall \(number): libxml2 lehnt nicht ab")
                continue
            }
            #expect(Self.scanned(path, sliceBytes: nil).outcome == reference, "Fall \(number)")
            #expect(Self.scanned(path, sliceBytes: 200).outcome == reference, "Fall \(number), in Scheiben")
        }
    }
}
