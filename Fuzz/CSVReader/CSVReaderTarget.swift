import Foundation
import FuzzSupport
import Ingest
import SegflowCore

/// The CSV reader, serial against parallel: the first byte picks the reading options (the
/// delimiter, a header or not, the time format, gzip), the rest is the file. Every parallel
/// read (chunks of 64 to 256 bytes, 2 to 8 workers) must give exactly what one serial pass
/// gives, rows and rejections alike, or fail when it fails, with the same kind of failure (the
/// first problem met can differ: a small first chunk finds a bad header before the corrupt
/// gzip stream after it); nothing may trap.
func checkCSVReader(_ bytes: UnsafeRawBufferPointer) {
    guard let options = bytes.first else { return }
    let separators: [FieldSeparator] = [.byte(UInt8(ascii: ",")), .byte(UInt8(ascii: ";")), .byte(9), .blanks]
    let timeFormats: [TimeFormat] = [.iso8601, .date, .epochSeconds, .pattern(try! TimePattern("%d/%m/%Y %H:%M"))]
    let hasHeader = options & 4 != 0
    let columns =
        hasHeader
        ? TransactionColumns(customer: "c", order: "o", time: "t", amount: "a")
        : TransactionColumns(customer: "1", order: options & 32 != 0 ? nil : "2", time: "3", amount: "4")
    let path = FuzzInputs.scratchDirectory + (options & 128 != 0 ? "/input.csv.gz" : "/input.csv")
    let content = UnsafeRawBufferPointer(rebasing: bytes[1...])
    guard FileManager.default.createFile(atPath: path, contents: Data(content)) else { fatalError("cannot write \(path)") }
    let input = TransactionInput(
        path: path, columns: columns, timeFormat: timeFormats[Int(options >> 3) & 3], separator: separators[Int(options) & 3],
        hasHeader: hasHeader)
    let serial = outcome(input, chunkBytes: max(content.count, 64) * 2, workers: 1)
    for (chunkBytes, workers) in [(64, 2), (97, 3), (256, 8)] {
        let parallel = outcome(input, chunkBytes: chunkBytes, workers: workers)
        if parallel != serial {
            fatalError("\(workers) workers with \(chunkBytes)-byte chunks read\n\(parallel)\nwhere one serial pass read\n\(serial)")
        }
    }
}

enum Outcome: Equatable {
    case read(TransactionTable, [RejectedRow], records: Int, newest: Int64?)
    case failed(FailureKind)
    case crashed(String)
}

func outcome(_ input: TransactionInput, chunkBytes: Int, workers: Int) -> Outcome {
    do {
        let result = try TransactionReader(input: input, chunkBytes: chunkBytes, workers: workers).read()
        return .read(result.transactions, result.rejected, records: result.recordCount, newest: result.newestTime)
    } catch let error as SegflowError {
        return .failed(error.kind)
    } catch {
        return .crashed("\(error)")
    }
}

#if FUZZING
    // libFuzzer's `main` calls this; SwiftPM's name for the entry point is defined too, as
    // the link refers to it.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        checkCSVReader(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }

    @_cdecl("fuzz_csv_reader_main")
    public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        FuzzInputs.runLibFuzzer(argc, argv, fuzzOne)
    }
#else
    @main enum CSVReaderReplay {
        static func main() { FuzzInputs.replay(Array(CommandLine.arguments.dropFirst()), through: checkCSVReader) }
    }
#endif
