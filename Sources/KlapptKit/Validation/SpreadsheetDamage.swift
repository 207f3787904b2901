/// Whether a record id or a code has been turned into a number by a spreadsheet program (handbook,
/// section 7c): a list opened in Excel or LibreOffice Calc and saved again
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

    /// `isDate` is asked only of a value shaped like a date (8 to 10 bytes, a digit first, a
    /// separator third or fifth): a customer number with its letter never is one.
    ///
    /// The per-row path: most values are text that starts with a letter (`ALO`, `M`, `S42…`) or a
    /// customer number (`123D…`); both leave after a byte or a few without making a string
    /// (callgrind, `klappt validate` of 50,000 persons: the first version, which made one per
    /// value, cost +14 % instructions; this one, with the fields trimmed once, +1.1 %).
    public static func isDamaged(_ value: UnsafeBufferPointer<UInt8>, width: Int?, isDate: () -> Bool = { false }) -> Bool {
        let count = value.count
        guard count > 0 else { return false }
        let first = value[0]
        if !isDigit(first), first != UInt8(ascii: "+"), first != UInt8(ascii: "-") {
            // Text, unless it is one of the spreadsheet's words for no number (`inf`, `nan`, `#ZAHL!`).
            return isNotANumber(value)
        }
        if isDigit(first), count >= 8, count <= 10, isSeparator(value[2]) || isSeparator(value[4]), isDate() { return true }
        var position = 0
        if !isDigit(first) { position = 1 }
        let mantissaStart = position
        while position < count, isDigit(value[position]) { position += 1 }
        let integerDigits = position - mantissaStart
        if position == count {
            // Digits only. Up to 15 digits are below 2^53; only a longer number is worked out.
            guard integerDigits > 0 else { return false }
            if integerDigits > 15 {
                guard integerDigits <= 19 else { return true }
                var number: UInt64 = 0
                for index in mantissaStart..<count { number = number * 10 + UInt64(value[index] - UInt8(ascii: "0")) }
                if number > exactIntegerLimit { return true }
            }
            if let width, mantissaStart == 0, integerDigits < width { return true }
            return false
        }
        if integerDigits == 0 { return isNotANumber(value) }
        var decimals = 0
        if value[position] == UInt8(ascii: ".") || value[position] == UInt8(ascii: ",") {
            position += 1
            let start = position
            while position < count, isDigit(value[position]) { position += 1 }
            decimals = position - start
            if decimals == 0 { return isNotANumber(value) }
            if position == count { return true }  // 59192.0, 123,5
        }
        guard value[position] | 0x20 == UInt8(ascii: "e") else { return false }
        position += 1
        var signed = false
        if position < count, value[position] == UInt8(ascii: "+") || value[position] == UInt8(ascii: "-") {
            signed = true
            position += 1
        }
        let exponentStart = position
        while position < count, isDigit(value[position]) { position += 1 }
        guard position == count, position > exponentStart else { return false }
        return decimals > 0 || signed
    }

    /// The spreadsheet's words for no number, lower-cased, without a sign.
    static let notANumbers: [[UInt8]] = [
        "inf", "infinity", "nan", "#zahl!", "#num!", "#wert!", "#value!", "#div/0!", "#nv", "#n/a", "#bezug!", "#ref!", "1,#inf", "1.#inf",
        "1,#qnan", "1.#qnan",
    ].map { Array($0.utf8) }

    /// `inf`, `-inf`, `infinity`, `nan`, the error values German and English spreadsheets write
    /// (`#ZAHL!`, `#NUM!`, `#WERT!`, `#VALUE!`, `#DIV/0!`, `#NV`, `#N/A`, `#BEZUG!`, `#REF!`) and
    /// `1,#INF`; compared byte by byte, after a first byte that can begin one of them.
    static func isNotANumber(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard value.count >= 2 else { return false }
        let start = value[0] == UInt8(ascii: "+") || value[0] == UInt8(ascii: "-") ? 1 : 0
        let length = value.count - start
        guard length >= 2, length <= 8 else { return false }
        let lead = value[start] | 0x20
        guard lead == UInt8(ascii: "i") || lead == UInt8(ascii: "n") || value[start] == UInt8(ascii: "#") || value[start] == UInt8(ascii: "1")
        else { return false }
        return notANumbers.contains { word in
            word.count == length
                && word.indices.allSatisfy { index in
                    let byte = value[start + index]
                    let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
                    return lower == word[index]
                }
        }
    }

    @inline(__always) static func isSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "/")
    }

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
