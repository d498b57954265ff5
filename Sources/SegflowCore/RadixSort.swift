/// Least-significant-digit radix sort of 64-bit keys, 11 bits a pass: linear time and
/// streaming memory access, where merging a million keys through a hash table is bound by
/// cache misses.
public enum RadixSort {
    /// Sorts `keys`, all below 2^`significantBits`, in ascending order.
    public static func sort(_ keys: inout [UInt64], significantBits: Int) {
        let digitBits = 11, radix = 1 << digitBits
        var scratch = [UInt64](repeating: 0, count: keys.count)
        var counts = [Int](repeating: 0, count: radix)
        var shift = 0
        while shift < significantBits {
            keys.withUnsafeMutableBufferPointer { source in
                scratch.withUnsafeMutableBufferPointer { target in
                    counts.withUnsafeMutableBufferPointer { counts in
                        let mask = UInt64(radix - 1)
                        for index in counts.indices { counts[index] = 0 }
                        for key in source { counts[Int((key >> UInt64(shift)) & mask)] += 1 }
                        var offset = 0
                        for index in counts.indices {
                            let count = counts[index]
                            counts[index] = offset
                            offset += count
                        }
                        for key in source {
                            let digit = Int((key >> UInt64(shift)) & mask)
                            target[counts[digit]] = key
                            counts[digit] += 1
                        }
                    }
                }
            }
            swap(&keys, &scratch)
            shift += digitBits
        }
    }
}
