import Foundation
import KlapptFormats

/// Reads one input file of a source into `RawRow` batches: the export's fields mapped to canonical
/// fields, exact duplicate rows (SPEC 2.1) taken out and counted. Domain-free readers below, the
/// pipeline's mapping here.
public final class SourceFileReader {
    public let spec: SourceSpec
    public let path: String
    public let origin: (sourceIndex: Int, fileIndex: Int)
    /// Column names of the quarantine file: the export's own for CSV, the mapped names for XML.
    public private(set) var quarantineColumns: [String]
    public private(set) var rowsRead = 0
    public private(set) var duplicates = 0
    /// Size of the file in bytes.
    public let fileSize: Int

    /// Bytes read so far.
    public var bytesRead: Int {
        switch backend {
        case .csv(let reader, _, _): return reader.bytesConsumed
        case .xml(let reader, _): return reader.bytesConsumed
        }
    }

    private enum Backend {
        case csv(CSVReader, columns: [(CanonicalField, Int)], width: Int)
        case xml(XMLRecordReader, fields: [(CanonicalField, String)])
    }

    private var backend: Backend
    private var seen = Set<RowFingerprint>()
    private var order = 0

    public init(spec: SourceSpec, path: String, sourceIndex: Int, fileIndex: Int) throws(KlapptError) {
        self.spec = spec
        self.path = path
        self.origin = (sourceIndex, fileIndex)
        self.fileSize = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
        do {
            switch spec.format {
            case .csv(let options):
                let reader = try CSVReader(path: path, options: CSVReader.Options(
                    delimiter: options.delimiter, quote: options.quote,
                    encoding: options.encoding == "auto" ? nil : TextEncoding(name: options.encoding)))
                let header = try reader.readHeader()
                let lowered = header.map { $0.lowercased() }
                var columns: [(CanonicalField, Int)] = []
                for field in CanonicalField.allCases {
                    guard let name = spec.fields[field] else { continue }
                    if let index = lowered.firstIndex(of: name.lowercased()) {
                        columns.append((field, index))
                    } else if !spec.optional.contains(field) {
                        throw KlapptError.inputFormat(FormatError(.malformed, file: path, line: 1, field: name,
                            message: "Pflichtspalte „\(name)“ fehlt in der Kopfzeile (gefunden: \(header.joined(separator: ", "))).") )
                    }
                }
                backend = .csv(reader, columns: columns, width: header.count)
                quarantineColumns = header
            case .xml(let recordElement):
                let reader = try XMLRecordReader(path: path, recordElement: recordElement)
                let fields = CanonicalField.allCases.compactMap { field in spec.fields[field].map { (field, $0) } }
                backend = .xml(reader, fields: fields)
                quarantineColumns = fields.map(\.1)
            }
        } catch let error as FormatError {
            throw .inputFormat(error)
        } catch let error as KlapptError {
            throw error
        } catch {
            throw .internalError("\(error)")
        }
    }

    /// Up to `limit` rows that are not exact duplicates of earlier rows; nil at the end of the file.
    public func nextBatch(limit: Int = 4096) throws(KlapptError) -> [RawRow]? {
        var batch: [RawRow] = []
        batch.reserveCapacity(limit)
        do {
            while batch.count < limit {
                guard let row = try nextRow() else { break }
                batch.append(row)
            }
        } catch {
            throw .inputFormat(error)
        }
        return batch.isEmpty ? nil : batch
    }

    private func nextRow() throws(FormatError) -> RawRow? {
        while true {
            switch backend {
            case .csv(let reader, let columns, let width):
                guard let row = try reader.next() else { return nil }
                if !row.terminated && row.fields.count < width {
                    throw FormatError(.truncated, file: path, line: row.line, message: "Die letzte Zeile hat \(row.fields.count) statt \(width) Felder: die Datei ist abgeschnitten.")
                }
                rowsRead += 1
                guard seen.insert(row.fingerprint).inserted else { duplicates += 1; continue }
                var values = FieldValues()
                for (field, index) in columns where index < row.fields.count { values[field] = row.fields[index] }
                defer { order += 1 }
                return RawRow(
                    origin: RowOrigin(sourceIndex: origin.sourceIndex, fileIndex: origin.fileIndex, order: order, line: row.line),
                    values: values, missingField: nil,
                    structuralDefect: row.fields.count == width ? nil : .wrongFieldCount, cells: row.fields)
            case .xml(let reader, let fields):
                guard let record = try reader.next() else { return nil }
                rowsRead += 1
                guard seen.insert(record.fingerprint).inserted else { duplicates += 1; continue }
                var values = FieldValues()
                var missing: String?
                var cells: [String] = []
                for (field, name) in fields {
                    let value: String?
                    if name.hasPrefix("/@") {
                        value = reader.rootAttributes[String(name.dropFirst(2))]
                    } else if name.hasPrefix("@") {
                        value = record.attributes[String(name.dropFirst())]
                    } else {
                        value = record.fields[name]
                    }
                    if let value { values[field] = value } else if missing == nil && !spec.optional.contains(field) { missing = name }
                    cells.append(value ?? "")
                }
                defer { order += 1 }
                return RawRow(
                    origin: RowOrigin(sourceIndex: origin.sourceIndex, fileIndex: origin.fileIndex, order: order, line: record.line),
                    values: values, missingField: missing, structuralDefect: nil, cells: cells)
            }
        }
    }
}
