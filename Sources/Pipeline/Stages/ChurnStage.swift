import Churn
import Export
import Features
import SegflowCore
import Segmentation

/// `churn`: the purchase and spend models, CLV and the supervised churn model.
public struct ChurnSection: ConfigSection, Equatable {
    public enum Model: String, Sendable, CaseIterable {
        /// The supervised churn model (logistic regression).
        case logistic
        /// The purchase model's scores only.
        case none
    }

    public enum TimeUnit: String, Sendable, CaseIterable {
        case week, day
    }

    /// Who the churn classifier trains on, is evaluated on and scores.
    public enum Population: String, Sendable, CaseIterable {
        /// Customers in touch at the snapshot (status `new`, `active` or `loyal`, by the
        /// `segment.lifecycle` rules); the others are `inactive`.
        case active
        /// Every customer who ever bought.
        case all
    }

    var model = Model.logistic
    var timeUnit = TimeUnit.week
    var population = Population.active
    var fitted = ChurnRules()
    var clv = CLVSection()
    var risk = RiskSection()

    public init() {}

    /// What the churn stage runs with.
    public var rules: ChurnRules {
        var rules = fitted
        rules.classifier = model == .logistic
        rules.unitDays = timeUnit == .week ? 7 : 1
        rules.clvMonths = clv.months
        rules.monthlyDiscountRate = clv.monthlyDiscountRate
        rules.margin = clv.margin
        rules.mediumRisk = risk.medium
        rules.highRisk = risk.high
        rules.inverseRegularization = risk.inverseRegularization
        return rules
    }

    static var fields: [ConfigField<Self>] {
        [
            .choice("model", \.model, doc: "The supervised churn model; `none` keeps the purchase model's scores only."),
            .choice(
                "purchase_model", \.fitted.purchaseModel,
                doc: "The model behind p_alive, expected purchases and clv; `auto` takes the best holdout log-likelihood."),
            .duration(
                "horizon", \.fitted.horizonDays, in: 1...3650,
                doc: "Horizon of the expected purchases, of the churn label and of the holdout."),
            .choice("time_unit", \.timeUnit, doc: "Time unit of the purchase and spend model fits."),
            .choice("population", \.population, doc: "Who the churn classifier covers: customers active at the snapshot, or all."),
            .number("penalizer", \.fitted.penalizer, in: 0...100, doc: "L2 penalty on the purchase and spend model parameters."),
            .section("clv", \.clv, doc: "Customer lifetime value."),
            .section("risk", \.risk, doc: "The churn model's regularisation and risk bands."),
        ]
    }
}

/// `churn.clv`.
public struct CLVSection: ConfigSection, Equatable {
    var months = ChurnRules().clvMonths
    var monthlyDiscountRate = ChurnRules().monthlyDiscountRate
    var margin = ChurnRules().margin

    public init() {}

    static var fields: [ConfigField<Self>] {
        [
            .integer("months", \.months, in: 1...1200, doc: "CLV horizon in months."),
            .number("monthly_discount_rate", \.monthlyDiscountRate, in: 0...1, doc: "Discount rate per month."),
            .number("margin", \.margin, in: 0...1, doc: "Profit margin applied to spend."),
        ]
    }
}

/// `churn.risk`.
public struct RiskSection: ConfigSection, Equatable {
    /// How `churn_risk` bands are drawn from `churn_probability`.
    public enum Bands: String, Sendable, CaseIterable {
        /// Fixed probability thresholds: `medium` and `high`.
        case probability
        /// Shares of the scored customers, highest probability first: `high_share`, `medium_share`.
        case quantile
    }

    var medium = ChurnRules().mediumRisk
    var high = ChurnRules().highRisk
    var inverseRegularization = ChurnRules().inverseRegularization
    var bands = Bands.probability
    var highShare = 0.1
    var mediumShare = 0.2

    public init() {}

    static var fields: [ConfigField<Self>] {
        [
            .number("medium", \.medium, in: 0...1, doc: "churn_risk is `medium` from this probability."),
            .number("high", \.high, in: 0...1, doc: "churn_risk is `high` from this probability."),
            .number("c", \.inverseRegularization, in: 1e-6...1e6, doc: "Inverse L2 regularisation of the churn model."),
            .choice("bands", \.bands, doc: "Probability thresholds, or shares of the scored customers."),
            .number("high_share", \.highShare, in: 0...1, doc: "With `bands: quantile`, the share of customers at `high` risk."),
            .number("medium_share", \.mediumShare, in: 0...1, doc: "With `bands: quantile`, the share at `medium` risk, after the high ones."),
        ]
    }

    static func check(_ section: inout Self, _ context: SectionContext) {
        if section.medium > section.high {
            context.error(nil, "'\(context.path).medium' must not exceed '\(context.path).high'")
        }
        if section.highShare + section.mediumShare > 1 {
            context.error(
                "medium_share", "'\(context.path).high_share' and '\(context.path).medium_share' add up to more than 1",
                hint: "they are shares of the same customers, e.g. high_share: 0.1, medium_share: 0.2")
        }
        let unused = section.bands == .quantile ? ["medium", "high"] : ["high_share", "medium_share"]
        for key in unused where context.entries[key] != nil {
            context.warning(key, "'\(context.path).\(key)' is not used with 'bands: \(section.bands.rawValue)'")
        }
    }

    /// `churn_risk` by shares of the churn population (customers outside it have no
    /// probability and stay `inactive`): a customer is `high` when their probability is at
    /// least that of the customer at rank ceil(high_share x n), highest first, and `medium` likewise at
    /// rank ceil((high_share + medium_share) x n). Customers with equal probabilities share
    /// a band, so a band can exceed its share by the ties at its boundary.
    func quantileBands(_ probabilities: [Double]) -> [String] {
        let ranked = probabilities.filter { !$0.isNaN }.sorted(by: >)
        func threshold(_ share: Double) -> Double {
            // The small allowance keeps 0.1 x 1000 at rank 100, not 101.
            let rank = Int((share * Double(ranked.count) - 1e-9).rounded(.up))
            return rank < 1 ? .infinity : ranked[min(rank, ranked.count) - 1]
        }
        return ChurnRules.riskBands(probabilities, high: threshold(highShare), medium: threshold(highShare + mediumShare))
    }
}

/// Purchase model, spend model, CLV, next purchase and the churn model's scores.
enum ChurnStage: PipelineStage {
    static let name = "churn"

    static func customerColumns(_ config: ChurnSection) -> [ColumnSchema] {
        columns(ChurnScores(), config.rules).map {
            ColumnSchema($0.name, $0.kind, values: $0.name == "churn_risk" ? ChurnRules.riskLevels : nil)
        }
    }

    private static func date(_ day: Int64?) -> String { day.map(CivilTime.dateString) ?? "" }

    /// The churn columns of the customers table, the classifier's only when it runs.
    private static func columns(_ scores: ChurnScores, _ rules: ChurnRules) -> [Column] {
        var columns = [
            Column("p_alive", .real(scores.probabilityAlive)),
            Column("expected_purchases", .real(scores.expectedPurchases)),
            Column("p_purchase", .real(scores.purchaseProbability)),
            Column("clv", .real(scores.clv)),
            Column("next_purchase_q1", .text(scores.nextPurchaseQ1.map(date))),
            Column("next_purchase", .text(scores.nextPurchase.map(date))),
            Column("next_purchase_q3", .text(scores.nextPurchaseQ3.map(date))),
        ]
        if rules.classifier {
            columns += [Column("churn_probability", .real(scores.churnProbability)), Column("churn_risk", .text(scores.churnRisk))]
        }
        return columns
    }

    static func run(_ config: ChurnSection, _ context: inout RunContext) throws {
        var rules = config.rules
        rules.lifecycle = context.pipeline.segment?.lifecycle.rules ?? LifecycleRules()
        rules.activeOnly = config.population == .active
        guard let builder = context.featureBuilder else { preconditionFailure("churn runs after features") }
        var (scores, report): (ChurnScores, ChurnReport)
        do {
            (scores, report) = try ChurnAnalysis(rules: rules, features: builder).run(context.grouped, current: context.features)
        } catch let error as ChurnError {
            switch error {
            case .tooLittleHistory:
                throw SegflowError(
                    .data, at: context.pipeline.location(of: "churn.horizon"), "churn: \(error)",
                    hint: "shorten churn.horizon, move as_of later, or set churn.model: none to score with the purchase model alone")
            case .fit:
                // A fit fails most often because as_of lies far past the data: nobody bought in
                // the last horizon. Say so rather than suggest a penalizer.
                if let newestDay = context.ingested?.newestTime.map(CivilTime.day(ofSeconds:)),
                    let quiet = PipelineValidation.quietDaysBeyondHorizon(
                        asOfDay: context.asOfDay, newestDay: newestDay, horizonDays: rules.horizonDays)
                {
                    throw SegflowError(
                        .data, at: context.pipeline.location(of: "as_of"), "churn: \(error)",
                        hint: "as_of \(CivilTime.dateString(days: context.asOfDay)) is \(quiet) days after the newest "
                            + "transaction (\(CivilTime.dateString(days: newestDay))), beyond the \(rules.horizonDays)-day horizon: "
                            + "nobody bought in it. Use as_of: latest or a date up to \(CivilTime.dateString(days: newestDay + 1))")
                }
                throw SegflowError(
                    .data, at: context.pipeline.location(of: "churn"), "churn: \(error)",
                    hint: "try churn.penalizer: 0.001, or check that customers make repeat purchases")
            }
        }
        if config.risk.bands == .quantile { scores.churnRisk = config.risk.quantileBands(scores.churnProbability) }
        let customers = context.features.count
        for column in columns(scores, rules) { context.customers.append(column) }
        var counts = [StageReport.Count("customers_scored", customers)]
        if rules.classifier {
            for level in ChurnRules.riskLevels {
                counts.append(.init("risk_\(level)", scores.churnRisk.filter { $0 == level }.count))
            }
        }
        context.stageReports.append(StageReport(stage: name, rowsIn: customers, rowsOut: customers, counts: counts))
        context.churnReport = report
    }
}
