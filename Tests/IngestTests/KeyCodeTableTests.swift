import Testing

@testable import Ingest

@Suite struct KeyCodeTableTests {
    /// Keys that share their low bits probe past each other, and the table grows past its
    /// first size without losing a code.
    @Test func codesSurviveCollisionsAndGrowth() {
        var table = KeyCodeTable(capacity: 2)
        let keys = (0..<1_000).map { UInt64($0) << 32 | 7 }
        for (code, key) in keys.enumerated() { table.insert(key, code: UInt32(code)) }
        #expect(table.count == 1_000)
        #expect(keys.enumerated().allSatisfy { table.code(of: $1) == UInt32($0) })
        #expect(table.code(of: 8) == nil && table.code(of: 1_000 << 32 | 7) == nil)
        let listed = KeyCodeTable(keys: [5, 9, 5])
        #expect(listed.code(of: 5) == 0 && listed.code(of: 9) == 1 && listed.count == 2)
    }
}
