#if canImport(Glibc)
    import Glibc
#endif

/// A narrow, strict scanner for the records of a UTF-8 XML export: the fast path of reading a
/// college export (issue 24), with libxml2 (`XMLRecordReader`) as the reference it must agree with.
///
/// It understands exactly what the exports use, and checks it as XML 1.0 requires: the XML
/// declaration (version 1.0, encoding UTF-8 or none), comments, processing instructions, elements
/// with attributes, namespace prefixes declared in scope, text with the five predefined entities and
/// character references, CDATA sections, CR/LF line ends, UTF-8 and the characters XML allows.
/// Anything else — a document type declaration, any other encoding or entity, a name outside
/// ASCII, an undeclared prefix, a repeated attribute, a construct longer than the buffer limit,
/// nesting deeper than 200, and every error — is not decided here: the scanner stops with
/// `.handOver` and the reader lets libxml2 read the same records (`XMLExportReader`). So a file the
/// scanner reads gives the records libxml2 gives, and a file it cannot read gets libxml2's verdict
/// and message; nothing is refused or accepted on the scanner's word alone. Entities beyond the five
/// are never expanded and nothing is ever loaded (SPEC 2.4): the scanner has no way to.
///
/// A record's bytes are those of `XMLRecordReader` byte for byte (attributes in name order as
/// `@name␟value␟`, then each child's local name and text as `name␟text␟`, then the values of
/// mapped `/@` fields), and so are its fingerprint, its line (the line of the start tag's `>`)
/// and the spans of the mapped fields.
///
/// It reads a slice of the file (the records whose start tag begins in `range`, cut at record
/// starts by `XMLDocumentHead.cuts`) or the whole document. A slice after the first starts inside
/// the document element, as its direct content.
struct XMLScanner {
    enum Outcome {
        /// A record is complete (`record`, `spans`, `line`, `fingerprint`, `start`).
        case record
        /// The window ends inside a construct: give more bytes (or, at the end of the file, the
        /// document is incomplete: hand over).
        case needMore
        /// The slice or the document is done: `end` is where the next record starts (the file's
        /// size after the document's end).
        case finished
        /// Something the scanner does not decide: libxml2 reads from here.
        case handOver
    }

    enum Phase { case prolog, content, epilog, done }

    // Configuration.
    /// The byte classes (`classTable`), held here so that the loops read a plain pointer.
    let classes = XMLScanner.classTable
    let recordName: [UInt8]
    let maxFieldBytes: Int
    /// Mapped child names with a cheap hash, mapped record attributes, mapped root attributes.
    let children: [(index: Int, name: [UInt8], hash: UInt64)]
    let recordAttributes: [(index: Int, name: [UInt8])]
    let rootFields: [(index: Int, name: String)]
    let fieldCount: Int
    /// The slice ends before this offset (records starting at or after it belong to the next).
    let sliceEnd: Int

    // Document state (outside records).
    var phase: Phase
    /// Elements open outside records (qualified names), the document element first.
    var openNames: [[UInt8]] = []
    /// Namespace prefixes declared in scope, with the depth of the element that declared them.
    var prefixes: [(prefix: [UInt8], depth: Int)] = []
    var rootAttributes: [String: String] = [:]
    var rootName: [UInt8] = []
    /// Newlines before the window position (the slice's first line is 0, a document's is 1).
    var line: Int
    /// Where the next slice begins, once `finished`.
    var end = 0

    // The current record.
    var record = ByteArena()
    var spans: [FieldSpan]
    var recordLine = 0
    var recordStart = 0
    var fingerprint = RowFingerprint(a: 0, b: 0)
    var partPairs = 0

    // Scratch, reused across records.
    private var attributeScratch = ByteArena()
    /// Values of attributes that are only checked.
    private var checkScratch = ByteArena()
    private var attributes: [(name: Range<Int>, value: Range<Int>)] = []
    /// The current tag's attribute names and namespace declarations.
    private var tagNames: [Range<Int>] = []
    private var tagPrefixes: [[UInt8]] = []
    private var elementNames: [(start: Int, count: Int)] = []
    private var nextChild = 0

    init(
        recordElement: String, mappedFields: [String], maxFieldBytes: Int, sliceEnd: Int, document: Bool,
        head: XMLDocumentHead?
    ) {
        recordName = Array(recordElement.utf8)
        self.maxFieldBytes = maxFieldBytes
        self.sliceEnd = sliceEnd
        let kinds = MappedFieldKinds(mappedFields)
        children = kinds.children.map { child in
            (child.index, child.name, child.name.withUnsafeBufferPointer { XMLScanner.nameHash($0.baseAddress!, $0.count) })
        }
        recordAttributes = kinds.recordAttributes
        rootFields = kinds.rootFields
        fieldCount = mappedFields.count
        spans = Array(repeating: .absent, count: mappedFields.count)
        if document {
            phase = .prolog
            line = 1
        } else {
            phase = .content
            line = 0
            if let head {
                openNames = [head.rootName]
                rootName = head.rootName
                prefixes = head.rootPrefixes.map { ($0, 1) }
                rootAttributes = head.rootAttributes
            }
        }
    }

    /// Frees the buffers (the scanner's owner calls this once, at its end).
    mutating func release() {
        record.free()
        attributeScratch.free()
        checkScratch.free()
    }

    // MARK: - Byte classes

    /// Byte classes, one table for the process (a pointer, so that the hot loops do not pay for a
    /// lazily initialised global on every byte): bit 1, a byte text may hold as is (printable ASCII
    /// other than `<`, `&`, `]`, plus tab); bit 2, a name byte (ASCII letters, digits, `_-.:`).
    nonisolated(unsafe) static let classTable: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for byte in 0..<256 {
            var value: UInt8 = 0
            if (byte >= 0x20 && byte < 0x7F && byte != 0x3C && byte != 0x26 && byte != 0x5D) || byte == 0x09 { value |= 1 }
            if (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F || byte == 0x2D
                || byte == 0x2E || byte == 0x3A
            {
                value |= 2
            }
            table[byte] = value
        }
        return UnsafePointer(table)
    }()

    @inline(__always) static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D }

    static func nameHash(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for index in 0..<count { hash = (hash ^ UInt64(bytes[index])) &* 0x100_0000_01B3 }
        return hash
    }

    // MARK: - Steps

    /// Scans from `position` in the window `[0, count)` (whose first byte is at file offset `base`)
    /// until a record is complete or the window must grow; `position` moves past what was consumed.
    mutating func step(_ window: UnsafePointer<UInt8>, count: Int, base: Int, position: inout Int, atEnd: Bool) -> Outcome {
        while true {
            switch phase {
            case .done:
                return .finished
            case .prolog:
                let next = prolog(window, count, position)
                if next == Self.incomplete { return atEnd ? .handOver : .needMore }
                if next < 0 { return .handOver }
                line += Self.newlines(window, position, next)
                position = next
                phase = openNames.isEmpty ? .epilog : .content
            case .epilog:
                var p = position
                while p < count {
                    let byte = window[p]
                    if Self.isSpace(byte) {
                        if byte == 0x0A { line += 1 }
                        p += 1
                        continue
                    }
                    guard byte == 0x3C else { return .handOver }
                    let next = Self.misc(classes, window, count, p, cdataAllowed: false)
                    if next == Self.incomplete { break }
                    if next < 0 { return .handOver }
                    line += Self.newlines(window, p, next)
                    p = next
                }
                position = p
                if p < count { return atEnd ? .handOver : .needMore }
                guard atEnd else { return .needMore }
                end = base + count
                phase = .done
                return .finished
            case .content:
                let outcome = content(window, count: count, base: base, position: &position)
                if case .needMore = outcome, atEnd { return .handOver }
                if case .finished = outcome, phase == .epilog { continue }
                return outcome
            }
        }
    }

    static let incomplete = -1
    static let invalid = -2

    private static func newlines(_ window: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> Int {
        var count = 0
        var p = from
        while p < to {
            if window[p] == 0x0A { count += 1 }
            p += 1
        }
        return count
    }

    /// Content outside records: text (checked, dropped), comments, PIs, CDATA, other elements'
    /// tags, and records (parsed whole).
    private mutating func content(_ w: UnsafePointer<UInt8>, count n: Int, base: Int, position: inout Int) -> Outcome {
        var p = position
        while p < n {
            let byte = w[p]
            if byte != 0x3C {
                var counted = 0
                let next = Self.text(classes, w, n, p, into: nil, lines: &counted)
                if next == Self.incomplete {
                    position = p
                    return .needMore
                }
                if next < 0 { return .handOver }
                line += counted
                p = next
                continue
            }
            guard p + 1 < n else { break }
            let second = w[p + 1]
            if second == 0x2F {  // end tag
                let next = Self.endTag(classes, w, n, p, expected: openNames.last)
                if next == Self.incomplete { break }
                if next < 0 { return .handOver }
                line += Self.newlines(w, p, next)
                p = next
                openNames.removeLast()
                popPrefixes(deeperThan: openNames.count)
                if openNames.isEmpty {
                    position = p
                    phase = .epilog
                    return .finished
                }
                continue
            }
            if second == 0x21 || second == 0x3F {
                let next = Self.misc(classes, w, n, p, cdataAllowed: true)
                if next == Self.incomplete { break }
                if next < 0 { return .handOver }
                line += Self.newlines(w, p, next)
                p = next
                continue
            }
            // A start tag: a record, or an element around records.
            var nameEnd = p + 1
            while nameEnd < n, classes[Int(w[nameEnd])] & 2 != 0 { nameEnd += 1 }
            guard nameEnd < n else { break }
            let local = Self.localName(w, p + 1, nameEnd)
            if local.count == recordName.count, recordName.withUnsafeBufferPointer({ memcmp(w + local.lowerBound, $0.baseAddress!, $0.count) == 0 }) {
                // The slice ends at a record past its range, but only where the next slice's
                // assumption holds (nothing but the document element open); elsewhere it reads on.
                if base + p >= sliceEnd, openNames.count == 1 {
                    position = p
                    end = base + p
                    phase = .done
                    return .finished
                }
                let next = parseRecord(w, n, p, base: base)
                if next == Self.incomplete { break }
                if next < 0 { return .handOver }
                position = next
                return .record
            }
            let next = startTag(w, n, p, depth: openNames.count + 1, collect: false)
            if next.position == Self.incomplete { break }
            if next.position < 0 { return .handOver }
            line += Self.newlines(w, p, next.position)
            if !next.empty {
                guard openNames.count < 200 else { return .handOver }
                openNames.append(Array(UnsafeBufferPointer(start: w + p + 1, count: nameEnd - p - 1)))
            } else {
                popPrefixes(deeperThan: openNames.count)
            }
            p = next.position
        }
        position = p
        return .needMore
    }

    /// Forgets the declarations of elements deeper than `depth` (they are kept in depth order).
    @inline(__always) private mutating func popPrefixes(deeperThan depth: Int) {
        while let last = prefixes.last, last.depth > depth { prefixes.removeLast() }
    }

    /// The part of a qualified name after its colon (the whole name without one).
    @inline(__always) private static func localName(_ w: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int> {
        var p = end - 1
        while p >= start {
            if w[p] == 0x3A { return (p + 1)..<end }
            p -= 1
        }
        return start..<end
    }

    /// Checks a name: ASCII name characters, not starting with a digit, `-` or `.`, at most one
    /// colon and not at either end. Returns false for anything else (libxml2 decides those).
    @inline(__always) private static func validName(_ w: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        guard end > start, end - start <= 1000 else { return false }
        let first = w[start]
        if (first >= 0x30 && first <= 0x39) || first == 0x2D || first == 0x2E || first == 0x3A { return false }
        var colons = 0
        for p in start..<end where w[p] == 0x3A { colons += 1 }
        return colons == 0 || (colons == 1 && w[end - 1] != 0x3A)
    }

    /// True when the name's prefix (if any) is declared in scope (`xml` always is), or among the
    /// declarations of the tag being read.
    private func prefixDeclared(_ w: UnsafePointer<UInt8>, _ start: Int, _ end: Int, pending: [[UInt8]]) -> Bool {
        var colon = -1
        for p in start..<end where w[p] == 0x3A {
            colon = p
            break
        }
        guard colon >= 0 else { return true }
        let prefix = UnsafeBufferPointer(start: w + start, count: colon - start)
        if prefix.elementsEqual("xml".utf8) { return true }
        if pending.contains(where: { $0.elementsEqual(prefix) }) { return true }
        return prefixes.contains { $0.prefix.elementsEqual(prefix) }
    }

    /// A start tag at `p` (`<` name attributes `>` or `/>`), checked. With `collect`, its non-namespace
    /// attributes are gathered in `attributes` (names as ranges of the window, values decoded into
    /// `attributeScratch`). Namespace declarations are added to `prefixes` at `depth`.
    private mutating func startTag(_ w: UnsafePointer<UInt8>, _ n: Int, _ p: Int, depth: Int, collect: Bool) -> (position: Int, empty: Bool) {
        var q = p + 1
        let nameStart = q
        while q < n, classes[Int(w[q])] & 2 != 0 { q += 1 }
        guard q < n else { return (Self.incomplete, false) }
        let nameEnd = q
        guard Self.validName(w, nameStart, nameEnd) else { return (Self.invalid, false) }
        if collect {
            attributes.removeAll(keepingCapacity: true)
            attributeScratch.count = 0
        }
        if !tagNames.isEmpty { tagNames.removeAll(keepingCapacity: true) }
        if !tagPrefixes.isEmpty { tagPrefixes.removeAll(keepingCapacity: true) }
        while true {
            guard q < n else { return (Self.incomplete, false) }
            var spaced = false
            while q < n, Self.isSpace(w[q]) {
                q += 1
                spaced = true
            }
            guard q < n else { return (Self.incomplete, false) }
            let byte = w[q]
            if byte == 0x3E {
                q += 1
                break
            }
            if byte == 0x2F {
                guard q + 1 < n else { return (Self.incomplete, false) }
                guard w[q + 1] == 0x3E else { return (Self.invalid, false) }
                q += 2
                guard prefixDeclared(w, nameStart, nameEnd, pending: tagPrefixes) else { return (Self.invalid, false) }
                for range in tagNames where !prefixDeclared(w, range.lowerBound, range.upperBound, pending: tagPrefixes) { return (Self.invalid, false) }
                for prefix in tagPrefixes { prefixes.append((prefix, depth)) }
                return (q, true)
            }
            guard spaced else { return (Self.invalid, false) }
            // An attribute.
            let attributeStart = q
            while q < n, classes[Int(w[q])] & 2 != 0 { q += 1 }
            guard q < n else { return (Self.incomplete, false) }
            let attributeEnd = q
            guard Self.validName(w, attributeStart, attributeEnd) else { return (Self.invalid, false) }
            while q < n, Self.isSpace(w[q]) { q += 1 }
            guard q < n else { return (Self.incomplete, false) }
            guard w[q] == 0x3D else { return (Self.invalid, false) }
            q += 1
            while q < n, Self.isSpace(w[q]) { q += 1 }
            guard q < n else { return (Self.incomplete, false) }
            let quote = w[q]
            guard quote == 0x22 || quote == 0x27 else { return (Self.invalid, false) }
            q += 1
            let valueStart = q
            // The raw value: no `<`, ends at the quote.
            while q < n, w[q] != quote {
                if w[q] == 0x3C { return (Self.invalid, false) }
                q += 1
            }
            guard q < n else { return (Self.incomplete, false) }
            let valueEnd = q
            q += 1
            let attributeName = UnsafeBufferPointer(start: w + attributeStart, count: attributeEnd - attributeStart)
            let isDefault = attributeName.count == 5 && memcmp(w + attributeStart, "xmlns", 5) == 0
            let isPrefix = attributeName.count > 6 && memcmp(w + attributeStart, "xmlns:", 6) == 0
            // The same local name twice (even under two prefixes): libxml2 decides.
            let local = Self.localName(w, attributeStart, attributeEnd)
            for other in tagNames {
                let otherLocal = Self.localName(w, other.lowerBound, other.upperBound)
                if otherLocal.count == local.count, memcmp(w + otherLocal.lowerBound, w + local.lowerBound, local.count) == 0 { return (Self.invalid, false) }
            }
            if isDefault || isPrefix {
                // A declaration: its value is checked like any attribute value; an empty prefix
                // declaration (`xmlns:p=""`) is not XML 1.0 namespaces: libxml2 decides.
                checkScratch.count = 0
                guard Self.attributeValue(w, valueStart, valueEnd, into: &checkScratch) else { return (Self.invalid, false) }
                if isPrefix {
                    guard checkScratch.count > 0 else { return (Self.invalid, false) }
                    let prefix = Array(attributeName[6...])
                    if prefix.elementsEqual("xml".utf8) || prefix.elementsEqual("xmlns".utf8) { return (Self.invalid, false) }
                    tagPrefixes.append(prefix)
                }
                continue
            }
            tagNames.append(attributeStart..<attributeEnd)
            if collect {
                let decodedStart = attributeScratch.count
                guard Self.attributeValue(w, valueStart, valueEnd, into: &attributeScratch) else { return (Self.invalid, false) }
                attributes.append((local, decodedStart..<attributeScratch.count))
            } else {
                checkScratch.count = 0
                guard Self.attributeValue(w, valueStart, valueEnd, into: &checkScratch) else { return (Self.invalid, false) }
            }
        }
        guard prefixDeclared(w, nameStart, nameEnd, pending: tagPrefixes) else { return (Self.invalid, false) }
        for range in tagNames where !prefixDeclared(w, range.lowerBound, range.upperBound, pending: tagPrefixes) { return (Self.invalid, false) }
        for prefix in tagPrefixes { prefixes.append((prefix, depth)) }
        return (q, false)
    }

    /// An end tag at `p` (`</` name S? `>`) whose name must equal `expected`.
    private static func endTag(_ classes: UnsafePointer<UInt8>, _ w: UnsafePointer<UInt8>, _ n: Int, _ p: Int, expected: [UInt8]?) -> Int {
        guard let expected else { return Self.invalid }
        return expected.withUnsafeBufferPointer { Self.endTag(classes, w, n, p, expected: $0.baseAddress!, count: $0.count) }
    }

    @inline(__always) private static func endTag(
        _ classes: UnsafePointer<UInt8>, _ w: UnsafePointer<UInt8>, _ n: Int, _ p: Int, expected: UnsafePointer<UInt8>, count: Int
    ) -> Int {
        var q = p + 2
        let nameStart = q
        while q < n, classes[Int(w[q])] & 2 != 0 { q += 1 }
        guard q < n else { return Self.incomplete }
        guard q - nameStart == count, memcmp(w + nameStart, expected, count) == 0 else { return Self.invalid }
        while q < n, Self.isSpace(w[q]) { q += 1 }
        guard q < n else { return Self.incomplete }
        return w[q] == 0x3E ? q + 1 : Self.invalid
    }

    /// A comment, processing instruction or CDATA section at `p` outside a field (checked, dropped),
    /// or `invalid` for any other `<!`.
    private static func misc(_ classes: UnsafePointer<UInt8>, _ w: UnsafePointer<UInt8>, _ n: Int, _ p: Int, cdataAllowed: Bool) -> Int {
        guard p + 1 < n else { return Self.incomplete }
        if w[p + 1] == 0x3F { return Self.processingInstruction(classes, w, n, p) }
        guard p + 3 < n else { return Self.incomplete }
        if w[p + 2] == 0x2D {
            return w[p + 3] == 0x2D ? Self.comment(w, n, p) : Self.invalid
        }
        return cdataAllowed ? Self.cdata(w, n, p, into: nil) : Self.invalid
    }

    /// `<!--` ... `-->`, without `--` inside.
    private static func comment(_ w: UnsafePointer<UInt8>, _ n: Int, _ p: Int) -> Int {
        let dashes = Self.characters(w, n, p + 4, upTo: 0x2D, 0x2D)
        if dashes < 0 { return dashes }
        guard dashes + 2 < n else { return Self.incomplete }
        return w[dashes + 2] == 0x3E ? dashes + 3 : Self.invalid
    }

    /// Characters XML allows from `q` up to the first `first second` pair: the pair's position.
    private static func characters(_ w: UnsafePointer<UInt8>, _ n: Int, _ start: Int, upTo first: UInt8, _ second: UInt8) -> Int {
        var q = start
        while q < n {
            if w[q] == first {
                guard q + 1 < n else { return Self.incomplete }
                if w[q + 1] == second { return q }
                q += 1
                continue
            }
            let next = Self.character(w, n, q)
            if next < 0 { return next }
            q = next
        }
        return Self.incomplete
    }

    /// `<?target data?>`; the target `xml` (any case) only in the declaration.
    private static func processingInstruction(_ classes: UnsafePointer<UInt8>, _ w: UnsafePointer<UInt8>, _ n: Int, _ p: Int) -> Int {
        var q = p + 2
        let nameStart = q
        while q < n, classes[Int(w[q])] & 2 != 0 { q += 1 }
        guard q < n else { return Self.incomplete }
        guard Self.validName(w, nameStart, q) else { return Self.invalid }
        // PI targets are NCNames for namespaces, and never `xml`.
        for r in nameStart..<q where w[r] == 0x3A { return Self.invalid }
        if q - nameStart == 3, (w[nameStart] | 0x20) == 0x78, (w[nameStart + 1] | 0x20) == 0x6D, (w[nameStart + 2] | 0x20) == 0x6C { return Self.invalid }
        if w[q] == 0x3F {
            guard q + 1 < n else { return Self.incomplete }
            return w[q + 1] == 0x3E ? q + 2 : Self.invalid
        }
        guard Self.isSpace(w[q]) else { return Self.invalid }
        let end = Self.characters(w, n, q, upTo: 0x3F, 0x3E)
        return end < 0 ? end : end + 2
    }

    /// `<![CDATA[` ... `]]>`; the text goes to `into` when given, as it stands.
    private static func cdata(_ w: UnsafePointer<UInt8>, _ n: Int, _ p: Int, into target: UnsafeMutablePointer<ByteArena>?) -> Int {
        guard p + 9 <= n else { return Self.incomplete }
        guard memcmp(w + p, "<![CDATA[", 9) == 0 else { return Self.invalid }
        var q = p + 9
        while q < n {
            let byte = w[q]
            if byte == 0x5D {
                guard q + 2 < n else { return Self.incomplete }
                if w[q + 1] == 0x5D && w[q + 2] == 0x3E { return q + 3 }
                target?.pointee.append(byte)
                q += 1
                continue
            }
            // No line-end normalisation here: libxml2's push parser hands a CDATA section on as
            // it stands, CR included, and the scanner gives the same bytes.
            let next = Self.character(w, n, q)
            if next < 0 { return next }
            target?.pointee.append(w + q, next - q)
            q = next
        }
        return Self.incomplete
    }

    /// One character at `q` that XML allows (tab, LF, CR, from space on; UTF-8 well formed, no
    /// surrogates, not U+FFFE or U+FFFF): the position after it.
    @inline(__always) private static func character(_ w: UnsafePointer<UInt8>, _ n: Int, _ q: Int) -> Int {
        let byte = w[q]
        if byte < 0x80 {
            return byte >= 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D ? q + 1 : Self.invalid
        }
        return Self.utf8(w, n, q)
    }

    /// A multi-byte UTF-8 sequence at `q`, checked.
    private static func utf8(_ w: UnsafePointer<UInt8>, _ n: Int, _ q: Int) -> Int {
        let lead = w[q]
        let length: Int
        var scalar: UInt32
        switch lead {
        case 0xC2...0xDF:
            length = 2
            scalar = UInt32(lead & 0x1F)
        case 0xE0...0xEF:
            length = 3
            scalar = UInt32(lead & 0x0F)
        case 0xF0...0xF4:
            length = 4
            scalar = UInt32(lead & 0x07)
        default: return Self.invalid
        }
        guard q + length <= n else { return Self.incomplete }
        for index in 1..<length {
            let next = w[q + index]
            guard next & 0xC0 == 0x80 else { return Self.invalid }
            scalar = scalar << 6 | UInt32(next & 0x3F)
        }
        switch length {
        case 3 where scalar < 0x800 || (scalar >= 0xD800 && scalar <= 0xDFFF) || scalar == 0xFFFE || scalar == 0xFFFF: return Self.invalid
        case 4 where scalar < 0x10000 || scalar > 0x10FFFF: return Self.invalid
        default: return q + length
        }
    }

    /// Text from `p` up to the next `<`: checked; with a target, appended decoded (references
    /// resolved, CR/LF and CR as LF). `incomplete` when the window ends first.
    @inline(__always) private static func text(
        _ classes: UnsafePointer<UInt8>, _ w: UnsafePointer<UInt8>, _ n: Int, _ p: Int, into target: UnsafeMutablePointer<ByteArena>?,
        lines: inout Int
    ) -> Int {
        var q = p
        var runStart = p
        var newlines = 0
        defer { lines += newlines }
        while q < n {
            let byte = w[q]
            if classes[Int(byte)] & 1 != 0 {
                q += 1
                continue
            }
            if byte == 0x3C {
                target?.pointee.append(w + runStart, q - runStart)
                return q
            }
            if byte == 0x0A {
                newlines += 1
                q += 1
                continue
            }
            if byte == 0x5D {
                guard q + 2 < n else { return Self.incomplete }
                if w[q + 1] == 0x5D && w[q + 2] == 0x3E { return Self.invalid }
                q += 1
                continue
            }
            if byte == 0x26 {
                target?.pointee.append(w + runStart, q - runStart)
                let next = Self.reference(w, n, q, into: target)
                if next < 0 { return next }
                q = next
                runStart = q
                continue
            }
            if byte == 0x0D {
                guard q + 1 < n else { return Self.incomplete }
                target?.pointee.append(w + runStart, q - runStart)
                target?.pointee.append(0x0A)
                if w[q + 1] == 0x0A {
                    newlines += 1  // a line counts at its LF
                    q += 2
                } else {
                    q += 1
                }
                runStart = q
                continue
            }
            let next = Self.character(w, n, q)
            if next < 0 { return next }
            q = next
        }
        return Self.incomplete
    }

    /// `&lt;` `&gt;` `&amp;` `&apos;` `&quot;` or a character reference at `p`, appended decoded.
    private static func reference(_ w: UnsafePointer<UInt8>, _ n: Int, _ p: Int, into target: UnsafeMutablePointer<ByteArena>?) -> Int {
        var q = p + 1
        while q < n, w[q] != 0x3B, q - p < 12 { q += 1 }
        guard q < n else { return Self.incomplete }
        guard w[q] == 0x3B else { return Self.invalid }
        let body = UnsafeBufferPointer(start: w + p + 1, count: q - p - 1)
        let value: UInt32
        if body.first == 0x23 {
            var scalar: UInt32 = 0
            let hex = body.count > 1 && body[1] == 0x78
            let digits = body.dropFirst(hex ? 2 : 1)
            guard !digits.isEmpty else { return Self.invalid }
            for digit in digits {
                let d: UInt32
                switch digit {
                case 0x30...0x39: d = UInt32(digit - 0x30)
                case 0x61...0x66 where hex: d = UInt32(digit - 0x61 + 10)
                case 0x41...0x46 where hex: d = UInt32(digit - 0x41 + 10)
                default: return Self.invalid
                }
                scalar = scalar * (hex ? 16 : 10) + d
                if scalar > 0x10FFFF { return Self.invalid }
            }
            let allowed =
                scalar == 0x09 || scalar == 0x0A || scalar == 0x0D || (scalar >= 0x20 && scalar <= 0xD7FF) || (scalar >= 0xE000 && scalar <= 0xFFFD)
                || scalar >= 0x10000
            guard allowed else { return Self.invalid }
            value = scalar
        } else if body.elementsEqual("lt".utf8) {
            value = 0x3C
        } else if body.elementsEqual("gt".utf8) {
            value = 0x3E
        } else if body.elementsEqual("amp".utf8) {
            value = 0x26
        } else if body.elementsEqual("apos".utf8) {
            value = 0x27
        } else if body.elementsEqual("quot".utf8) {
            value = 0x22
        } else {
            return Self.invalid  // another entity: never expanded; libxml2 words the refusal
        }
        if let target {
            for unit in UTF8.encode(Unicode.Scalar(value)!)! { target.pointee.append(unit) }
        }
        return q + 1
    }

    /// An attribute value's raw bytes, decoded and normalised as XML 1.0 requires (references
    /// resolved, tab, CR/LF, CR and LF as a space).
    private static func attributeValue(_ w: UnsafePointer<UInt8>, _ start: Int, _ end: Int, into target: inout ByteArena) -> Bool {
        var q = start
        while q < end {
            let byte = w[q]
            if byte == 0x26 {
                let mark = target.count
                let next = withUnsafeMutablePointer(to: &target) { Self.reference(w, end, q, into: $0) }
                if next < 0 { return false }
                // libxml2 (the reference) keeps an `&` from a reference in an attribute value as
                // `&#38;` when it does not replace entities; so does the scanner, byte for byte.
                if target.count == mark + 1, let base = target.base, base[mark] == 0x26 {
                    target.count = mark
                    for byte in "&#38;".utf8 { target.append(byte) }
                }
                q = next
                continue
            }
            if byte == 0x0D {
                target.append(0x20)
                q += q + 1 < end && w[q + 1] == 0x0A ? 2 : 1
                continue
            }
            if byte == 0x0A || byte == 0x09 {
                target.append(0x20)
                q += 1
                continue
            }
            let next = Self.character(w, end, q)
            if next < 0 { return false }
            target.append(w + q, next - q)
            q = next
        }
        return true
    }

    /// The prolog from the document's start: an optional UTF-8 byte-order mark, the XML
    /// declaration, comments, PIs and space, then the document element's start tag (its attributes
    /// kept). Returns the position after it.
    private mutating func prolog(_ w: UnsafePointer<UInt8>, _ n: Int, _ p: Int) -> Int {
        var q = p
        if n >= 3, w[0] == 0xEF, w[1] == 0xBB, w[2] == 0xBF { q = 3 }
        guard q + 5 < n else { return Self.incomplete }
        if memcmp(w + q, "<?xml", 5) == 0, Self.isSpace(w[q + 5]) {
            let next = Self.declaration(classes, w, n, q)
            if next < 0 { return next }
            q = next
        }
        while true {
            while q < n, Self.isSpace(w[q]) { q += 1 }
            guard q + 1 < n else { return Self.incomplete }
            guard w[q] == 0x3C else { return Self.invalid }
            let second = w[q + 1]
            if second == 0x3F || (second == 0x21 && q + 3 < n && w[q + 2] == 0x2D) {
                let next = Self.misc(classes, w, n, q, cdataAllowed: false)
                if next < 0 { return next }
                q = next
                continue
            }
            if second == 0x21 { return q + 3 < n ? Self.invalid : Self.incomplete }  // a DTD: never read here
            // The document element.
            var nameEnd = q + 1
            while nameEnd < n, classes[Int(w[nameEnd])] & 2 != 0 { nameEnd += 1 }
            guard nameEnd < n else { return Self.incomplete }
            let tag = startTag(w, n, q, depth: 1, collect: true)
            if tag.position < 0 { return tag.position }
            rootName = Array(UnsafeBufferPointer(start: w + q + 1, count: nameEnd - q - 1))
            var values: [String: String] = [:]
            attributeScratch.withBytes { scratch in
                for attribute in attributes {
                    let name = String(decoding: UnsafeBufferPointer(start: w + attribute.name.lowerBound, count: attribute.name.count), as: UTF8.self)
                    values[name] = String(decoding: UnsafeBufferPointer(rebasing: scratch[attribute.value]), as: UTF8.self)
                }
            }
            rootAttributes = values
            if tag.empty {
                prefixes.removeAll()
            } else {
                openNames = [rootName]
            }
            return tag.position
        }
    }

    /// `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` with only these forms.
    private static func declaration(_ classes: UnsafePointer<UInt8>, _ w: UnsafePointer<UInt8>, _ n: Int, _ p: Int) -> Int {
        var q = p + 5
        var seen: [String] = []
        while true {
            while q < n, Self.isSpace(w[q]) { q += 1 }
            guard q + 1 < n else { return Self.incomplete }
            if w[q] == 0x3F {
                guard w[q + 1] == 0x3E, seen.first == "version" else { return Self.invalid }
                return q + 2
            }
            let nameStart = q
            while q < n, classes[Int(w[q])] & 2 != 0 { q += 1 }
            guard q < n else { return Self.incomplete }
            let name = String(decoding: UnsafeBufferPointer(start: w + nameStart, count: q - nameStart), as: UTF8.self)
            while q < n, Self.isSpace(w[q]) { q += 1 }
            guard q < n else { return Self.incomplete }
            guard w[q] == 0x3D else { return Self.invalid }
            q += 1
            while q < n, Self.isSpace(w[q]) { q += 1 }
            guard q < n else { return Self.incomplete }
            let quote = w[q]
            guard quote == 0x22 || quote == 0x27 else { return Self.invalid }
            let valueStart = q + 1
            q = valueStart
            while q < n, w[q] != quote, q - valueStart < 40 { q += 1 }
            guard q < n else { return Self.incomplete }
            guard w[q] == quote else { return Self.invalid }
            let value = String(decoding: UnsafeBufferPointer(start: w + valueStart, count: q - valueStart), as: UTF8.self)
            q += 1
            switch name {
            case "version" where seen.isEmpty && value == "1.0": break
            case "encoding" where seen == ["version"] && value.lowercased() == "utf-8": break
            case "standalone" where seen.last != "standalone" && !seen.isEmpty && (value == "yes" || value == "no"): break
            default: return Self.invalid
            }
            seen.append(name)
            guard q < n else { return Self.incomplete }
            guard Self.isSpace(w[q]) || w[q] == 0x3F else { return Self.invalid }
        }
    }

    // MARK: - A record

    /// Parses the record whose start tag begins at `p`, whole: its attributes, its children's text,
    /// every tag in between checked. Fills `record`, `spans`, `recordLine`, `fingerprint`.
    private mutating func parseRecord(_ w: UnsafePointer<UInt8>, _ n: Int, _ p: Int, base: Int) -> Int {
        let depth = openNames.count + 1
        let tag = startTag(w, n, p, depth: depth, collect: true)
        defer { popPrefixes(deeperThan: depth - 1) }
        if tag.position < 0 { return tag.position }
        var q = tag.position
        var lineNow = line + Self.newlines(w, p, q - 1)
        recordLine = lineNow
        recordStart = base + p
        record.count = 0
        for index in spans.indices { spans[index] = .absent }
        pairs: do {
            // Attributes in name order (strcmp of the local names), as `@name␟value␟`.
            var order: [Int] = []
            if attributes.count > 1 {
                order = Array(attributes.indices)
                order.sort { a, b in
                    let x = attributes[a].name
                    let y = attributes[b].name
                    let common = min(x.count, y.count)
                    let c = memcmp(w + x.lowerBound, w + y.lowerBound, common)
                    return c != 0 ? c < 0 : x.count < y.count
                }
            }
            partPairs = 0
            for position in 0..<attributes.count {
                let attribute = attributes[attributes.count > 1 ? order[position] : position]
                record.append(0x40)
                record.append(w + attribute.name.lowerBound, attribute.name.count)
                record.append(0x1F)
                let valueStart = record.count
                if let scratch = attributeScratch.base { record.append(scratch + attribute.value.lowerBound, attribute.value.count) }
                for mapped in recordAttributes where spans[mapped.index].count < 0 && mapped.name.count == attribute.name.count {
                    if mapped.name.withUnsafeBufferPointer({ memcmp(w + attribute.name.lowerBound, $0.baseAddress!, $0.count) == 0 }) {
                        spans[mapped.index] = FieldSpan(start: Int32(valueStart), count: Int32(attribute.value.count))
                    }
                }
                record.append(0x1F)
                partPairs += 1
            }
        }
        if !tag.empty {
            // Content: children at level 1, their text (and their descendants' text) kept.
            elementNames.removeAll(keepingCapacity: true)
            var nameEnd = p + 1
            while classes[Int(w[nameEnd])] & 2 != 0 { nameEnd += 1 }
            elementNames.append((p + 1, nameEnd - p - 1))
            var textStart = 0
            var child = -1
            while true {
                guard q < n else { return Self.incomplete }
                let byte = w[q]
                let inField = elementNames.count >= 2
                if byte != 0x3C {
                    let next: Int
                    if inField {
                        next = withUnsafeMutablePointer(to: &record) { Self.text(classes, w, n, q, into: $0, lines: &lineNow) }
                        if record.count - textStart > maxFieldBytes { return Self.invalid }
                    } else {
                        next = Self.text(classes, w, n, q, into: nil, lines: &lineNow)
                    }
                    if next < 0 { return next }
                    q = next
                    continue
                }
                guard q + 1 < n else { return Self.incomplete }
                let second = w[q + 1]
                if second == 0x2F {
                    let open = elementNames[elementNames.count - 1]
                    let next = Self.endTag(classes, w, n, q, expected: w + open.start, count: open.count)
                    if next < 0 { return next }
                    lineNow += Self.newlines(w, q, next)
                    q = next
                    elementNames.removeLast()
                    popPrefixes(deeperThan: depth + elementNames.count - 1)
                    if elementNames.count == 1 {
                        if child >= 0 { spans[child] = FieldSpan(start: Int32(textStart), count: Int32(record.count - textStart)) }
                        record.append(0x1F)
                        partPairs += 1
                    } else if elementNames.isEmpty {
                        break
                    }
                    continue
                }
                if second == 0x21 {
                    guard q + 3 < n else { return Self.incomplete }
                    let next: Int
                    if w[q + 2] == 0x5B && inField {
                        next = withUnsafeMutablePointer(to: &record) { Self.cdata(w, n, q, into: $0) }
                        if record.count - textStart > maxFieldBytes { return Self.invalid }
                    } else {
                        next = Self.misc(classes, w, n, q, cdataAllowed: true)
                    }
                    if next < 0 { return next }
                    lineNow += Self.newlines(w, q, next)
                    q = next
                    continue
                }
                if second == 0x3F {
                    let next = Self.processingInstruction(classes, w, n, q)
                    if next < 0 { return next }
                    lineNow += Self.newlines(w, q, next)
                    q = next
                    continue
                }
                // A start tag inside the record.
                guard elementNames.count < 200 - openNames.count else { return Self.invalid }
                let level = elementNames.count
                var end = q + 1
                while end < n, classes[Int(w[end])] & 2 != 0 { end += 1 }
                guard end < n else { return Self.incomplete }
                if level == 1, w[end] == 0x3E, Self.validName(w, q + 1, end), memchr(w + q + 1, 0x3A, end - q - 1) == nil {
                    // The common field: `<Name>text</Name>`, read in one go.
                    let nameStart = q + 1
                    let nameCount = end - nameStart
                    record.append(w + nameStart, nameCount)
                    record.append(0x1F)
                    textStart = record.count
                    child = mappedChild(w + nameStart, nameCount)
                    if child >= 0 && spans[child].count >= 0 { child = -1 }  // the first of a repeated element counts
                    let textEnd = withUnsafeMutablePointer(to: &record) { Self.text(classes, w, n, end + 1, into: $0, lines: &lineNow) }
                    if textEnd < 0 { return textEnd }
                    if record.count - textStart > maxFieldBytes { return Self.invalid }
                    guard textEnd + 1 < n else { return Self.incomplete }
                    if w[textEnd + 1] == 0x2F {
                        let closed = Self.endTag(classes, w, n, textEnd, expected: w + nameStart, count: nameCount)
                        if closed < 0 { return closed }
                        lineNow += Self.newlines(w, textEnd, closed)
                        if child >= 0 { spans[child] = FieldSpan(start: Int32(textStart), count: Int32(record.count - textStart)) }
                        record.append(0x1F)
                        partPairs += 1
                        q = closed
                        continue
                    }
                    // Markup inside the field: the general loop goes on from there.
                    elementNames.append((nameStart, nameCount))
                    q = textEnd
                    continue
                }
                let inner = startTag(w, n, q, depth: depth + level, collect: false)
                if inner.position < 0 { return inner.position }
                if level == 1 {
                    let local = Self.localName(w, q + 1, end)
                    record.append(w + local.lowerBound, local.count)
                    record.append(0x1F)
                    textStart = record.count
                    child = mappedChild(w + local.lowerBound, local.count)
                    if child >= 0 && spans[child].count >= 0 { child = -1 }  // the first of a repeated element counts
                    if inner.empty {
                        if child >= 0 { spans[child] = FieldSpan(start: Int32(textStart), count: 0) }
                        record.append(0x1F)
                        partPairs += 1
                    }
                }
                lineNow += Self.newlines(w, q, inner.position)
                if inner.empty {
                    popPrefixes(deeperThan: depth + level - 1)
                } else {
                    elementNames.append((q + 1, end - q - 1))
                }
                q = inner.position
            }
        }
        line = lineNow
        fingerprint = record.withBytes { RowFingerprint(bytes: $0) }
        for (index, name) in rootFields {
            guard let value = rootAttributes[name] else { continue }
            spans[index] = FieldSpan(start: Int32(record.count), count: Int32(value.utf8.count))
            for byte in value.utf8 { record.append(byte) }
        }
        return q
    }

    /// The index in `mappedFields` of a child's local name, or -1. Children mostly come in the same
    /// order in every record: the one after the last match is tried first.
    @inline(__always) private mutating func mappedChild(_ name: UnsafePointer<UInt8>, _ count: Int) -> Int {
        guard !children.isEmpty else { return -1 }
        let hash = Self.nameHash(name, count)
        var index = nextChild
        for _ in 0..<children.count {
            if index >= children.count { index = 0 }
            let candidate = children[index]
            if candidate.hash == hash, candidate.name.count == count, candidate.name.withUnsafeBufferPointer({ memcmp(name, $0.baseAddress!, count) == 0 }) {
                nextChild = index + 1
                return candidate.index
            }
            index += 1
        }
        return -1
    }
}

/// A growable byte buffer without Array's per-append checks.
struct ByteArena {
    private(set) var base: UnsafeMutablePointer<UInt8>?
    private var capacity = 0
    var count = 0

    @inline(__always) mutating func append(_ byte: UInt8) {
        if count == capacity { grow(count + 1) }
        base![count] = byte
        count += 1
    }

    @inline(__always) mutating func append(_ bytes: UnsafePointer<UInt8>, _ length: Int) {
        guard length > 0 else { return }
        if count + length > capacity { grow(count + length) }
        (base! + count).update(from: bytes, count: length)
        count += length
    }

    private mutating func grow(_ needed: Int) {
        var next = max(capacity * 2, 256)
        while next < needed { next *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: next)
        if let base {
            bigger.update(from: base, count: count)
            base.deallocate()
        }
        base = bigger
        capacity = next
    }

    func withBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// Frees the memory (the arena is a value whose copies share it: only the owner calls this).
    mutating func free() {
        base?.deallocate()
        base = nil
        capacity = 0
        count = 0
    }
}
