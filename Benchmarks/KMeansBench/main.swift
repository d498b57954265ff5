// Drives segflow's k-means for Benchmarks/kmeans.py and the scikit-learn cross-check.
// Data and centres are raw little-endian float64 files, row-major.
//
//   kmeans-bench lloyd  DATA ROWS COLS CENTERS K DTYPE MAX_ITER TOL LABELS_OUT
//       one Lloyd run from the given centres; prints "inertia iterations seconds"
//   kmeans-bench best   DATA ROWS COLS K DTYPE N_INIT SEED LABELS_OUT
//       k-means++ with N_INIT restarts; prints "inertia iterations seconds"
import Foundation
import LinearAlgebra
import Segmentation

func readDoubles(_ path: String, count: Int) -> [Double] {
    guard let data = FileManager.default.contents(atPath: path), data.count == count * 8 else {
        fatalError("\(path): expected \(count) float64 values")
    }
    return data.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
}

func run<Scalar: KMeansScalar>(_ type: Scalar.Type, _ arguments: [String]) throws {
    let rows = Int(arguments[3])!, columns = Int(arguments[4])!
    let data = Matrix<Scalar>(rows: rows, columns: columns, elements: readDoubles(arguments[2], count: rows * columns).map { Scalar($0) })
    let start = Date()
    let model: KMeansModel<Scalar>
    switch arguments[1] {
    case "lloyd":
        let k = Int(arguments[6])!
        let centers = Matrix<Scalar>(rows: k, columns: columns, elements: readDoubles(arguments[5], count: k * columns).map { Scalar($0) })
        let configuration = KMeansConfiguration(clusterCount: k, maxIterations: Int(arguments[8])!, tolerance: Double(arguments[9])!)
        model = try KMeans(configuration).fit(data, initialCenters: centers)
    default:
        let k = Int(arguments[5])!
        model = try KMeans(KMeansConfiguration(clusterCount: k, restarts: Int(arguments[7])!, seed: UInt64(arguments[8])!)).fit(data)
    }
    let seconds = Date().timeIntervalSince(start)
    try model.labels.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: arguments[arguments.count - 1]))
    print(model.inertia, model.iterations, seconds)
}

let arguments = CommandLine.arguments
let dtype = arguments[1] == "lloyd" ? arguments[7] : arguments[6]
do {
    if dtype == "float32" { try run(Float.self, arguments) } else { try run(Double.self, arguments) }
} catch {
    FileHandle.standardError.write(Data("kmeans-bench: \(error)\n".utf8))
    exit(1)
}
