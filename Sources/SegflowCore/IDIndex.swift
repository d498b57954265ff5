/// Each id's position in a list of ids, found from the id's bytes: how the side inputs
/// join a million ids to the customers table, a migration finds last run's rows, and
/// `TextGroups` codes a text column.
///
/// A `[String: Int]` hashes every lookup with a seeded SipHash through `Hasher`; this index
/// hashes the UTF-8 bytes with `Hashing.key` and probes a flat table (open addressing,
/// linear probing), each slot holding the upper 32 bits of the hash beside the position, so
/// a probe compares key bytes only when those bits match.
public struct IDIndex: Sendable {
    private var slots: [UInt64]
    private var keyStart: [Int] = [0]
    private var keys: [UInt8] = []

    /// An index of `ids`, each at its position; a repeated id keeps its first position.
    public init(_ ids: [String]) {
        var capacity = 16
        while capacity < ids.count * 2 { capacity *= 2 }
        slots = [UInt64](repeating: 0, count: capacity)
        keyStart.reserveCapacity(ids.count + 1)
        keys.reserveCapacity(ids.count * 12)
        for id in ids { append(id) }
    }

    /// Ids added, repeats included: the position the next one gets.
    public var count: Int { keyStart.count - 1 }

    /// Adds `id` at position `count`. A repeated id takes a position but is never found
    /// there: lookups return its first one.
    public mutating func append(_ id: String) {
        let position = count
        Self.withBytes(id) { bytes in
            let hash = Hashing.key(bytes)
            if find(bytes, hash: hash) == nil { place(hash: hash, position: position) }
            keys.append(contentsOf: bytes)
        }
        keyStart.append(keys.count)
        if count * 2 > slots.count { grow() }
    }

    /// The position of `id`, or nil when it was never added.
    public subscript(id: String) -> Int? {
        Self.withBytes(id) { find($0, hash: Hashing.key($0)) }
    }

    private func find(_ key: UnsafeRawBufferPointer, hash: UInt64) -> Int? {
        let mask = slots.count - 1, tag = hash >> 32
        var slot = Int(truncatingIfNeeded: hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            while true {
                let entry = slots[slot]
                if entry == 0 { return nil }
                if entry >> 32 == tag {
                    let position = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                    if keyEquals(position, key) { return position }
                }
                slot = (slot + 1) & mask
            }
        }
    }

    private mutating func place(hash: UInt64, position: Int) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = (hash >> 32) << 32 | UInt64(position + 1)
    }

    private func keyEquals(_ position: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let start = keyStart[position], end = keyStart[position + 1]
        guard end - start == key.count else { return false }
        return keys.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[start..<end]).elementsEqual(key) }
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        for entry in old where entry != 0 {
            let position = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
            let hash = keys.withUnsafeBytes { Hashing.key(UnsafeRawBufferPointer(rebasing: $0[keyStart[position]..<keyStart[position + 1]])) }
            place(hash: hash, position: position)
        }
    }

    /// A small string (up to 15 bytes, most ids) has no contiguous UTF-8 storage to borrow;
    /// `withUTF8` on a copy lays it out on the stack instead of allocating an array.
    private static func withBytes<Result>(_ id: String, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        var id = id
        return id.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }
}
