#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

public func getenvString(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    return String(cString: value)
}

enum ProcessInfoCores {
    static var active: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
