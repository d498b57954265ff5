import Foundation
import SegflowCore
import Statistics

/// Who is in each segment, in words a marketer reads: for every group of the profiled
/// dimensions (RFM segment, cluster), its size and value, the medians of the numbers that
/// describe behaviour, its usual category and channel, its NPS, the attribute values most
/// over-represented against the whole base (share in the group over share in the base: the
/// lift), and a generated one-line description built from them.
public struct PersonaProfiles: Sendable, Equatable {
    public struct Trait: Sendable, Equatable {
        public var attribute: String
        public var value: String
        /// Share of the group's customers (with a value) holding it, and of the base's.
        public var share: Double
        public var baseShare: Double
        public var lift: Double { baseShare > 0 ? share / baseShare : .nan }
    }

    public struct Profile: Sendable, Equatable {
        public var dimension: String
        public var group: String
        public var customers: Int
        public var customerShare: Double
        public var valueShare: Double
        /// Median of each of `PersonaProfiles.medianColumns` the table has, in that order.
        public var medians: [Double]
        public var topCategory: String
        public var topChannel: String
        public var nps: NetPromoterScore
        /// The most over-represented attribute values, strongest first (at most three).
        public var traits: [Trait]
        public var description: String
    }

    /// The numbers whose medians describe a group, where the customers table has them.
    public static let medianColumns = [
        "recency_days", "frequency", "monetary_total", "monetary_mean", "tenure_days", "category_count", "margin_rate", "clv", "p_alive",
    ]

    /// A trait is told when its value holds at least this share of the group and this lift.
    static let traitMinimumShare = 0.2
    static let traitMinimumLift = 1.25

    public var medianNames: [String]
    public var profiles: [Profile]

    /// `groups`: per profiled dimension, each customer's group. `attributes`: the text
    /// columns whose values can be traits (customer attributes).
    public init(customers: Table, groups: [(dimension: String, values: [String])], attributes: [String]) {
        medianNames = Self.medianColumns.filter { customers.column(named: $0) != nil }
        let numbers = medianNames.map { customers.column(named: $0)!.numbers! }
        let value = customers.column(named: "monetary_total")?.numbers ?? []
        let totalValue = value.reduce(0) { $0 + ($1.isFinite ? $1 : 0) }
        let topCategories = customers.column(named: "top_category").map { TextGroups($0.textValues) }
        let topChannels = customers.column(named: "top_channel").map { TextGroups($0.textValues) }
        let classes = customers.column(named: "nps_class")?.textValues.map { $0.isEmpty ? nil : NetPromoterScore.Class(rawValue: $0) }
        let attributeValues = attributes.compactMap { name in customers.column(named: name).map { (name, TextGroups($0.textValues)) } }
        let everyone = Array(0..<customers.rowCount)
        let baseShares = attributeValues.map { $0.1.shares(among: everyone) }
        let baseChannels = topChannels?.shares(among: everyone) ?? [:]
        var work: [(dimension: String, group: String, rows: [Int])] = []
        for (dimension, values) in groups {
            let grouping = TextGroups(values)
            work += zip(grouping.names, grouping.members).map { (dimension, $0, $1) }
        }
        let medianNames = self.medianNames, rowCount = customers.rowCount
        // Groups are profiled in parallel: at 1M customers the medians are most of the cost.
        var built = [Profile?](repeating: nil, count: work.count)
        built.withUnsafeMutableBufferPointer { built in
            Parallel.forEach(parts: work.count) { index in
                let (dimension, group, rows) = work[index]
                var nps = NetPromoterScore()
                for row in rows { if let answer = classes?[row] { nps.add(answer) } }
                var traits: [Trait] = []
                for (attribute, (name, cells)) in attributeValues.enumerated() {
                    for (cell, share) in cells.shares(among: rows) {
                        let trait = Trait(attribute: name, value: cell, share: share, baseShare: baseShares[attribute][cell] ?? 0)
                        if share >= Self.traitMinimumShare, trait.lift >= Self.traitMinimumLift { traits.append(trait) }
                    }
                }
                traits.sort { ($0.lift, $1.attribute, $1.value) > ($1.lift, $0.attribute, $0.value) }
                var profile = Profile(
                    dimension: dimension, group: group, customers: rows.count, customerShare: Double(rows.count) / Double(max(rowCount, 1)),
                    valueShare: totalValue != 0 ? rows.reduce(0) { $0 + (value[$1].isFinite ? value[$1] : 0) } / totalValue : .nan,
                    medians: numbers.map { column in Self.median(rows.map { column[$0] }.filter(\.isFinite)) },
                    topCategory: topCategories.map { Self.mode(of: $0, among: rows) } ?? "",
                    topChannel: topChannels.map { Self.mode(of: $0, among: rows) } ?? "", nps: nps, traits: Array(traits.prefix(3)),
                    description: "")
                profile.description = Self.describe(
                    profile, medianNames: medianNames, channelShare: topChannels?.shares(among: rows) ?? [:], baseChannelShare: baseChannels)
                built[index] = profile
            }
        }
        profiles = built.map { $0! }
    }

    /// "mostly business customers, app-first, buy 3 categories, mostly grocery, promoters":
    /// the strongest traits ("mostly" over half the group, else "many"), the channel when it
    /// leads for over half the group and at least 1.25 times as often as in the base, the
    /// median number of categories, the usual category, and the NPS when 30 or more answers
    /// put it at 30 or above, or −30 or below.
    static func describe(_ profile: Profile, medianNames: [String], channelShare: [String: Double], baseChannelShare: [String: Double])
        -> String
    {
        var words: [String] = []
        for trait in profile.traits.prefix(2) {
            words.append("\(trait.share > 0.5 ? "mostly" : "many") \(trait.attribute.replacingOccurrences(of: "_", with: " ")) \(trait.value)")
        }
        let channel = channelShare[profile.topChannel] ?? 0
        if channel > 0.5, channel >= Self.traitMinimumLift * (baseChannelShare[profile.topChannel] ?? 1) {
            words.append("\(profile.topChannel)-first")
        }
        if let index = medianNames.firstIndex(of: "category_count"), profile.medians[index].isFinite {
            let count = Int(profile.medians[index].rounded())
            words.append("buy \(count) \(count == 1 ? "category" : "categories")")
        }
        if !profile.topCategory.isEmpty { words.append("mostly \(profile.topCategory)") }
        if profile.nps.respondents >= 30, profile.nps.score >= 30 { words.append("promoters") }
        if profile.nps.respondents >= 30, profile.nps.score <= -30 { words.append("detractors") }
        return words.isEmpty ? "typical customers" : words.joined(separator: ", ")
    }

    /// The most common value among `rows` (the first in sort order on ties); "" when none.
    static func mode(of cells: TextGroups, among rows: [Int]) -> String {
        cells.shares(among: rows).max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? ""
    }

    static func median(_ values: [Double]) -> Double { Median.of(values) ?? .nan }

    /// `personas.csv`.
    public var table: Table {
        var columns = [
            Column("dimension", .text(profiles.map(\.dimension))),
            Column("group", .text(profiles.map(\.group))),
            Column("customers", .integer(profiles.map { Int64($0.customers) })),
            Column("customer_share", .real(profiles.map(\.customerShare))),
            Column("value_share", .real(profiles.map(\.valueShare))),
            Column("description", .text(profiles.map(\.description))),
        ]
        for (index, name) in medianNames.enumerated() { columns.append(Column("\(name)_median", .real(profiles.map { $0.medians[index] }))) }
        columns += [
            Column("top_category", .text(profiles.map(\.topCategory))),
            Column("top_channel", .text(profiles.map(\.topChannel))),
            Column("respondents", .integer(profiles.map { Int64($0.nps.respondents) })),
            Column("nps", .real(profiles.map(\.nps.score))),
            Column(
                "traits",
                .text(
                    profiles.map { profile in
                        profile.traits.map { trait in
                            let shares = String(format: "%.0f%% vs %.0f%%, x%.1f", trait.share * 100, trait.baseShare * 100, trait.lift)
                            return "\(trait.attribute)=\(trait.value) (\(shares))"
                        }
                        .joined(separator: "; ")
                    })),
        ]
        return Table(rowCount: profiles.count, columns: columns)
    }
}
