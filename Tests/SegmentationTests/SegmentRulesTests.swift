import Features
import SegflowCore
import Segmentation
import TestSupport
import Testing

@Suite struct RFMScoringTests {
    /// 10 distinct values, 5 bins: two customers per score.
    @Test func quintilesOfDistinctValues() {
        #expect(RFMScoring.scores([10, 1, 9, 2, 8, 3, 7, 4, 6, 5], bins: 5) == [5, 1, 5, 1, 4, 2, 4, 2, 3, 3])
    }

    /// Ties: values 1,1,1,1,2,2,3,4,5,6. The four 1s have nobody below them: score 1. The 2s
    /// have 4 below: 1 + floor(5*4/10) = 3. 3 -> 1+floor(30/10) = 4; 4 -> 4; 5 -> 5; 6 -> 5.
    @Test func tiesShareAScoreAndSkipOthers() {
        #expect(RFMScoring.scores([1, 1, 1, 1, 2, 2, 3, 4, 5, 6], bins: 5) == [1, 1, 1, 1, 3, 3, 4, 4, 5, 5])
    }

    /// Recency: fewer days is better. Days 1..10: 1 and 2 days score 5.
    @Test func recencyScoresRecentHigh() {
        #expect(RFMScoring.scores([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], bins: 5, higherIsBetter: false) == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1])
    }

    @Test func allEqualValuesScoreOne() {
        #expect(RFMScoring.scores([3, 3, 3], bins: 5) == [1, 1, 1])
        #expect(RFMScoring.scores([], bins: 5) == [])
    }
}

@Suite struct RFMSegmentTests {
    @Test(arguments: [
        (5, 5, "Champions"), (5, 4, "Champions"), (4, 5, "Regulars"), (3, 4, "Regulars"), (5, 2, "Potential loyalists"),
        (4, 3, "Potential loyalists"), (5, 1, "Recent first-timers"), (4, 1, "Promising"), (3, 3, "Need attention"),
        (3, 1, "About to sleep"), (3, 2, "About to sleep"), (2, 5, "Can't lose them"), (1, 5, "Can't lose them"),
        (2, 3, "Fading regulars"), (1, 4, "Fading regulars"), (1, 1, "Gone cold"), (2, 1, "Hibernating"), (1, 2, "Hibernating"),
        (2, 2, "Hibernating"),
    ])
    func defaultMapNamesEachCell(r: Int, f: Int, name: String) {
        #expect(RFMSegmentRule.segment(r: r, f: f, m: 3, rules: RFMSegmentRule.defaultMap) == name)
    }

    @Test func defaultMapCoversTheWholeGrid() {
        #expect(RFMSegmentRule.uncoveredCells(RFMSegmentRule.defaultMap, bins: 5).isEmpty)
        #expect(Set(RFMSegmentRule.defaultMap.map(\.name)).count == 11)
    }

    /// No default name reads as a status; names holding a status's words do.
    @Test func segmentNamesStayApartFromStatuses() {
        #expect(RFMSegmentRule.defaultMap.allSatisfy { RFMSegmentRule.statusWord(in: $0.name) == nil })
        #expect(RFMSegmentRule.statusWord(in: "At-risk VIPs") == "at_risk")
        #expect(RFMSegmentRule.statusWord(in: "New customers") == "new")
        #expect(RFMSegmentRule.statusWord(in: "Lost") == "lost")
        #expect(RFMSegmentRule.statusWord(in: "Potential loyalists") == nil)
        #expect(RFMSegmentRule.statusWord(in: "Risky bets") == nil)
    }

    @Test func firstMatchingRuleWinsAndMonetaryCanNarrow() {
        let rules = [
            RFMSegmentRule("Big spenders", recency: 1...5, frequency: 1...5, monetary: 5...5),
            RFMSegmentRule("Everyone else", recency: 1...5, frequency: 1...5),
        ]
        #expect(RFMSegmentRule.segment(r: 1, f: 1, m: 5, rules: rules) == "Big spenders")
        #expect(RFMSegmentRule.segment(r: 1, f: 1, m: 4, rules: rules) == "Everyone else")
        #expect(RFMSegmentRule.uncoveredCells(Array(rules.prefix(1)), bins: 2).count == 4)
    }
}

@Suite struct CustomerValueTests {
    /// Values 50, 20, 10, 10, 5, 5 (total 100): the top 20% is ceil(1.2) = 2 customers, 70%.
    @Test func paretoShares() {
        let values: [Double] = [10, 50, 5, 20, 10, 5]
        #expect(CustomerValue.paretoShare(values, topFraction: 0.2) == 0.7)
        #expect(CustomerValue.paretoShare(values, topFraction: 0.01) == 0.5)
        #expect(CustomerValue.paretoShare(values, topFraction: 1) == 1)
        #expect(CustomerValue.paretoShare([0, 0], topFraction: 0.2) == nil)
    }

    /// The four stages by hand (defaults: exploration up to 2 purchases, decline below 0.5,
    /// formation from 1.5): who never formed a relationship cannot decline from one; the peak
    /// is steady and valuable.
    @Test func lifecycleStagesFollowTheRelationship() {
        let rules = LifecycleRules()
        func stage(_ purchases: Int64, _ status: LifecycleRules.Status, _ trend: Double?, valuable: Bool = true) -> String {
            let history = LifecycleRules.History(tenureDays: 900, recencyDays: 10, purchases: purchases, rateTrend: trend)
            return rules.stage(history, status: status, valuable: valuable).rawValue
        }
        #expect(stage(1, .lost, nil) == "exploration")  // one purchase, years ago
        #expect(stage(2, .lapsed, 0.1) == "exploration")
        #expect(stage(5, .new, 3) == "exploration")
        #expect(stage(12, .lost, nil) == "decline")
        #expect(stage(12, .active, 0.3) == "decline")
        #expect(stage(12, .active, 2) == "formation")
        #expect(stage(12, .active, nil) == "formation")  // too little history to tell
        #expect(stage(12, .active, 1, valuable: false) == "formation")  // steady, below the median value
        #expect(stage(12, .active, 1) == "stability")
        #expect(stage(12, .loyal, 1) == "stability")
        #expect(stage(12, .atRisk, 1) == "stability")
    }

    /// The examples of docs/segmentation.md's status table, by hand.
    @Test func statusAgainstTheCustomersOwnRhythm() {
        let rules = LifecycleRules()
        func status(
            tenure: Int64, recency: Int64, purchases: Int64, trend: Double? = nil, typical: Double? = nil, _ rules: LifecycleRules = LifecycleRules()
        ) -> String {
            rules.status(.init(tenureDays: tenure, recencyDays: recency, purchases: purchases, rateTrend: trend), typicalGapDays: typical).rawValue
        }
        #expect(status(tenure: 12, recency: 12, purchases: 1) == "new")
        // Yearly buyer: four purchases a year apart (gap 365), the last 300 days ago: bound 730.
        #expect(status(tenure: 1395, recency: 300, purchases: 4) == "active")
        #expect(status(tenure: 1395 + 500, recency: 800, purchases: 4) == "at_risk")  // past 2 gaps
        var days = rules
        days.statusBasis = .days
        #expect(status(tenure: 1395, recency: 300, purchases: 4, days) == "lapsed")
        // Weekly buyer (10 purchases, gap 7) quiet for 20 days: past 14 days, within 28.
        #expect(status(tenure: 83, recency: 20, purchases: 10) == "at_risk")
        #expect(status(tenure: 83, recency: 20, purchases: 10, days) == "active")
        // Monthly buyer (gap 30): lapsed at 150 days (within 240), lost at 300.
        #expect(status(tenure: 150 + 300, recency: 150, purchases: 11) == "lapsed")
        #expect(status(tenure: 300 + 300, recency: 300, purchases: 11) == "lost")
        // Two purchases: no rhythm, the day thresholds.
        #expect(status(tenure: 400, recency: 20, purchases: 2) == "active")
        #expect(status(tenure: 400, recency: 120, purchases: 2) == "at_risk")
        // Three purchases on consecutive days 200 days ago: the gap counts as 7, so lost.
        #expect(status(tenure: 202, recency: 200, purchases: 3) == "lost")
        // Loyal: active, established and not slowing down (a trend is known).
        #expect(status(tenure: 730, recency: 30, purchases: 14, trend: 1) == "loyal")
        #expect(status(tenure: 730, recency: 30, purchases: 14, trend: 0.4) == "active")
        #expect(status(tenure: 730, recency: 30, purchases: 14) == "active")
        #expect(status(tenure: 730, recency: 30, purchases: 2, trend: 1) == "active")
        #expect(LifecycleRules.Status.allCases.filter(\.isActive) == [.new, .active, .loyal])
        // The base's typical gap counts as one more gap: a yearly buyer among monthly ones has
        // a rhythm of (3 × 365 + 30) / 4 = 281.25 days, so is at_risk after 562.5 days, not 730.
        #expect(status(tenure: 1695, recency: 600, purchases: 4, typical: 30) == "at_risk")
        #expect(status(tenure: 1695, recency: 600, purchases: 4) == "active")
        let base = [(1095, 300, 4), (90, 0, 4), (60, 0, 3), (500, 20, 2)].map {
            LifecycleRules.History(tenureDays: $0.0, recencyDays: $0.1, purchases: $0.2, rateTrend: nil)
        }
        #expect(rules.typicalGapDays(base) == 30)  // gaps 265, 30, 30; two purchases have no rhythm
        #expect(rules.statuses(base) == [.active, .active, .active, .active])
    }

    /// Ten customers, cutoffs 20% / 50%: two A, three B, five C. The two 90s hold ranks 2 and
    /// 3, mean rank 2.5, past 20% of 10: both B. Customers without positive value are C
    /// whatever their rank, and equal values share a tier.
    @Test func tiersByValueRank() {
        let values: [Double] = [100, 90, 80, 70, 60, 50, 40, 30, 20, 10]
        #expect(CustomerValue.tiers(values, cutoffs: [0.2, 0.5]) == ["A", "A", "B", "B", "B", "C", "C", "C", "C", "C"])
        let tied: [Double] = [100, 90, 90, 70, 60, 50, 40, 30, 20, 10]
        #expect(CustomerValue.tiers(tied, cutoffs: [0.2, 0.5]) == ["A", "B", "B", "B", "B", "C", "C", "C", "C", "C"])
        let tiedInside: [Double] = [100, 100, 90, 70, 60, 50, 40, 30, 20, 10]
        #expect(CustomerValue.tiers(tiedInside, cutoffs: [0.2, 0.5]) == ["A", "A", "B", "B", "B", "C", "C", "C", "C", "C"])
        // Mean rank of the zeros is 6 of 10, inside the 90% cutoff, yet they are C; so is -5.
        let idle: [Double] = [10, 0, 0, 0, 0, 0, 0, 0, 0, -5]
        #expect(CustomerValue.tiers(idle, cutoffs: [0.2, 0.9]) == ["A", "C", "C", "C", "C", "C", "C", "C", "C", "C"])
        #expect(CustomerValue.tiers([], cutoffs: [0.2]) == [])
    }
}

@Suite struct ClusterAgreementTests {
    /// scikit-learn's adjusted_rand_score on the same labels: 1.0, 0.5714285714285714, -0.5, 0.0.
    @Test func adjustedRandIndexMatchesScikitLearn() {
        #expect(ClusterAgreement.adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]) == 1)
        #expect(abs(ClusterAgreement.adjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1]) - 0.5714285714285714) < 1e-15)
        #expect(abs(ClusterAgreement.adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1]) - -0.5) < 1e-15)
        #expect(ClusterAgreement.adjustedRandIndex([0, 0, 0, 0], [0, 1, 2, 3]) == 0)
        #expect(ClusterAgreement.adjustedRandIndex([3, 3, 3], [1, 1, 1]) == 1)
    }
}
