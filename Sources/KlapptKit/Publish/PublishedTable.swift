import KlapptFormats

/// The published indicator table `indikatoren_<period>.csv` (SPEC 7): UTF-8 with BOM, `;`, CRLF,
/// header `zeitraum;indikator;dimension;auspraegung;wert`, `*` for a suppressed cell, every cell
/// safe against formula injection. Same table in, same bytes out.
public enum PublishedTable {
    public static let header = ["zeitraum", "indikator", "dimension", "auspraegung", "wert"]

    public static func csv(_ table: PublishableTable, period: Period) -> String {
        var writer = CSVWriter()
        writer.writeRow(header)
        for cell in table.cells {
            writer.writeRow([period.description, cell.indicator.rawValue, cell.dimension, cell.category, table[cell].description])
        }
        return writer.text
    }
}
