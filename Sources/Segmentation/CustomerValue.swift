import SegflowCore

/// Value tiers from the Pareto curve, and the curve's headline figures.
public enum CustomerValue {
    /// Share of total value held by the top `fraction` of customers ranked by value; the top
    /// group has `ceil(fraction * n)` customers. Nil when the total is not positive.
    public static func paretoShare(_ values: [Double], topFraction fraction: Double) -> Double? {
        let total = values.reduce(0, +)
        guard total > 0, !values.isEmpty else { return nil }
        let sorted = values.sorted(by: >)
        let count = min(values.count, Int((fraction * Double(values.count)).rounded(.up)))
        return sorted.prefix(count).reduce(0, +) / total
    }

    /// The tiers' names for these cutoffs: A, B, ... one more than the cutoffs.
    public static func tierNames(cutoffs: [Double]) -> [String] {
        (0...cutoffs.count).map { String(UnicodeScalar(UInt8(65 + $0))) }
    }

    /// Tier letters by value rank, highest value first: the customer at rank r of n is "A"
    /// when r / n ≤ `cutoffs[0]`, "B" when r / n ≤ `cutoffs[1]`, and so on; the rest get the
    /// next letter. Equal values share their mean rank (as pandas' `rank(method="average")`),
    /// so a tie across a cutoff goes to the side that holds most of it, and equal values
    /// always share a tier. Customers whose value is not positive are in the last tier:
    /// no spend is no rank.
    public static func tiers(_ values: [Double], cutoffs: [Double]) -> [String] {
        let n = values.count
        let letters = tierNames(cutoffs: cutoffs)
        let order = values.indices.sorted { values[$0] > values[$1] }
        var tiers = [String](repeating: letters[cutoffs.count], count: n)
        var groupStart = 0
        while groupStart < n, values[order[groupStart]] > 0 {
            var groupEnd = groupStart + 1
            while groupEnd < n, values[order[groupEnd]] == values[order[groupStart]] { groupEnd += 1 }
            // The group holds ranks groupStart + 1 ... groupEnd.
            let meanRank = Double(groupStart + 1 + groupEnd) / 2
            let tier = cutoffs.firstIndex { meanRank <= $0 * Double(n) + 1e-9 } ?? cutoffs.count
            for position in groupStart..<groupEnd { tiers[order[position]] = letters[tier] }
            groupStart = groupEnd
        }
        return tiers
    }
}

extension CustomerValue {
    /// The middle value (the mean of the two middle ones for an even count); +∞ when empty.
    static func median(_ values: [Double]) -> Double { Median.of(values) ?? .infinity }

    /// The Pareto (Lorenz-style) curve: at `points` + 1 evenly spaced shares of customers,
    /// ranked by value, the share of total value they hold, from (0, 0) to (1, 1). Empty
    /// when the total is not positive.
    public static func paretoCurve(_ values: [Double], points: Int = 100) -> [(customerShare: Double, valueShare: Double)] {
        let total = values.reduce(0, +)
        guard total > 0, !values.isEmpty, points > 0 else { return [] }
        var cumulative = [0.0]
        for value in values.sorted(by: >) { cumulative.append(cumulative.last! + value) }
        return (0...points).map { step in
            let count = values.count * step / points
            return (Double(step) / Double(points), cumulative[count] / total)
        }
    }
}
