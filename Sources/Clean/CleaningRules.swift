import SegflowCore

/// What to do with rows whose amount is negative (refunds, returns).
public enum ReturnsPolicy: String, Sendable, CaseIterable {
    /// Subtract them from the customer's spend; they are not purchases (no order, no date).
    case net
    /// Remove them.
    case drop
    /// Treat them like any other row: they count as orders and dates too.
    case keep
}

/// Which repeated rows are duplicates. Within one customer; a return and a purchase with
/// the same order id are never duplicates of each other.
public enum DedupePolicy: String, Sendable, CaseIterable {
    case none
    /// A row whose order id was already seen is dropped (files with one row per order).
    case order
    /// A row identical to an earlier one in order id, time and amount is dropped
    /// (files with one row per order line).
    case row
}

/// The cleaning rules of a pipeline file, applied in the order of the fields below.
public struct CleaningRules: Sendable, Equatable {
    /// Rows at or after this instant (seconds since the epoch) are not yet known "as of" the run.
    public var cutoff: Int64
    /// Inclusive range of days since the epoch; rows outside are removed.
    public var dateRange: ClosedRange<Int64>?
    public var returns: ReturnsPolicy
    /// Upper quantile (0 < q < 1) at which positive amounts are capped.
    public var winsorizeQuantile: Double?
    public var dedupe: DedupePolicy

    public init(
        cutoff: Int64, dateRange: ClosedRange<Int64>? = nil, returns: ReturnsPolicy = .net,
        winsorizeQuantile: Double? = nil, dedupe: DedupePolicy = .order
    ) {
        self.cutoff = cutoff
        self.dateRange = dateRange
        self.returns = returns
        self.winsorizeQuantile = winsorizeQuantile
        self.dedupe = dedupe
    }
}
