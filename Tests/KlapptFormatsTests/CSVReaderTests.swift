import Foundation
import Testing

@testable import KlapptFormats

/// Writes `bytes` to a fresh temporary file and returns its path.
func temporaryFile(_ bytes: [UInt8], name: String = "input.csv") -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("klappt-formats-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent(name).path
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
}

func readAll(_ path: String, options: CSVReader.Options = .init()) throws -> (header: [String], rows: [CSVRow]) {
    let reader = try CSVReader(path: path, options: options)
    let header = try reader.readHeader()
    var rows: [CSVRow] = []
    while let row = try reader.next() { rows.append(row) }
    return (header, rows)
}

@Suite struct CSVReaderTests {
    let messy = "Kundennummer;Name;Bemerkung\r\n1;Müller;\"a;b\"\r\n2;\"Sa\"\"id\";\"Zeile 1\r\nZeile 2\"\r\n\r\n3;X;\r\n"

    @Test func parsesQuotedDelimitersQuotesAndLineBreaks() throws {
        let path = temporaryFile([0xEF, 0xBB, 0xBF] + Array(messy.utf8))
        let (header, rows) = try readAll(path)
        #expect(header == ["Kundennummer", "Name", "Bemerkung"])
        #expect(rows.map(\.fields) == [["1", "Müller", "a;b"], ["2", "Sa\"id", "Zeile 1\r\nZeile 2"], ["3", "X", ""]])
        // Physical line where each record starts; the empty line 5 holds no record.
        #expect(rows.map(\.line) == [2, 3, 6])
    }

    @Test(arguments: [1, 2, 3, 5, 7, 64])
    func chunkBoundariesDoNotChangeTheResult(chunk: Int) throws {
        let path = temporaryFile([0xEF, 0xBB, 0xBF] + Array(messy.utf8))
        let whole = try readAll(path)
        let small = try readAll(path, options: .init(chunkSize: chunk))
        #expect(small.rows.map(\.fields) == whole.rows.map(\.fields))
        #expect(small.rows.map(\.line) == whole.rows.map(\.line))
    }

    @Test func decodesWindows1252WithoutBOM() throws {
        // "Größe;€" in Windows-1252: ö = F6, ß = DF, € = 80.
        let path = temporaryFile(Array("a;b\n".utf8) + [0x47, 0x72, 0xF6, 0xDF, 0x65, 0x3B, 0x80, 0x0A])
        let reader = try CSVReader(path: path)
        #expect(reader.encoding == .windows1252)
        _ = try reader.readHeader()
        #expect(try reader.next()?.fields == ["Größe", "€"])
    }

    @Test func byteOrderMarkSelectsUTF8() throws {
        let path = temporaryFile([0xEF, 0xBB, 0xBF] + Array("a\nGröße\n".utf8))
        let reader = try CSVReader(path: path)
        #expect(reader.encoding == .utf8)
        _ = try reader.readHeader()
        #expect(try reader.next()?.fields == ["Größe"])
    }

    @Test func undefinedWindows1252ByteFailsWithLineAndColumn() throws {
        let path = temporaryFile(Array("Nr;Name\n1;ok\n2;A".utf8) + [0x81] + Array("B\n".utf8))
        #expect(throws: FormatError(.undecodable, file: path, line: 3, field: "Name", message: "Ungültige Bytes für die Kodierung windows-1252.")) {
            _ = try readAll(path)
        }
    }

    @Test func invalidUTF8AfterBOMFails() throws {
        let path = temporaryFile([0xEF, 0xBB, 0xBF] + Array("Nr\n".utf8) + [0xC3, 0x28, 0x0A])
        let error = #expect(throws: FormatError.self) { _ = try readAll(path) }
        #expect(error?.kind == .undecodable)
        #expect(error?.line == 2)
    }

    @Test func unterminatedQuoteAtEndIsATruncatedFile() throws {
        let path = temporaryFile(Array("a;b\n1;\"offen\n2;x\n".utf8))
        let error = #expect(throws: FormatError.self) { _ = try readAll(path) }
        #expect(error?.kind == .truncated)
        #expect(error?.line == 2)
    }

    @Test func recordLongerThanTheLimitFails() throws {
        let path = temporaryFile(Array("a\n\"".utf8) + Array(repeating: UInt8(ascii: "x"), count: 5000))
        let error = #expect(throws: FormatError.self) { _ = try readAll(path, options: .init(maxRecordBytes: 1000, chunkSize: 512)) }
        #expect(error?.kind == .tooLong)
    }

    @Test func identicalRowsHaveTheSameFingerprintRegardlessOfTerminator() throws {
        let path = temporaryFile(Array("a;b\n1;x\r\n2;x\n1;x\n1;x".utf8))
        let (_, rows) = try readAll(path)
        #expect(rows.count == 4)
        #expect(rows[0].fingerprint == rows[2].fingerprint)
        #expect(rows[0].fingerprint == rows[3].fingerprint)
        #expect(rows[0].fingerprint != rows[1].fingerprint)
        #expect(rows[3].terminated == false)
        #expect(rows[2].terminated == true)
    }

    @Test func quotesInsideUnquotedFieldsAreLiteral() throws {
        let path = temporaryFile(Array("a;b\n5\" Zoll;x\n".utf8))
        #expect(try readAll(path).rows.map(\.fields) == [["5\" Zoll", "x"]])
    }

    @Test func trailingDelimiterGivesAnEmptyLastField() throws {
        let path = temporaryFile(Array("a;b;c\n1;2;\n".utf8))
        #expect(try readAll(path).rows.map(\.fields) == [["1", "2", ""]])
    }
}

@Suite struct CSVWriterTests {
    @Test(arguments: [
        ("=SUMME(A1)", "'=SUMME(A1)"), ("+49", "'+49"), ("-3", "'-3"), ("@cmd", "'@cmd"), ("\tx", "'\tx"),
        ("a;b", "\"a;b\""), ("sagt \"ja\"", "\"sagt \"\"ja\"\"\""), ("18-20", "18-20"), ("05978036", "05978036"),
    ])
    func escapesFormulasAndDelimiters(input: String, expected: String) {
        #expect(CSVWriter.escape(input) == expected)
    }

    @Test func writesBOMSemicolonsAndCRLF() {
        var writer = CSVWriter()
        writer.writeRow(["a", "b"])
        writer.writeRow(["1", ""])
        #expect(Array(writer.text.utf8) == [0xEF, 0xBB, 0xBF] + Array("a;b\r\n1;\r\n".utf8))
    }
}

@Suite struct TextEncodingTests {
    @Test func windows1252RoundTripOfEveryDefinedByte() {
        for byte in UInt8.min...UInt8.max {
            let scalar = Windows1252.scalar(for: byte)
            if [0x81, 0x8D, 0x8F, 0x90, 0x9D].contains(byte) {
                #expect(scalar == nil)
            } else {
                #expect(Windows1252.encode(String(scalar!)) == [byte])
            }
        }
    }
}
