import Foundation

/// What every fuzz target shares. Built with `scripts/fuzz` (`-sanitize=fuzzer,address`,
/// FUZZING defined), a target's entry point hands its check to libFuzzer's driver. Built
/// plainly, it replays the inputs named on its command line through the same check: how a
/// crash libFuzzer found is reproduced and debugged.
public enum FuzzInputs {
    public typealias Check = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    #if FUZZING
        /// libFuzzer's own command line and loop. SwiftPM names an executable's entry point after
        /// its module, so the target calls this from there instead of linking libFuzzer's `main`.
        public static func runLibFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ check: Check) -> CInt {
            var argc = argc
            var argv = argv
            return libFuzzerRunDriver(&argc, &argv, check)
        }
    #endif

    public static func replay(_ arguments: [String], through check: (UnsafeRawBufferPointer) -> Void) {
        guard !arguments.isEmpty else {
            FileHandle.standardError.write(Data("usage: give input files to replay; scripts/fuzz builds the libFuzzer binary\n".utf8))
            exit(64)
        }
        for path in arguments {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("\(path): cannot read\n".utf8))
                exit(66)
            }
            data.withUnsafeBytes(check)
        }
        print("replayed \(arguments.count) inputs")
    }

    /// A file of this process's own for targets whose code under test reads paths.
    public static let scratchDirectory: String = {
        let path = NSTemporaryDirectory() + "segflow-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()
}

#if FUZZING
    @_silgen_name("LLVMFuzzerRunDriver")
    func libFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ check: FuzzInputs.Check
    ) -> CInt
#endif
