/// A reader of one file's records, whatever its format: the shape `CSVReader` and
/// `XMLRecordReader` share, so that one generic loop reads every format.
///
/// The current record is a view into the reader's buffer, valid until the next `advance()`; no
/// string is made for it unless someone asks.
///
/// ```swift
/// while try reader.advance() {
///     let line = reader.recordLine
///     reader.withRecord { bytes, fields in … }
/// }
/// ```
public protocol RecordReader: AnyObject {
    /// Moves to the next record; false at the end. Throws only faults of the whole file.
    func advance() throws(FormatError) -> Bool
    /// Calls `body` with the current record's bytes (UTF-8 or the file's encoding) and the spans of
    /// its fields (CSV: every column; XML: the mapped fields).
    func withRecord<Result>(_ body: (UnsafeBufferPointer<UInt8>, [FieldSpan]) throws -> Result) rethrows -> Result
    /// The current record's fingerprint, for duplicates (SPEC 2.1).
    var recordFingerprint: RowFingerprint { get }
    /// The line the current record starts on.
    var recordLine: Int { get }
    /// Bytes of the file (or range) consumed so far, for progress.
    var bytesConsumed: Int { get }
}

extension CSVReader: RecordReader {}
extension XMLRecordReader: RecordReader {}
