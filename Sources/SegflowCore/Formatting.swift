import Foundation

/// Numbers as people read them in summaries and reports.
public enum Formatting {
    /// 1234567 -> "1,234,567"
    public static func count(_ value: Int) -> String {
        let digits = String(abs(value))
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return value < 0 ? "-" + result : result
    }

    public static func seconds(_ value: Double) -> String { String(format: "%.2f s", value) }

    public static func bytes(_ value: Int) -> String {
        value >= 1 << 20 ? String(format: "%.1f MB", Double(value) / 1e6) : String(format: "%.1f kB", Double(value) / 1e3)
    }
}
