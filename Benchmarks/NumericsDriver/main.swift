// Drives segflow's estimators for Benchmarks/kmeans.py and the scikit-learn cross-checks
// (Tests/CrossCheck). Data, centres and labels are raw little-endian files, row-major.
//
//   numerics-driver lloyd  DATA ROWS COLS CENTERS K DTYPE MAX_ITER TOL LABELS_OUT
//       one Lloyd run from the given centres (float64 files); prints "inertia iterations seconds"
//   numerics-driver best   DATA ROWS COLS K DTYPE N_INIT SEED LABELS_OUT
//       k-means++ with N_INIT restarts; prints "inertia iterations seconds"
//   numerics-driver bgnbd SUMMARY ROWS
//       BG/NBD fit on a float64 file of (x, t_x, T) rows; prints "seconds r alpha a b loglikelihood"
//   numerics-driver logistic DATA ROWS COLS LABELS C
//       L2 logistic regression on float64 features and uint8 labels; prints
//       "seconds intercept coefficient..." (coefficients on standardised features)
import Churn
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

func logistic(_ arguments: [String]) throws {
    let rows = Int(arguments[3])!, columns = Int(arguments[4])!
    let features = Matrix<Double>(rows: rows, columns: columns, elements: readDoubles(arguments[2], count: rows * columns))
    guard let labelBytes = FileManager.default.contents(atPath: arguments[5]), labelBytes.count == rows else {
        fatalError("\(arguments[5]): expected \(rows) uint8 labels")
    }
    let start = Date()
    let model = try LogisticRegression(inverseRegularization: Double(arguments[6])!).fit(features: features, labels: labelBytes.map { $0 != 0 })
    print(([Date().timeIntervalSince(start), model.intercept] + model.coefficients).map { String($0) }.joined(separator: " "))
}

func bgnbd(_ arguments: [String]) throws {
    let rows = Int(arguments[3])!
    let values = readDoubles(arguments[2], count: rows * 3)
    var summary = RepeatPurchaseSummary(unitDays: 1)
    for row in 0..<rows {
        summary.customerIDs.append("")
        summary.x.append(values[row * 3])
        summary.tx.append(values[row * 3 + 1])
        summary.t.append(values[row * 3 + 2])
        summary.spend.append(0)
    }
    let start = Date()
    let model = try BGNBD().fit(summary)
    print(Date().timeIntervalSince(start), model.r, model.alpha, model.a, model.b, model.logLikelihood, model.iterations)
}

BLASKernels.restartWithFasterKernelsIfNeeded()
let arguments = CommandLine.arguments
do {
    switch arguments[1] {
    case "bgnbd": try bgnbd(arguments)
    case "logistic": try logistic(arguments)
    case "lloyd": try arguments[7] == "float32" ? run(Float.self, arguments) : run(Double.self, arguments)
    default: try arguments[6] == "float32" ? run(Float.self, arguments) : run(Double.self, arguments)
    }
} catch {
    FileHandle.standardError.write(Data("numerics-driver: \(error)\n".utf8))
    exit(1)
}
