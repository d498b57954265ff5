/// How far two clusterings of the same points agree, whatever their cluster numbers.
public enum ClusterAgreement {
    /// The adjusted Rand index (Hubert & Arabie 1985): 1 for the same partition, about 0 for
    /// the agreement of chance, negative below it. As scikit-learn's
    /// `adjusted_rand_score`, two one-cluster partitions agree fully (1).
    public static func adjustedRandIndex(_ a: [Int32], _ b: [Int32]) -> Double {
        precondition(a.count == b.count, "the two clusterings label different points")
        func pairs(_ count: Int) -> Double { Double(count) * Double(count - 1) / 2 }
        var cells: [Int64: Int] = [:], rows: [Int32: Int] = [:], columns: [Int32: Int] = [:]
        for (x, y) in zip(a, b) {
            cells[Int64(x) << 32 | Int64(UInt32(bitPattern: y)), default: 0] += 1
            rows[x, default: 0] += 1
            columns[y, default: 0] += 1
        }
        let index = cells.values.reduce(0) { $0 + pairs($1) }
        let rowPairs = rows.values.reduce(0) { $0 + pairs($1) }, columnPairs = columns.values.reduce(0) { $0 + pairs($1) }
        let expected = a.count > 1 ? rowPairs * columnPairs / pairs(a.count) : 0
        let maximum = (rowPairs + columnPairs) / 2
        return maximum == expected ? 1 : (index - expected) / (maximum - expected)
    }
}
