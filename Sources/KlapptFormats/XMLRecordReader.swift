import CLibXML2

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

/// A streaming reader of record elements on libxml2's `xmlTextReader`.
///
/// Records and fields are matched by local name, so the namespace of an export may change without
/// a pipeline change. Text, CDATA and character references are concatenated; comments and
/// processing instructions are skipped. Memory holds one record.
///
/// Security (SPEC 2.4): the parser never touches the network (`XML_PARSE_NONET`), never loads an
/// external DTD or entity (no `DTDLOAD`, no `NOENT`, and a process-wide entity loader that refuses
/// everything), and a document type declaration fails the file: the exports never need one, and
/// refusing it removes entity expansion ("billion laughs") as a whole class of attack.
public final class XMLRecordReader {
    public let path: String
    public let recordElement: String
    /// Attributes of the document element (e.g. `Stand`, `Schulnummer`), known after the first record.
    public private(set) var rootAttributes: [String: String] = [:]
    public let maxFieldBytes: Int

    private let reader: xmlTextReaderPtr
    private let errors = ErrorSink()

    public init(path: String, recordElement: String, maxFieldBytes: Int = 1 << 16) throws(FormatError) {
        XMLRecordReader.installSafeDefaults()
        self.path = path
        self.recordElement = recordElement
        self.maxFieldBytes = maxFieldBytes
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue | XML_PARSE_NOCDATA.rawValue)
        guard let reader = xmlReaderForFile(path, nil, options) else {
            throw FormatError(.unreadable, file: path, message: "Datei kann nicht geöffnet werden.")
        }
        self.reader = reader
        xmlTextReaderSetStructuredErrorHandler(reader, { context, error in
            guard let context, let error else { return }
            let sink = Unmanaged<ErrorSink>.fromOpaque(context).takeUnretainedValue()
            if sink.first == nil, error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue {
                let message = error.pointee.message.map { String(cString: $0) } ?? "unbekannter Fehler"
                sink.first = (Int(error.pointee.line), message.trimmingASCIIWhitespace())
            }
        }, Unmanaged.passUnretained(errors).toOpaque())
    }

    deinit { xmlFreeTextReader(reader) }

    /// Bytes of the file the parser has consumed so far (for progress).
    public var bytesConsumed: Int { Int(xmlTextReaderByteConsumed(reader)) }

    /// The next record, or nil at the end of the document.
    public func next() throws(FormatError) -> XMLRecord? {
        var recordDepth: Int32 = -1
        var record = XMLRecord(line: 0, attributes: [:], fields: [:], fingerprint: RowFingerprint(parts: []))
        var parts: [String] = []
        var fieldName: String?
        var fieldText = ""
        while true {
            let status = xmlTextReaderRead(reader)
            if status == 0 {
                if recordDepth >= 0 { throw failure(.truncated, "Das Dokument endet mitten in einem Datensatz.") }
                return nil
            }
            if status < 0 { throw parseFailure() }
            let type = xmlTextReaderNodeType(reader)
            let depth = xmlTextReaderDepth(reader)
            switch type {
            case Int32(XML_READER_TYPE_DOCUMENT_TYPE.rawValue):
                throw failure(.forbiddenDTD, "Dokumenttyp-Deklaration (DTD) gefunden: sie ist in Exporten nicht erlaubt und wird aus Sicherheitsgründen nicht verarbeitet.")
            case Int32(XML_READER_TYPE_ENTITY_REFERENCE.rawValue):
                throw failure(.forbiddenDTD, "Entity-Referenz gefunden: Entities werden aus Sicherheitsgründen nicht aufgelöst.")
            case Int32(XML_READER_TYPE_ELEMENT.rawValue):
                let name = localName()
                let empty = xmlTextReaderIsEmptyElement(reader) == 1
                if depth == 0 {
                    rootAttributes = attributes()
                } else if recordDepth < 0, name == recordElement {
                    recordDepth = depth
                    record.line = currentLine()
                    record.attributes = attributes()
                    for key in record.attributes.keys.sorted() { parts.append("@" + key); parts.append(record.attributes[key]!) }
                    if empty { return finish(&record, parts) }
                } else if recordDepth >= 0, depth == recordDepth + 1 {
                    if empty {
                        store(name, "", in: &record, parts: &parts)
                    } else {
                        fieldName = name
                        fieldText = ""
                    }
                }
            case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue),
                 Int32(XML_READER_TYPE_SIGNIFICANT_WHITESPACE.rawValue), Int32(XML_READER_TYPE_WHITESPACE.rawValue):
                if fieldName != nil, let value = xmlTextReaderConstValue(reader) {
                    fieldText += String(cString: value)
                    if fieldText.utf8.count > maxFieldBytes {
                        throw failure(.tooLong, "Ein Feld ist länger als \(maxFieldBytes) Bytes.", field: fieldName)
                    }
                }
            case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
                if recordDepth >= 0, depth == recordDepth + 1, let name = fieldName {
                    store(name, fieldText, in: &record, parts: &parts)
                    fieldName = nil
                } else if recordDepth >= 0, depth == recordDepth {
                    return finish(&record, parts)
                }
            default:
                break
            }
        }
    }

    // MARK: - Helpers

    private func store(_ name: String, _ text: String, in record: inout XMLRecord, parts: inout [String]) {
        // A repeated child element keeps its first value; the fingerprint still sees both.
        if record.fields[name] == nil { record.fields[name] = text }
        parts.append(name)
        parts.append(text)
    }

    private func finish(_ record: inout XMLRecord, _ parts: [String]) -> XMLRecord {
        record.fingerprint = RowFingerprint(parts: parts)
        return record
    }

    /// The line of the current node as the parser recorded it (not the read-ahead position).
    private func currentLine() -> Int {
        if let node = xmlTextReaderCurrentNode(reader) { return Int(xmlGetLineNo(node)) }
        return Int(xmlTextReaderGetParserLineNumber(reader))
    }

    private func localName() -> String {
        guard let name = xmlTextReaderConstLocalName(reader) else { return "" }
        return String(cString: name)
    }

    private func attributes() -> [String: String] {
        var result: [String: String] = [:]
        guard xmlTextReaderHasAttributes(reader) == 1 else { return result }
        while xmlTextReaderMoveToNextAttribute(reader) == 1 {
            if xmlTextReaderIsNamespaceDecl(reader) == 1 { continue }
            let name = localName()
            let value = xmlTextReaderConstValue(reader).map { String(cString: $0) } ?? ""
            result[name] = value
        }
        xmlTextReaderMoveToElement(reader)
        return result
    }

    private func parseFailure() -> FormatError {
        let line = errors.first?.line ?? Int(xmlTextReaderGetParserLineNumber(reader))
        let detail = errors.first?.message ?? "unbekannter Fehler"
        let kind: FormatError.Kind
        if detail.contains("encoding") || detail.contains("Input is not proper UTF-8") || detail.contains("Char 0x") {
            kind = .undecodable
        } else if detail.contains("Premature end") || detail.contains("EndTag") {
            kind = .truncated
        } else {
            kind = .malformed
        }
        return FormatError(kind, file: path, line: line, message: "Kein wohlgeformtes XML (libxml2: \(detail)).")
    }

    private func failure(_ kind: FormatError.Kind, _ message: String, field: String? = nil) -> FormatError {
        FormatError(kind, file: path, line: currentLine(), field: field, message: message)
    }

    private final class ErrorSink {
        var first: (line: Int, message: String)?
    }

    /// Initialises libxml2 once and replaces its external entity loader with one that loads nothing.
    private static let setUp: Void = {
        xmlInitParser()
        xmlSetExternalEntityLoader { _, _, _ in nil }
    }()

    static func installSafeDefaults() { _ = setUp }
}
