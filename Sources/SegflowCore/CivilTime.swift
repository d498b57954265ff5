/// Calendar arithmetic on the proleptic Gregorian calendar in UTC, without Foundation's
/// `Calendar`: these run once per input row, so they must be a few integer operations.
/// Algorithms from Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms".
public enum CivilTime {
    public static let secondsPerDay: Int64 = 86_400

    /// Days since 1970-01-01 for a valid year/month/day.
    @inlinable
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The year, month and day of a day count since 1970-01-01. Within a 400-year era, Neri
    /// and Schneider's "Euclidean affine functions" (2022): each division is by a constant
    /// or a power of two, in unsigned arithmetic, so each is a multiplication or a shift.
    @inlinable
    public static func civilFromDays(_ days: Int64) -> (year: Int, month: Int, day: Int) {
        // Days since 0000-03-01, split into 400-year eras (146,097 days) rounding down.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = UInt64(z - era * 146_097)
        let centuryTimesFour = 4 * dayOfEra + 3
        let century = centuryTimesFour / 146_097
        let dayOfCentury = centuryTimesFour % 146_097 / 4
        let yearPart = 2_939_745 * (4 * dayOfCentury + 3)
        let yearOfCentury = yearPart >> 32
        let dayOfYear = (yearPart & 0xFFFF_FFFF) / 2_939_745 / 4
        // Day of the year counted from March: month and day by one more affine function.
        let monthPart = 2141 * dayOfYear + 197_913
        let month = monthPart >> 16, day = (monthPart & 0xFFFF) / 2141 + 1
        let january = dayOfYear >= 306 ? 1 : 0
        let year = Int(era) * 400 + Int(100 * century + yearOfCentury) + january
        return (year, Int(month) - 12 * january, Int(day))
    }

    @inlinable
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Whole days since the epoch of a timestamp, rounding towards the past.
    @inlinable
    public static func day(ofSeconds seconds: Int64) -> Int64 {
        seconds >= 0 ? seconds / secondsPerDay : (seconds - secondsPerDay + 1) / secondsPerDay
    }

    /// `YYYY-MM-DD` for a day count since the epoch.
    public static func dateString(days: Int64) -> String {
        let (year, month, day) = civilFromDays(days)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` for a timestamp in seconds since the epoch.
    public static func timestampString(seconds: Int64) -> String {
        let days = day(ofSeconds: seconds)
        let secondOfDay = Int(seconds - days * secondsPerDay)
        return dateString(days: days)
            + "T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))Z"
    }

    /// Parses a strict `YYYY-MM-DD` into days since the epoch.
    public static func parseDate(_ text: String) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month)
        else { return nil }
        return daysFromCivil(year: year, month: month, day: day)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
