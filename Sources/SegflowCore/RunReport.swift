/// What one stage did: rows in and out, time taken, and named counts (rule -> rows affected).
public struct StageReport: Sendable, Equatable, Codable {
    public var stage: String
    public var rowsIn: Int
    public var rowsOut: Int
    public var seconds: Double = 0
    /// Ordered (name, count) pairs, e.g. ("dedupe_removed", 12).
    public var counts: [Count]

    public struct Count: Sendable, Equatable, Codable {
        public var name: String
        public var value: Int
        public init(_ name: String, _ value: Int) {
            self.name = name
            self.value = value
        }
    }

    public init(stage: String, rowsIn: Int, rowsOut: Int, seconds: Double = 0, counts: [Count] = []) {
        self.stage = stage
        self.rowsIn = rowsIn
        self.rowsOut = rowsOut
        self.seconds = seconds
        self.counts = counts
    }

    public func count(_ name: String) -> Int? { counts.first { $0.name == name }?.value }

    /// Seconds stay out of the encoding, so manifests of identical runs are identical.
    enum CodingKeys: String, CodingKey {
        case stage, rowsIn, rowsOut, counts
    }
}
