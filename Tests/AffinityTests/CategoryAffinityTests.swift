import Affinity
import Testing

@Suite struct CategoryAffinityTests {
    /// Four categories A..D over ten customers, worked by hand. Buyers: A 5, B 5, C 5, D 3.
    /// Pairs: AB 3, AC 2, BC 2, BD 1, CD 1. With min_customers 2 the rules are AB, AC, BC in
    /// both directions: A→B support 3/10, confidence 3/5, lift 0.6 / 0.5 = 1.2; A→C and B→C
    /// support 0.2, confidence 0.4, lift 0.8.
    let sets: [[UInt32]] = [[0, 1], [0, 1], [0, 1, 2], [0], [1, 2], [2, 3], [3], [2], [0, 2], [1, 3]]

    @Test func supportConfidenceAndLift() {
        let affinity = CategoryAffinity(sets: sets, categories: 4, minCustomers: 2, workers: 2)
        #expect(affinity.customerCount == 10)
        #expect(affinity.categoryCustomers == [5, 5, 5, 3])
        let pairs = affinity.rules.map { "\($0.antecedent)→\($0.consequent)" }
        #expect(pairs == ["0→1", "1→0", "0→2", "1→2", "2→0", "2→1"])
        let first = affinity.rules[0]
        #expect(first.customers == 3)
        #expect(abs(first.support - 0.3) < 1e-12)
        #expect(abs(first.confidence - 0.6) < 1e-12)
        #expect(abs(first.lift - 1.2) < 1e-12)
        #expect(affinity.rules.dropFirst(2).allSatisfy { abs($0.lift - 0.8) < 1e-12 && abs($0.confidence - 0.4) < 1e-12 })
    }

    /// Only rules with lift above 1 lead somewhere: A's buyers are offered B and B's buyers
    /// A; C's lifts are below 1 and D has no rule.
    @Test func nextBestCategory() {
        let affinity = CategoryAffinity(sets: sets, categories: 4, minCustomers: 2, workers: 2)
        let next = affinity.nextBest(for: sets, workers: 2)
        #expect(next == [nil, nil, nil, 1, 0, nil, nil, nil, 1, 0])
    }

    /// The same rules whatever the number of workers.
    @Test func workersDoNotChangeTheRules() {
        let many: [[UInt32]] = (0..<500).map { (customer: Int) -> [UInt32] in
            let count = UInt32(customer % 5 + 1), offset = UInt32(customer)
            return (0..<count).map { ($0 * 7 + offset) % 40 }
        }
        let one = CategoryAffinity(sets: many, categories: 40, minCustomers: 3, workers: 1)
        let three = CategoryAffinity(sets: many, categories: 40, minCustomers: 3, workers: 3)
        #expect(one == three)
        #expect(one.nextBest(for: many, workers: 1) == three.nextBest(for: many, workers: 3))
    }
}
