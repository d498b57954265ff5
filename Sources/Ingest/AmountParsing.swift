#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Parses decimal amounts such as `12.50`, `-3`, `1e3`, ` 7.25 `.
public enum AmountParsing {
    @usableFromInline
    static let exactPowersOfTen: [Double] = (0...22).map { pow(10.0, Double($0)) }

    /// nil for anything that is not a finite decimal number (empty, `NaN`, `inf`, `1,5`).
    /// Fast path: up to 15 significant digits and no exponent are exact as an integer over
    /// a power of ten up to 1e22 (Clinger 1990), which is correctly rounded; others go to `strtod`.
    @inlinable
    public static func parse(_ field: UnsafeRawBufferPointer) -> Double? {
        var start = 0, end = field.count
        while start < end, field[start] == UInt8(ascii: " ") { start += 1 }
        while end > start, field[end - 1] == UInt8(ascii: " ") { end -= 1 }
        guard start < end else { return nil }
        var position = start
        var negative = false
        if field[position] == UInt8(ascii: "-") || field[position] == UInt8(ascii: "+") {
            negative = field[position] == UInt8(ascii: "-")
            position += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        var sawPoint = false
        while position < end {
            let byte = field[position]
            let digit = byte &- 48
            if digit < 10 {
                mantissa = mantissa &* 10 &+ UInt64(digit)
                digits += 1
                if sawPoint { fractionDigits += 1 }
            } else if byte == UInt8(ascii: "."), !sawPoint {
                sawPoint = true
            } else {
                break
            }
            position += 1
        }
        guard digits > 0 else { return nil }
        if position == end, digits <= 15 {
            let value = Double(mantissa) / exactPowersOfTen[fractionDigits]
            return negative ? -value : value
        }
        guard position == end || field[position] | 0x20 == UInt8(ascii: "e") else { return nil }
        return slowParse(UnsafeRawBufferPointer(rebasing: field[start..<end]))
    }

    @usableFromInline
    static func slowParse(_ field: UnsafeRawBufferPointer) -> Double? {
        guard field.count < 64 else { return nil }
        var buffer = [CChar](repeating: 0, count: field.count + 1)
        for index in 0..<field.count { buffer[index] = CChar(bitPattern: field[index]) }
        return buffer.withUnsafeBufferPointer { text -> Double? in
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(text.baseAddress!, &end)
            guard let end, end - UnsafeMutablePointer(mutating: text.baseAddress!) == field.count, value.isFinite
            else { return nil }
            return value
        }
    }
}
