/// The Net Promoter Score of a group (Reichheld 2003): answers 0-10 to "how likely are you to
/// recommend us?", promoters 9-10, passives 7-8, detractors 0-6; NPS = %promoters − %detractors.
public struct NetPromoterScore: Sendable, Equatable {
    public var promoters = 0
    public var passives = 0
    public var detractors = 0

    public init(promoters: Int = 0, passives: Int = 0, detractors: Int = 0) {
        self.promoters = promoters
        self.passives = passives
        self.detractors = detractors
    }

    public enum Class: String, Sendable, CaseIterable {
        case promoter, passive, detractor

        /// nil for a score outside 0...10.
        public init?(score: Int) {
            switch score {
            case 9...10: self = .promoter
            case 7...8: self = .passive
            case 0...6: self = .detractor
            default: return nil
            }
        }
    }

    public mutating func add(_ answer: Class) {
        switch answer {
        case .promoter: promoters += 1
        case .passive: passives += 1
        case .detractor: detractors += 1
        }
    }

    public var respondents: Int { promoters + passives + detractors }

    /// −100...100; NaN without respondents.
    public var score: Double {
        guard respondents > 0 else { return .nan }
        return 100 * Double(promoters - detractors) / Double(respondents)
    }

    /// The standard error of `score`. Each answer is +1 (promoter), 0 or −1 (detractor), so
    /// NPS/100 is their mean, with variance p₊ + p₋ − (p₊ − p₋)² per answer.
    public var standardError: Double {
        guard respondents > 0 else { return .nan }
        let n = Double(respondents), up = Double(promoters) / n, down = Double(detractors) / n
        return 100 * ((up + down - (up - down) * (up - down)) / n).squareRoot()
    }

    /// The Wald interval score ± z × standard error (z = 1.96: 95%), clipped to −100...100;
    /// NaN without respondents.
    public func interval(z: Double = 1.96) -> (low: Double, high: Double) {
        guard respondents > 0 else { return (.nan, .nan) }
        let half = z * standardError
        return (max(-100, score - half), min(100, score + half))
    }
}
