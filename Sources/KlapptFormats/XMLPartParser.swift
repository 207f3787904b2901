import CLibXML2

/// Receives the SAX events of one XML part of a workbook (`XMLPartParser`). Subclasses override
/// what they need; names arrive as libxml2's interned local names (namespaces do not matter: the
/// transitional and the strict OOXML namespaces name the same elements).
class XMLPartHandler {
    /// Set by a handler that refuses what it reads; the parse stops there.
    var failure: FormatError?
    /// libxml2's first error (line in the part, its text), for the parser's message.
    fileprivate(set) var firstError: (line: Int, message: String)?
    func start(_ name: UnsafePointer<xmlChar>, _ attributes: XMLAttributes) {}
    func end(_ name: UnsafePointer<xmlChar>) {}
    func text(_ bytes: UnsafePointer<xmlChar>, _ count: Int) {}
    /// Where in the part the parse is, for messages (a worksheet's row).
    var place: (sheet: String?, line: Int?) { (nil, nil) }
}

/// The attributes of a start tag as libxml2's SAX2 hands them over (local name, prefix, URI, value
/// start, value end per attribute).
struct XMLAttributes {
    let base: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
    let count: Int

    /// The value of the attribute with local name `name` (any namespace), as bytes.
    func value(_ name: StaticString) -> UnsafeBufferPointer<UInt8>? {
        guard let base else { return nil }
        for index in 0..<count {
            let entry = base + 5 * index
            guard let local = entry[0], XMLAttributes.equal(local, name) else { continue }
            guard let start = entry[3], let end = entry[4] else { return UnsafeBufferPointer(start: nil, count: 0) }
            return UnsafeBufferPointer(start: start, count: end - start)
        }
        return nil
    }

    func string(_ name: StaticString) -> String? { value(name).map { String(decoding: $0, as: UTF8.self) } }

    /// Whether a NUL-terminated libxml2 name equals `name`.
    static func equal(_ pointer: UnsafePointer<xmlChar>, _ name: StaticString) -> Bool {
        let bytes = name.utf8Start
        for index in 0..<name.utf8CodeUnitCount where pointer[index] != bytes[index] { return false }
        return pointer[name.utf8CodeUnitCount] == 0
    }
}

/// libxml2's SAX2 push parser over one part of a workbook, fed in pieces.
///
/// Security (SPEC 2.4): as `XMLRecordReader`, it never touches the network, never loads a DTD or
/// an external entity, and refuses a document type declaration outright (no part of a workbook
/// has one), so entity expansion cannot happen.
final class XMLPartParser {
    let file: String
    let part: String
    private let handler: XMLPartHandler
    private var handlerTable = xmlSAXHandler()
    private var context: xmlParserCtxtPtr?

    /// The handler behind libxml2's user-data pointer, borrowed without reference counting (the
    /// parser owns it for as long as libxml2 can call back).
    @inline(__always)
    private static func with(_ pointer: UnsafeMutableRawPointer?, _ body: (XMLPartHandler) -> Void) {
        Unmanaged<XMLPartHandler>.fromOpaque(pointer!)._withUnsafeGuaranteedRef(body)
    }

    init(handler: XMLPartHandler, file: String, part: String) throws(FormatError) {
        XMLRecordReader.installSafeDefaults()
        self.file = file
        self.part = part
        self.handler = handler
        handlerTable.initialized = XML_SAX2_MAGIC
        handlerTable.startElementNs = { context, localName, _, _, _, _, attributeCount, _, attributes in
            guard let localName else { return }
            XMLPartParser.with(context) { $0.start(localName, XMLAttributes(base: attributes, count: Int(attributeCount))) }
        }
        handlerTable.endElementNs = { context, localName, _, _ in
            guard let localName else { return }
            XMLPartParser.with(context) { $0.end(localName) }
        }
        handlerTable.characters = { context, bytes, length in
            guard let bytes else { return }
            XMLPartParser.with(context) { $0.text(bytes, Int(length)) }
        }
        handlerTable.cdataBlock = handlerTable.characters
        handlerTable.internalSubset = { context, _, _, _ in
            XMLPartParser.with(context) { handler in
                guard handler.failure == nil else { return }
                handler.failure = FormatError(
                    .forbiddenDTD, file: "",
                    message:
                        "Die Arbeitsmappe enthält eine Dokumenttyp-Deklaration (DTD): Excel schreibt keine, sie wird aus Sicherheitsgründen nicht verarbeitet. Bitte die Mappe neu aus dem Fachverfahren oder mit Excel speichern lassen."
                )
            }
        }
        handlerTable.reference = { context, _ in
            XMLPartParser.with(context) { handler in
                guard handler.failure == nil else { return }
                handler.failure = FormatError(
                    .forbiddenDTD, file: "", message: "Die Arbeitsmappe enthält eine Entity-Referenz: Entities werden aus Sicherheitsgründen nicht aufgelöst.")
            }
        }
        handlerTable.getEntity = { _, name in xmlGetPredefinedEntity(name) }
        handlerTable.serror = { context, error in
            guard let context, let error else { return }
            XMLPartParser.with(context) { handler in
                guard handler.firstError == nil else { return }
                handler.firstError = (Int(error.pointee.line), error.pointee.message.map { String(cString: $0) } ?? "")
            }
        }
        context = withUnsafeMutablePointer(to: &handlerTable) { sax in
            xmlCreatePushParserCtxt(sax, Unmanaged.passUnretained(handler).toOpaque(), nil, 0, part)
        }
        guard let context else { throw FormatError(.unreadable, file: file, message: "XML-Parser kann nicht angelegt werden.") }
        xmlCtxtUseOptions(context, Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue | XML_PARSE_NOCDATA.rawValue))
    }

    deinit { if let context { xmlFreeParserCtxt(context) } }

    /// Parses the next piece of the part; `last` for the end of the part.
    func feed(_ bytes: UnsafeRawBufferPointer, last: Bool) throws(FormatError) {
        guard let context else { return }
        let status = xmlParseChunk(context, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count), last ? 1 : 0)
        if var failure = handler.failure {
            xmlStopParser(context)
            failure.file = file
            let place = handler.place
            failure.sheet = failure.sheet ?? place.sheet
            failure.line = failure.line ?? place.line
            throw failure
        }
        if status != 0 || context.pointee.wellFormed == 0 {
            let place = handler.place
            let detail = handler.firstError?.message ?? ""
            // The parser's own words stay out of the sentence: a coordinator cannot act on them.
            let kind: FormatError.Kind = detail.contains("encoding") || detail.contains("UTF-8") || detail.contains("Char 0x") ? .undecodable : .malformed
            throw FormatError(
                kind, file: file, sheet: place.sheet, line: place.line,
                message:
                    "Der Teil „\(part)“ der Arbeitsmappe ist kein wohlgeformtes XML (dort Zeile \(handler.firstError?.line ?? 0)): die Datei ist beschädigt oder nicht von einem Tabellenprogramm geschrieben. Bitte die Mappe in Excel öffnen, neu als .xlsx speichern und neu liefern lassen."
            )
        }
    }

    /// Parses a whole part held in memory.
    func parse(_ bytes: [UInt8]) throws(FormatError) {
        try bytes.withUnsafeBytes { buffer in Result { () throws(FormatError) in try feed(buffer, last: true) } }.get()
    }

    /// Parses a part as it is inflated, in pieces of `chunk` bytes.
    func parse(_ stream: ZipArchive.Stream, chunk: Int = 1 << 16) throws(FormatError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try stream.read(into: buffer)
            try feed(UnsafeRawBufferPointer(rebasing: buffer[..<count]), last: count == 0)
            if count == 0 { return }
        }
    }
}
