import CBLAS

#if canImport(Glibc)
    import Glibc
#endif

/// OpenBLAS picks its kernels once, when the library loads, from the CPU model. A CPU newer
/// than the installed OpenBLAS (Debian 12's 0.3.21 does not know Emerald Rapids) or a virtual
/// machine that hides the model gets the generic "Prescott" kernels, several times slower
/// than the AVX2 or AVX-512 ones the CPU can run. `OPENBLAS_CORETYPE` overrides the choice,
/// but only at load time, so a process that needs it must start again with it set.
public enum BLASKernels {
    /// The kernel family OpenBLAS is using, such as "SkylakeX", "Haswell" or "Prescott".
    public static var current: String { String(cString: openblas_get_corename()) }

    /// The faster kernel family for a CPU with `flags` (as /proc/cpuinfo lists them) when
    /// OpenBLAS fell back to the generic one; nil when its own choice stands.
    public static func replacement(for current: String, cpuFlags flags: Set<Substring>) -> String? {
        guard current.lowercased() == "prescott" else { return nil }
        if ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"].allSatisfy(flags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        return nil
    }

    /// Starts this program again with `OPENBLAS_CORETYPE` set when OpenBLAS fell back to the
    /// generic kernels on a CPU that has faster ones; returns (doing nothing) when the user
    /// set the variable, the choice stands, or the restart is impossible.
    public static func restartWithFasterKernelsIfNeeded() {
        #if os(Linux)
            guard getenv("OPENBLAS_CORETYPE") == nil,
                let flags = cpuFlags(), let core = replacement(for: current, cpuFlags: flags)
            else { return }
            setenv("OPENBLAS_CORETYPE", core, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
            unsetenv("OPENBLAS_CORETYPE")  // exec failed: carry on with the kernels loaded
        #endif
    }

    /// The first "flags" line of /proc/cpuinfo, split into words.
    static func cpuFlags() -> Set<Substring>? {
        guard let file = fopen("/proc/cpuinfo", "r") else { return nil }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            guard text.hasPrefix("flags"), let colon = text.firstIndex(of: ":") else { continue }
            return Set(text[text.index(after: colon)...].split(whereSeparator: \.isWhitespace))
        }
        return nil
    }
}
