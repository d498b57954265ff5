/// The median by selection (Hoare's quickselect): expected O(n) where a sort is O(n log n).
/// Profiling the segments takes the medians of a dozen columns over every group of a million
/// customers, and sorting them was most of what the profiles cost.
public enum Median {
    /// The middle value, or the mean of the two middle ones for an even count; nil when there
    /// are no values. The values must not be NaN (callers filter them out).
    public static func of(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        var values = values
        let middle = values.count / 2
        return values.withUnsafeMutableBufferPointer { buffer in
            select(middle, in: buffer)
            let upper = buffer[middle]
            guard buffer.count % 2 == 0 else { return upper }
            // Selection left every value below the middle one in front of it.
            return (UnsafeMutableBufferPointer(rebasing: buffer[..<middle]).max()! + upper) / 2
        }
    }

    /// Reorders `buffer` so that position `k` holds what a sort would put there, with no larger
    /// value before it and no smaller one after.
    static func select(_ k: Int, in buffer: UnsafeMutableBufferPointer<Double>) {
        var low = 0, high = buffer.count - 1
        while low < high {
            // The median of three as pivot keeps sorted and reversed input linear; Hoare's
            // partition splits runs of equal values down the middle, so ties do too.
            let a = buffer[low], b = buffer[low + (high - low) / 2], c = buffer[high]
            let pivot = max(min(a, b), min(max(a, b), c))
            var i = low, j = high
            while i <= j {
                while buffer[i] < pivot { i += 1 }
                while buffer[j] > pivot { j -= 1 }
                if i <= j {
                    buffer.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            // Now low...j hold values ≤ pivot, i...high values ≥ pivot, and anything between equals it.
            if k <= j {
                high = j
            } else if k >= i {
                low = i
            } else {
                return
            }
        }
    }
}
