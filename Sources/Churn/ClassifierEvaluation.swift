import Foundation

/// How well predicted probabilities rank and calibrate binary outcomes on a holdout.
public struct ClassifierEvaluation: Sendable, Equatable, Codable {
    public struct CalibrationBin: Sendable, Equatable, Codable {
        public var lower: Double
        public var upper: Double
        public var count: Int
        public var meanPredicted: Double?
        public var observedRate: Double?
    }

    public var count: Int
    public var positiveRate: Double
    /// Area under the ROC curve: the probability that a random positive scores above a
    /// random negative (ties count half), by the Mann–Whitney rank statistic.
    public var rocAUC: Double?
    public var logLoss: Double
    public var brierScore: Double
    /// Positive rate among the top 10% by score over the overall positive rate.
    public var topDecileLift: Double?
    /// Share of all positives found in the top 10% by score.
    public var topDecileCapture: Double?
    /// Ten equal-width bins of predicted probability.
    public var calibration: [CalibrationBin]
    /// The ROC curve at every 2% of customers by descending score: (false positive rate,
    /// true positive rate) pairs from (0, 0) to (1, 1).
    public var rocCurve: [[Double]]
    /// Cumulative gains: the share of all positives found in the top 10%, 20%, … 100% by score.
    public var cumulativeGains: [Double]

    public init(probabilities: [Double], outcomes: [Bool]) {
        precondition(probabilities.count == outcomes.count)
        let n = probabilities.count
        count = n
        let positives = outcomes.filter { $0 }.count
        positiveRate = n > 0 ? Double(positives) / Double(n) : 0
        // Probabilities of exactly 0 or 1 are clipped to float64's machine epsilon from either
        // end, as scikit-learn's log_loss does, so a confident mistake costs a finite amount.
        let epsilon = Double.ulpOfOne
        logLoss =
            n > 0
            ? -zip(probabilities, outcomes).reduce(0) { total, pair in
                let p = min(max(pair.0, epsilon), 1 - epsilon)
                return total + (pair.1 ? log(p) : log(1 - p))
            } / Double(n) : 0
        brierScore = n > 0 ? zip(probabilities, outcomes).reduce(0) { $0 + pow($1.0 - ($1.1 ? 1 : 0), 2) } / Double(n) : 0

        let order = probabilities.indices.sorted { probabilities[$0] < probabilities[$1] }
        var rankSum = 0.0
        var start = 0
        while start < n {
            var end = start + 1
            while end < n, probabilities[order[end]] == probabilities[order[start]] { end += 1 }
            let averageRank = Double(start + end + 1) / 2  // ranks are 1-based
            for position in start..<end where outcomes[order[position]] { rankSum += averageRank }
            start = end
        }
        let negatives = n - positives
        rocAUC =
            positives > 0 && negatives > 0
            ? (rankSum - Double(positives) * Double(positives + 1) / 2) / (Double(positives) * Double(negatives)) : nil

        let top = Int((Double(n) * 0.1).rounded(.up))
        let topPositives = order.reversed().prefix(top).filter { outcomes[$0] }.count
        topDecileLift = top > 0 && positiveRate > 0 ? (Double(topPositives) / Double(top)) / positiveRate : nil
        topDecileCapture = positives > 0 ? Double(topPositives) / Double(positives) : nil

        let descending = Array(order.reversed())
        var positivesAbove = [0]
        for index in descending { positivesAbove.append(positivesAbove.last! + (outcomes[index] ? 1 : 0)) }
        rocCurve = (0...50).map { step in
            let top = n * step / 50
            let truePositives = positivesAbove[top], falsePositives = top - truePositives
            return [negatives > 0 ? Double(falsePositives) / Double(negatives) : 0, positives > 0 ? Double(truePositives) / Double(positives) : 0]
        }
        cumulativeGains = (1...10).map { decile in
            positives > 0 ? Double(positivesAbove[n * decile / 10]) / Double(positives) : 0
        }

        calibration = (0..<10).map { bin in
            let lower = Double(bin) / 10, upper = Double(bin + 1) / 10
            let members = probabilities.indices.filter {
                probabilities[$0] >= lower && (probabilities[$0] < upper || (bin == 9 && probabilities[$0] <= 1))
            }
            return CalibrationBin(
                lower: lower, upper: upper, count: members.count,
                meanPredicted: members.isEmpty ? nil : members.reduce(0) { $0 + probabilities[$1] } / Double(members.count),
                observedRate: members.isEmpty ? nil : Double(members.filter { outcomes[$0] }.count) / Double(members.count))
        }
    }
}
