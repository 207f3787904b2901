import Foundation
import KlapptFormats
import KlapptTestSupport
import Testing

@testable import KlapptKit

/// Cutting a CSV file into slices must not depend on guessing right: a cut inside a quoted field
/// is found when the slices are merged, and the slice is read again from the right place.
@Suite struct SliceTests {
    let source = standardPipeline.sources.first { $0.id == "jobcenter" }!
    let header =
        "Kundennummer;Nachname;Vorname;Geburtsdatum;Geschlecht;Staatsangehoerigkeit;Aufenthaltsstatus;PLZ;Wohnort;Status;Status_seit;Massnahme;Bemerkung;Stand"

    func row(_ id: String, _ remark: String = "", birth: String = "01.02.2003") -> String {
        "\(id);Haddad;Rami;\(birth);m;475;Duldung;59425;Unna;ALO;01.01.2026;;\(remark);30.09.2026"
    }

    /// A remark whose lines look like whole records with the header's field count.
    var treacherousRemark: String {
        "\"Notiz:\n" + (1...6).map { row("X\($0)") }.joined(separator: "\n") + "\nEnde\""
    }

    func write(_ text: String) -> String {
        let path = "\(makeTemporaryDirectory("klappt-slice"))/jc.csv"
        _ = FileManager.default.createFile(atPath: path, contents: Data(Windows1252.encode(text)!))
        return path
    }

    func reader() throws -> SourceReader {
        try SourceReader.make(
            source: source, codeLists: standardPipeline.codeLists, nationalityBreakdown: standardPipeline.nationalityBreakdown,
            pseudonymizer: Pseudonymizer(keyBytes: testKey), period: Period("2026-Q3")!)
    }

    /// Reads `path` in the given slices and merges them; returns the account, the rejected rows'
    /// lines, and how often a slice had to be read again.
    func read(_ path: String, cuts: [Int]) throws -> (FileAccount, [Int], Int, [PersonPseudonym]) {
        let options = try #require(source.format as? CSVFormat)
        let layout = try CSVLayout.read(source, options: options, path: path)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        let bounds = [layout.dataStart] + cuts + [size]
        let reader = try reader()
        var merge = FileMerge(source: source, path: path)
        var index = PersonIndex()
        var rereads = 0
        for (position, range) in zip(bounds, bounds.dropFirst()).map({ $0..<$1 }).enumerated() {
            let slice = FileSlice(sourceIndex: 0, fileIndex: 0, path: path, range: range, firstLine: position == 0 ? layout.dataLine : 0, layout: layout)
            let result = reader.read(slice, nil)
            try merge.merge(result, into: &index) { slice in
                rereads += 1
                return reader.read(slice, nil)
            }
        }
        return (merge.account, merge.quarantined.map(\.line), rereads, index.persons().map(\.pseudonym))
    }

    @Test func aCutInsideAQuotedFieldIsReadAgainFromTheRecordStart() throws {
        let text = [header, row("A1"), row("A2", treacherousRemark), row("A3", birth: "31.02.2003"), row("A4"), row("A1")].joined(separator: "\r\n") + "\r\n"
        let path = write(text)
        let bytes = Array(Windows1252.encode(text)!)
        // Cut at the start of the third line inside the remark: it looks like a record start.
        let inside = bytes.indices.filter { bytes[$0] == 0x0A }[3] + 1
        #expect(String(decoding: bytes[inside..<(inside + 2)], as: UTF8.self) == "X2")
        let whole = try read(path, cuts: [])
        let cut = try read(path, cuts: [inside])
        #expect(cut.2 == 1, "the slice after the bad cut is read again")
        #expect(whole.2 == 0)
        #expect(cut.0 == whole.0)
        #expect(whole.0.rowsRead == 5 && whole.0.duplicates == 1 && whole.0.rejected == 1)
        // A3 starts on line 11: header, A1, A2 spanning 8 lines.
        #expect(cut.1 == [11] && whole.1 == [11])
        #expect(cut.3 == whole.3)
    }

    @Test func thePlannerCutsOnlyAtPlausibleRecordStarts() throws {
        let rows = (0..<400).map { row("B\($0)", $0 % 7 == 0 ? treacherousRemark : "") }
        let path = write(([header] + rows).joined(separator: "\n") + "\n")
        let options = try #require(source.format as? CSVFormat)
        let layout = try CSVLayout.read(source, options: options, path: path)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        let ranges = layout.slices(path: path, size: size, sliceBytes: 3_000)
        #expect(ranges.count > 10)
        #expect(ranges.first?.lowerBound == layout.dataStart && ranges.last?.upperBound == size)
        let whole = try read(path, cuts: [])
        let cut = try read(path, cuts: ranges.dropFirst().map(\.lowerBound))
        #expect(cut.0 == whole.0)
        #expect(cut.3 == whole.3)
        #expect(whole.0.rowsRead == 400)
    }
}

/// The work queue of reading: whole XML files are handed out first (the longest work first), and
/// results are taken as they come.
@Suite struct ResultSlotsTests {
    @Test func slotsAreHandedOutInTheScheduleAndTakenInPositionOrder() throws {
        let slots = ResultSlots<Int>(count: 6, schedule: [5, 3, 0, 1, 2, 4])
        var claimed: [Int] = []
        while let position = slots.claim() {
            claimed.append(position)
            slots[position] = .success(position * 10)
        }
        #expect(claimed == [5, 3, 0, 1, 2, 4])
        #expect(try (0..<6).map { try slots.take($0).get() } == [0, 10, 20, 30, 40, 50])
    }

    @Test func resultsAreTakenAsTheyComeWithinTheWindow() throws {
        // Three whole files at the end of position order, handed out first; 40 slices before them.
        let whole = [42, 40, 41]
        let slots = ResultSlots<Int>(count: 43, window: 4, schedule: whole + Array(0..<40))
        let workers = DispatchGroup()
        for _ in 0..<2 {
            DispatchQueue.global().async(group: workers) {
                while let position = slots.claim() { slots[position] = .success(position * 2) }
            }
        }
        var taken: [Int: Int] = [:]
        for _ in 0..<43 {
            let (position, value) = slots.takeAny()
            taken[position] = try value.get()
        }
        workers.wait()
        #expect(taken == Dictionary(uniqueKeysWithValues: (0..<43).map { ($0, $0 * 2) }))
    }
}
