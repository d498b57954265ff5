import SegflowCore

/// Codes by 64-bit key, where the key is a `Hashing.key` already: open addressing with
/// linear probing on the key's low bits. The ingest loop looks up a category and a channel
/// for every row; `Dictionary` would hash the hash again and costs several times as much.
struct KeyCodeTable {
    private var keys: [UInt64]
    private var codes: [UInt32]
    private var mask: Int
    private(set) var count = 0

    private static let empty = UInt32.max

    init(capacity: Int = 8) {
        var slots = 16
        while slots < capacity * 2 { slots <<= 1 }
        keys = [UInt64](repeating: 0, count: slots)
        codes = [UInt32](repeating: Self.empty, count: slots)
        mask = slots - 1
    }

    /// A table whose codes are the keys' positions in `keys`.
    init(keys: [UInt64]) {
        self.init(capacity: keys.count)
        for (code, key) in keys.enumerated() where self.code(of: key) == nil { insert(key, code: UInt32(code)) }
    }

    @inline(__always)
    func code(of key: UInt64) -> UInt32? {
        var slot = Int(truncatingIfNeeded: key) & mask
        while codes[slot] != Self.empty {
            if keys[slot] == key { return codes[slot] }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// Adds a key that is not in the table.
    mutating func insert(_ key: UInt64, code: UInt32) {
        if (count + 1) * 2 > codes.count { grow() }
        var slot = Int(truncatingIfNeeded: key) & mask
        while codes[slot] != Self.empty { slot = (slot + 1) & mask }
        keys[slot] = key
        codes[slot] = code
        count += 1
    }

    private mutating func grow() {
        var larger = KeyCodeTable(capacity: codes.count)
        for slot in codes.indices where codes[slot] != Self.empty { larger.insert(keys[slot], code: codes[slot]) }
        self = larger
    }
}
