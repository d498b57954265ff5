import SegflowCore
import Testing

@Suite struct IDIndexTests {
    @Test func findsEachIdAtItsPosition() {
        var index = IDIndex(["c-1", "c-2", "", "é-ü"])
        #expect(index["c-1"] == 0)
        #expect(index["c-2"] == 1)
        #expect(index[""] == 2)
        #expect(index["é-ü"] == 3)
        #expect(index["c-3"] == nil)
        index.append("c-3")
        #expect(index["c-3"] == 4)
        #expect(index.count == 5)
    }

    @Test func aRepeatedIdKeepsItsFirstPositionButTakesASlot() {
        var index = IDIndex(["a", "b", "a"])
        #expect(index["a"] == 0)
        #expect(index.count == 3)
        index.append("d")
        #expect(index["d"] == 3)
    }

    @Test func growingKeepsEveryPositionAgreeingWithADictionary() {
        let ids = (0..<50_000).map { "customer-\($0 * 7919 % 100_003)" }
        var index = IDIndex(Array(ids.prefix(10)))
        for id in ids.dropFirst(10) { index.append(id) }
        var expected: [String: Int] = [:]
        for (position, id) in ids.enumerated() where expected[id] == nil { expected[id] = position }
        #expect(ids.allSatisfy { index[$0] == expected[$0] })
        #expect(index["customer-100003"] == nil)
    }
}
