#if canImport(Glibc)
    import Glibc
#endif

/// What the start of an XML export says before its records: the document element with its
/// attributes and namespace prefixes, and whether the records are its direct children (then the
/// file can be cut at record starts and read on all cores).
public struct XMLDocumentHead: Sendable {
    public var rootName: [UInt8]
    public var rootPrefixes: [[UInt8]]
    public var rootAttributes: [String: String]
    /// The first record is a direct child of the document element.
    public var recordsAtTop: Bool

    /// The head of the file, read by the scanner from its first megabyte; nil when the scanner
    /// cannot read it (another encoding, a DTD, an error, no record in the first megabyte): then the
    /// whole file is one piece of work, read from its start.
    public static func read(path: String, recordElement: String) -> XMLDocumentHead? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let size = 1 << 20
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        defer { buffer.deallocate() }
        let count = pread(fd, buffer, size, 0)
        guard count > 0 else { return nil }
        var scanner = XMLScanner(recordElement: recordElement, mappedFields: [], maxFieldBytes: 1 << 16, sliceEnd: Int.max, document: true, head: nil)
        defer { scanner.release() }
        var position = 0
        guard case .record = scanner.step(buffer, count: count, base: 0, position: &position, atEnd: count < size) else { return nil }
        return XMLDocumentHead(
            rootName: scanner.rootName, rootPrefixes: scanner.prefixes.filter { $0.depth == 1 }.map(\.prefix),
            rootAttributes: scanner.rootAttributes, recordsAtTop: scanner.openNames.count == 1)
    }

    /// Byte ranges of about `sliceBytes` that each begin where a record's start tag seems to begin
    /// (`<Schueler` or `<p:Schueler` followed by space, `>` or `/`); the first begins at 0. A guess
    /// that falls inside a comment or CDATA section is noticed when the slices are merged (the slice
    /// before it ends elsewhere), and that slice is read again from the right place.
    public func cuts(path: String, size: Int, sliceBytes: Int, recordElement: String) -> [Range<Int>] {
        guard recordsAtTop, size > sliceBytes * 3 / 2 else { return [0..<size] }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [0..<size] }
        defer { close(fd) }
        let windowSize = 1 << 18
        let window = UnsafeMutablePointer<UInt8>.allocate(capacity: windowSize)
        defer { window.deallocate() }
        let name = Array(recordElement.utf8)
        var cuts = [0]
        var target = sliceBytes
        while target < size - sliceBytes / 2 {
            let count = pread(fd, window, windowSize, off_t(target))
            guard count > 0 else { break }
            if let offset = Self.recordStart(in: window, count: count, name: name) { cuts.append(target + offset) }
            target += sliceBytes
        }
        cuts.append(size)
        return zip(cuts, cuts.dropFirst()).compactMap { $0 < $1 ? $0..<$1 : nil }
    }

    static func recordStart(in w: UnsafePointer<UInt8>, count: Int, name: [UInt8]) -> Int? {
        var p = 0
        while p < count {
            guard let found = memchr(w + p, 0x3C, count - p) else { return nil }
            let start = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - w
            var q = start + 1
            // An optional prefix.
            var r = q
            while r < count, w[r] != 0x3A, w[r] != 0x20, w[r] != 0x3E, w[r] != 0x2F, w[r] != 0x3C, r - q < 64 { r += 1 }
            if r < count, w[r] == 0x3A { q = r + 1 }
            if q + name.count < count, name.withUnsafeBufferPointer({ memcmp(w + q, $0.baseAddress!, name.count) == 0 }) {
                let after = w[q + name.count]
                if XMLScanner.isSpace(after) || after == 0x3E || after == 0x2F { return start }
            }
            p = start + 1
        }
        return nil
    }
}

/// Reads the records of an XML export, or of a slice of one, with the scanner (`XMLScanner`) and
/// libxml2 as its reference: whatever the scanner does not decide — an encoding other than UTF-8,
/// a DTD, an error of any kind — libxml2 reads instead, from the file's start, keeping the records
/// of the slice that the scanner has not handed out yet. Errors, their lines and their messages are
/// therefore always libxml2's (`XMLRecordReader`). With `referenceOnly` (the pipeline's
/// `parser: libxml2`) libxml2 reads the whole file.
///
/// A slice's lines are counted from 0 at its start when `firstLine` is 0 (the merge adds the line
/// the slice begins on); a slice from the file's start counts from 1.
public final class XMLExportReader {
    public let path: String
    let recordElement: String
    let mappedFields: [String]
    let maxFieldBytes: Int
    let range: Range<Int>?
    let firstLine: Int

    private var scanner: XMLScanner
    private let document: Bool
    private var reference: XMLRecordReader?
    private var referenceOnly: Bool
    private var lineBase = 0
    private var rows = 0
    private var usesOffsets = false

    private let fd: Int32
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var filled = 0
    private var position = 0
    private var base: Int
    private var atEnd = false
    private var done = false
    private var lastRecordEnd: Int?
    /// The longest construct the scanner holds in memory before libxml2 takes over.
    private let bufferLimit = 64 << 20

    // The current record.
    public private(set) var recordLine = 0
    public private(set) var recordFingerprint = RowFingerprint(a: 0, b: 0)
    /// The record's place in the file: the byte offset of its start tag (any increasing number).
    public private(set) var recordOffset = 0
    /// After the last record: where the next slice must begin, and the lines this slice spans.
    public private(set) var nextRecordOffset = 0
    public private(set) var linesSpanned = 0
    /// libxml2 read (part of) this slice.
    public private(set) var handedOver = false

    public init(
        path: String, recordElement: String, mappedFields: [String], maxFieldBytes: Int = 1 << 16, range: Range<Int>? = nil, firstLine: Int = 1,
        head: XMLDocumentHead? = nil, referenceOnly: Bool = false
    ) throws(FormatError) {
        self.path = path
        self.recordElement = recordElement
        self.mappedFields = mappedFields
        self.maxFieldBytes = maxFieldBytes
        self.range = range
        self.firstLine = firstLine
        self.referenceOnly = referenceOnly
        document = (range?.lowerBound ?? 0) == 0
        base = range?.lowerBound ?? 0
        scanner = XMLScanner(
            recordElement: recordElement, mappedFields: mappedFields, maxFieldBytes: maxFieldBytes, sliceEnd: range?.upperBound ?? Int.max,
            document: document, head: head)
        capacity = 1 << 20
        buffer = .allocate(capacity: capacity)
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            buffer.deallocate()
            scanner.release()
            throw FormatError(.unreadable, file: path, message: "Datei kann nicht geöffnet werden.")
        }
        if referenceOnly || (!document && head == nil) { try startReference() }
    }

    deinit {
        close(fd)
        buffer.deallocate()
        scanner.release()
    }

    public var rootAttributes: [String: String] { reference?.rootAttributes ?? scanner.rootAttributes }
    public var fieldSpans: [FieldSpan] { reference?.fieldSpans ?? scanner.spans }
    /// Bytes of the slice read so far (for progress; libxml2, reading from the file's start, counts
    /// only from the slice's start).
    public var bytesConsumed: Int {
        let low = range?.lowerBound ?? 0
        if let reference { return max(0, reference.bytesConsumed - low) }
        return base + position - low
    }

    public func advance() throws(FormatError) -> Bool {
        if reference != nil { return try advanceReference() }
        guard !done else { return false }
        while true {
            let outcome = scanner.step(buffer, count: filled, base: base, position: &position, atEnd: atEnd)
            switch outcome {
            case .record:
                recordLine = scanner.recordLine
                recordFingerprint = scanner.fingerprint
                recordOffset = scanner.recordStart
                lastRecordEnd = base + position
                return true
            case .needMore:
                if try !refill() {
                    try startReference()
                    return try advanceReference()
                }
            case .finished:
                done = true
                nextRecordOffset = scanner.end
                linesSpanned = scanner.line - (document ? 1 : 0)
                return false
            case .handOver:
                try startReference()
                return try advanceReference()
            }
        }
    }

    public func withRecord<Result>(_ body: (UnsafeBufferPointer<UInt8>, [FieldSpan]) throws -> Result) rethrows -> Result {
        if let reference { return try reference.withRecord(body) }
        return try scanner.record.withBytes { try body($0, scanner.spans) }
    }

    /// Moves the unread bytes to the front and reads more; false when the buffer may not grow.
    private func refill() throws(FormatError) -> Bool {
        if position > 0 {
            (buffer).update(from: buffer + position, count: filled - position)
            base += position
            filled -= position
            position = 0
        }
        if filled == capacity {
            guard capacity < bufferLimit else { return false }
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
            bigger.update(from: buffer, count: filled)
            buffer.deallocate()
            buffer = bigger
            capacity *= 2
        }
        let count = pread(fd, buffer + filled, capacity - filled, off_t(base + filled))
        guard count >= 0 else { throw FormatError(.unreadable, file: path, message: "Lesefehler (\(String(cString: strerror(errno)))).") }
        if count == 0 { atEnd = true }
        filled += count
        return true
    }

    /// libxml2 takes over: it reads from the file's start and hands out the records of the slice
    /// after the last one the scanner handed out.
    private func startReference() throws(FormatError) {
        let low = range?.lowerBound ?? 0
        handedOver = !referenceOnly
        lineBase = firstLine == 0 ? 1 + (try newlines(0..<low)) : 0
        // Offsets only where records must be told apart: in a slice, or after records the scanner
        // handed out. (libxml2's `xmlByteConsumed` is cheap for UTF-8 but converts its buffer back
        // for other encodings; those files are handed over whole, before any record, and need none.)
        let offsets: (after: Int, upTo: Int)? = range == nil && lastRecordEnd == nil ? nil : (lastRecordEnd ?? low, range?.upperBound ?? Int.max)
        usesOffsets = offsets != nil
        reference = try XMLRecordReader(
            path: path, recordElement: recordElement, mappedFields: mappedFields, maxFieldBytes: maxFieldBytes, offsets: offsets)
    }

    private func advanceReference() throws(FormatError) -> Bool {
        guard let reference else { return false }
        do {
            guard try reference.advance() else {
                let low = range?.lowerBound ?? 0
                nextRecordOffset = try reference.stoppedAt.map { offset throws(FormatError) in try lastTagStart(before: offset) } ?? fileSize()
                linesSpanned = try newlines(low..<nextRecordOffset)
                return false
            }
        } catch {
            var error = error
            if let line = error.line { error.line = line - lineBase }
            throw error
        }
        recordLine = reference.recordLine - lineBase
        recordFingerprint = reference.recordFingerprint
        rows += 1
        recordOffset = usesOffsets ? reference.recordOffset : rows
        return true
    }

    private func fileSize() -> Int {
        var info = stat()
        return fstat(fd, &info) == 0 ? Int(info.st_size) : 0
    }

    /// The `<` of the start tag that `offset` lies in (a start tag holds no other `<`).
    private func lastTagStart(before offset: Int) throws(FormatError) -> Int {
        var end = offset
        let window = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 16)
        defer { window.deallocate() }
        while end > 0 {
            let start = max(0, end - (1 << 16))
            let count = pread(fd, window, end - start, off_t(start))
            guard count == end - start else { throw FormatError(.unreadable, file: path, message: "Lesefehler.") }
            var p = count - 1
            while p >= 0 {
                if window[p] == 0x3C { return start + p }
                p -= 1
            }
            end = start
        }
        return 0
    }

    /// The line breaks in a byte range of the file.
    private func newlines(_ range: Range<Int>) throws(FormatError) -> Int {
        var count = 0
        var offset = range.lowerBound
        let chunk = 1 << 20
        let window = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        defer { window.deallocate() }
        while offset < range.upperBound {
            let read = pread(fd, window, min(chunk, range.upperBound - offset), off_t(offset))
            guard read > 0 else { throw FormatError(.unreadable, file: path, message: "Lesefehler.") }
            var p = UnsafeRawPointer(window)
            var left = read
            while left > 0, let found = memchr(p, 0x0A, left) {
                count += 1
                let next = UnsafeRawPointer(found) + 1
                left -= next - p
                p = next
            }
            offset += read
        }
        return count
    }
}

extension XMLExportReader: RecordReader {}
