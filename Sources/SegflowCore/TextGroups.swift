/// The groups a text column puts rows in: its distinct values (the empty one too, when
/// kept), and each row's group. Summaries over a million customers group by a dozen such columns; hashing each
/// cell once here lets them count with arrays instead of a dictionary lookup per row and
/// per statistic.
public struct TextGroups: Sendable, Equatable {
    /// The distinct values, where each first appears.
    public private(set) var names: [String] = []
    /// Each row's index in `names`; -1 where the cell is empty and empty cells are not kept.
    public private(set) var codes: [Int32]

    public init(_ values: [String], keepingEmpty: Bool = false) {
        codes = [Int32](repeating: -1, count: values.count)
        var index = IDIndex([])
        var previous: (value: String, code: Int32)?
        for (row, value) in values.enumerated() where keepingEmpty || !value.isEmpty {
            // Neighbouring rows often share a value, and equal small strings compare without hashing.
            if let previous, value == previous.value {
                codes[row] = previous.code
                continue
            }
            let code: Int32
            if let known = index[value] {
                code = Int32(known)
            } else {
                code = Int32(names.count)
                index.append(value)
                names.append(value)
            }
            codes[row] = code
            previous = (value, code)
        }
    }

    /// Rows per group.
    public var sizes: [Int] {
        var sizes = [Int](repeating: 0, count: names.count)
        for code in codes where code >= 0 { sizes[Int(code)] += 1 }
        return sizes
    }

    /// The rows of each group, in row order.
    public var members: [[Int]] {
        var members = sizes.map { size -> [Int] in
            var rows: [Int] = []
            rows.reserveCapacity(size)
            return rows
        }
        for (row, code) in codes.enumerated() where code >= 0 { members[Int(code)].append(row) }
        return members
    }

    /// Each group's share of `rows` that are in a group, by name; none when no row is.
    public func shares(among rows: [Int]) -> [String: Double] {
        var counts = [Int](repeating: 0, count: names.count)
        var total = 0
        for row in rows where codes[row] >= 0 {
            counts[Int(codes[row])] += 1
            total += 1
        }
        var shares: [String: Double] = [:]
        for (group, count) in counts.enumerated() where count > 0 { shares[names[group]] = Double(count) / Double(total) }
        return shares
    }
}
