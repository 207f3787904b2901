/// Whether a record id or a code has been turned into a number by a spreadsheet program (handbook,
/// "Listen aus der Tabellenkalkulation"): a list opened in Excel or LibreOffice Calc and saved again
/// loses what only looked like a number. `121E100113` (a customer number) becomes
/// `1.7976931348623157E+308`, `1,21E+102` or `inf`; a postcode or a nationality key loses its
/// leading zero; an id becomes a date. Such a value never stands for the record it came from, so
/// it is rejected (`zahl_entstellt`); many of them fail the file.
///
/// The rules, on the trimmed value's bytes (a damaged value is ASCII):
/// - an exponent with a decimal part or a signed exponent (`1,21E+102`, `1.5e3`; `121E100113`
///   without either stays a valid customer number);
/// - a number with a decimal part (`59192.0`, `123,5`, `59.192`);
/// - an infinite or undefined number (`inf`, `-inf`, `nan`, `#ZAHL!`, `#NUM!`, `1,#INF`);
/// - an integer past 2^53, which a spreadsheet's numbers cannot hold exactly;
/// - fewer digits than the field's fixed width (`width`: a postcode's 5, a nationality key's 3);
/// - in a record id, a date (`isDate`: the source's date format), which is what a date style shows.
public enum SpreadsheetDamage {
    /// The largest integer a spreadsheet's number (an IEEE double) holds exactly: 2^53.
    static let exactIntegerLimit: UInt64 = 1 << 53

    /// `isDate` is asked only of a value of digits and separators (a customer number with its
    /// letter never is a date).
    public static func isDamaged(_ value: UnsafeBufferPointer<UInt8>, width: Int?, isDate: () -> Bool = { false }) -> Bool {
        guard !value.isEmpty else { return false }
        if value.count <= 10, value.allSatisfy({ isDigit($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "/") }),
            isDate()
        {
            return true
        }
        var position = 0
        if value[0] == UInt8(ascii: "+") || value[0] == UInt8(ascii: "-") { position = 1 }
        let mantissaStart = position
        var value64: UInt64 = 0
        var overflow = false
        while position < value.count, isDigit(value[position]) {
            let (times, o1) = value64.multipliedReportingOverflow(by: 10)
            let (plus, o2) = times.addingReportingOverflow(UInt64(value[position] - UInt8(ascii: "0")))
            value64 = plus
            overflow = overflow || o1 || o2
            position += 1
        }
        let integerDigits = position - mantissaStart
        if position == value.count {
            // Digits only.
            guard integerDigits > 0 else { return false }
            if overflow || value64 > exactIntegerLimit { return true }
            if let width, mantissaStart == 0, integerDigits < width { return true }
            return false
        }
        if integerDigits == 0 { return isNotANumber(value) }
        var decimals = 0
        if value[position] == UInt8(ascii: ".") || value[position] == UInt8(ascii: ",") {
            position += 1
            let start = position
            while position < value.count, isDigit(value[position]) { position += 1 }
            decimals = position - start
            if decimals == 0 { return isNotANumber(value) }
            if position == value.count { return true }  // 59192.0, 123,5
        }
        guard value[position] | 0x20 == UInt8(ascii: "e") else { return isNotANumber(value) }
        position += 1
        var signed = false
        if position < value.count, value[position] == UInt8(ascii: "+") || value[position] == UInt8(ascii: "-") {
            signed = true
            position += 1
        }
        let exponentStart = position
        while position < value.count, isDigit(value[position]) { position += 1 }
        guard position == value.count, position > exponentStart else { return false }
        return decimals > 0 || signed
    }

    /// `inf`, `-inf`, `infinity`, `nan`, the error values German and English spreadsheets write
    /// (`#ZAHL!`, `#NUM!`, `#WERT!`, `#VALUE!`, `#DIV/0!`, `#NV`, `#N/A`, `#BEZUG!`, `#REF!`) and
    /// `1,#INF`.
    static func isNotANumber(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard value.count <= 12 else { return false }
        let text = String(decoding: value, as: UTF8.self).lowercased()
        let bare = text.hasPrefix("+") || text.hasPrefix("-") ? String(text.dropFirst()) : text
        return [
            "inf", "infinity", "nan", "#zahl!", "#num!", "#wert!", "#value!", "#div/0!", "#nv", "#n/a", "#bezug!", "#ref!", "1,#inf", "1.#inf", "1,#qnan",
            "1.#qnan",
        ]
        .contains(bare)
    }

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
