import Foundation
import Testing

@testable import KlapptFormats

func readRecords(_ xml: String, record: String = "Schueler") throws -> (records: [XMLRecord], root: [String: String]) {
    let path = temporaryFile(Array(xml.utf8), name: "export.xml")
    let reader = try XMLRecordReader(path: path, recordElement: record)
    var records: [XMLRecord] = []
    while let next = try reader.next() { records.append(next) }
    return (records, reader.rootAttributes)
}

@Suite struct XMLRecordReaderTests {
    @Test func matchesByLocalNameWithTextCDATAAndReferences() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <?svws export="1"?>
            <bk:Schuelerdaten xmlns:bk="urn:x" Stand="2026-09-30">
              <!-- Kommentar -->
              <bk:Schueler Id="S1">
                <bk:Name><![CDATA[Al-Hassan & Co]]></bk:Name>
                <bk:Vorname>H&#x69;ba <!-- c --> &#252;</bk:Vorname>
                <bk:Entlassdatum/>
                <bk:Status>2</bk:Status>
              </bk:Schueler>
              <Schueler Id="S2"><Name>B</Name></Schueler>
            </bk:Schuelerdaten>
            """
        let (records, root) = try readRecords(xml)
        #expect(root == ["Stand": "2026-09-30"])
        #expect(records.count == 2)
        #expect(records[0].attributes == ["Id": "S1"])
        #expect(records[0].fields == ["Name": "Al-Hassan & Co", "Vorname": "Hiba  ü", "Entlassdatum": "", "Status": "2"])
        #expect(records[0].line == 5)
        #expect(records[1].fields == ["Name": "B"])
        #expect(records[1].fields["Vorname"] == nil)
    }

    @Test func identicalRecordsShareAFingerprint() throws {
        let one = "<S Id=\"1\"><A>x</A><B>y</B></S>"
        let (records, _) = try readRecords("<r>\(one)\n\(one)<S Id=\"1\"><A>xy</A><B></B></S></r>", record: "S")
        #expect(records[0].fingerprint == records[1].fingerprint)
        #expect(records[0].fingerprint != records[2].fingerprint)
    }

    @Test func notWellFormedFailsWithLine() throws {
        let error = #expect(throws: FormatError.self) {
            _ = try readRecords("<r>\n<Schueler><Name>x</Vorname></Schueler></r>")
        }
        #expect(error?.line == 2)
        #expect(error?.kind == .malformed)
    }

    /// Issue 23: an element left open names the line where its record opens, in German; libxml2's
    /// words only in `technicalDetail`.
    @Test func anUnclosedRecordOrFieldNamesTheLineTheRecordOpensIn() throws {
        let record = #expect(throws: FormatError.self) {
            _ = try readRecords("<r>\n<Schueler><Name>a</Name></Schueler>\n<Schueler><Name>b</Name>\n<Schueler><Name>c</Name></Schueler>\n</r>")
        }
        #expect(record?.line == 3)
        #expect(
            record?.message
                == "Der Datensatz <Schueler>, der in dieser Zeile beginnt, wird nicht geschlossen (das schließende </Schueler> fehlt). Die Datei wurde nicht verarbeitet. Bitte bei der Schule einen neuen Export anfordern."
        )
        #expect(record?.technicalDetail?.contains("mismatch") == true)
        let field = #expect(throws: FormatError.self) {
            _ = try readRecords("<r>\n<Schueler>\n<Name>a\n<Vorname>b</Vorname>\n</Schueler>\n</r>")
        }
        #expect(field?.line == 2)
        #expect(field?.message.hasPrefix("Im Datensatz <Schueler>, der in dieser Zeile beginnt, wird das Element <Name> nicht geschlossen") == true)
        #expect(field?.message.contains("libxml2") == false)
    }

    @Test func truncatedDocumentFails() throws {
        let error = #expect(throws: FormatError.self) {
            _ = try readRecords("<r>\n<Schueler><Name>x</Name></Schueler>\n<Schueler><Name>y")
        }
        #expect(error?.kind == .truncated)
        #expect(error?.file.hasSuffix("export.xml") == true)
        #expect(error?.message.contains("mitten in einem Datensatz") == true)
        #expect(error?.line == 3)
    }

    /// Issue 9: a file cut right after a complete record is "cut off", not "extra content".
    @Test func documentCutAfterACompleteRecordIsTruncated() throws {
        let error = #expect(throws: FormatError.self) {
            _ = try readRecords("<r>\n<Schueler><Name>x</Name></Schueler>\n<Schueler><Name>y</Name></Schueler>\n")
        }
        #expect(error?.kind == .truncated)
        #expect(error?.message.contains("nach dem letzten vollständigen Datensatz") == true)
        #expect(error?.message.contains("abgeschnitten") == true)
        #expect(error?.message.contains("Extra content") == false)
    }

    @Test func invalidUTF8Fails() throws {
        let path = temporaryFile(Array("<r><Schueler><Name>".utf8) + [0xC3, 0x28] + Array("</Name></Schueler></r>".utf8), name: "bad.xml")
        #expect(throws: FormatError.self) {
            let reader = try XMLRecordReader(path: path, recordElement: "Schueler")
            while try reader.next() != nil {}
        }
    }

    @Test func externalEntityIsNeverLoaded() throws {
        let secret = temporaryFile(Array("GEHEIM-123".utf8), name: "secret.txt")
        let xml = """
            <?xml version="1.0"?>
            <!DOCTYPE r [<!ENTITY xxe SYSTEM "file://\(secret)">]>
            <r><Schueler><Name>&xxe;</Name></Schueler></r>
            """
        do {
            let (records, _) = try readRecords(xml)
            Issue.record("must fail, got \(records)")
        } catch let error as FormatError {
            #expect(!error.message.contains("GEHEIM"))
        }
    }

    @Test func billionLaughsFailsCleanly() throws {
        var entities = "<!ENTITY lol0 \"lollollollollollollollollollol\">"
        for level in 1...9 {
            entities += "<!ENTITY lol\(level) \"" + String(repeating: "&lol\(level - 1);", count: 10) + "\">"
        }
        let xml = "<?xml version=\"1.0\"?><!DOCTYPE r [\(entities)]><r><Schueler><Name>&lol9;</Name></Schueler></r>"
        #expect(throws: FormatError.self) { _ = try readRecords(xml) }
    }

    @Test func oversizedFieldFails() throws {
        let big = String(repeating: "x", count: 70_000)
        let error = #expect(throws: FormatError.self) { _ = try readRecords("<r><Schueler><Name>\(big)</Name></Schueler></r>") }
        #expect(error?.kind == .tooLong)
        #expect(error?.field == "Name")
    }
}

@Suite struct XMLMappedFieldsTests {
    @Test func mappedFieldsAreSpansIntoTheRecordsBytes() throws {
        let xml = """
            <?xml version="1.0" encoding="ISO-8859-1"?>
            <Schuelerdaten Stand="2026-09-30"><Schueler b="2" Id="S1"><Name>M\u{FC}ller &amp; S\u{F6}hne</Name><Name>zweiter</Name><PLZ/></Schueler>
            <Schueler Id="S2" b="2"><Name>X</Name></Schueler></Schuelerdaten>
            """
        let path = temporaryFile(Array(xml.unicodeScalars.map { UInt8($0.value) }), name: "latin1.xml")
        let reader = try XMLRecordReader(path: path, recordElement: "Schueler", mappedFields: ["Name", "@Id", "/@Stand", "PLZ", "Status"])
        var values: [[String?]] = []
        var fingerprints: [RowFingerprint] = []
        while try reader.advance() {
            fingerprints.append(reader.recordFingerprint)
            values.append(
                reader.withRecord { bytes, spans in
                    spans.map { $0.bytes(in: bytes).map { String(decoding: $0, as: UTF8.self) } }
                })
        }
        // Latin-1 arrives as UTF-8; the first of a repeated element counts; an empty element is "";
        // a missing one is absent.
        #expect(values == [["Müller & Söhne", "S1", "2026-09-30", "", nil], ["X", "S2", "2026-09-30", nil, nil]])
        #expect(reader.rootAttributes == ["Stand": "2026-09-30"])
        #expect(fingerprints[0] != fingerprints[1])
    }

    @Test func attributeOrderDoesNotChangeTheFingerprint() throws {
        let (records, _) = try readRecords("<r><S a=\"1\" b=\"2\"><N>x</N></S><S b=\"2\" a=\"1\"><N>x</N></S></r>", record: "S")
        #expect(records.count == 2 && records[0].fingerprint == records[1].fingerprint)
        #expect(records[0].attributes == ["a": "1", "b": "2"])
    }
}
