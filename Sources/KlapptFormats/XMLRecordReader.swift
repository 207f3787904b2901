import CLibXML2

#if canImport(Glibc)
    import Glibc
#endif

/// One record element of an XML export: its attributes, its child elements' text (by local name)
/// and the line it starts on.
public struct XMLRecord: Sendable {
    public var line: Int
    public var attributes: [String: String]
    /// Text of each direct child element by local name. An element that is present but empty maps
    /// to "", an absent one has no entry (SPEC 2.1 `feld_fehlt` needs the difference).
    public var fields: [String: String]
    /// Fingerprint of the record's attributes and fields in document order, for duplicate detection.
    public var fingerprint: RowFingerprint
}

/// A streaming reader of record elements on libxml2's SAX2 push parser.
///
/// The file is fed to the parser in pieces; the parser's callbacks write each record as it goes by
/// into one byte buffer (`@attr`, value, then each child's name and text, every part followed by a
/// unit separator, which XML 1.0 text cannot contain) and note where the mapped fields' text lies.
/// No string and no dictionary is made per record unless `next()` is asked for one; `advance()` +
/// `withRecord` hand out the bytes (UTF-8, whatever the document's encoding). Records and fields
/// are matched by local name, so the namespace of an export may change without a pipeline change.
/// Text, CDATA and character references are concatenated; comments and processing instructions
/// are skipped. Memory holds the records of one piece of the file.
///
/// Security (SPEC 2.4): the parser never touches the network (`XML_PARSE_NONET`), never loads an
/// external DTD or entity (no `DTDLOAD`, no `NOENT`, and a process-wide entity loader that refuses
/// everything), and a document type declaration fails the file: the exports never need one, and
/// refusing it removes entity expansion ("billion laughs") as a whole class of attack. Only the five
/// predefined entities are known.
public final class XMLRecordReader {
    public let path: String
    public let recordElement: String
    /// Attributes of the document element (e.g. `Stand`, `Schulnummer`), known after the first record.
    public var rootAttributes: [String: String] { state.builder.rootAttributes }
    public let maxFieldBytes: Int
    /// The fields whose position `fieldSpans` gives: child names, `@attr` of the record, `/@attr`
    /// of the document element.
    public let mappedFields: [String]

    // The current record (after `advance()` returned true).
    public private(set) var recordLine = 0
    public private(set) var recordFingerprint = RowFingerprint(a: 0, b: 0)
    /// Per mapped field: where its text lies in the record's bytes; absent when the record lacks it.
    public private(set) var fieldSpans: [FieldSpan] = []

    /// Bytes of the file fed to the parser so far (for progress).
    public private(set) var bytesConsumed = 0

    private let fd: Int32
    private let state: ParseState
    private var context: xmlParserCtxtPtr?
    private var handler = xmlSAXHandler()
    private var chunk: UnsafeMutableRawBufferPointer
    private var finished = false
    private var current: RecordBuilder.Finished?

    /// Byte offset (libxml2's `xmlByteConsumed` at the record's start tag, which lies inside that
    /// tag) of the current record, when the reader was made with `offsets`.
    public private(set) var recordOffset = 0
    /// With `offsets`: where reading stopped, the offset inside the start tag of the first record past
    /// `offsets.upTo` (nil: the document ended first).
    public var stoppedAt: Int? { state.builder.stoppedAt }

    /// With `offsets`, only the records whose start tag's offset lies after `after` are handed out,
    /// and parsing stops at the first record past `upTo` that is a direct child of the document
    /// element (a slice of the file read again by the reference parser, `XMLExportReader`).
    public init(
        path: String, recordElement: String, mappedFields: [String] = [], maxFieldBytes: Int = 1 << 16, offsets: (after: Int, upTo: Int)? = nil
    ) throws(FormatError) {
        XMLRecordReader.installSafeDefaults()
        self.path = path
        self.recordElement = recordElement
        self.maxFieldBytes = maxFieldBytes
        self.mappedFields = mappedFields
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FormatError(.unreadable, file: path, message: "Datei kann nicht geöffnet werden.") }
        self.fd = fd
        chunk = .allocate(byteCount: 1 << 18, alignment: 16)
        state = ParseState(RecordBuilder(recordElement: recordElement, mappedFields: mappedFields, maxFieldBytes: maxFieldBytes, offsets: offsets))
        handler.initialized = XML_SAX2_MAGIC
        handler.startElementNs = { context, localName, _, _, _, _, attributeCount, _, attributes in
            ParseState.from(context).builder.startElement(localName, attributeCount: Int(attributeCount), attributes: attributes)
        }
        handler.endElementNs = { context, _, _, _ in ParseState.from(context).builder.endElement() }
        handler.characters = { context, bytes, length in ParseState.from(context).builder.characters(bytes, Int(length)) }
        handler.cdataBlock = { context, bytes, length in ParseState.from(context).builder.characters(bytes, Int(length)) }
        handler.internalSubset = { context, _, _, _ in
            ParseState.from(context).builder.forbid(
                .forbiddenDTD, "Dokumenttyp-Deklaration (DTD) gefunden: sie ist in Exporten nicht erlaubt und wird aus Sicherheitsgründen nicht verarbeitet.")
        }
        handler.reference = { context, _ in
            ParseState.from(context).builder.forbid(.forbiddenDTD, "Entity-Referenz gefunden: Entities werden aus Sicherheitsgründen nicht aufgelöst.")
        }
        handler.getEntity = { _, name in xmlGetPredefinedEntity(name) }
        handler.serror = { context, error in
            guard let context, let error else { return }
            ParseState.from(context).builder.libxmlError(error.pointee)
        }
        context = withUnsafeMutablePointer(to: &handler) { sax in
            xmlCreatePushParserCtxt(sax, Unmanaged.passUnretained(state).toOpaque(), nil, 0, path)
        }
        guard let context else {
            close(fd)
            chunk.deallocate()
            throw FormatError(.unreadable, file: path, message: "XML-Parser kann nicht angelegt werden.")
        }
        xmlCtxtUseOptions(context, Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue | XML_PARSE_NOCDATA.rawValue))
        state.builder.parser = context
    }

    deinit {
        if let context { xmlFreeParserCtxt(context) }
        close(fd)
        chunk.deallocate()
    }

    /// The next record with its attributes and fields as text, or nil at the end of the document.
    public func next() throws(FormatError) -> XMLRecord? {
        guard try advance() else { return nil }
        return withRecord { bytes, _ in
            var parts: [String] = []
            var start = 0
            for index in 0..<bytes.count where bytes[index] == 0x1F {
                parts.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
                start = index + 1
                if parts.count == 2 * state.builder.currentPartPairs { break }
            }
            var record = XMLRecord(line: recordLine, attributes: [:], fields: [:], fingerprint: recordFingerprint)
            for pair in stride(from: 0, to: parts.count - 1, by: 2) {
                if parts[pair].hasPrefix("@") {
                    record.attributes[String(parts[pair].dropFirst())] = parts[pair + 1]
                } else if record.fields[parts[pair]] == nil {
                    record.fields[parts[pair]] = parts[pair + 1]
                }
            }
            return record
        }
    }

    /// Moves to the next record; false at the end of the document. Its bytes and the spans of the
    /// mapped fields are then available through `withRecord` until the next call.
    public func advance() throws(FormatError) -> Bool {
        while !state.builder.hasFinishedRecords {
            state.builder.clearFinished()
            if let error = state.builder.failure { throw error.with(file: path) }
            guard !finished, let context else { return false }
            let count = read(fd, chunk.baseAddress, chunk.count)
            guard count >= 0 else { throw FormatError(.unreadable, file: path, message: "Lesefehler (\(String(cString: strerror(errno)))).") }
            bytesConsumed += count
            if count == 0 { finished = true }
            let status = xmlParseChunk(context, chunk.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(count), count == 0 ? 1 : 0)
            if let error = state.builder.failure { throw error.with(file: path) }
            if state.builder.stoppedAt != nil {
                finished = true
                continue
            }
            if status != 0 || context.pointee.wellFormed == 0 { throw parseFailure() }
        }
        let record = state.builder.popFinished()
        current = record
        recordLine = record.line
        recordOffset = record.offset
        recordFingerprint = record.fingerprint
        state.builder.copySpans(of: record, into: &fieldSpans)
        state.builder.currentPartPairs = record.partPairs
        return true
    }

    /// Calls `body` with the current record's bytes and the spans of the mapped fields.
    public func withRecord<Result>(_ body: (UnsafeBufferPointer<UInt8>, [FieldSpan]) throws -> Result) rethrows -> Result {
        guard let current else { return try body(UnsafeBufferPointer(start: nil, count: 0), fieldSpans) }
        return try state.builder.withBytes(of: current) { try body($0, fieldSpans) }
    }

    private func parseFailure() -> FormatError {
        var info = stat()
        if stat(path, &info) == 0, info.st_size == 0 {
            return FormatError(
                .truncated, file: path,
                message:
                    "Die Datei ist leer (0 Bytes): vermutlich ist der Export fehlgeschlagen oder die Übertragung abgebrochen. Bitte bei der Schule den Export neu anfordern."
            )
        }
        let line = state.builder.firstError?.line ?? Int(xmlSAX2GetLineNumber(context.map { UnsafeMutableRawPointer($0) }))
        let detail = state.builder.firstError?.message ?? "unbekannter Fehler"
        // The file ends while the document element is still open: cut off, even when the cut fell
        // right after a complete record (libxml2 then speaks of "extra content").
        if finished, state.builder.openElements > 0, !state.builder.insideRecord || detail.contains("Premature end") || detail.contains("Extra content") {
            return FormatError(
                .truncated, file: path, line: line,
                message:
                    "Die Datei endet, bevor das Wurzelelement geschlossen ist (\(state.builder.openElements == 1 ? "nach dem letzten vollständigen Datensatz" : "mitten in einem Datensatz")): sie ist abgeschnitten, vermutlich unvollständig übertragen. Bitte die vollständige Datei neu liefern lassen."
            )
        }
        if finished, state.builder.insideRecord {
            return FormatError(
                .truncated, file: path, line: line,
                message:
                    "Die Datei endet mitten in einem Datensatz: sie ist abgeschnitten, vermutlich unvollständig übertragen. Bitte die vollständige Datei neu liefern lassen."
            )
        }
        let kind: FormatError.Kind
        let message: String
        if detail.contains("encoding") || detail.contains("Input is not proper UTF-8") || detail.contains("Char 0x") {
            kind = .undecodable
            message =
                "Die Datei enthält hier Bytes, die nicht zur angegebenen Zeichenkodierung passen (die XML-Deklaration nennt sie, sonst UTF-8). Bitte bei der Schule einen neuen Export anfordern."
        } else if detail.contains("tag mismatch"), let open = state.builder.openRecord {
            // An element left open inside a record: libxml2 notices only where an enclosing element
            // closes, for a record often the file's last line; name the line the record opened in
            // (issue 23). The unclosed element is the first name of libxml2's "mismatch: X line N".
            let unclosed = detail.components(separatedBy: "mismatch: ").dropFirst().first?.split(separator: " ").first.map(String.init) ?? open.name
            let what =
                unclosed == open.name
                ? "Der Datensatz <\(open.name)>, der in dieser Zeile beginnt, wird nicht geschlossen (das schließende </\(open.name)> fehlt)."
                : "Im Datensatz <\(open.name)>, der in dieser Zeile beginnt, wird das Element <\(unclosed)> nicht geschlossen (das schließende </\(unclosed)> fehlt)."
            return FormatError(
                .malformed, file: path, line: open.line,
                message: "\(what) Die Datei wurde nicht verarbeitet. Bitte bei der Schule einen neuen Export anfordern.",
                technicalDetail: "libxml2, Zeile \(line): \(detail)")
        } else if detail.contains("Premature end") || detail.contains("EndTag") || (finished && state.builder.insideRecord) {
            kind = .truncated
            message = "Die Datei ist hier unvollständig (ein Element wird nicht geschlossen). Bitte bei der Schule einen neuen, vollständigen Export anfordern."
        } else {
            kind = .malformed
            message = "Die Datei ist hier kein wohlgeformtes XML. Bitte bei der Schule einen neuen Export anfordern (die Datei wurde nicht verarbeitet)."
        }
        return FormatError(kind, file: path, line: line, message: message, technicalDetail: "libxml2: \(detail)")
    }

    /// Initialises libxml2 once and replaces its external entity loader with one that loads nothing.
    private static let setUp: Void = {
        xmlInitParser()
        xmlSetExternalEntityLoader { _, _, _ in nil }
    }()

    static func installSafeDefaults() { _ = setUp }
}

/// The parser state the callbacks reach through libxml2's user-data pointer. Its one property is a
/// struct, so that a callback costs one dynamic exclusivity check, not one per field it touches.
private final class ParseState {
    var builder: RecordBuilder

    init(_ builder: RecordBuilder) { self.builder = builder }

    static func from(_ context: UnsafeMutableRawPointer?) -> ParseState {
        Unmanaged<ParseState>.fromOpaque(context!).takeUnretainedValue()
    }
}

/// What the SAX callbacks build: the record being parsed and the records finished in the current
/// piece of the file.
private struct RecordBuilder {
    struct Finished {
        var start: Int
        var count: Int
        var line: Int
        var offset: Int
        var fingerprint: RowFingerprint
        var spanStart: Int
        /// Attribute and child (name, text) pairs at the start of the bytes (the rest are root
        /// attribute values appended for mapped `/@` fields).
        var partPairs: Int
    }

    var parser: xmlParserCtxtPtr?
    let offsets: (after: Int, upTo: Int)?
    private var recordOffset = 0
    /// The record being parsed lies outside `offsets` and is not kept.
    private var skipping = false
    var stoppedAt: Int?
    let recordName: [UInt8]
    let maxFieldBytes: Int
    /// Mapped fields by kind: index in `mappedFields` and the name's bytes.
    let children: [(index: Int, name: [UInt8])]
    let recordAttributes: [(index: Int, name: [UInt8])]
    let rootFields: [(index: Int, name: String)]
    let fieldCount: Int
    var rootAttributes: [String: String] = [:]

    private var level = 0
    private var recordLevel = -1
    private var record: [UInt8] = []
    private var spans: [FieldSpan]
    private var pairs = 0
    private var recordLine = 0
    private var child = -1
    private var inChild = false
    private var textStart = 0

    /// libxml2 interns names: the same child name arrives as the same pointer every time, so the
    /// match against the mapped names is made once per distinct pointer.
    private var nameCache: [(name: UnsafePointer<xmlChar>, child: Int)] = []
    private var childNamePointer: UnsafePointer<xmlChar>?

    private var arena: [UInt8] = []
    private var spanArena: [FieldSpan] = []
    private var finished: [Finished] = []
    private var nextFinished = 0
    var currentPartPairs = 0

    var failure: FormatError?
    /// `failure != nil`, as a flag the callbacks can test without copying the error.
    private var failed = false
    var firstError: (line: Int, message: String)?

    var insideRecord: Bool { recordLevel >= 0 }
    /// The record element open now and the line it opened in.
    var openRecord: (name: String, line: Int)? { insideRecord ? (String(decoding: recordName, as: UTF8.self), recordLine) : nil }
    /// Elements opened and not yet closed (the document element counts).
    var openElements: Int { level }
    var hasFinishedRecords: Bool { nextFinished < finished.count }

    init(recordElement: String, mappedFields: [String], maxFieldBytes: Int, offsets: (after: Int, upTo: Int)?) {
        self.offsets = offsets
        recordName = Array(recordElement.utf8)
        self.maxFieldBytes = maxFieldBytes
        let kinds = MappedFieldKinds(mappedFields)
        children = kinds.children
        recordAttributes = kinds.recordAttributes
        rootFields = kinds.rootFields
        fieldCount = mappedFields.count
        spans = Array(repeating: .absent, count: mappedFields.count)
    }

    private var line: Int { Int(xmlSAX2GetLineNumber(parser.map { UnsafeMutableRawPointer($0) })) }

    private static func equal(_ name: UnsafePointer<xmlChar>, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { expected in
            strncmp(
                UnsafeRawPointer(name).assumingMemoryBound(to: CChar.self), UnsafeRawPointer(expected.baseAddress!).assumingMemoryBound(to: CChar.self),
                expected.count) == 0
                && name[expected.count] == 0
        }
    }

    private mutating func append(_ pointer: UnsafePointer<xmlChar>, _ count: Int) {
        record.append(contentsOf: UnsafeBufferPointer(start: pointer, count: count))
    }

    mutating func startElement(_ localName: UnsafePointer<xmlChar>?, attributeCount: Int, attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?) {
        guard let localName, !failed else { return }
        defer { level += 1 }
        if level == 0 {
            for index in 0..<attributeCount {
                let name = String(cString: attributes![5 * index]!)
                let start = attributes![5 * index + 3]!
                let end = attributes![5 * index + 4]!
                rootAttributes[name] = String(decoding: UnsafeBufferPointer(start: start, count: end - start), as: UTF8.self)
            }
            return
        }
        if recordLevel < 0 {
            guard RecordBuilder.equal(localName, recordName) else { return }
            if let offsets {
                recordOffset = Int(xmlByteConsumed(parser))
                // As the scanner: stop only at a record that is a direct child of the document
                // element (where the next slice starts); records past `upTo` deeper in are this slice's.
                if recordOffset > offsets.upTo, level == 1 {
                    stoppedAt = recordOffset
                    failed = true  // no error: the callbacks only stop
                    xmlStopParser(parser)
                    return
                }
                skipping = recordOffset <= offsets.after
            }
            recordLevel = level
            recordLine = line
            record.removeAll(keepingCapacity: true)
            for index in spans.indices { spans[index] = .absent }
            pairs = 0
            // Attributes in name order, so that their order in the file does not matter.
            var order: [Int] = []
            if attributeCount > 1 {
                order = Array(0..<attributeCount)
                order.sort {
                    strcmp(
                        UnsafeRawPointer(attributes![5 * $0]!).assumingMemoryBound(to: CChar.self),
                        UnsafeRawPointer(attributes![5 * $1]!).assumingMemoryBound(to: CChar.self)) < 0
                }
            }
            for position in 0..<attributeCount {
                let index = attributeCount > 1 ? order[position] : position
                let name = attributes![5 * index]!
                let start = attributes![5 * index + 3]!
                let end = attributes![5 * index + 4]!
                record.append(UInt8(ascii: "@"))
                append(name, strlen(UnsafeRawPointer(name).assumingMemoryBound(to: CChar.self)))
                record.append(0x1F)
                let valueStart = record.count
                append(start, end - start)
                for mapped in recordAttributes where RecordBuilder.equal(name, mapped.name) && spans[mapped.index].count < 0 {
                    spans[mapped.index] = FieldSpan(start: Int32(valueStart), count: Int32(end - start))
                }
                record.append(0x1F)
                pairs += 1
            }
            return
        }
        guard level == recordLevel + 1 else { return }
        let nameLength = strlen(UnsafeRawPointer(localName).assumingMemoryBound(to: CChar.self))
        append(localName, nameLength)
        record.append(0x1F)
        textStart = record.count
        inChild = true
        childNamePointer = localName
        var mappedIndex = -2
        for entry in nameCache where entry.name == localName {
            mappedIndex = entry.child
            break
        }
        if mappedIndex == -2 {
            mappedIndex = children.first { RecordBuilder.equal(localName, $0.name) }?.index ?? -1
            if nameCache.count < 64 { nameCache.append((localName, mappedIndex)) }
        }
        // The first of a repeated element counts.
        child = mappedIndex >= 0 && spans[mappedIndex].count < 0 ? mappedIndex : -1
    }

    mutating func endElement() {
        guard !failed else { return }
        level -= 1
        guard recordLevel >= 0 else { return }
        if level == recordLevel + 1, inChild {
            if child >= 0 { spans[child] = FieldSpan(start: Int32(textStart), count: Int32(record.count - textStart)) }
            record.append(0x1F)
            pairs += 1
            inChild = false
        } else if level == recordLevel {
            finishRecord()
        }
    }

    mutating func characters(_ bytes: UnsafePointer<xmlChar>?, _ count: Int) {
        guard inChild, let bytes, !failed else { return }
        append(bytes, count)
        if record.count - textStart > maxFieldBytes {
            forbid(.tooLong, "Ein Feld ist länger als \(maxFieldBytes) Bytes.", field: childNamePointer.map { String(cString: $0) })
        }
    }

    private mutating func finishRecord() {
        if skipping {
            skipping = false
            recordLevel = -1
            return
        }
        let fingerprint = record.withUnsafeBufferPointer { RowFingerprint(bytes: $0) }
        // Mapped attributes of the document element go behind the record's own parts.
        for (index, name) in rootFields {
            guard let value = rootAttributes[name] else { continue }
            spans[index] = FieldSpan(start: Int32(record.count), count: Int32(value.utf8.count))
            record.append(contentsOf: value.utf8)
        }
        finished.append(
            Finished(
                start: arena.count, count: record.count, line: recordLine, offset: recordOffset, fingerprint: fingerprint,
                spanStart: spanArena.count, partPairs: pairs))
        arena.append(contentsOf: record)
        spanArena.append(contentsOf: spans)
        recordLevel = -1
    }

    mutating func forbid(_ kind: FormatError.Kind, _ message: String, field: String? = nil) {
        if !failed { failure = FormatError(kind, file: "", line: line, field: field, message: message) }
        failed = true
        xmlStopParser(parser)
    }

    mutating func libxmlError(_ error: xmlError) {
        guard firstError == nil, error.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
        let message = error.message.map { String(cString: $0) } ?? "unbekannter Fehler"
        firstError = (Int(error.line), message.trimmingASCIIWhitespace())
    }

    mutating func popFinished() -> Finished {
        defer { nextFinished += 1 }
        return finished[nextFinished]
    }

    /// Forgets the finished records once all have been handed out.
    mutating func clearFinished() {
        guard nextFinished >= finished.count else { return }
        finished.removeAll(keepingCapacity: true)
        arena.removeAll(keepingCapacity: true)
        spanArena.removeAll(keepingCapacity: true)
        nextFinished = 0
    }

    mutating func copySpans(of record: Finished, into spans: inout [FieldSpan]) {
        if spans.count != fieldCount { spans = Array(repeating: .absent, count: fieldCount) }
        for index in 0..<fieldCount { spans[index] = spanArena[record.spanStart + index] }
    }

    func withBytes<Result>(of record: Finished, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try arena.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[record.start..<(record.start + record.count)])) }
    }
}

/// The mapped fields of an XML source by kind, each with its index in `mappedFields`: child
/// elements (`Name`), attributes of the record (`@Id`) and attributes of the document element
/// (`/@Stand`). Shared by libxml2's reader and the scanner.
struct MappedFieldKinds {
    var children: [(index: Int, name: [UInt8])] = []
    var recordAttributes: [(index: Int, name: [UInt8])] = []
    var rootFields: [(index: Int, name: String)] = []

    init(_ mappedFields: [String]) {
        for (index, name) in mappedFields.enumerated() {
            if name.hasPrefix("/@") {
                rootFields.append((index, String(name.dropFirst(2))))
            } else if name.hasPrefix("@") {
                recordAttributes.append((index, Array(name.dropFirst().utf8)))
            } else {
                children.append((index, Array(name.utf8)))
            }
        }
    }
}

extension FormatError {
    fileprivate func with(file: String) -> FormatError {
        var copy = self
        copy.file = file
        return copy
    }
}
