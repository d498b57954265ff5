import SegflowCore

/// How the time column of an input is written. Every format yields seconds since the epoch
/// in UTC; times without a zone are taken as UTC.
public enum TimeFormat: Sendable, Equatable {
    /// `2026-11-21T13:45:00Z`, `2026-11-21 13:45:00+02:00`, `2026-11-21T13:45`, or a bare date.
    case iso8601
    /// `2026-11-21` only.
    case date
    /// Seconds since 1970-01-01T00:00:00Z; a fractional part is truncated.
    case epochSeconds
    /// A strftime-like pattern, e.g. `%d/%m/%Y %H:%M`.
    case pattern(TimePattern)

    /// Parses one field; nil when it does not match the format.
    @inlinable
    public func parse(_ field: UnsafeRawBufferPointer) -> Int64? {
        switch self {
        case .iso8601: return TimeParsing.iso8601(field)
        case .date: return TimeParsing.dateOnly(field)
        case .epochSeconds: return TimeParsing.epochSeconds(field)
        case .pattern(let pattern): return pattern.parse(field)
        }
    }

    /// How a rejected row's reason names the format: "time in column 'ts' is not <name>".
    public var name: String {
        switch self {
        case .iso8601: return "an ISO 8601 date-time"
        case .date: return "a YYYY-MM-DD date"
        case .epochSeconds: return "a count of epoch seconds"
        case .pattern(let pattern): return "in the pattern '\(pattern.text)'"
        }
    }
}

/// A parsed custom time pattern. Directives: `%Y` (4-digit year), `%y` (2-digit year,
/// 2000-2099), `%m`, `%d`, `%H`, `%M`, `%S` (1 or 2 digits), `%%`; anything else is literal.
public struct TimePattern: Sendable, Equatable {
    enum Piece: Sendable, Equatable {
        case year4, year2, month, day, hour, minute, second
        case literal(UInt8)
    }

    let pieces: [Piece]
    public let text: String

    /// nil with a reason when the pattern uses an unknown directive or lacks a date part.
    public init(_ text: String) throws(TimePatternError) {
        self.text = text
        var pieces: [Piece] = []
        var bytes = Array(text.utf8)[...]
        while let byte = bytes.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                pieces.append(.literal(byte))
                continue
            }
            guard let directive = bytes.popFirst() else { throw TimePatternError(message: "pattern ends with a lone '%'") }
            switch directive {
            case UInt8(ascii: "Y"): pieces.append(.year4)
            case UInt8(ascii: "y"): pieces.append(.year2)
            case UInt8(ascii: "m"): pieces.append(.month)
            case UInt8(ascii: "d"): pieces.append(.day)
            case UInt8(ascii: "H"): pieces.append(.hour)
            case UInt8(ascii: "M"): pieces.append(.minute)
            case UInt8(ascii: "S"): pieces.append(.second)
            case UInt8(ascii: "%"): pieces.append(.literal(UInt8(ascii: "%")))
            default:
                throw TimePatternError(message: "unknown directive '%\(Character(UnicodeScalar(directive)))'; supported: %Y %y %m %d %H %M %S %%")
            }
        }
        let hasYear = pieces.contains(.year4) || pieces.contains(.year2)
        guard hasYear, pieces.contains(.month), pieces.contains(.day) else {
            throw TimePatternError(message: "pattern needs a year (%Y or %y), a month (%m) and a day (%d)")
        }
        self.pieces = pieces
    }

    public func parse(_ field: UnsafeRawBufferPointer) -> Int64? {
        var position = 0
        var year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0
        func digits(min: Int, max: Int) -> Int? {
            var value = 0, count = 0
            while count < max, position < field.count, field[position] &- 48 < 10 {
                value = value * 10 + Int(field[position] &- 48)
                position += 1
                count += 1
            }
            return count >= min ? value : nil
        }
        for piece in pieces {
            switch piece {
            case .year4:
                guard let v = digits(min: 4, max: 4) else { return nil }
                year = v
            case .year2:
                guard let v = digits(min: 2, max: 2) else { return nil }
                year = 2000 + v
            case .month:
                guard let v = digits(min: 1, max: 2) else { return nil }
                month = v
            case .day:
                guard let v = digits(min: 1, max: 2) else { return nil }
                day = v
            case .hour:
                guard let v = digits(min: 1, max: 2) else { return nil }
                hour = v
            case .minute:
                guard let v = digits(min: 1, max: 2) else { return nil }
                minute = v
            case .second:
                guard let v = digits(min: 1, max: 2) else { return nil }
                second = v
            case .literal(let byte):
                guard position < field.count, field[position] == byte else { return nil }
                position += 1
            }
        }
        guard position == field.count else { return nil }
        return TimeParsing.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }
}

public struct TimePatternError: Error, Sendable {
    public let message: String
}

/// Hand-written parsers for the fixed formats: they run once per row.
public enum TimeParsing {
    @inlinable
    static func twoDigits(_ field: UnsafeRawBufferPointer, _ at: Int) -> Int? {
        let high = field[at] &- 48, low = field[at + 1] &- 48
        guard high < 10, low < 10 else { return nil }
        return Int(high) * 10 + Int(low)
    }

    /// Validates ranges and converts to seconds since the epoch.
    @inlinable
    static func seconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64? {
        guard (1...12).contains(month), day >= 1, day <= CivilTime.daysInMonth(year: year, month: month),
            hour < 24, minute < 60, second < 61
        else { return nil }
        return CivilTime.daysFromCivil(year: year, month: month, day: day) * CivilTime.secondsPerDay
            + Int64(hour * 3600 + minute * 60 + min(second, 59))
    }

    @inlinable
    static func date(_ field: UnsafeRawBufferPointer) -> (year: Int, month: Int, day: Int)? {
        guard field.count >= 10, field[4] == UInt8(ascii: "-"), field[7] == UInt8(ascii: "-"),
            let century = twoDigits(field, 0), let yy = twoDigits(field, 2),
            let month = twoDigits(field, 5), let day = twoDigits(field, 8)
        else { return nil }
        return (century * 100 + yy, month, day)
    }

    @inlinable
    public static func dateOnly(_ field: UnsafeRawBufferPointer) -> Int64? {
        guard field.count == 10, let (year, month, day) = date(field) else { return nil }
        return seconds(year: year, month: month, day: day, hour: 0, minute: 0, second: 0)
    }

    @inlinable
    public static func iso8601(_ field: UnsafeRawBufferPointer) -> Int64? {
        guard let (year, month, day) = date(field) else { return nil }
        if field.count == 10 { return seconds(year: year, month: month, day: day, hour: 0, minute: 0, second: 0) }
        let separator = field[10]
        guard separator == UInt8(ascii: "T") || separator == UInt8(ascii: " "), field.count >= 16,
            field[13] == UInt8(ascii: ":"), let hour = twoDigits(field, 11), let minute = twoDigits(field, 14)
        else { return nil }
        var position = 16
        var second = 0
        if position < field.count, field[position] == UInt8(ascii: ":") {
            guard position + 3 <= field.count, let s = twoDigits(field, position + 1) else { return nil }
            second = s
            position += 3
            if position < field.count, field[position] == UInt8(ascii: ".") || field[position] == UInt8(ascii: ",") {
                position += 1
                let start = position
                while position < field.count, field[position] &- 48 < 10 { position += 1 }
                guard position > start else { return nil }
            }
        }
        var offsetSeconds = 0
        if position < field.count {
            let zone = field[position]
            if zone == UInt8(ascii: "Z") || zone == UInt8(ascii: "z") {
                position += 1
            } else if zone == UInt8(ascii: "+") || zone == UInt8(ascii: "-") {
                guard position + 3 <= field.count, let zoneHours = twoDigits(field, position + 1) else { return nil }
                position += 3
                var zoneMinutes = 0
                if position < field.count, field[position] == UInt8(ascii: ":") { position += 1 }
                if position + 2 <= field.count, let m = twoDigits(field, position) {
                    zoneMinutes = m
                    position += 2
                }
                guard zoneHours <= 23, zoneMinutes <= 59 else { return nil }
                offsetSeconds = (zoneHours * 3600 + zoneMinutes * 60) * (zone == UInt8(ascii: "+") ? 1 : -1)
            }
        }
        guard position == field.count,
            let local = seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        else { return nil }
        return local - Int64(offsetSeconds)
    }

    @inlinable
    public static func epochSeconds(_ field: UnsafeRawBufferPointer) -> Int64? {
        var position = 0
        var negative = false
        if position < field.count, field[position] == UInt8(ascii: "-") || field[position] == UInt8(ascii: "+") {
            negative = field[position] == UInt8(ascii: "-")
            position += 1
        }
        let start = position
        var value: Int64 = 0
        while position < field.count, field[position] &- 48 < 10 {
            guard position - start < 15 else { return nil }
            value = value * 10 + Int64(field[position] &- 48)
            position += 1
        }
        guard position > start else { return nil }
        if position < field.count, field[position] == UInt8(ascii: ".") {
            position += 1
            while position < field.count, field[position] &- 48 < 10 { position += 1 }
        }
        guard position == field.count else { return nil }
        return negative ? -value : value
    }
}
