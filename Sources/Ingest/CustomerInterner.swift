import SegflowCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Assigns each distinct customer id a dense index. The key space is split by hash into
/// shards, one per worker, so interning runs on all cores without locks; within a shard,
/// indices follow first appearance.
///
/// Open addressing with linear probing. A slot holds the upper 32 bits of the key's hash
/// beside the entry index, so a probe touches the key bytes only when those bits match.
struct CustomerShard {
    private var slots: [UInt64]
    private var mask: Int
    private var keyStart: [Int] = [0]
    private var keys: [UInt8] = []
    /// Global row number of each customer's first row.
    private(set) var firstRow: [Int] = []

    init() {
        slots = [UInt64](repeating: 0, count: 1 << 12)
        mask = slots.count - 1
    }

    var count: Int { firstRow.count }

    /// The shard-local index of the key, adding it if new.
    @inline(__always)
    mutating func intern(hash: UInt64, key: UnsafeRawBufferPointer, row: Int) -> Int {
        let tag = hash >> 32
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            if entry >> 32 == tag {
                let index = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                if keyEquals(index, key) { return index }
            }
            slot = (slot + 1) & mask
        }
        let index = count
        keys.append(contentsOf: key)
        keyStart.append(keys.count)
        firstRow.append(row)
        slots[slot] = tag << 32 | UInt64(index + 1)
        if count * 2 > slots.count { grow() }
        return index
    }

    @inline(__always)
    private func keyEquals(_ index: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let start = keyStart[index], length = keyStart[index + 1] - start
        guard length == key.count else { return false }
        return keys.withUnsafeBytes { stored in
            let storedKey = UnsafeRawBufferPointer(rebasing: stored[start..<(start + length)])
            if (8...16).contains(length) {
                // Two overlapping 8-byte words cover the whole key.
                return storedKey.loadUnaligned(as: UInt64.self) == key.loadUnaligned(as: UInt64.self)
                    && storedKey.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)
                        == key.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)
            }
            return storedKey.elementsEqual(key)
        }
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        mask = slots.count - 1
        for entry in old where entry != 0 {
            let index = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
            let hash = keys.withUnsafeBytes { Hashing.key(UnsafeRawBufferPointer(rebasing: $0[keyStart[index]..<keyStart[index + 1]])) }
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = entry
        }
    }

    func key(_ index: Int) -> String {
        keys.withUnsafeBufferPointer { stored in
            String(decoding: UnsafeBufferPointer(rebasing: stored[keyStart[index]..<keyStart[index + 1]]), as: UTF8.self)
        }
    }
}
