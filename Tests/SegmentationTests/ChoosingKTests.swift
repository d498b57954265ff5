import Testing

@testable import Segmentation

/// `k: auto`'s rules on a made-up curve, by hand.
@Suite struct ChoosingKTests {
    func candidates(_ silhouettes: [Double], smallest: [Double]) -> [KCandidate] {
        zip(silhouettes, smallest).enumerated().map { index, values in
            KCandidate(k: 3 + index, inertia: 0, silhouette: values.0, smallestShare: values.1, largestShare: 0.5, stability: 0.9)
        }
    }

    @Test func theSmallestKWithinTheToleranceOfTheBest() {
        let curve = candidates([0.300, 0.305, 0.310, 0.280], smallest: [0.1, 0.1, 0.1, 0.1])
        let choice = CustomerClustering(rules: ClusteringRules()).choose(curve, sample: 5000)
        #expect(choice.k == 3)  // 0.300 is within 0.01 of 0.310 (k = 5)
        #expect(
            choice.rule
                == "smallest k within 0.01 of the highest silhouette: 0.300 against 0.310 at k = 5; silhouette on a stratified sample of 5000 customers"
        )
        var exact = ClusteringRules()
        exact.kTolerance = 0
        #expect(CustomerClustering(rules: exact).choose(curve, sample: 5000).k == 5)
    }

    @Test func aKWithATinyClusterIsPassedOver() {
        let curve = candidates([0.300, 0.305, 0.310, 0.280], smallest: [0.01, 0.1, 0.1, 0.1])
        let choice = CustomerClustering(rules: ClusteringRules()).choose(curve, sample: 5000)
        #expect(choice.k == 4)  // k = 3 leaves 1% in a cluster; 0.305 is within 0.01 of 0.310
        #expect(choice.rule.contains("only k whose clusters each hold 2% of the customers"))
        let allTiny = candidates([0.300, 0.305, 0.310, 0.280], smallest: [0.01, 0.01, 0.01, 0.01])
        let fallback = CustomerClustering(rules: ClusteringRules()).choose(allTiny, sample: 5000)
        #expect(fallback.k == 3 && fallback.rule.contains("no k gives every cluster 2% of the customers"))
    }
}
