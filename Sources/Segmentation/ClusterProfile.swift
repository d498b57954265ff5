import Features
import SegflowCore

/// How one cluster differs from the whole customer base: what `segments.csv` holds.
public struct ClusterProfile: Sendable, Equatable {
    public struct FeatureSummary: Sendable, Equatable {
        public var name: String
        public var mean: Double
        public var median: Double
        /// (cluster mean - population mean) / population standard deviation.
        public var zScore: Double
    }

    public var cluster: Int
    public var label: String
    public var customers: Int
    public var share: Double
    /// Share of the total `monetary_total` held by this cluster's customers.
    public var valueShare: Double
    public var features: [FeatureSummary]

    /// Profiles of every cluster over every numeric feature (NaN values left out), in
    /// cluster order, labelled from `labelFeatures` (the features clustered on, plus value).
    public static func profiles(
        labels: [Int32], clusterCount k: Int, features: CustomerFeatures,
        labelFeatures: Set<String>
    ) -> [ClusterProfile] {
        let n = labels.count
        var members = [[Int]](repeating: [], count: k)
        for (row, label) in labels.enumerated() { members[Int(label)].append(row) }
        let totalValue = features.monetaryTotal.reduce(0, +)
        var profiles = (0..<k).map { cluster in
            ClusterProfile(
                cluster: cluster, label: "", customers: members[cluster].count,
                share: n > 0 ? Double(members[cluster].count) / Double(n) : 0,
                valueShare: totalValue != 0 ? members[cluster].reduce(0) { $0 + features.monetaryTotal[$1] } / totalValue : 0,
                features: [])
        }
        // Features are summarised in parallel: at a million customers the sorts for the medians are most of the cost.
        let names = features.numericNames
        let summaries = Parallel.map(parts: names.count) { index -> [FeatureSummary?] in
            guard let values = features.values(named: names[index]) else { return [] }
            let finite = values.filter(\.isFinite)
            let mean = finite.reduce(0, +) / Double(max(finite.count, 1))
            let variance = finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(finite.count, 1))
            let deviation = variance.squareRoot()
            return (0..<k).map { cluster in
                let own = members[cluster].map { values[$0] }.filter(\.isFinite)
                guard !own.isEmpty else { return nil }
                let clusterMean = own.reduce(0, +) / Double(own.count)
                return FeatureSummary(
                    name: names[index], mean: clusterMean, median: CustomerValue.median(own),
                    zScore: deviation > 0 ? (clusterMean - mean) / deviation : 0)
            }
        }
        for summary in summaries {
            for (cluster, feature) in summary.enumerated() { if let feature { profiles[cluster].features.append(feature) } }
        }
        var used: [String: Int] = [:]
        for cluster in 0..<k {
            var label = ClusterLabeler.label(profiles[cluster], using: labelFeatures, channels: features.lineColumns.channels)
            used[label, default: 0] += 1
            if let count = used[label], count > 1 { label += " (\(count))" }
            profiles[cluster].label = label
        }
        return profiles
    }
}

/// Short readable names for clusters, from the features that set them apart most.
enum ClusterLabeler {
    /// The words of the (at most three) features with |z| >= 0.5, strongest first; a cluster
    /// whose customers bought once is "one-time" rather than "infrequent". A label that says
    /// nothing of recency ends with where the cluster's median customer stands in time, so
    /// "frequent" never hides customers who stopped buying a year ago.
    static func label(_ profile: ClusterProfile, using names: Set<String>, channels: [String] = []) -> String {
        let words = featureWords(profile, using: names, channels: channels)
        guard !words.contains(where: { recencyWords.contains($0) }),
            let recency = profile.features.first(where: { $0.name == "recency_days" })?.median
        else { return words.joined(separator: ", ") }
        let standing = recency <= 90 ? "bought lately" : recency <= 365 ? "quiet for months" : "quiet for over a year"
        return (words + [standing]).joined(separator: ", ")
    }

    static let recencyWords: Set<String> = {
        guard let words = FeatureDescriptor.named("recency_days")?.clusterWords else { return [] }
        return [words.high, words.low]
    }()

    private static func featureWords(_ profile: ClusterProfile, using names: Set<String>, channels: [String]) -> [String] {
        let strongest = profile.features.filter {
            abs($0.zScore) >= 0.5 && FeatureDescriptor.named($0.name, channels: channels)?.clusterWords != nil && names.contains($0.name)
        }
        .sorted { abs($0.zScore) != abs($1.zScore) ? abs($0.zScore) > abs($1.zScore) : $0.name < $1.name }
        .prefix(3)
        guard !strongest.isEmpty else { return ["typical"] }
        return strongest.map { summary -> String in
            let words = FeatureDescriptor.named(summary.name, channels: channels)!.clusterWords!
            if summary.name == "frequency", summary.zScore < 0, summary.median == 1 { return "one-time" }
            return summary.zScore > 0 ? words.high : words.low
        }
    }
}
