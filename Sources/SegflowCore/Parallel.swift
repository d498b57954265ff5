import Dispatch

/// The thread policy of segflow: work is split into a fixed number of contiguous parts
/// (never "whoever finishes first"), and parts are combined in part order, so results do
/// not depend on scheduling.
public enum Parallel {
    /// Worker count: the machine's active cores, or `SEGFLOW_THREADS` when set. Read once:
    /// glibc reads the core count from /sys on every call, and a 1M-row export asks 60 times.
    public static let workerCount: Int = {
        if let text = getenvString("SEGFLOW_THREADS"), let value = Int(text), value > 0 { return value }
        return max(1, ProcessInfoCores.active)
    }()

    /// Runs `body(part)` for `part` in 0..<parts: concurrently, or in order on this thread
    /// when `workerCount` is 1 (`SEGFLOW_THREADS=1`).
    public static func forEach(parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 || workerCount == 1 {
            for part in 0..<parts { body(part) }
            return
        }
        // `body` is not @Sendable: callers write each part's result into a slot of their own
        // buffer. That is safe because the parts' slots are disjoint and concurrentPerform
        // returns only once every part has run.
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: parts) { part in body(part) }
        }
    }

    /// `body(part)` for every part, run as `forEach` runs them, the results in part order.
    public static func map<Result>(parts: Int, _ body: (Int) -> Result) -> [Result] {
        var results = [Result?](repeating: nil, count: parts)
        results.withUnsafeMutableBufferPointer { results in
            forEach(parts: parts) { part in results[part] = body(part) }
        }
        return results.map { $0! }
    }

    /// The `part`-th of `parts` contiguous, near-equal slices of `0..<count`.
    public static func slice(_ part: Int, of parts: Int, count: Int) -> Range<Int> {
        (count * part / parts)..<(count * (part + 1) / parts)
    }

    /// The element-wise sum of `body(range)` over a fixed split of `0..<count` into `parts`
    /// ranges, added in part order: the same bits whatever the number of threads.
    public static func sum(count: Int, width: Int, parts: Int = 16, _ body: (Range<Int>) -> [Double]) -> [Double] {
        var partials = [[Double]](repeating: [], count: parts)
        partials.withUnsafeMutableBufferPointer { partials in
            forEach(parts: parts) { part in partials[part] = body(slice(part, of: parts, count: count)) }
        }
        var total = [Double](repeating: 0, count: width)
        for partial in partials {
            for index in 0..<width { total[index] += partial[index] }
        }
        return total
    }
}
