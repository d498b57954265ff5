/// RFM scoring: each customer's recency, frequency and monetary value scored 1...bins by
/// quantile over the customer base, and the (r, f) pair mapped to a named segment.
public enum RFMScoring {
    /// Scores 1...`bins` by quantile. A value's score is `1 + floor(bins * b / n)`, where `b`
    /// is the number of customers with a *worse* value (smaller, or larger when
    /// `higherIsBetter` is false) and `n` the number of customers. Equal values always get
    /// equal scores; with many ties (e.g. frequency 1) some scores go unused.
    public static func scores(_ values: [Double], bins: Int, higherIsBetter: Bool = true) -> [Int] {
        let n = values.count
        guard n > 0 else { return [] }
        let order = values.indices.sorted {
            higherIsBetter ? values[$0] < values[$1] : values[$0] > values[$1]
        }
        var scores = [Int](repeating: 1, count: n)
        var groupStart = 0
        while groupStart < n {
            var groupEnd = groupStart + 1
            while groupEnd < n, values[order[groupEnd]] == values[order[groupStart]] { groupEnd += 1 }
            let score = 1 + bins * groupStart / n
            for position in groupStart..<groupEnd { scores[order[position]] = score }
            groupStart = groupEnd
        }
        return scores
    }
}

/// A named RFM segment: the cells of the recency x frequency grid it covers, and
/// optionally a monetary range. Rules are tried in order; the first that matches wins.
public struct RFMSegmentRule: Sendable, Equatable {
    public var name: String
    public var recency: ClosedRange<Int>
    public var frequency: ClosedRange<Int>
    public var monetary: ClosedRange<Int>

    public init(_ name: String, recency: ClosedRange<Int>, frequency: ClosedRange<Int>, monetary: ClosedRange<Int> = 1...Int.max) {
        self.name = name
        self.recency = recency
        self.frequency = frequency
        self.monetary = monetary
    }

    public func matches(r: Int, f: Int, m: Int) -> Bool {
        recency.contains(r) && frequency.contains(f) && monetary.contains(m)
    }

    /// The customary map of the 5 x 5 recency-frequency grid to eleven segments
    /// (docs/segmentation.md draws it). Four customary names ("Loyal", "New customers",
    /// "At risk", "Lost") are renamed: they are also statuses, with other rules.
    public static let defaultMap: [RFMSegmentRule] = [
        RFMSegmentRule("Champions", recency: 5...5, frequency: 4...5),
        RFMSegmentRule("Regulars", recency: 3...4, frequency: 4...5),
        RFMSegmentRule("Potential loyalists", recency: 4...5, frequency: 2...3),
        RFMSegmentRule("Recent first-timers", recency: 5...5, frequency: 1...1),
        RFMSegmentRule("Promising", recency: 4...4, frequency: 1...1),
        RFMSegmentRule("Need attention", recency: 3...3, frequency: 3...3),
        RFMSegmentRule("About to sleep", recency: 3...3, frequency: 1...2),
        RFMSegmentRule("Can't lose them", recency: 1...2, frequency: 5...5),
        RFMSegmentRule("Fading regulars", recency: 1...2, frequency: 3...4),
        RFMSegmentRule("Gone cold", recency: 1...1, frequency: 1...1),
        RFMSegmentRule("Hibernating", recency: 1...2, frequency: 1...2),
    ]

    /// The status code a segment name would be mistaken for, if any: a name holding the words
    /// of a status ("New buyers", "At-risk VIPs") reads as that status downstream.
    public static func statusWord(in name: String) -> String? {
        let words = name.lowercased().split(whereSeparator: { !$0.isLetter }).map(String.init)
        return LifecycleRules.Status.allCases.map(\.rawValue).first { status in
            let parts = status.split(separator: "_").map(String.init)
            return words.indices.contains { start in
                start + parts.count <= words.count && Array(words[start..<(start + parts.count)]) == parts
            }
        }
    }

    /// The (r, f) cells of a `bins x bins` grid that no rule covers, for validation.
    public static func uncoveredCells(_ rules: [RFMSegmentRule], bins: Int) -> [(r: Int, f: Int)] {
        var cells: [(r: Int, f: Int)] = []
        for r in 1...bins {
            for f in 1...bins where !rules.contains(where: { $0.recency.contains(r) && $0.frequency.contains(f) && $0.monetary == 1...Int.max }) {
                cells.append((r, f))
            }
        }
        return cells
    }

    /// The segment of a score triple, or nil when no rule matches.
    public static func segment(r: Int, f: Int, m: Int, rules: [RFMSegmentRule]) -> String? {
        rules.first { $0.matches(r: r, f: f, m: m) }?.name
    }
}
