import Features
import Foundation
import LinearAlgebra
import SegflowCore
import Segmentation

/// The `churn` settings of a pipeline file.
public struct ChurnRules: Sendable, Equatable {
    public enum PurchaseModelKind: String, Sendable, CaseIterable {
        /// The model that predicts the holdout best: the highest holdout log-likelihood.
        case auto
        case bgnbd, mbgnbd
        case paretoNBD = "pareto_nbd"

        /// The models `auto` chooses between.
        public static let fittable: [Self] = [.bgnbd, .mbgnbd, .paretoNBD]
    }

    /// The model behind p_alive, expected purchases and clv.
    public var purchaseModel = PurchaseModelKind.auto
    /// Days per model time unit: 7 (weeks) or 1 (days).
    public var unitDays: Double = 7
    /// Horizon of `expected_purchases`, of the churn label and of the holdout, in days.
    public var horizonDays: Int = 90
    public var penalizer: Double = 0
    public var clvMonths: Int = 12
    public var monthlyDiscountRate: Double = 0.01
    public var margin: Double = 1
    /// Fit the supervised churn model (logistic regression) when true.
    public var classifier = true
    public var inverseRegularization: Double = 1
    /// churn_risk is "high" from this probability, "medium" from `mediumRisk`, else "low".
    public var highRisk: Double = 0.6
    public var mediumRisk: Double = 0.3
    /// The churn population: with `activeOnly`, customers whose status at the snapshot is
    /// `new`, `active` or `loyal` (by `lifecycle`'s rules, rhythm included); otherwise every
    /// customer who ever bought. The classifier is trained, evaluated and scored on it alone.
    public var activeOnly = true
    /// The status rules: the population, and the classifier's metrics per status.
    public var lifecycle = LifecycleRules()

    var populationDescription: String {
        activeOnly ? "customers whose status is new, active or loyal at the snapshot" : "every customer"
    }

    func inPopulation(_ status: LifecycleRules.Status) -> Bool { !activeOnly || status.isActive }

    /// `churn_risk` of a customer outside the churn population, whose `churn_probability`
    /// is left empty: already inactive, not about to leave.
    public static let outsidePopulation = "inactive"

    /// The values of `churn_risk`, most urgent first.
    public static let riskLevels = ["high", "medium", "low", outsidePopulation]

    /// `churn_risk` of each probability: high from `high`, medium from `medium`, low below, and
    /// `outsidePopulation` where there is no probability.
    public static func riskBands(_ probabilities: [Double], high: Double, medium: Double) -> [String] {
        probabilities.map { $0.isNaN ? outsidePopulation : $0 >= high ? "high" : $0 >= medium ? "medium" : "low" }
    }

    public init() {}
}

/// Everything the churn stage adds per customer, aligned with the feature table's customers.
public struct ChurnScores: Sendable, Equatable {
    public var probabilityAlive: [Double] = []
    public var expectedPurchases: [Double] = []
    public var clv: [Double] = []
    /// P(at least one purchase within the horizon), dropout included.
    public var purchaseProbability: [Double] = []
    /// Days since the epoch by which the probability of a next purchase reaches 25%, 50% (the
    /// median time to the next purchase) and 75%; nil when it does not within ten years.
    public var nextPurchaseQ1: [Int64?] = []
    public var nextPurchase: [Int64?] = []
    public var nextPurchaseQ3: [Int64?] = []
    public var churnProbability: [Double] = []
    public var churnRisk: [String] = []

    public init() {}
}

/// Evidence that the numbers are right: parameters, holdout checks, metrics.
public struct ChurnReport: Sendable, Equatable, Codable {
    public struct FrequencyBucket: Sendable, Equatable, Codable {
        public var repeatPurchases: String
        public var customers: Int
        public var predictedMean: Double
        public var actualMean: Double
    }

    public var purchaseModel: String
    public var timeUnitDays: Double
    public var horizonDays: Int
    public var parameters: [String: Double]
    public var logLikelihood: Double
    /// "L-BFGS", or "Nelder-Mead" when the gradient search failed and the fallback fitted.
    public var optimizer: String
    public var gammaGamma: [String: Double]?
    /// |ρ| > 0.3 between frequency and spend breaks Gamma-Gamma's assumption.
    public var frequencySpendCorrelation: Double?
    public var warnings: [String]
    /// Model fitted at as_of − horizon; purchases predicted for the following horizon vs
    /// actual. Nil when the data has no room for the check (it was skipped, with a warning).
    public var holdoutCalibrationEnd: String?
    public var holdoutByFrequency: [FrequencyBucket]
    /// The next-purchase median on the holdout: nil when the check was skipped.
    public var nextPurchaseHoldout: NextPurchaseCheck?
    public var classifierFeatures: [String]
    public var classifierCoefficients: [Double]?
    public var classifierIntercept: Double?
    /// Trained on as_of − 2·horizon, evaluated on the labels of the last horizon, on the
    /// churn population at the evaluation snapshot.
    public var classifierEvaluation: ClassifierEvaluation?
    /// The same metrics for the holdout customers of each status at the snapshot (statuses
    /// with fewer than 30 customers, or a single outcome, are left out).
    public var classifierEvaluationByStatus: [String: ClassifierEvaluation]?
    /// Who the classifier covers: the customers whose status is new, active or loyal, or
    /// every customer.
    public var population: String
    /// Customers in the churn population at as_of, and of all customers scored.
    public var populationCustomers: Int
    /// The purchase model alone as a churn score (fewer expected purchases, more risk), on
    /// the same holdout customers: what the classifier must beat.
    public var baselineEvaluation: BaselineEvaluation?
    /// With `purchase_model: auto`: every candidate's fit and why `purchaseModel` was chosen.
    public var modelSelection: ModelSelection?

    /// The candidates of `purchase_model: auto`, each fitted at the holdout snapshot (or at
    /// as_of when there is no room for a holdout).
    public struct ModelSelection: Sendable, Equatable, Codable {
        /// "holdout log-likelihood", or "log-likelihood at as_of" without a holdout.
        public var basis: String
        public var chosen: String
        /// The customers the candidates were fitted and compared on: all of them, or a hashed
        /// sample of about `ChurnAnalysis.modelSelectionSample` on large bases.
        public var customersCompared: Int
        public var candidates: [Candidate]

        public struct Candidate: Sendable, Equatable, Codable {
            public var model: String
            /// ln L of the fitted data.
            public var logLikelihood: Double?
            /// ln L of the holdout purchases given each customer's history before it: the
            /// density of the whole history over that of the calibration part, summed.
            public var holdoutLogLikelihood: Double?
            /// Purchases in the holdout over all calibration customers, predicted and actual.
            public var holdoutPredicted: Double?
            public var holdoutActual: Double?
            /// Customer-weighted mean of |predicted − actual| mean purchases per repeat-purchase
            /// bucket (0, 1, ..., 7+).
            public var holdoutBucketError: Double?
            /// Why the model could not be fitted, when it could not.
            public var failure: String?
        }
    }

    /// Customers whose next-purchase median at the holdout snapshot fell inside the horizon,
    /// and the share of them who bought by that date: 0.5 when the definition holds.
    public struct NextPurchaseCheck: Sendable, Equatable, Codable {
        public var customersDated: Int
        public var shareBoughtByDate: Double?
    }

    /// Ranking metrics of the purchase-model baseline; it gives a score, not a calibrated
    /// probability, so log loss and Brier score do not apply.
    public struct BaselineEvaluation: Sendable, Equatable, Codable {
        public var score: String
        public var rocAUC: Double?
        public var topDecileLift: Double?
        public var topDecileCapture: Double?
    }
}

public enum ChurnError: Error, Equatable, CustomStringConvertible {
    case tooLittleHistory(needed: Int, available: Int)
    case fit(String)

    public var description: String {
        switch self {
        case .tooLittleHistory(let needed, let available):
            return
                "the churn classifier needs \(needed) days of history before as_of (twice the horizon) to train and evaluate; "
                + "the data covers \(available)"
        case .fit(let reason): return reason
        }
    }
}

/// Fits the purchase, spend and churn models and scores every customer at as_of.
public struct ChurnAnalysis: Sendable {
    public let rules: ChurnRules
    public let features: FeatureBuilder

    public init(rules: ChurnRules, features: FeatureBuilder) {
        self.rules = rules
        self.features = features
    }

    /// The next-purchase dates reach at most this far: a date decades away is no forecast.
    public static let nextPurchaseLimitDays = 3652.5

    public static let classifierFeatureNames = [
        "log1p_recency_days", "log1p_frequency", "log1p_monetary_total", "log1p_monetary_mean", "log1p_tenure_days",
        "p_alive", "log1p_expected_purchases",
    ]

    /// `current` are the features at as_of of the customers in `transactions` with a purchase.
    public func run(_ transactions: CustomerTransactions, current: CustomerFeatures) throws -> (ChurnScores, ChurnReport) {
        let asOfDay = features.asOfDay
        let horizon = rules.horizonDays
        let firstDay = (0..<transactions.rowCount).lazy.map { CivilTime.day(ofSeconds: transactions.time[$0]) }.min() ?? asOfDay
        // The classifier trains on the window before the last one: it needs two horizons. The
        // purchase model alone scores with whatever history there is, as the literature
        // calibrates on 39 weeks and predicts the next 39.
        if rules.classifier, asOfDay - Int64(2 * horizon) <= firstDay {
            throw ChurnError.tooLittleHistory(needed: 2 * horizon, available: Int(asOfDay - firstDay))
        }
        var warnings: [String] = []

        // Holdout check of the purchase model: fit at as_of − horizon, predict the last horizon.
        // The same snapshot is the classifier's evaluation window below. Without a horizon of
        // history before that, the check is skipped and the report says so.
        let holdoutDay = asOfDay - Int64(horizon)
        let summary = RepeatPurchaseSummary(transactions, asOfDay: asOfDay, unitDays: rules.unitDays)
        let summaryRow = summary.rowsByCustomerID()
        var holdout: Snapshot?
        var buckets: [ChurnReport.FrequencyBucket] = []
        var kind = rules.purchaseModel
        var selection: ChurnReport.ModelSelection?
        if holdoutDay > firstDay {
            holdout = try snapshot(transactions, at: holdoutDay) { calibration, purchasesAfter in
                guard kind == .auto else { return try fitPurchases(calibration, kind: kind) }
                let choice = try selectByHoldout(calibration, full: summary, fullRow: summaryRow, actual: purchasesAfter)
                (kind, selection) = (choice.kind, choice.selection)
                return choice.model
            }
            buckets = holdoutBuckets(holdout!.model, holdout!.summary, actual: holdout!.purchaseDaysAfter)
        } else {
            warnings.append(
                "the holdout check of the purchase model was skipped: it fits on the data before as_of − horizon, "
                    + "and the data starts \(asOfDay - firstDay) days before as_of, within the \(horizon)-day horizon")
        }

        // Final purchase and spend models at as_of.
        let model: any PurchaseModel
        if kind == .auto {
            let choice = try selectInSample(summary)
            (model, selection) = (choice.model, choice.selection)
        } else {
            model = try fitPurchases(summary, kind: kind)
        }
        if let warning = Self.blindSpotWarning(model, summary) { warnings.append(warning) }
        let spend: GammaGammaModel?
        do { spend = try GammaGamma(penalizer: rules.penalizer).fit(summary) } catch {
            spend = nil
            warnings.append("Gamma-Gamma not fitted (\(error)); clv is empty")
        }
        if let spend, abs(spend.frequencySpendCorrelation) > 0.3 {
            warnings.append(
                String(
                    format: "frequency and spend are correlated (ρ = %.2f): Gamma-Gamma assumes they are not, so clv may be biased",
                    spend.frequencySpendCorrelation))
        }

        let rows = current.customerID.map { summaryRow[$0] }
        let currentStatus = rules.lifecycle.statuses((0..<current.count).map(current.lifecycleHistory))
        let horizonUnits = Double(horizon) / rules.unitDays
        let value = spend.map { LifetimeValue(purchases: model, spend: $0, unitDays: rules.unitDays) }
        var scores = ChurnScores()
        scores.probabilityAlive = [Double](repeating: .nan, count: rows.count)
        scores.expectedPurchases = scores.probabilityAlive
        scores.clv = scores.probabilityAlive
        scores.purchaseProbability = scores.probabilityAlive
        scores.nextPurchaseQ1 = [Int64?](repeating: nil, count: rows.count)
        scores.nextPurchase = scores.nextPurchaseQ1
        scores.nextPurchaseQ3 = scores.nextPurchaseQ1
        let limit = Self.nextPurchaseLimitDays / rules.unitDays
        // Each customer's scores are independent (the CLV sums twelve expectations): all cores.
        let parts = 64
        let perPart = Parallel.map(parts: parts) { part -> [(Int, Double, Double, Double, Double, [Int64?])] in
            Parallel.slice(part, of: parts, count: rows.count).compactMap { customer in
                guard let row = rows[customer] else { return nil }
                let (x, tx, t) = (summary.x[row], summary.tx[row], summary.t[row])
                let next = [0.25, 0.5, 0.75].map { probability in
                    model.timeToPurchase(probability: probability, x: x, tx: tx, t: t, limit: limit).map {
                        asOfDay + Int64(($0 * rules.unitDays).rounded(.up))
                    }
                }
                let clv =
                    value?.clv(
                        x: x, tx: tx, t: t, meanSpend: summary.spend[row], months: rules.clvMonths,
                        monthlyDiscountRate: rules.monthlyDiscountRate, margin: rules.margin) ?? .nan
                return (
                    customer, model.probabilityAlive(x: x, tx: tx, t: t), model.expectedPurchases(horizon: horizonUnits, x: x, tx: tx, t: t),
                    model.purchaseProbability(within: horizonUnits, x: x, tx: tx, t: t), clv, next
                )
            }
        }
        for (customer, alive, expected, purchase, clv, next) in perPart.joined() {
            scores.probabilityAlive[customer] = alive
            scores.expectedPurchases[customer] = expected
            scores.purchaseProbability[customer] = purchase
            scores.clv[customer] = clv
            (scores.nextPurchaseQ1[customer], scores.nextPurchase[customer], scores.nextPurchaseQ3[customer]) = (next[0], next[1], next[2])
        }

        var report = ChurnReport(
            purchaseModel: model.name, timeUnitDays: rules.unitDays, horizonDays: horizon,
            parameters: model.parameters, logLikelihood: model.logLikelihood, optimizer: model.optimizer,
            gammaGamma: spend.map { ["p": $0.p, "q": $0.q, "gamma": $0.gamma] }, frequencySpendCorrelation: spend?.frequencySpendCorrelation,
            warnings: warnings, holdoutCalibrationEnd: holdout == nil ? nil : CivilTime.dateString(days: holdoutDay - 1),
            holdoutByFrequency: buckets, nextPurchaseHoldout: holdout.map(nextPurchaseCheck),
            classifierFeatures: Self.classifierFeatureNames, classifierCoefficients: nil, classifierIntercept: nil,
            classifierEvaluation: nil, classifierEvaluationByStatus: nil,
            population: rules.populationDescription,
            populationCustomers: currentStatus.filter(rules.inPopulation).count, baselineEvaluation: nil, modelSelection: selection)

        if rules.classifier, let holdout {
            // Train on the window before the last one, evaluate on the last, then refit on the
            // last window and score at as_of: every number is out of time.
            let trainDay = asOfDay - Int64(2 * horizon)
            let train = labelledWindow(try snapshot(transactions, at: trainDay) { summary, _ in try fitPurchases(summary, kind: kind) })
            let test = labelledWindow(holdout)
            let regression = LogisticRegression(inverseRegularization: rules.inverseRegularization)
            do {
                let trained = try regression.fit(features: train.features, labels: train.churned)
                let predicted = trained.probabilities(test.features)
                report.classifierEvaluation = ClassifierEvaluation(probabilities: predicted, outcomes: test.churned)
                var byStatus: [String: ClassifierEvaluation] = [:]
                for status in Set(test.status) {
                    let members = test.status.indices.filter { test.status[$0] == status }
                    let outcomes = members.map { test.churned[$0] }
                    guard members.count >= 30, outcomes.contains(true), outcomes.contains(false) else { continue }
                    byStatus[status] = ClassifierEvaluation(probabilities: members.map { predicted[$0] }, outcomes: outcomes)
                }
                report.classifierEvaluationByStatus = byStatus
                // Rank-equivalent to −expected purchases, inside (0, 1].
                let baseline = ClassifierEvaluation(probabilities: test.expectedPurchases.map { 1 / (1 + max($0, 0)) }, outcomes: test.churned)
                report.baselineEvaluation = ChurnReport.BaselineEvaluation(
                    score: "-\(model.name) expected purchases in the horizon", rocAUC: baseline.rocAUC,
                    topDecileLift: baseline.topDecileLift, topDecileCapture: baseline.topDecileCapture)
                let final = try regression.fit(features: test.features, labels: test.churned)
                report.classifierCoefficients = final.coefficients
                report.classifierIntercept = final.intercept
                let now = Self.classifierMatrix(current, probabilityAlive: scores.probabilityAlive, expected: scores.expectedPurchases)
                scores.churnProbability = zip(final.probabilities(now), currentStatus).map { probability, status in
                    rules.inPopulation(status) ? probability : .nan
                }
            } catch let error as LogisticRegression.FitError {
                throw ChurnError.fit("the churn classifier could not be fitted: \(error)")
            }
            scores.churnRisk = ChurnRules.riskBands(scores.churnProbability, high: rules.highRisk, medium: rules.mediumRisk)
        }
        return (scores, report)
    }

    /// The data as known at an earlier day, the purchase model fitted on it, and each
    /// customer's purchase days in the horizon that followed.
    private struct Snapshot {
        var day: Int64
        var known: CustomerTransactions
        var summary: RepeatPurchaseSummary
        var model: any PurchaseModel
        var purchaseDaysAfter: [String: Int]
        /// Each customer's first purchase day in the horizon that followed, if any.
        var firstPurchaseAfter: [String: Int64]
    }

    /// `fit` is given the summary at `day` and each customer's purchase days in the horizon after.
    private func snapshot(
        _ transactions: CustomerTransactions, at day: Int64, fit: (RepeatPurchaseSummary, [String: Int]) throws -> any PurchaseModel
    ) throws -> Snapshot {
        let known = transactions.truncated(before: day * CivilTime.secondsPerDay)
        let summary = RepeatPurchaseSummary(known, asOfDay: day, unitDays: rules.unitDays)
        let after = Self.purchaseDays(transactions, in: day..<(day + Int64(rules.horizonDays)))
        let purchaseDaysAfter = after.mapValues(\.count)
        return Snapshot(
            day: day, known: known, summary: summary, model: try fit(summary, purchaseDaysAfter),
            purchaseDaysAfter: purchaseDaysAfter, firstPurchaseAfter: after.compactMapValues(\.first))
    }

    /// The churn population at a snapshot: its classifier features, its labels ("no purchase
    /// in the following horizon") and the purchase model's expected purchases (the baseline).
    private struct LabelledWindow {
        var features: Matrix<Double>
        var churned: [Bool]
        var expectedPurchases: [Double]
        /// Each customer's status at the snapshot.
        var status: [String]
    }

    private func labelledWindow(_ snapshot: Snapshot) -> LabelledWindow {
        let all = allLabelledCustomers(snapshot)
        let status = rules.lifecycle.statuses((0..<all.values.count).map(all.values.lifecycleHistory))
        let kept = status.indices.filter { rules.inPopulation(status[$0]) }
        return LabelledWindow(
            features: all.features.selecting(rows: kept),
            churned: kept.map { all.churned[$0] }, expectedPurchases: kept.map { all.expected[$0] },
            status: kept.map { status[$0].rawValue })
    }

    /// Features at the snapshot's day and labels "no purchase in the following horizon", for
    /// every customer known then.
    private func allLabelledCustomers(_ snapshot: Snapshot) -> (
        values: CustomerFeatures, features: Matrix<Double>, churned: [Bool], expected: [Double]
    ) {
        let builder = FeatureBuilder(
            groups: features.groups, asOfDay: snapshot.day, returnsArePurchases: features.returnsArePurchases,
            windows: features.windows)
        let (values, _) = builder.build(snapshot.known)
        let summary = snapshot.summary, model = snapshot.model
        let index = summary.rowsByCustomerID()
        let horizonUnits = Double(rules.horizonDays) / rules.unitDays
        var alive: [Double] = [], expected: [Double] = []
        for id in values.customerID {
            guard let row = index[id] else {
                alive.append(1)
                expected.append(0)
                continue
            }
            alive.append(model.probabilityAlive(x: summary.x[row], tx: summary.tx[row], t: summary.t[row]))
            expected.append(model.expectedPurchases(horizon: horizonUnits, x: summary.x[row], tx: summary.tx[row], t: summary.t[row]))
        }
        return (
            values, Self.classifierMatrix(values, probabilityAlive: alive, expected: expected),
            values.customerID.map { (snapshot.purchaseDaysAfter[$0] ?? 0) == 0 }, expected
        )
    }

    static func classifierMatrix(_ values: CustomerFeatures, probabilityAlive: [Double], expected: [Double]) -> Matrix<Double> {
        func log1pClamped(_ value: Double) -> Double { Foundation.log1p(max(value, 0)) }
        var elements: [Double] = []
        elements.reserveCapacity(values.count * classifierFeatureNames.count)
        for row in 0..<values.count {
            elements += [
                log1pClamped(Double(values.recencyDays[row])), log1pClamped(Double(values.frequency[row])),
                log1pClamped(values.monetaryTotal[row]), log1pClamped(values.monetaryMean[row]),
                log1pClamped(Double(values.tenureDays[row])),
                probabilityAlive[row].isFinite ? probabilityAlive[row] : 1,
                log1pClamped(expected[row].isFinite ? expected[row] : 0),
            ]
        }
        return Matrix(rows: values.count, columns: classifierFeatureNames.count, elements: elements)
    }

    private func fitPurchases(_ summary: RepeatPurchaseSummary, kind: ChurnRules.PurchaseModelKind) throws -> any PurchaseModel {
        do {
            switch kind {
            case .bgnbd, .auto: return try BGNBD(penalizer: rules.penalizer).fit(summary)
            case .mbgnbd: return try BGNBD(penalizer: rules.penalizer, modified: true).fit(summary)
            case .paretoNBD: return try ParetoNBD(penalizer: rules.penalizer).fit(summary)
            }
        } catch let error as ModelFitError {
            throw ChurnError.fit(error.reason)
        }
    }

    /// The customers `auto` compares the models on, at most (a hashed sample beyond): the
    /// models differ by thousandths of a log-likelihood unit per customer, far above the
    /// sampling noise of 50,000, and Pareto/NBD took 8 s to fit on a million.
    public static let modelSelectionSample = 50_000

    /// `auto` with a holdout: each candidate fitted on the calibration data, scored by the
    /// log-likelihood of what the holdout added to each calibration customer's history (a
    /// proper scoring rule, out of time; all candidates have four parameters), with the
    /// holdout purchases per bucket beside it. `fullRow` finds a customer's row of `full`.
    private func selectByHoldout(
        _ calibration: RepeatPurchaseSummary, full: RepeatPurchaseSummary, fullRow: [String: Int], actual: [String: Int]
    ) throws -> (kind: ChurnRules.PurchaseModelKind, model: any PurchaseModel, selection: ChurnReport.ModelSelection) {
        try select(on: calibration, basis: "holdout log-likelihood") { model, compared, candidate in
            var holdoutLL = 0.0
            for row in 0..<compared.count {
                guard let later = fullRow[compared.customerIDs[row]] else { continue }
                holdoutLL +=
                    model.logLikelihood(x: full.x[later], tx: full.tx[later], t: full.t[later])
                    - model.logLikelihood(x: compared.x[row], tx: compared.tx[row], t: compared.t[row])
            }
            let buckets = holdoutBuckets(model, compared, actual: actual)
            let customers = Double(buckets.reduce(0) { $0 + $1.customers })
            candidate.holdoutLogLikelihood = holdoutLL
            candidate.holdoutPredicted = buckets.reduce(0) { $0 + $1.predictedMean * Double($1.customers) }
            candidate.holdoutActual = buckets.reduce(0) { $0 + $1.actualMean * Double($1.customers) }
            candidate.holdoutBucketError = buckets.reduce(0) { $0 + abs($1.predictedMean - $1.actualMean) * Double($1.customers) } / customers
            return holdoutLL
        }
    }

    /// `auto` without room for a holdout: the highest log-likelihood at as_of, a fair
    /// comparison between models of four parameters each.
    private func selectInSample(_ summary: RepeatPurchaseSummary) throws -> (
        kind: ChurnRules.PurchaseModelKind, model: any PurchaseModel, selection: ChurnReport.ModelSelection
    ) {
        try select(on: summary, basis: "log-likelihood at as_of (no room for a holdout)") { model, _, _ in model.logLikelihood }
    }

    /// Fits every candidate on a hashed sample of `summary`'s customers (all of them on a small
    /// base), scores each with `score` (which may fill in its candidate's figures), and refits
    /// the highest-scoring one on every customer. A model that fails to fit is listed with why.
    private func select(
        on summary: RepeatPurchaseSummary, basis: String,
        score: (any PurchaseModel, RepeatPurchaseSummary, inout ChurnReport.ModelSelection.Candidate) -> Double
    ) throws -> (kind: ChurnRules.PurchaseModelKind, model: any PurchaseModel, selection: ChurnReport.ModelSelection) {
        let compared = summary.sample(about: Self.modelSelectionSample)
        var candidates: [ChurnReport.ModelSelection.Candidate] = []
        var best: (kind: ChurnRules.PurchaseModelKind, model: any PurchaseModel, score: Double)?
        for kind in ChurnRules.PurchaseModelKind.fittable {
            var candidate = ChurnReport.ModelSelection.Candidate(model: kind.rawValue)
            do {
                let model = try fitPurchases(compared, kind: kind)
                candidate.logLikelihood = model.logLikelihood
                let value = score(model, compared, &candidate)
                if value.isFinite, value > best?.score ?? -.infinity { best = (kind, model, value) }
            } catch {
                candidate.failure = "\(error)"
            }
            candidates.append(candidate)
        }
        guard let best else { throw ChurnError.fit("no purchase model could be fitted: \(candidates.compactMap(\.failure).joined(separator: "; "))") }
        let model = compared.count == summary.count ? best.model : try fitPurchases(summary, kind: best.kind)
        return (
            best.kind, model, .init(basis: basis, chosen: best.kind.rawValue, customersCompared: compared.count, candidates: candidates)
        )
    }

    /// BG/NBD's known blind spot: a customer can only drop out after a repeat purchase, so every
    /// one-time buyer has P(alive) = 1, however long ago the purchase was. Told when one-time
    /// buyers whose purchase is over a year old are a tenth of the customers or more.
    public static func blindSpotWarning(_ model: any PurchaseModel, _ summary: RepeatPurchaseSummary) -> String? {
        guard let bgnbd = model as? BGNBDModel, !bgnbd.modified, summary.count > 0 else { return nil }
        let yearInUnits = 365 / summary.unitDays
        let stale = (0..<summary.count).filter { summary.x[$0] == 0 && summary.t[$0] > yearInUnits }.count
        guard Double(stale) >= 0.1 * Double(summary.count) else { return nil }
        return String(
            format: "BG/NBD holds every one-time buyer alive (p_alive = 1): %d customers (%.0f%%) bought once, over a year ago; "
                + "their p_alive, expected purchases and clv are too high. purchase_model: mbgnbd or pareto_nbd lets them lapse",
            stale, 100 * Double(stale) / Double(summary.count))
    }

    /// The number of distinct purchase days of each customer in a window of days, and the first.
    static func purchaseDays(_ transactions: CustomerTransactions, in window: Range<Int64>) -> [String: (count: Int, first: Int64?)] {
        // Counted on all cores, a customer's days sorted in a reused buffer (a Set per customer
        // cost a second on a million customers); the dictionary is filled once at the end.
        let parts = 64
        let counted = Parallel.map(parts: parts) { part -> [(count: Int, first: Int64?)] in
            var days: [Int64] = []
            return Parallel.slice(part, of: parts, count: transactions.customerCount).map { customer in
                days.removeAll(keepingCapacity: true)
                for row in transactions.rows(of: customer) {
                    let day = CivilTime.day(ofSeconds: transactions.time[row])
                    if window.contains(day), transactions.amount[row] >= 0 { days.append(day) }
                }
                days.sort()
                var distinct = days.isEmpty ? 0 : 1
                for index in days.indices.dropFirst() where days[index] != days[index - 1] { distinct += 1 }
                return (distinct, days.first)
            }
        }
        var result: [String: (count: Int, first: Int64?)] = [:]
        result.reserveCapacity(transactions.customerCount)
        for (customer, value) in counted.joined().enumerated() { result[transactions.customerIDs[customer]] = value }
        return result
    }

    /// Out of time, the next-purchase median's own promise: among the customers whose median
    /// date at the holdout snapshot falls inside the horizon, the share who bought by it.
    private func nextPurchaseCheck(_ snapshot: Snapshot) -> ChurnReport.NextPurchaseCheck {
        let summary = snapshot.summary
        let limit = Double(rules.horizonDays) / rules.unitDays
        let parts = 64
        let counts = Parallel.map(parts: parts) { part -> (dated: Int, bought: Int) in
            var dated = 0, bought = 0
            for row in Parallel.slice(part, of: parts, count: summary.count) {
                guard
                    let time = snapshot.model.timeToPurchase(
                        probability: 0.5, x: summary.x[row], tx: summary.tx[row], t: summary.t[row], limit: limit)
                else { continue }
                dated += 1
                let date = snapshot.day + Int64((time * rules.unitDays).rounded(.up))
                if let first = snapshot.firstPurchaseAfter[summary.customerIDs[row]], first < date { bought += 1 }
            }
            return (dated, bought)
        }
        let dated = counts.reduce(0) { $0 + $1.dated }, bought = counts.reduce(0) { $0 + $1.bought }
        return ChurnReport.NextPurchaseCheck(customersDated: dated, shareBoughtByDate: dated > 0 ? Double(bought) / Double(dated) : nil)
    }

    private func holdoutBuckets(_ model: any PurchaseModel, _ summary: RepeatPurchaseSummary, actual: [String: Int]) -> [ChurnReport.FrequencyBucket]
    {
        let horizonUnits = Double(rules.horizonDays) / rules.unitDays
        var predicted = [Double](repeating: 0, count: 8), observed = [Double](repeating: 0, count: 8), counts = [Int](repeating: 0, count: 8)
        for row in 0..<summary.count {
            let bucket = min(Int(summary.x[row]), 7)
            counts[bucket] += 1
            predicted[bucket] += model.expectedPurchases(horizon: horizonUnits, x: summary.x[row], tx: summary.tx[row], t: summary.t[row])
            observed[bucket] += Double(actual[summary.customerIDs[row]] ?? 0)
        }
        return (0..<8).filter { counts[$0] > 0 }.map { bucket in
            ChurnReport.FrequencyBucket(
                repeatPurchases: bucket == 7 ? "7+" : String(bucket), customers: counts[bucket],
                predictedMean: predicted[bucket] / Double(counts[bucket]),
                actualMean: observed[bucket] / Double(counts[bucket]))
        }
    }
}
