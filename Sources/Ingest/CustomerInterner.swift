#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Assigns each distinct customer id a dense index. The key space is split by hash into
/// shards, one per worker, so interning runs on all cores without locks; within a shard,
/// indices follow first appearance.
struct CustomerShard {
    private var slots: [UInt32]
    private var mask: Int
    private var hashes: [UInt64] = []
    private var keyStart: [Int] = []
    private var keys: [UInt8] = []
    /// Global row number of each customer's first row.
    private(set) var firstRow: [Int] = []

    init() {
        slots = [UInt32](repeating: 0, count: 1 << 12)
        mask = slots.count - 1
        keyStart = [0]
    }

    var count: Int { hashes.count }

    /// The shard-local index of the key, adding it if new.
    @inline(__always)
    mutating func intern(hash: UInt64, key: UnsafeRawBufferPointer, row: Int) -> Int {
        var slot = Int(truncatingIfNeeded: hash >> 20) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            let index = Int(entry - 1)
            if hashes[index] == hash, keyEquals(index, key) { return index }
            slot = (slot + 1) & mask
        }
        let index = hashes.count
        hashes.append(hash)
        keys.append(contentsOf: key)
        keyStart.append(keys.count)
        firstRow.append(row)
        slots[slot] = UInt32(index + 1)
        if hashes.count * 2 > slots.count { grow() }
        return index
    }

    @inline(__always)
    private func keyEquals(_ index: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let start = keyStart[index], length = keyStart[index + 1] - start
        guard length == key.count else { return false }
        return keys.withUnsafeBytes { stored in memcmp(stored.baseAddress! + start, key.baseAddress!, length) == 0 }
    }

    private mutating func grow() {
        slots = [UInt32](repeating: 0, count: slots.count * 2)
        mask = slots.count - 1
        for (index, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash >> 20) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(index + 1)
        }
    }

    func key(_ index: Int) -> String {
        keys.withUnsafeBufferPointer { stored in
            String(decoding: UnsafeBufferPointer(rebasing: stored[keyStart[index]..<keyStart[index + 1]]), as: UTF8.self)
        }
    }
}
