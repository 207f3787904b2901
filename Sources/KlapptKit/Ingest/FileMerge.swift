import Foundation
import KlapptFormats

/// Puts the slices of one input file back together, in file order: checks that each slice began
/// where the one before it ended (else reads it again from there), turns relative line numbers into
/// the file's, drops exact duplicate rows (SPEC 2.1: the first occurrence in the file stays, with
/// its warnings; later copies count as duplicates only), and hands the accepted records to the
/// person index.
struct FileMerge {
    let source: SourceSpec
    let path: String
    private(set) var quarantined: [QuarantinedRow] = []
    private(set) var warnings: [String: [String: Int]] = [:]
    private(set) var quarantineColumns: [String] = []
    private var seen = RandomKeySet()
    private var rowsRead = 0
    private var duplicates = 0
    private var reasons: [String: Int] = [:]
    /// Where the next slice must begin, and the line it begins on.
    private var expectedStart: Int?
    private var nextLine = 1
    private(set) var newestStand: CivilDate?
    private var school: String?
    /// The line of the header row (lists), when title lines stand above it.
    var headerLine: Int?
    /// Rejected rows since the last row that was accepted or a duplicate: the candidates for
    /// footer rows once the file has ended.
    private var trailingRejections = 0
    /// Footer rows, for the quarantine file only (under the reason `fusszeile`).
    private(set) var footers: [QuarantinedRow] = []
    private var footerRows: Int { footers.count }

    init(source: SourceSpec, path: String) {
        self.source = source
        self.path = path
    }

    /// The file's account; its sha256 is the run's to fill in (the sums may be hashed later).
    var account: FileAccount {
        FileAccount(
            source: source.id, file: path, sha256: "", rowsRead: rowsRead,
            accepted: rowsRead - duplicates - quarantined.count, rejected: quarantined.count,
            duplicates: duplicates, reasons: reasons, superseded: 0, newestStand: newestStand?.iso, school: school,
            headerLine: headerLine.flatMap { $0 > 1 ? $0 : nil }, footerRows: footerRows > 0 ? footerRows : nil)
    }

    /// The file's last slice is merged: its table of row fingerprints is no longer needed (a
    /// file's account and rejections are kept until the files before it are done), and the rows
    /// after its last record that hold only a total or a note are footer rows, not rejections.
    mutating func endOfFile() {
        seen = RandomKeySet()
        guard type(of: source.format).isList else { return }
        while trailingRejections > 0, var last = quarantined.last, FileMerge.isNote(last.cells) {
            quarantined.removeLast()
            trailingRejections -= 1
            reasons[last.reason.rawValue]! -= 1
            if reasons[last.reason.rawValue] == 0 { reasons[last.reason.rawValue] = nil }
            rowsRead -= 1
            last.reason = .footerRow
            last.field = nil
            footers.insert(last, at: 0)
        }
    }

    /// A row that holds only a total or a note: at most two values ("Summe:", "263"), none of them
    /// a date (a record has an id, two names and a birth date).
    static func isNote(_ cells: [String]) -> Bool {
        let values = cells.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return values.count <= 2 && !values.contains(where: HeaderSearch.looksLikeDate)
    }

    /// Merges the next slice; `reread` reads a slice again (from the corrected start).
    /// How many rows ahead the duplicate table's slots are prefetched.
    static let prefetchDistance = 12

    mutating func merge(_ result: SliceResult, into index: inout PersonIndex, reread: (FileSlice) -> SliceResult) throws(KlapptError) {
        var result = result
        if let range = result.slice.range, let expected = expectedStart, range.lowerBound != expected {
            // The cut fell inside a record (a quoted line break): the slice before read past it.
            guard expected < range.upperBound else { return }  // ... and took the whole slice
            var corrected = result.slice
            corrected.range = expected..<range.upperBound
            corrected.firstLine = 0
            result = reread(corrected)
        }
        let lineOffset = result.slice.firstLine == 0 ? nextLine : 0
        if var failure = result.failure {
            if case .inputFormat(var error) = failure, let line = error.line {
                error.line = line + lineOffset
                failure = .inputFormat(error)
            }
            throw failure
        }
        quarantineColumns = result.quarantineColumns
        if let value = result.rootAttributes[source.expectation.schoolAttribute] { school = value }
        rowsRead += result.rowsRead
        var keep = [Bool](repeating: true, count: result.outcomes.count)
        let fingerprints = result.fingerprints
        for (row, outcome) in result.outcomes.enumerated() {
            // The table of a big file is far larger than the caches: its slots are asked for a few
            // rows ahead, so that the misses overlap (FileMerge was 6 % of a state's quarter).
            if row + FileMerge.prefetchDistance < fingerprints.count {
                let ahead = fingerprints[row + FileMerge.prefetchDistance]
                seen.prefetch(ahead.a, ahead.b)
            }
            let fingerprint = fingerprints[row]
            guard seen.insert(fingerprint.a, fingerprint.b) else {
                duplicates += 1
                keep[row] = false
                trailingRejections = 0
                continue
            }
            trailingRejections = outcome >= 0 ? 0 : trailingRejections + 1
            if outcome >= 0 {
                let record = result.records[Int(outcome)]
                if let stand = record.asOf, newestStand.map({ stand > $0 }) ?? true { newestStand = stand }
                index.add(record)
            } else {
                var rejection = result.rejections[Int(-1 - outcome)]
                rejection.line += lineOffset
                reasons[rejection.reason.rawValue, default: 0] += 1
                quarantined.append(rejection)
            }
        }
        for warning in result.warnings where keep[Int(warning.row)] {
            warnings[warning.kind, default: [:]][warning.value, default: 0] += 1
        }
        // Where the next slice must begin and the line it begins on.
        expectedStart = result.end
        nextLine = (result.slice.firstLine == 0 ? nextLine : result.slice.firstLine) + result.lineCount
    }
}
