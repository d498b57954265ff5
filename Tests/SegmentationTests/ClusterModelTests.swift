import Features
import SegflowCore
import Testing

@testable import Segmentation

@Suite struct ClusterModelTests {
    /// The textbook 3 x 3 example: the optimum pairs row 0-1, 1-0, 2-2 (cost 5), which the
    /// greedy choice of the smallest cell first (1-1, cost 1) misses.
    @Test func optimalAssignmentBeatsGreedy() {
        let cost: [[Double]] = [[4, 1, 3], [2, 0, 5], [3, 2, 2]]
        #expect(ClusterModel.optimalAssignment(cost) == [1, 0, 2])
        // More rows than columns: one row is left out; more columns: every row is paired.
        #expect(ClusterModel.optimalAssignment([[1], [0]]) == [nil, 0])
        #expect(ClusterModel.optimalAssignment([[5, 1, 9]]) == [1])
    }

    func model(_ centers: [[Double]], center: Double = 0, scale: Double = 1) -> ClusterModel {
        ClusterModel(
            features: [ClusterModel.Feature(ClusteringFeature(name: "frequency"), center: center, scale: scale)],
            clusters: centers.enumerated().map { ClusterModel.Cluster(id: 10 + $0.offset, label: "c\($0.offset)", center: $0.element) },
            fittedAsOf: "2026-01-01")
    }

    /// Renumbered clusters are found again; a centre far from all previous ones, or one that
    /// moved past halfway to another's, is new. Scaling differences are undone first.
    @Test func continuationsMatchMovedAndRenumberedCentres() {
        let previous = model([[0], [10], [20]])
        #expect(model([[20.5], [-0.4], [9.8]]).continuations(of: previous) == [2, 0, 1])
        #expect(model([[0.2], [10], [40]]).continuations(of: previous) == [0, 1, nil])
        #expect(model([[0], [4], [20]]).continuations(of: previous) == [0, nil, 2])
        // The same centres written in another scaling (centre 5, scale 2): x = 2 s + 5.
        #expect(model([[-2.5], [2.5], [7.5]], center: 5, scale: 2).continuations(of: previous) == [0, 1, 2])
    }

    let groups = syntheticFeatures(600) { customer in
        switch customer % 3 {
        case 0: (Int64(3 + customer % 5), Int64(20 + customer % 7), 2_000 + Double(customer))
        case 1: (Int64(600 + customer % 50), 1, 20 + Double(customer % 9))
        default: (Int64(90 + customer % 20), Int64(4 + customer % 3), 300 + Double(customer % 30))
        }
    }

    var rules: ClusteringRules {
        var rules = ClusteringRules()
        rules.clusterCount = .fixed(3)
        return rules
    }

    /// The same customers in another order get the same clusters and ids.
    @Test func inputOrderDoesNotMatter() throws {
        let (first, _) = try CustomerClustering(rules: rules).cluster(groups, asOfDay: 20_000)
        let order = Array((0..<600).reversed())
        let shuffled = permuted(groups, order)
        let (second, _) = try CustomerClustering(rules: rules).cluster(shuffled, asOfDay: 20_000)
        let firstIDs = Dictionary(uniqueKeysWithValues: zip(groups.customerID, first.clusterIDs))
        #expect(zip(shuffled.customerID, second.clusterIDs).allSatisfy { firstIDs[$0.0] == $0.1 })
    }

    /// A rerun on slightly changed customers keeps every cluster's id and label, even when the
    /// fresh k-means++ start would number the clusters otherwise; `refit: never` scores the
    /// new customers against the stored centres and keeps the model's date.
    @Test func aRerunKeepsIDsAndNeverRefitScores() throws {
        let (first, _) = try CustomerClustering(rules: rules).cluster(groups, asOfDay: 20_000)
        let model = try #require(first.model)
        #expect(Set(first.profiles.map(\.cluster)) == [0, 1, 2])
        var changed = groups
        for customer in stride(from: 0, to: 600, by: 50) { changed.frequency[customer] += 1 }
        var reseeded = rules
        reseeded.seed = 7
        let (second, _) = try CustomerClustering(rules: reseeded).cluster(changed, previous: model, asOfDay: 20_001)
        let kept = zip(first.clusterIDs, second.clusterIDs).filter { $0.0 == $0.1 }.count
        #expect(kept == 600, "\(kept) of 600 kept their cluster id")
        #expect(second.profiles.map(\.label).sorted() == first.profiles.map(\.label).sorted())
        #expect(second.model?.fittedAsOf == "2024-10-05")

        var scoring = rules
        scoring.refit = .never
        let (scored, _) = try CustomerClustering(rules: scoring).cluster(changed, previous: model, asOfDay: 20_030)
        #expect(scored.model == model)
        #expect(scored.iterations == 0 && scored.rule.hasPrefix("scored against the clusters fitted as of 2024-10-04"))
        #expect(scored.clusterIDs == first.clusterIDs)

        scoring.refit = .afterDays(30)
        let (refitted, _) = try CustomerClustering(rules: scoring).cluster(changed, previous: model, asOfDay: 20_030)
        #expect(refitted.model?.fittedAsOf == "2024-11-03")
        #expect(refitted.clusterIDs == first.clusterIDs)
    }

    /// A model on other features is not matched: fitted anew, new ids, and a note says so.
    @Test func aModelOnOtherFeaturesIsNotUsed() throws {
        let (first, _) = try CustomerClustering(rules: rules).cluster(groups, asOfDay: 20_000)
        var other = rules
        other.features = [ClusteringFeature(name: "frequency", transform: .log1p), ClusteringFeature(name: "recency_days", transform: .log1p)]
        let (second, _) = try CustomerClustering(rules: other).cluster(groups, previous: first.model, asOfDay: 20_001)
        #expect(second.note?.contains("clustered on other features") == true)
    }

    private func permuted(_ features: CustomerFeatures, _ order: [Int]) -> CustomerFeatures {
        var result = CustomerFeatures()
        for index in order {
            result.customerID.append(features.customerID[index])
            result.firstPurchase.append(features.firstPurchase[index])
            result.lastPurchase.append(features.lastPurchase[index])
            result.recencyDays.append(features.recencyDays[index])
            result.tenureDays.append(features.tenureDays[index])
            result.frequency.append(features.frequency[index])
            result.monetaryTotal.append(features.monetaryTotal[index])
            result.monetaryMean.append(features.monetaryMean[index])
            result.interpurchaseMeanDays.append(features.interpurchaseMeanDays[index])
            result.interpurchaseStdDays.append(features.interpurchaseStdDays[index])
            result.currentValue.append(features.currentValue[index])
            result.purchaseRateTrend.append(features.purchaseRateTrend[index])
        }
        return result
    }
}

@Suite struct ClusterLabelerTests {
    func profile(_ features: [(String, Double, Double)]) -> ClusterProfile {
        ClusterProfile(
            cluster: 0, label: "", customers: 10, share: 0.1, valueShare: 0.1,
            features: features.map { ClusterProfile.FeatureSummary(name: $0.0, mean: $0.2, median: $0.2, zScore: $0.1) })
    }

    /// A label that says nothing of recency ends with the median customer's standing: the
    /// issue's "frequent" cluster with a median recency of 342 days is "quiet for months".
    @Test func labelsNeverHideRecency() {
        let names: Set = ["frequency", "recency_days", "monetary_total"]
        #expect(ClusterLabeler.label(profile([("frequency", 1.2, 9), ("recency_days", 0.3, 342)]), using: names) == "frequent, quiet for months")
        #expect(ClusterLabeler.label(profile([("frequency", 1.2, 9), ("recency_days", -0.9, 12)]), using: names) == "frequent, recent")
        #expect(ClusterLabeler.label(profile([("frequency", 0.1, 3), ("recency_days", 0.2, 30)]), using: names) == "typical, bought lately")
        #expect(ClusterLabeler.label(profile([("frequency", 0.1, 3), ("recency_days", 0.4, 700)]), using: names) == "typical, quiet for over a year")
    }
}
