public enum SegflowVersion {
    public static let current = "0.1.0"
}
