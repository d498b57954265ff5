extension Sequence where Element: Hashable {
    /// The distinct elements, each where it first appears.
    public func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
