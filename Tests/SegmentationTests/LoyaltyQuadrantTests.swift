import Segmentation
import Testing

@Suite struct LoyaltyQuadrantTests {
    /// Profitable: the top half of five customers by value, ranks 1 and 2 (100 and 70; 50 is
    /// rank 3 of 5, past 2.5). Loyal: 2+ purchases and active or loyal.
    @Test func handComputedQuadrants() {
        let quadrants = LoyaltyQuadrant.assign(
            value: [100, 50, 10, 0, 70], frequency: [3, 1, 5, 2, 4], status: ["active", "lost", "loyal", "active", "at_risk"],
            rules: LoyaltyQuadrant.Rules())
        #expect(quadrants == [.quality, .poor, .steadyButThin, .steadyButThin, .fashion])
    }

    @Test func thresholdsAreSettings() {
        var rules = LoyaltyQuadrant.Rules()
        rules.valueShare = 0.25
        rules.minPurchases = 4
        let quadrants = LoyaltyQuadrant.assign(
            value: [100, 50, 10, 0], frequency: [3, 1, 5, 2], status: ["active", "lost", "loyal", "active"], rules: rules)
        #expect(quadrants == [.fashion, .poor, .steadyButThin, .poor])
    }
}
