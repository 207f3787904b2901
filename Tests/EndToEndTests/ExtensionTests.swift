import Foundation
import KlapptFormats
import KlapptKit
import KlapptTestSupport
import Testing

// Issue 10: a new source role, a new format and a new output are each a new type plus one
// registration. These three live in the test target and touch no file of KlapptKit.

/// A toy format: one record per line, `key=value` pairs separated by `|`.
struct PipeFormat: SourceFormat {
    static let name = "pipe"

    init(options: FormatOptions, fields: [CanonicalField: String]) throws(PipelineError) {
        try options.allow([])
    }

    /// The mapped keys by canonical field.
    struct Layout: Sendable {
        var keys: [(field: CanonicalField, key: String)]
    }

    final class Reader: RecordReader {
        let lines: [[UInt8]]
        var position = -1
        var recordFingerprint = RowFingerprint(bytes: UnsafeBufferPointer(start: nil, count: 0))
        var recordLine: Int { position + 1 }
        var bytesConsumed = 0
        /// Spans of the mapped keys' values in the current line.
        var spans: [FieldSpan] = []
        let keys: [[UInt8]]

        init(path: String, keys: [String]) throws(FormatError) {
            guard let data = FileManager.default.contents(atPath: path) else { throw FormatError(.unreadable, file: path, message: "fehlt") }
            lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init).filter { !$0.isEmpty }
            self.keys = keys.map { Array($0.utf8) }
        }

        func advance() throws(FormatError) -> Bool {
            position += 1
            guard position < lines.count else { return false }
            let line = lines[position]
            bytesConsumed += line.count + 1
            recordFingerprint = line.withUnsafeBufferPointer { RowFingerprint(bytes: $0) }
            spans = keys.map { _ in .absent }
            var start = 0
            for end in line.indices + [line.count] where end == line.count || line[end] == UInt8(ascii: "|") {
                let pair = line[start..<end]
                if let equals = pair.firstIndex(of: UInt8(ascii: "=")), let key = keys.firstIndex(of: Array(line[start..<equals])) {
                    spans[key] = FieldSpan(start: Int32(equals + 1), count: Int32(end - equals - 1))
                }
                start = end + 1
            }
            return true
        }

        func withRecord<Result>(_ body: (UnsafeBufferPointer<UInt8>, [FieldSpan]) throws -> Result) rethrows -> Result {
            try lines[position].withUnsafeBufferPointer { try body($0, spans) }
        }
    }

    func layout(of path: String, source: SourceSpec) throws(KlapptError) -> Layout {
        Layout(keys: CanonicalField.allCases.compactMap { field in source.fields[field].map { (field, $0) } })
    }

    func slices(of path: String, layout: Layout, sliceBytes: Int) -> [(range: Range<Int>?, firstLine: Int)] { [(nil, 1)] }

    func makeReader(path: String, layout: Layout, range: Range<Int>?, firstLine: Int) throws(FormatError) -> Reader {
        try Reader(path: path, keys: layout.keys.map(\.key))
    }

    func encoding(of layout: Layout) -> TextEncoding { .utf8 }

    func map(_ reader: Reader, layout: Layout, source: SourceSpec, row: Int, into spans: inout [FieldSpan]) throws(FormatError) -> RecordShape {
        var missing: String?
        for (position, entry) in layout.keys.enumerated() {
            spans[entry.field.ordinal] = reader.spans[position]
            if reader.spans[position].count < 0, missing == nil, !source.optional.contains(entry.field) { missing = entry.key }
        }
        return RecordShape(order: row, missingField: missing)
    }

    func quarantineColumns(layout: Layout, source: SourceSpec) -> [String] { layout.keys.map(\.key) }

    func cells(of reader: Reader, layout: Layout) -> [String] {
        reader.withRecord { bytes, spans in spans.map { $0.bytes(in: bytes).map { String(decoding: $0, as: UTF8.self) } ?? "" } }
    }

    func finish(_ reader: Reader, layout: Layout, into result: inout SliceResult) {}
}

/// A toy role: a language-course provider whose every record is a current `massnahme`, and whose
/// status `E` (entered this quarter) is no flow of SPEC 4.4. Ranked after every shipped role.
struct CourseProviderRole: SourceSemantics {
    static let role = "sprachkurstraeger"
    static let requiredFields: Set<CanonicalField> = [.recordID, .familyName, .givenName, .birthDate, .status]
    static let attributeRank = 3

    init(codeLists: CodeLists) {}

    func status(_ text: String) -> StatusMeaning? {
        ["E", "L"].contains(text) ? StatusMeaning(status: text, activity: .massnahme, current: true) : nil
    }

    func currentActivity(_ record: CleanRecord, period: Period) -> Activity? { record.activity }
    func flows(_ record: CleanRecord, period: Period) -> Flows { [] }
}

/// A toy output: one line per column of the `insgesamt` row, as published.
struct TotalsSink: PeriodSink {
    let kind = "summen"

    func fileName(for period: Period) -> String { "summen_\(period).txt" }

    func render(_ result: PeriodResult) -> [UInt8]? {
        let lines = result.table.indicators.map { indicator in
            "\(indicator)=\(result.table[CellID(indicator: indicator, dimension: "insgesamt", category: "insgesamt")])"
        }
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }
}

@Suite struct ExtensionTests {
    @Test func aToyRoleFormatAndSinkRunAQuarterThroughTheRegistry() throws {
        var registry = Registry.standard
        registry.register(role: CourseProviderRole.self)
        registry.register(format: PipeFormat.self)
        registry.register(sink: TotalsSink())

        let directory = makeTemporaryDirectory("klappt-toy")
        // Four course participants: three in the target group (20 years old, Duldung, Unna or no
        // postcode), one twice (two ids, one person), one 40 years old; one row rejected.
        let rows = [
            "id=T1|name=Amini|vorname=Reza|geb=2006-01-01|status=E|aufenthalt=Duldung|plz=59423",
            "id=T2|name=Bakri|vorname=Lina|geb=2005-05-05|status=L|aufenthalt=Duldung|plz=",
            "id=T3|name=Bakri|vorname=Lina|geb=2005-05-05|status=L|aufenthalt=Duldung|plz=59423",
            "id=T4|name=Chalabi|vorname=Omid|geb=2004-04-04|status=L|aufenthalt=Gestattung|plz=59174",
            "id=T5|name=Darwish|vorname=Nour|geb=1986-01-01|status=L|aufenthalt=Duldung|plz=59423",
            "id=T6|name=Elias|vorname=Sami|geb=2004-04-04|status=X|aufenthalt=Duldung|plz=59423",
        ]
        try FileManager.default.createDirectory(atPath: "\(directory)/kurse", withIntermediateDirectories: true)
        try (rows.joined(separator: "\n") + "\n").write(toFile: "\(directory)/kurse/kurse.txt", atomically: true, encoding: .utf8)
        let lists = "\(repositoryRoot)/pipelines/codelists"
        let yaml = """
            name: Spielzeug
            max_reject_share: 0.2
            output_dir: \(directory)/out
            target_group: {min_age: 18, max_age: 26, residence_groups: [gestattung, duldung, schutz, ukraine, chancen], age_groups: ["18-20", "21-23", "24-26"]}
            nationality_breakdown: [SYR]
            outputs: [indikatoren, summen]
            codelists: {nationalitaeten: \(lists)/nationalitaeten.csv, aufenthalt: \(lists)/aufenthalt.csv, plz: \(lists)/plz_kreis_unna.csv,
                        gliederung: \(lists)/bk_gliederung.csv, jobcenter_status: \(lists)/jobcenter_status.csv,
                        schueler_status: \(lists)/schueler_status.csv, geschlecht: \(lists)/geschlecht.csv}
            sources:
              - id: kurse
                role: sprachkurstraeger
                path: \(directory)/kurse/*.txt
                format: pipe
                date_format: JJJJ-MM-TT
                fields: {record_id: id, family_name: name, given_name: vorname, birth_date: geb, status: status, residence: aufenthalt, postcode: plz}

            """
        try yaml.write(toFile: "\(directory)/toy.yaml", atomically: true, encoding: .utf8)
        // The standard registry does not know the toy names: the pipeline file fails at load (64).
        let unknown = #expect(throws: KlapptError.self) { try Pipeline.load(path: "\(directory)/toy.yaml") }
        #expect(unknown?.exitCode == 64)
        #expect(unknown?.description.contains("Unbekannte Ausgabe „summen“") == true)

        let pipeline = try Pipeline.load(path: "\(directory)/toy.yaml", registry: registry)
        var run = QuarterlyRun(pipeline: pipeline, period: Period("2026-Q3")!, logger: quietLogger)
        run.ignorePlausibility = false
        let outcome = try #require(try run.execute(key: testKey).outcome)
        #expect(outcome.files.map(\.rowsRead) == [6])
        #expect(outcome.files.map(\.rejected) == [1])
        #expect(outcome.files[0].reasons == ["status_unbekannt": 1])
        #expect(outcome.filter.persons == 4)
        #expect(outcome.filter.targetGroup == 3)
        let totals = try String(contentsOfFile: "\(directory)/out/summen_2026-Q3.txt", encoding: .utf8)
        // 3 in the stock, all in a measure; below min_cell 3 nothing, so 3 is published.
        #expect(
            totals == """
                zielgruppe=3
                personen=3
                ausbildung=0
                beschaeftigung=0
                schule=0
                massnahme=3
                arbeitsuchend=0
                sonstige=0
                ohne_aktivitaet=0
                eintritt_ausbildung=0
                abschluss=0
                abbruch=0

                """)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/out/lauf_2026-Q3.json"))
        // The ledger records the chosen outputs, and an unchanged second run has nothing to do.
        let store = try Store(path: "\(directory)/out/klappt.sqlite")
        #expect(try store.query("SELECT art, datei FROM outputs") == [["indikatoren", "indikatoren_2026-Q3.csv"], ["summen", "summen_2026-Q3.txt"]])
        #expect(try run.execute(key: testKey).unchangedSince != nil)
    }
}
