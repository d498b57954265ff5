import Churn
import Clean
import Features
import Foundation
import Ingest
import SegflowCore
import Segmentation
import TestSupport
import Testing

@Suite struct ChurnAnalysisTests {
    /// The bundled sample, cleaned as of 2026-11-01.
    func sample() throws -> (CustomerTransactions, FeatureBuilder, CustomerFeatures) {
        let ingested = try TransactionReader(input: Fixtures.input("SampleData/transactions.csv")).read()
        let asOfDay = CivilTime.daysFromCivil(year: 2026, month: 11, day: 1)
        let (grouped, _) = Cleaner(rules: CleaningRules(cutoff: asOfDay * 86_400)).clean(ingested.transactions)
        let builder = FeatureBuilder(groups: FeatureGroup.allCases, asOfDay: asOfDay)
        return (grouped, builder, builder.build(grouped).0)
    }

    @Test(arguments: [ChurnRules.PurchaseModelKind.bgnbd, .paretoNBD])
    func scoresEveryCustomerWithSaneValues(purchaseModel: ChurnRules.PurchaseModelKind) throws {
        let (grouped, builder, features) = try sample()
        var rules = ChurnRules()
        rules.purchaseModel = purchaseModel
        let (scores, report) = try ChurnAnalysis(rules: rules, features: builder).run(grouped, current: features)
        #expect(report.purchaseModel == purchaseModel.rawValue)
        #expect(Set(report.parameters.keys) == (purchaseModel == .bgnbd ? ["r", "alpha", "a", "b"] : ["r", "alpha", "s", "beta"]))
        #expect(scores.probabilityAlive.count == features.count)
        #expect(scores.probabilityAlive.allSatisfy { (0...1).contains($0) })
        // The churn population: customers whose status is new, active or loyal; the rest are inactive.
        let active = LifecycleRules().statuses((0..<features.count).map(features.lifecycleHistory)).map(\.isActive)
        #expect(zip(scores.churnProbability, active).allSatisfy { $1 ? (0...1).contains($0) : $0.isNaN })
        #expect(zip(scores.churnRisk, active).allSatisfy { $1 ? ["low", "medium", "high"].contains($0) : $0 == "inactive" })
        #expect(report.populationCustomers == active.filter { $0 }.count)
        #expect(scores.expectedPurchases.allSatisfy { $0 >= 0 && $0.isFinite })
        #expect(scores.clv.allSatisfy { $0.isFinite })
        let evaluation = try #require(report.classifierEvaluation)
        #expect((evaluation.rocAUC ?? 0) > 0.7, "holdout AUC \(evaluation.rocAUC ?? .nan)")
        #expect(evaluation.positiveRate < 0.5, "active customers mostly stay: base rate \(evaluation.positiveRate)")
        // Per status at the evaluation snapshot: only statuses of the population, each its own AUC.
        let byStatus = try #require(report.classifierEvaluationByStatus)
        #expect(!byStatus.isEmpty && Set(byStatus.keys).isSubset(of: ["new", "active", "loyal"]), "\(byStatus.keys)")
        #expect(byStatus.values.reduce(0) { $0 + $1.count } <= evaluation.count)
        #expect(byStatus.values.allSatisfy { ($0.rocAUC ?? -1) >= 0 && ($0.rocAUC ?? 2) <= 1 })
        let baseline = try #require(report.baselineEvaluation?.rocAUC)
        #expect(baseline > 0.5 && baseline < 1, "baseline AUC \(baseline)")
        #expect(report.holdoutByFrequency.reduce(0) { $0 + $1.customers } > 0)
        // The purchase model's holdout: over all customers, predicted and actual purchases within 25%.
        let predicted = report.holdoutByFrequency.reduce(0) { $0 + $1.predictedMean * Double($1.customers) }
        let actual = report.holdoutByFrequency.reduce(0) { $0 + $1.actualMean * Double($1.customers) }
        #expect(abs(predicted - actual) / actual < 0.25, "predicted \(predicted), actual \(actual)")
        // A customer who bought yesterday and often is more alive than one silent for years.
        let recent = try #require(features.recencyDays.indices.first { features.recencyDays[$0] <= 3 && features.frequency[$0] >= 10 })
        let gone = try #require(features.recencyDays.indices.first { features.recencyDays[$0] >= 700 && features.frequency[$0] >= 10 })
        #expect(scores.probabilityAlive[recent] > scores.probabilityAlive[gone])
        #expect(scores.churnRisk[gone] == "inactive")
    }

    /// With every customer in the population, customers gone for years are scored too: the
    /// base rate and the AUC rise on easy negatives, which is why it is not the default.
    @Test func theWholeBaseIsAnOption() throws {
        let (grouped, builder, features) = try sample()
        var rules = ChurnRules()
        rules.activeOnly = false
        let (scores, report) = try ChurnAnalysis(rules: rules, features: builder).run(grouped, current: features)
        #expect(scores.churnProbability.allSatisfy { (0...1).contains($0) })
        #expect(report.populationCustomers == features.count)
        let evaluation = try #require(report.classifierEvaluation)
        #expect(
            (evaluation.rocAUC ?? 0) > 0.8 && evaluation.positiveRate > 0.5, "AUC \(evaluation.rocAUC ?? .nan), base rate \(evaluation.positiveRate)")
    }

    /// BG/NBD's blind spot is told when stale one-time buyers are a tenth of the customers or
    /// more (here 2 of 10, bought once 60 and 80 weeks ago), never for Pareto/NBD.
    @Test func bgnbdBlindSpotIsToldWhenItCoversManyCustomers() {
        var summary = RepeatPurchaseSummary(unitDays: 7)
        for (x, t) in [(0.0, 60.0), (0, 80), (0, 20), (3, 70), (1, 30), (2, 40), (5, 90), (1, 10), (4, 55), (2, 66)] {
            summary.customerIDs.append("c\(summary.count)")
            summary.x.append(x)
            summary.tx.append(x > 0 ? t / 2 : 0)
            summary.t.append(t)
            summary.spend.append(10)
        }
        let bgnbd = BGNBDModel(r: 0.243, alpha: 4.414, a: 0.793, b: 2.426)
        #expect(
            ChurnAnalysis.blindSpotWarning(bgnbd, summary)?.hasPrefix("BG/NBD holds every one-time buyer alive (p_alive = 1): 2 customers (20%)")
                == true)
        #expect(ChurnAnalysis.blindSpotWarning(ParetoNBDModel(r: 0.55, alpha: 10.6, s: 0.61, beta: 11.7), summary) == nil)
        summary.t[1] = 40  // a tenth still counts
        #expect(ChurnAnalysis.blindSpotWarning(bgnbd, summary)?.contains("1 customers (10%)") == true)
        summary.t[0] = 40
        #expect(ChurnAnalysis.blindSpotWarning(bgnbd, summary) == nil)
    }

    @Test func tooLittleHistoryIsNamed() throws {
        let (grouped, builder, features) = try sample()
        var rules = ChurnRules()
        rules.horizonDays = 1000
        #expect(throws: ChurnError.tooLittleHistory(needed: 2000, available: 1386)) {
            try ChurnAnalysis(rules: rules, features: builder).run(grouped, current: features)
        }
    }
}
