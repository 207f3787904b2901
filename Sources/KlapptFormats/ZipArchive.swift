import CLibZip

#if canImport(Glibc)
    import Glibc
#endif

/// A zip archive opened for reading its parts one at a time, in pieces (libzip): the container of an
/// Office Open XML workbook.
///
/// Hostile archives (SPEC 2.4 for this reader) fail with a `FormatError` before they cost more
/// than `limits` allow:
/// - what is not a zip at all is named by what it looks like (an old binary `.xls`, an encrypted
///   workbook, which Office stores as the same compound file, or text such as a CSV);
/// - a truncated archive (no central directory) is refused when opened; a damaged part when it is
///   read (libzip checks its CRC at its end). libzip's stricter `ZIP_CHECKCONS` is not used: it
///   refuses the zip64 workbooks libxlsxwriter writes, which Excel, LibreOffice and Python read;
/// - an encrypted part is refused, never guessed at;
/// - a part whose declared size is above `limits.maxPartBytes`, or whose declared size is more than
///   `limits.maxRatio` times its compressed size (past a small allowance), is refused before a byte is
///   inflated; while reading, a part that inflates to more than it declared is refused, and libzip
///   checks each part's CRC at its end. A zip bomb therefore costs at most one buffer of memory and
///   the time to inflate `maxPartBytes`.
public final class ZipArchive {
    /// Bounds of inflation. The defaults follow Apache POI's `ZipSecureFile` (a ratio of 100, i.e.
    /// its minimum inflate ratio of 0.01, and 4 GiB a part).
    public struct Limits: Sendable {
        public var maxPartBytes: Int
        public var maxRatio: Int
        /// Parts up to this size may exceed the ratio (small XML parts compress very well).
        public var ratioAllowanceBytes: Int

        public init(maxPartBytes: Int = 4 << 30, maxRatio: Int = 100, ratioAllowanceBytes: Int = 1 << 20) {
            self.maxPartBytes = maxPartBytes
            self.maxRatio = maxRatio
            self.ratioAllowanceBytes = ratioAllowanceBytes
        }
    }

    /// One part of the archive as its central directory describes it.
    public struct Entry: Sendable {
        public var index: Int
        public var name: String
        public var size: Int
        public var compressedSize: Int
        public var encrypted: Bool
    }

    public let path: String
    public let limits: Limits
    public let entries: [Entry]
    private let archive: OpaquePointer

    public init(path: String, limits: Limits = Limits()) throws(FormatError) {
        self.path = path
        self.limits = limits
        try ZipArchive.checkSignature(path)
        var code: Int32 = 0
        guard let archive = zip_open(path, ZIP_RDONLY, &code) else {
            throw ZipArchive.openFailure(code, path: path)
        }
        self.archive = archive
        var entries: [Entry] = []
        let count = zip_get_num_entries(archive, 0)
        for index in 0..<max(0, Int(count)) {
            var stat = zip_stat_t()
            zip_stat_init(&stat)
            guard zip_stat_index(archive, zip_uint64_t(index), 0, &stat) == 0, let name = stat.name else { continue }
            entries.append(
                Entry(
                    index: index, name: String(cString: name), size: Int(clamping: stat.size), compressedSize: Int(clamping: stat.comp_size),
                    encrypted: stat.encryption_method != UInt16(ZIP_EM_NONE)))
        }
        self.entries = entries
    }

    deinit { zip_discard(archive) }

    /// The part named `name` (OPC part names compare without regard to case).
    public func entry(named name: String) -> Entry? {
        let stripped = name.hasPrefix("/") ? String(name.dropFirst()) : name
        return entries.first { $0.name == stripped } ?? entries.first { $0.name.lowercased() == stripped.lowercased() }
    }

    /// Opens `entry` for reading in pieces, after the checks of its declared sizes.
    public func open(_ entry: Entry) throws(FormatError) -> Stream {
        if entry.encrypted {
            throw FormatError(
                .encrypted, file: path,
                message:
                    "Die Arbeitsmappe ist mit einem Kennwort verschlüsselt (Teil „\(entry.name)“). klappt liest keine verschlüsselten Dateien: bitte die Mappe in Excel ohne Kennwort als .xlsx speichern und über einen sicheren Weg neu liefern lassen."
            )
        }
        if entry.size > limits.maxPartBytes {
            throw FormatError(
                .inflationLimit, file: path,
                message:
                    "Der Teil „\(entry.name)“ wäre entpackt \(ZipArchive.megabytes(entry.size)) groß, erlaubt sind höchstens \(ZipArchive.megabytes(limits.maxPartBytes)). Die Datei wird nicht entpackt (Schutz vor Zip-Bomben). Bitte die Liste auf mehrere Dateien verteilen oder als CSV liefern lassen."
            )
        }
        if entry.size > limits.ratioAllowanceBytes, entry.size / max(1, entry.compressedSize) > limits.maxRatio {
            throw FormatError(
                .inflationLimit, file: path,
                message:
                    "Der Teil „\(entry.name)“ würde sich beim Entpacken auf das \(entry.size / max(1, entry.compressedSize))-Fache vergrößern (\(ZipArchive.megabytes(entry.compressedSize)) → \(ZipArchive.megabytes(entry.size))); echte Arbeitsmappen kommen auf höchstens das \(limits.maxRatio)-Fache. Die Datei wird nicht entpackt (Schutz vor Zip-Bomben). Bitte die Herkunft der Datei prüfen und die Liste neu aus dem Fachverfahren speichern lassen."
            )
        }
        guard let file = zip_fopen_index(archive, zip_uint64_t(entry.index), 0) else {
            throw ZipArchive.readFailure(zip_error_code_zip(zip_get_error(archive)), path: path, part: entry.name)
        }
        return Stream(file: file, entry: entry, path: path)
    }

    /// The whole part as bytes, for the small parts (workbook, relationships, styles); at most
    /// `limit` bytes.
    public func contents(of entry: Entry, limit: Int) throws(FormatError) -> [UInt8] {
        guard entry.size <= limit else {
            throw FormatError(
                .inflationLimit, file: path,
                message:
                    "Der Teil „\(entry.name)“ ist für seine Art unplausibel groß (\(ZipArchive.megabytes(entry.size))): die Datei wird nicht weiter gelesen.")
        }
        let stream = try open(entry)
        var bytes = [UInt8](repeating: 0, count: entry.size)
        var filled = 0
        try bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(FormatError) in
                while filled < entry.size {
                    let count = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
                    if count == 0 { break }
                    filled += count
                }
            }
        }.get()
        // A part that ends before its declared size is damaged; one that goes on past it `read` refuses.
        guard filled == entry.size, try stream.atEnd() else { throw ZipArchive.damaged(path: path, part: entry.name) }
        return bytes
    }

    /// A part being inflated: `read` hands out the next bytes.
    public final class Stream {
        public let entry: Entry
        public let path: String
        /// Bytes handed out so far.
        public private(set) var produced = 0
        private var file: OpaquePointer?

        init(file: OpaquePointer, entry: Entry, path: String) {
            self.file = file
            self.entry = entry
            self.path = path
        }

        deinit { if let file { zip_fclose(file) } }

        /// Fills the start of `buffer`; 0 at the end of the part.
        public func read(into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) -> Int {
            guard let file, let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
            // Never more than one byte beyond the declared size: that byte proves the lie.
            let wanted = min(buffer.count, entry.size - produced + 1)
            let count = zip_fread(file, base, zip_uint64_t(wanted))
            guard count >= 0 else { throw ZipArchive.readFailure(zip_error_code_zip(zip_file_get_error(file)), path: path, part: entry.name) }
            produced += Int(count)
            if produced > entry.size {
                throw FormatError(
                    .inflationLimit, file: path,
                    message:
                        "Der Teil „\(entry.name)“ ist entpackt größer, als das Archiv angibt (\(ZipArchive.megabytes(entry.size))): die Datei ist beschädigt oder manipuliert und wird nicht weiter gelesen. Bitte die Arbeitsmappe neu aus dem Fachverfahren speichern lassen."
                )
            }
            return Int(count)
        }

        /// Whether the part has ended (reads one more time; libzip checks the CRC there).
        public func atEnd() throws(FormatError) -> Bool {
            var probe: UInt8 = 0
            return try withUnsafeMutableBytes(of: &probe) { buffer in Result { () throws(FormatError) in try read(into: buffer) == 0 } }.get()
        }
    }

    // MARK: - What a file is when it is not a workbook

    /// Refuses, by its first bytes, a file that is no zip archive, naming what it looks like.
    static func checkSignature(_ path: String) throws(FormatError) {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FormatError(.unreadable, file: path, message: "Datei kann nicht geöffnet werden.") }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 512)
        let count = head.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 512) }
        head = Array(head.prefix(max(0, count)))
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return }
        if head.isEmpty {
            throw FormatError(
                .truncated, file: path, message: "Die Datei ist leer. Bitte die Arbeitsmappe neu speichern und neu liefern lassen.")
        }
        if head.starts(with: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            // Office stores a password-protected .xlsx as a compound file with an "EncryptedPackage" stream.
            if compoundFileNamesEncryptedPackage(path) {
                throw FormatError(
                    .encrypted, file: path,
                    message:
                        "Die Arbeitsmappe ist mit einem Kennwort verschlüsselt. klappt liest keine verschlüsselten Dateien: bitte die Mappe in Excel ohne Kennwort als .xlsx speichern (Datei › Informationen › Arbeitsmappe schützen › Mit Kennwort verschlüsseln: Kennwort leeren) und über einen sicheren Weg neu liefern lassen."
                )
            }
            throw FormatError(
                .wrongFileType, file: path,
                message:
                    "Die Datei ist eine alte Excel-Arbeitsmappe im Binärformat (.xls, Excel 97–2003), keine .xlsx. Bitte in Excel öffnen und als „Excel-Arbeitsmappe (*.xlsx)“ speichern, oder als CSV liefern lassen."
            )
        }
        let text = head.allSatisfy { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 >= 0x20 }
        throw FormatError(
            .wrongFileType, file: path,
            message: text
                ? "Die Datei ist keine Excel-Arbeitsmappe, sondern Text (wohl eine CSV-Datei mit der Endung .xlsx). Bitte als „Excel-Arbeitsmappe (*.xlsx)“ speichern lassen, oder die Quelle in der Pipeline-Datei mit format: csv lesen."
                : "Die Datei ist keine Excel-Arbeitsmappe (.xlsx): sie beginnt nicht wie ein ZIP-Archiv. Bitte die Liste in Excel als „Excel-Arbeitsmappe (*.xlsx)“ speichern und neu liefern lassen."
        )
    }

    /// Whether a compound file's directory names the stream "EncryptedPackage" (UTF-16LE), looked for
    /// in its first MiB.
    static func compoundFileNamesEncryptedPackage(_ path: String) -> Bool {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 1 << 20)
        let count = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 1 << 20) }
        guard count > 0 else { return false }
        let needle = Array("EncryptedPackage".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        let haystack = bytes.prefix(count)
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<start + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }

    static func openFailure(_ code: Int32, path: String) -> FormatError {
        switch code {
        case ZIP_ER_NOZIP, ZIP_ER_INCONS, ZIP_ER_EOF, ZIP_ER_SEEK, ZIP_ER_READ:
            return FormatError(
                .truncated, file: path,
                message:
                    "Die Arbeitsmappe ist beschädigt oder abgeschnitten (ihr ZIP-Verzeichnis fehlt oder passt nicht zum Inhalt), vermutlich unvollständig übertragen. Bitte die Datei neu speichern und neu liefern lassen."
            )
        case ZIP_ER_OPEN: return FormatError(.unreadable, file: path, message: "Datei kann nicht geöffnet werden.")
        case ZIP_ER_MULTIDISK:
            return FormatError(
                .wrongFileType, file: path, message: "Die Datei ist ein mehrteiliges ZIP-Archiv, keine Arbeitsmappe. Bitte als eine .xlsx-Datei liefern lassen."
            )
        default:
            return FormatError(
                .malformed, file: path,
                message: "Die Arbeitsmappe kann nicht geöffnet werden (ZIP-Fehler \(code)). Bitte die Datei neu speichern und neu liefern lassen.")
        }
    }

    static func readFailure(_ code: Int32, path: String, part: String) -> FormatError {
        switch code {
        case ZIP_ER_NOPASSWD, ZIP_ER_WRONGPASSWD, ZIP_ER_ENCRNOTSUPP:
            return FormatError(
                .encrypted, file: path,
                message: "Die Arbeitsmappe ist verschlüsselt (Teil „\(part)“). Bitte in Excel ohne Kennwort als .xlsx speichern und neu liefern lassen.")
        case ZIP_ER_COMPNOTSUPP:
            return FormatError(
                .malformed, file: path,
                message:
                    "Der Teil „\(part)“ ist mit einem Verfahren gepackt, das Arbeitsmappen nicht verwenden. Bitte die Mappe in Excel neu als .xlsx speichern lassen."
            )
        default:
            return damaged(path: path, part: part)
        }
    }

    static func damaged(path: String, part: String) -> FormatError {
        FormatError(
            .truncated, file: path,
            message:
                "Die Arbeitsmappe ist beschädigt: der Teil „\(part)“ lässt sich nicht vollständig entpacken (Prüfsumme oder Daten falsch), vermutlich unvollständig übertragen. Bitte die Datei neu speichern und neu liefern lassen."
        )
    }

    static func megabytes(_ bytes: Int) -> String {
        bytes >= 10 << 20 ? "\(bytes >> 20) MiB" : bytes >= 1 << 10 ? "\(bytes >> 10) KiB" : "\(bytes) Bytes"
    }
}
