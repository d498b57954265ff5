import Testing

@testable import Pipeline

@Suite struct ChurnStageTests {
    @Test func quantileBandsAreSharesOfTheScoredCustomersWithTiesTogether() throws {
        let pipeline = try parse(validPipeline + "churn:\n  risk: {bands: quantile, high_share: 0.2, medium_share: 0.3}\n")
        let risk = try #require(pipeline.churn?.risk)
        // Ranked: 0.9 0.8 | 0.7 0.6 0.5 | 0.5 0.4 0.3 0.2 0.1; the second 0.5 ties into medium.
        let probabilities = [0.5, 0.1, 0.9, 0.3, 0.7, 0.5, 0.2, 0.8, 0.4, 0.6]
        #expect(
            risk.quantileBands(probabilities)
                == ["medium", "low", "high", "low", "medium", "medium", "low", "high", "low", "medium"])
        // 0.2 and 0.3 of 1,000 distinct probabilities are exactly 200 and 300 customers.
        let many = (0..<1000).map { Double($0) / 1000 }
        #expect(risk.quantileBands(many).filter { $0 == "high" }.count == 200)
        #expect(risk.quantileBands(many).filter { $0 == "medium" }.count == 300)
    }

    @Test func quantileBandKeysAreCheckedTogether() {
        #expect(
            diagnostics(validPipeline + "churn:\n  risk: {bands: quantile, high_share: 0.6, medium_share: 0.5}\n")
                == "p.yaml:9:58: error: 'churn.risk.high_share' and 'churn.risk.medium_share' add up to more than 1\n"
                + "  hint: they are shares of the same customers, e.g. high_share: 0.1, medium_share: 0.2")
    }
}
