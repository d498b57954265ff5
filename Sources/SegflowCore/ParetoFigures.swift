/// The Pareto curve's headline figures: the share of total value held by the top 1%, 5%,
/// 10% and 20% of customers ranked by value. Nil when the total value is not positive.
public struct ParetoFigures: Sendable, Equatable, Codable {
    public var top1Percent: Double?
    public var top5Percent: Double?
    public var top10Percent: Double?
    public var top20Percent: Double?

    public init(top1Percent: Double? = nil, top5Percent: Double? = nil, top10Percent: Double? = nil, top20Percent: Double? = nil) {
        self.top1Percent = top1Percent
        self.top5Percent = top5Percent
        self.top10Percent = top10Percent
        self.top20Percent = top20Percent
    }
}
