import Foundation
import FuzzSupport
import Ingest
import SegflowCore

/// The amount and time parsers on any bytes: nothing traps; an amount is finite; a time
/// from any format, written back as ISO 8601, parses to the same second; a time pattern
/// built from the bytes either is refused with a message or parses without trapping.
func checkFieldParsers(_ bytes: UnsafeRawBufferPointer) {
    if let amount = AmountParsing.parse(bytes), !amount.isFinite {
        fatalError("amount \(amount) accepted from \(Array(bytes))")
    }
    var formats: [TimeFormat] = [.iso8601, .date, .epochSeconds, .pattern(try! TimePattern("%d/%m/%Y %H:%M:%S"))]
    if let pattern = try? TimePattern(String(decoding: bytes, as: UTF8.self)) { formats.append(.pattern(pattern)) }
    for format in formats {
        guard let seconds = format.parse(bytes), TransactionInput.plausibleTimes.contains(seconds) else { continue }
        let written = Array(CivilTime.timestampString(seconds: seconds).utf8)
        let reread = written.withUnsafeBytes { TimeParsing.iso8601($0) }
        if reread != seconds {
            fatalError("\(format) read \(seconds) from \(Array(bytes)); written as ISO 8601 it reads back as \(String(describing: reread))")
        }
    }
}

#if FUZZING
    // libFuzzer's `main` calls this; SwiftPM's name for the entry point is defined too, as
    // the link refers to it.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        checkFieldParsers(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }

    @_cdecl("fuzz_field_parsers_main")
    public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        FuzzInputs.runLibFuzzer(argc, argv, fuzzOne)
    }
#else
    @main enum FieldParsersReplay {
        static func main() { FuzzInputs.replay(Array(CommandLine.arguments.dropFirst()), through: checkFieldParsers) }
    }
#endif
