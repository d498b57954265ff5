import Foundation
import FuzzSupport
import Pipeline
import SegflowCore

/// Pipeline-file loading and validation on any bytes, as `segflow validate` does it: a file
/// either loads or is refused with diagnostics at positions inside it; nothing traps.
func checkPipelineFile(_ bytes: UnsafeRawBufferPointer) {
    let path = FuzzInputs.scratchDirectory + "/pipeline.yaml"
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { fatalError("cannot write \(path)") }
    do {
        _ = try PipelineFile.load(path: path).outputs.files
    } catch let error as SegflowError {
        for diagnostic in error.diagnostics where diagnostic.location?.file != path {
            fatalError("a diagnostic about the pipeline file points elsewhere: \(diagnostic)")
        }
    } catch {
        fatalError("loading threw something other than a SegflowError: \(error)")
    }
}

#if FUZZING
    // libFuzzer's `main` calls this; SwiftPM's name for the entry point is defined too, as
    // the link refers to it.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        checkPipelineFile(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }

    @_cdecl("fuzz_pipeline_file_main")
    public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        FuzzInputs.runLibFuzzer(argc, argv, fuzzOne)
    }
#else
    @main enum PipelineFileReplay {
        static func main() { FuzzInputs.replay(Array(CommandLine.arguments.dropFirst()), through: checkPipelineFile) }
    }
#endif
