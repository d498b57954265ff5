import SegflowCore
import Testing

@Suite struct MedianTests {
    @Test func knownAnswers() {
        #expect(Median.of([]) == nil)
        #expect(Median.of([4]) == 4)
        #expect(Median.of([3, 1, 2]) == 2)
        #expect(Median.of([4, 1, 3, 2]) == 2.5)
        #expect(Median.of([1, 1, 1, 1, 2, 2, 3, 4, 5, 6]) == 2)
        #expect(Median.of([-1, .infinity, 5]) == 5)
    }

    @Test func agreesWithSortingOnTiesAndOrders() {
        var generator = RandomSource(seed: 11)
        for count in [1, 2, 3, 5, 8, 13, 100, 1_001, 10_000] {
            for distinct in [1, 2, 7, 1_000_000] {
                let values = (0..<count).map { _ in Double(generator.next() % UInt64(distinct)) }
                for input in [values, values.sorted(), values.sorted(by: >)] {
                    let sorted = input.sorted(), middle = count / 2
                    let expected = count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
                    #expect(Median.of(input) == expected, "count \(count), \(distinct) distinct values")
                }
            }
        }
    }
}
