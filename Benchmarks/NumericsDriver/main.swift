// Drives segflow's estimators for Benchmarks/kmeans.py and the scikit-learn cross-checks
// (Tests/CrossCheck). Data, centres and labels are raw little-endian files, row-major.
//
//   numerics-driver lloyd  DATA ROWS COLS CENTERS K DTYPE MAX_ITER TOL LABELS_OUT
//       one Lloyd run from the given centres (float64 files); prints "inertia iterations seconds"
//   numerics-driver best   DATA ROWS COLS K DTYPE N_INIT SEED LABELS_OUT
//       k-means++ with N_INIT restarts; prints "inertia iterations seconds"
//   numerics-driver bgnbd|mbgnbd SUMMARY ROWS [HORIZON OUT]
//       BG/NBD (or MBG/NBD) fit on a float64 file of (x, t_x, T) rows; prints "seconds r alpha a b loglikelihood";
//       with HORIZON, writes each row's (P(alive), expected purchases in HORIZON) to OUT (float64)
//   numerics-driver gammagamma SUMMARY ROWS
//       Gamma-Gamma fit on a float64 file of (x, mean spend) rows; prints "p q gamma", then
//       each row's expected spend
//   numerics-driver silhouette DATA ROWS COLS LABELS K
//       mean silhouette of float64 points under int32 labels; prints it
//   numerics-driver customers FEATURES ROWS K LABELS_OUT
//       CustomerClustering as a pipeline runs it (defaults: float32, 4 restarts, seed 42) on
//       customers whose (recency_days, frequency, monetary_mean) are float64 rows, clustered on
//       log1p recency and frequency (z-scored) and monetary_mean (robust scaling, weight 2);
//       prints "inertia k", writes int32 labels
//   numerics-driver classifier PROBABILITIES LABELS ROWS
//       float64 probabilities against uint8 outcomes; prints "auc logloss brier"
//   numerics-driver logistic DATA ROWS COLS LABELS C
//       L2 logistic regression on float64 features and uint8 labels; prints
//       "seconds intercept coefficient..." (coefficients on standardised features)
import Churn
import Features
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
    let model = try BGNBD(modified: arguments[1] == "mbgnbd").fit(summary)
    print(Date().timeIntervalSince(start), model.r, model.alpha, model.a, model.b, model.logLikelihood, model.iterations)
    guard arguments.count > 5, let horizon = Double(arguments[4]) else { return }
    let predictions = (0..<rows).flatMap { row in
        [
            model.probabilityAlive(x: summary.x[row], tx: summary.tx[row], t: summary.t[row]),
            model.expectedPurchases(horizon: horizon, x: summary.x[row], tx: summary.tx[row], t: summary.t[row]),
        ]
    }
    try predictions.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: arguments[5]))
}

func gammaGamma(_ arguments: [String]) throws {
    let rows = Int(arguments[3])!
    let values = readDoubles(arguments[2], count: rows * 2)
    var summary = RepeatPurchaseSummary(unitDays: 1)
    for row in 0..<rows {
        summary.customerIDs.append("")
        summary.x.append(values[row * 2])
        summary.tx.append(0)
        summary.t.append(0)
        summary.spend.append(values[row * 2 + 1])
    }
    let model = try GammaGamma().fit(summary)
    print(model.p, model.q, model.gamma)
    for row in 0..<rows { print(model.expectedSpend(x: summary.x[row], meanSpend: summary.spend[row])) }
}

func silhouette(_ arguments: [String]) {
    let rows = Int(arguments[3])!, columns = Int(arguments[4])!
    let points = Matrix<Double>(rows: rows, columns: columns, elements: readDoubles(arguments[2], count: rows * columns))
    guard let labelBytes = FileManager.default.contents(atPath: arguments[5]), labelBytes.count == rows * 4 else {
        fatalError("\(arguments[5]): expected \(rows) int32 labels")
    }
    let labels = labelBytes.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }
    print(Silhouette.score(points, labels: labels, clusterCount: Int(arguments[6])!))
}

func customers(_ arguments: [String]) throws {
    let rows = Int(arguments[3])!
    let values = readDoubles(arguments[2], count: rows * 3)
    var features = CustomerFeatures()
    for row in 0..<rows {
        let frequency = Int64(values[row * 3 + 1])
        features.customerID.append("c\(row)")
        features.firstPurchase.append(0)
        features.lastPurchase.append(0)
        features.recencyDays.append(Int64(values[row * 3]))
        features.tenureDays.append(Int64(values[row * 3]))
        features.frequency.append(frequency)
        features.monetaryMean.append(values[row * 3 + 2])
        features.monetaryTotal.append(values[row * 3 + 2] * Double(frequency))
        features.interpurchaseMeanDays.append(.nan)
        features.interpurchaseStdDays.append(.nan)
        features.currentValue.append(0)
        features.purchaseRateTrend.append(.nan)
    }
    var rules = ClusteringRules()
    rules.features = [
        ClusteringFeature(name: "recency_days", transform: .log1p), ClusteringFeature(name: "frequency", transform: .log1p),
        ClusteringFeature(name: "monetary_mean", scaling: .robust, weight: 2),
    ]
    rules.clusterCount = .fixed(Int(arguments[4])!)
    let (result, _) = try CustomerClustering(rules: rules).cluster(features)
    try result.labels.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: arguments[5]))
    print(result.inertia, result.clusterCount)
}

func classifier(_ arguments: [String]) {
    let rows = Int(arguments[4])!
    guard let outcomes = FileManager.default.contents(atPath: arguments[3]), outcomes.count == rows else {
        fatalError("\(arguments[3]): expected \(rows) uint8 outcomes")
    }
    let evaluation = ClassifierEvaluation(probabilities: readDoubles(arguments[2], count: rows), outcomes: outcomes.map { $0 != 0 })
    print(evaluation.rocAUC ?? .nan, evaluation.logLoss, evaluation.brierScore)
}

BLASKernels.restartWithFasterKernelsIfNeeded()
let arguments = CommandLine.arguments
do {
    switch arguments[1] {
    case "bgnbd", "mbgnbd": try bgnbd(arguments)
    case "gammagamma": try gammaGamma(arguments)
    case "silhouette": silhouette(arguments)
    case "classifier": classifier(arguments)
    case "customers": try customers(arguments)
    case "logistic": try logistic(arguments)
    case "lloyd": try arguments[7] == "float32" ? run(Float.self, arguments) : run(Double.self, arguments)
    default: try arguments[6] == "float32" ? run(Float.self, arguments) : run(Double.self, arguments)
    }
} catch {
    FileHandle.standardError.write(Data("numerics-driver: \(error)\n".utf8))
    exit(1)
}
