import Features
import LinearAlgebra
import SegflowCore
import Segmentation
import TestSupport
import Testing

@Suite struct SilhouetteTests {
    /// Points 0, 1, 10, 11 in two clusters. Point 0: a = 1, b = (10 + 11) / 2 = 10.5,
    /// s = 9.5 / 10.5; point 1: a = 1, b = 9.5, s = 8.5 / 9.5; the others mirror them.
    @Test func handComputedTinySet() {
        let points = Matrix<Double>(rows: 4, columns: 1, elements: [0, 1, 10, 11])
        let expected = (9.5 / 10.5 + 8.5 / 9.5) / 2
        #expect(isClose(Silhouette.score(points, labels: [0, 0, 1, 1], clusterCount: 2), expected, relative: 1e-12))
    }

    @Test func singletonClustersScoreZero() {
        let points = Matrix<Double>(rows: 3, columns: 1, elements: [0, 1, 10])
        // Point 10 is alone: s = 0. Points 0 and 1: a = 1, b = 10 and 9.
        let expected = ((10.0 - 1) / 10 + (9.0 - 1) / 9 + 0) / 3
        #expect(isClose(Silhouette.score(points, labels: [0, 0, 1], clusterCount: 2), expected, relative: 1e-12))
    }

    @Test func stratifiedSampleKeepsSmallClusters() {
        let labels = [Int32](repeating: 0, count: 9_990) + [Int32](repeating: 1, count: 10)
        let sample = Silhouette.stratifiedSample(labels: labels, clusterCount: 2, size: 100, seed: 3)
        #expect(sample.filter { labels[$0] == 1 }.count == 2)
        #expect(sample.count == 102)
        #expect(sample == sample.sorted())
        #expect(sample == Silhouette.stratifiedSample(labels: labels, clusterCount: 2, size: 100, seed: 3))
    }
}

/// Customer features for `count` customers from a per-customer closure.
func syntheticFeatures(_ count: Int, _ make: (Int) -> (recency: Int64, frequency: Int64, spend: Double)) -> CustomerFeatures {
    var features = CustomerFeatures()
    for customer in 0..<count {
        let (recency, frequency, spend) = make(customer)
        features.customerID.append("c\(customer)")
        features.firstPurchase.append(0)
        features.lastPurchase.append(0)
        features.recencyDays.append(recency)
        features.tenureDays.append(recency + 100)
        features.frequency.append(frequency)
        features.monetaryTotal.append(spend)
        features.monetaryMean.append(spend / Double(frequency))
        features.interpurchaseMeanDays.append(frequency > 1 ? 30 : .nan)
        features.interpurchaseStdDays.append(frequency > 1 ? 5 : .nan)
        features.currentValue.append(0)
        features.purchaseRateTrend.append(.nan)
    }
    return features
}

@Suite struct CustomerClusteringTests {
    /// Two obvious groups: recent, frequent big spenders and long-gone one-time buyers.
    let twoGroups = syntheticFeatures(400) { customer in
        customer % 2 == 0
            ? (Int64(3 + customer % 5), Int64(20 + customer % 7), 2_000 + Double(customer))
            : (Int64(600 + customer % 50), 1, 20 + Double(customer % 9))
    }

    @Test func autoKFindsTheGroupsAndLabelsThem() throws {
        var rules = ClusteringRules()
        rules.clusterCount = .auto(2...5)
        let (result, report) = try CustomerClustering(rules: rules).cluster(twoGroups)
        #expect(result.clusterCount == 2)
        #expect(result.candidates.map(\.k) == [2, 3, 4, 5])
        #expect(result.candidates[0].silhouette > result.candidates[1].silhouette)
        let labels = Set(result.profiles.map(\.label))
        #expect(labels.contains("recent, high value, frequent") || labels.contains { $0.contains("high value") && $0.contains("recent") })
        #expect(labels.contains { $0.contains("one-time") && $0.contains("long gone") })
        #expect(result.labels[0] != result.labels[1])
        #expect(report.count("clusters") == 2)
        #expect(result.profiles.map(\.customers) == [200, 200])
        #expect(isClose(result.profiles.map(\.valueShare).reduce(0, +), 1))
    }

    /// On a base larger than `sweepSample`, the k are compared on a sample and only the chosen
    /// one is fitted on everyone: the same k and the same two groups.
    @Test func autoKSweepsOnASampleOfALargeBase() throws {
        var rules = ClusteringRules()
        rules.clusterCount = .auto(2...5)
        rules.sweepSample = 100
        let (result, _) = try CustomerClustering(rules: rules).cluster(twoGroups)
        #expect(result.clusterCount == 2)
        #expect(result.rule.hasSuffix("; k chosen on a random sample of 100 customers, then fitted on all 400"), "\(result.rule)")
        #expect(result.profiles.map(\.customers) == [200, 200])
        rules.sweepSample = 100_000
        #expect(adjustedRandIndex(try CustomerClustering(rules: rules).cluster(twoGroups).0.labels, result.labels) == 1)
    }

    @Test func sameSeedSameClustersInEitherPrecision() throws {
        var rules = ClusteringRules()
        rules.clusterCount = .fixed(3)
        let first = try CustomerClustering(rules: rules).cluster(twoGroups).0
        let second = try CustomerClustering(rules: rules).cluster(twoGroups).0
        #expect(first == second)
        rules.precision = .float64
        let double = try CustomerClustering(rules: rules).cluster(twoGroups).0
        // Float and Double may place a boundary customer differently: agreement, not identity.
        #expect(adjustedRandIndex(double.labels, first.labels) >= 0.999)
    }

    @Test func identicalCustomersFormOneClusterAndSaySo() throws {
        let same = syntheticFeatures(50) { _ in (10, 2, 100) }
        let (result, _) = try CustomerClustering(rules: ClusteringRules()).cluster(same)
        #expect(result.clusterCount == 1)
        #expect(result.note == "all 50 customers have the same clustering features, so they form one cluster")
        #expect(Set(result.labels) == [0])
    }

    @Test func badInputsAreNamed() {
        let few = syntheticFeatures(4) { customer in (Int64(customer), 1, 10) }
        #expect(throws: ClusteringError.tooFewCustomers(k: 6, customers: 4)) { try CustomerClustering(rules: ClusteringRules()).cluster(few) }
        var rules = ClusteringRules()
        rules.features = [ClusteringFeature(name: "interpurchase_mean_days")]
        #expect(throws: ClusteringError.input(.notFinite(feature: "interpurchase_mean_days", customers: 200))) {
            try CustomerClustering(rules: rules).cluster(twoGroups)
        }
        let negative = syntheticFeatures(10) { customer in (1, 1, customer == 0 ? -5 : 10) }
        rules.features = [ClusteringFeature(name: "monetary_total", transform: .log1p)]
        rules.clusterCount = .fixed(2)
        #expect(throws: ClusteringError.input(.transformDomain(feature: "monetary_total", customers: 1))) {
            try CustomerClustering(rules: rules).cluster(negative)
        }
    }

    /// signed_log1p takes net spend below -1, and is log1p mirrored: -5 and 5 land at the same
    /// distance from 0, so with values -5, 0 (x2) and 5 the two extremes each sit log(6) away.
    @Test func signedLog1pTakesNegativeValues() throws {
        let spends: [Double] = [-5, 0, 0, 5]
        let features = syntheticFeatures(4) { customer in (1, 1, spends[customer]) }
        var rules = ClusteringRules()
        rules.features = [ClusteringFeature(name: "monetary_total", transform: .signedLog1p, scaling: .none)]
        rules.clusterCount = .fixed(3)
        rules.precision = .float64
        let (result, _) = try CustomerClustering(rules: rules).cluster(features)
        #expect(Set(result.labels).count == 3)
        #expect(result.labels[1] == result.labels[2])
        #expect(result.inertia == 0)
        let centers = result.profiles.compactMap { $0.features.first { $0.name == "monetary_total" }?.mean }
        #expect(centers.sorted() == [-5, 0, 5])
    }
}
