import Foundation
import KlapptFormats

#if canImport(Glibc)
    import Glibc
#endif

/// A stretch of one input file that one worker reads: a whole XML file, or the records of a CSV
/// file that start in a byte range (a big export is cut into several, read on all cores).
public struct FileSlice: Sendable {
    public var sourceIndex: Int
    public var fileIndex: Int
    public var path: String
    /// CSV: the byte range; its records' lines are counted from `firstLine`.
    public var range: Range<Int>?
    /// CSV: the line the range begins on, or 0 when that is known only after the slices before it
    /// are read (lines are then relative and fixed when the slices are merged).
    public var firstLine: Int
    /// The file's layout (`SourceFormat.Layout` of the source's format).
    public var layout: any Sendable
}

/// A row that validation rejected, for the quarantine file and the store.
public struct QuarantinedRow: Sendable {
    public var line: Int
    public var reason: ReasonCode
    public var field: String?
    public var cells: [String]
}

/// What a slice yields, in file order: every row's fingerprint (duplicates are found when slices
/// are merged, so that the first occurrence in the file is the one kept) and what became of it.
public struct SliceResult: Sendable {
    public var slice: FileSlice
    /// CSV: where the record after the slice starts, and how many lines the slice spans.
    public var end = 0
    public var lineCount = 0
    public var rowsRead = 0
    public var fingerprints: [RowFingerprint] = []
    /// Per row: the index in `records` (>= 0) or -1 - the index in `rejections`.
    public var outcomes: [Int32] = []
    public var records: [PseudoRecord] = []
    public var rejections: [QuarantinedRow] = []
    /// Warnings by row (position in `outcomes`).
    public var warnings: [(row: Int32, kind: String, value: String)] = []
    public var quarantineColumns: [String] = []
    /// XML: the attributes of the document element (the school number, the file's `Stand`).
    public var rootAttributes: [String: String] = [:]
    /// A problem that fails the file (lines relative when `slice.firstLine` is 0).
    public var failure: KlapptError?

    /// Records what became of a row: its fingerprint, then the pseudonymised record or the
    /// rejection (with the row's cells for the quarantine, decoded only then), then its warnings.
    mutating func take(_ record: PseudoRecord?, context: RowContext, fingerprint: RowFingerprint, cells: () -> [String]) {
        fingerprints.append(fingerprint)
        if let record {
            outcomes.append(Int32(records.count))
            records.append(record)
        } else if let rejection = context.rejection {
            outcomes.append(-1 - Int32(rejections.count))
            rejections.append(QuarantinedRow(line: rejection.origin.line, reason: rejection.reason, field: rejection.field, cells: cells()))
        } else {
            // A stage that ends a row must say why; silently losing it would break the accounting.
            outcomes.append(0)
            if failure == nil { failure = .internalError("Eine Stufe hat eine Zeile ohne Grund verworfen (\(slice.path)).") }
        }
        if !context.warnings.isEmpty {
            for entry in context.warnings.entries { warnings.append((Int32(outcomes.count - 1), entry.kind, entry.value)) }
        }
    }
}
