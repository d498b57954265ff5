import SegflowCore

/// Which categories are bought by the same customers, as association rules over customers
/// (each customer's set of categories is one "basket"; Agrawal, Imieliński & Swami 1993):
/// for antecedent A and consequent B,
/// - support = share of customers who bought both;
/// - confidence = share of A's customers who also bought B, P(B | A);
/// - lift = confidence / P(B): how much more likely B is among A's buyers than among all.
///
/// Pairs are counted sparsely: each customer adds one to every pair of their distinct
/// categories, so the cost is the sum over customers of m(m-1)/2 for m categories each, and
/// memory is the number of pairs that occur together, whatever the number of categories.
public struct CategoryAffinity: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        public var antecedent: UInt32
        public var consequent: UInt32
        /// Customers who bought both.
        public var customers: Int
        public var support: Double
        public var confidence: Double
        public var lift: Double
    }

    /// Customers with at least one categorised purchase: the base of every share.
    public let customerCount: Int
    /// Customers who bought each category, by code.
    public let categoryCustomers: [Int]
    /// Both directions of every pair whose categories each have `minCustomers` buyers and
    /// that `minCustomers` customers bought together, by lift (highest first), then by
    /// antecedent and consequent code.
    public let rules: [Rule]

    /// Rules over the customers' category sets. `sets[c]` lists customer c's distinct
    /// category codes; `categories` is the number of codes.
    public init(sets: [[UInt32]], categories: Int, minCustomers: Int, workers: Int = Parallel.workerCount) {
        var buyers = [Int](repeating: 0, count: categories)
        var customers = 0
        for set in sets where !set.isEmpty {
            customers += 1
            for code in set { buyers[Int(code)] += 1 }
        }
        customerCount = customers
        categoryCustomers = buyers
        let frequent = buyers.map { $0 >= minCustomers }
        var partCounts = [[UInt64: Int]](repeating: [:], count: workers)
        partCounts.withUnsafeMutableBufferPointer { partCounts in
            Parallel.forEach(parts: workers) { part in
                var counts: [UInt64: Int] = [:]
                var kept: [UInt32] = []
                for customer in Parallel.slice(part, of: workers, count: sets.count) {
                    kept.removeAll(keepingCapacity: true)
                    for code in sets[customer] where frequent[Int(code)] { kept.append(code) }
                    kept.sort()
                    for first in kept.indices {
                        for second in kept.index(after: first)..<kept.count {
                            counts[UInt64(kept[first]) << 32 | UInt64(kept[second]), default: 0] += 1
                        }
                    }
                }
                partCounts[part] = counts
            }
        }
        var pairs = partCounts[0]
        for part in partCounts.dropFirst() { pairs.merge(part, uniquingKeysWith: +) }
        let total = Double(customers)
        var rules: [Rule] = []
        for (key, both) in pairs where both >= minCustomers {
            let a = UInt32(key >> 32), b = UInt32(key & 0xFFFF_FFFF)
            for (antecedent, consequent) in [(a, b), (b, a)] {
                let confidence = Double(both) / Double(buyers[Int(antecedent)])
                rules.append(
                    Rule(
                        antecedent: antecedent, consequent: consequent, customers: both, support: Double(both) / total,
                        confidence: confidence, lift: confidence / (Double(buyers[Int(consequent)]) / total)))
            }
        }
        rules.sort { ($0.lift, $1.antecedent, $1.consequent) > ($1.lift, $0.antecedent, $0.consequent) }
        self.rules = rules
    }

    /// For each customer, the category not yet bought with the highest lift from one they
    /// have bought (ties: higher confidence, then the lower code); nil when no rule with lift
    /// above 1 leads anywhere new.
    public func nextBest(for sets: [[UInt32]], workers: Int = Parallel.workerCount) -> [UInt32?] {
        // Each antecedent's rules, best first, at most `candidatesPerCategory`: a customer is
        // scored on the strongest rules of their categories, not on every pair.
        var byAntecedent = [[Rule]](repeating: [], count: categoryCustomers.count)
        for rule in rules where rule.lift > 1 && byAntecedent[Int(rule.antecedent)].count < Self.candidatesPerCategory {
            byAntecedent[Int(rule.antecedent)].append(rule)
        }
        var result = [UInt32?](repeating: nil, count: sets.count)
        result.withUnsafeMutableBufferPointer { result in
            Parallel.forEach(parts: workers) { part in
                for customer in Parallel.slice(part, of: workers, count: sets.count) {
                    let owned = sets[customer]
                    var best: Rule?
                    for antecedent in owned {
                        for rule in byAntecedent[Int(antecedent)] where !owned.contains(rule.consequent) {
                            if let current = best, rule.lift < current.lift { break }  // sorted: nothing after beats it
                            if best.map({ Self.isBetter(rule, than: $0) }) ?? true { best = rule }
                        }
                    }
                    result[customer] = best?.consequent
                }
            }
        }
        return result
    }

    static func isBetter(_ rule: Rule, than other: Rule) -> Bool {
        (rule.lift, rule.confidence, other.consequent) > (other.lift, other.confidence, rule.consequent)
    }

    /// Rules kept per antecedent for next-best scoring.
    static let candidatesPerCategory = 50
}
