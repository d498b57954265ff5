import Churn
import Clean
import Foundation
import Ingest
import SegflowCore
import TestSupport
import Testing

/// The CDNOW sample of Fader, Hardie & Lee (2005), read and summarised by segflow's own
/// ingest and clean stages: 39-week calibration period ending 1997-09-30 inclusive, purchases
/// on the same day counted as one, time in weeks.
func cdnowCalibrationSummary() throws -> RepeatPurchaseSummary {
    let input = TransactionInput(
        path: "Tests/Fixtures/CDNOW_sample.txt",
        columns: TransactionColumns(customer: "2", order: nil, time: "3", amount: "5"),
        timeFormat: .pattern(try TimePattern("%Y%m%d")), separator: .blanks, hasHeader: false)
    let ingested = try TransactionReader(input: input).read()
    let asOfDay = CivilTime.daysFromCivil(year: 1997, month: 10, day: 1)
    let (grouped, _) = Cleaner(rules: CleaningRules(cutoff: asOfDay * 86_400, dedupe: .none)).clean(ingested.transactions)
    return RepeatPurchaseSummary(grouped, asOfDay: asOfDay, unitDays: 7)
}

@Suite struct BGNBDLiteratureTests {
    /// Published: r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = −9582.4 (within 1% each).
    @Test func fitMatchesFaderHardieLee2005() throws {
        let summary = try cdnowCalibrationSummary()
        #expect(summary.count == 2357)
        // Customer 1 of the paper's data: x = 2, t_x = 30.43, T = 38.86 weeks.
        #expect(summary.x[0] == 2)
        #expect(abs(summary.tx[0] - 30.43) < 0.005 && abs(summary.t[0] - 38.86) < 0.005)
        let model = try BGNBD().fit(summary)
        print("BG/NBD on CDNOW: r \(model.r), alpha \(model.alpha), a \(model.a), b \(model.b), LL \(model.logLikelihood)")
        for (value, published, name) in [(model.r, 0.243, "r"), (model.alpha, 4.414, "alpha"), (model.a, 0.793, "a"), (model.b, 2.426, "b")] {
            #expect(abs(value - published) / published <= 0.01, "\(name) = \(value), published \(published)")
        }
        #expect(abs(model.logLikelihood - -9582.4) / 9582.4 <= 0.01, "LL \(model.logLikelihood)")
    }

    /// With the published parameters: the paper's worked example, a customer with x = 2,
    /// t_x = 30.43, T = 38.86 expects 1.226 purchases in the next 39 weeks.
    @Test func conditionalExpectationMatchesThePaper() {
        let model = BGNBDModel(r: 0.243, alpha: 4.414, a: 0.793, b: 2.426, logLikelihood: 0, iterations: 0)
        let expected = model.expectedPurchases(horizon: 39, x: 2, tx: 30.43, t: 38.86)
        #expect(abs(expected - 1.226) < 0.001, "\(expected)")
        #expect(model.probabilityAlive(x: 0, tx: 0, t: 38.86) == 1)
        let alive = model.probabilityAlive(x: 2, tx: 30.43, t: 38.86)
        #expect(abs(alive - 0.7266) < 5e-5, "\(alive)")
    }
}

@Suite struct MBGNBDLiteratureTests {
    /// MBG/NBD (Batislam, Denizel & Filiztekin 2007) on CDNOW: BTYDplus (Platzer) publishes
    /// r = 0.525, α = 6.183, a = 0.891, b = 1.614, which lifetimes' ModifiedBetaGeoFitter
    /// reproduces on the same summary with LL = −9582.14.
    @Test func fitMatchesBTYDplusAndLifetimes() throws {
        let model = try BGNBD(modified: true).fit(try cdnowCalibrationSummary())
        print("MBG/NBD on CDNOW: r \(model.r), alpha \(model.alpha), a \(model.a), b \(model.b), LL \(model.logLikelihood)")
        for (value, published, name) in [(model.r, 0.525, "r"), (model.alpha, 6.183, "alpha"), (model.a, 0.891, "a"), (model.b, 1.614, "b")] {
            #expect(abs(value - published) / published <= 0.002, "\(name) = \(value), published \(published)")
        }
        #expect(abs(model.logLikelihood - -9582.136) < 0.01, "LL \(model.logLikelihood)")
        #expect(model.name == "mbgnbd")
    }

    /// Each customer's log-likelihood, the basis of the holdout comparison, sums to the fit's.
    @Test func perCustomerLogLikelihoodsSumToTheFits() throws {
        let summary = try cdnowCalibrationSummary()
        let models: [any PurchaseModel] = [try BGNBD().fit(summary), try BGNBD(modified: true).fit(summary), try ParetoNBD().fit(summary)]
        for model in models {
            let total = (0..<summary.count).reduce(0.0) { $0 + model.logLikelihood(x: summary.x[$1], tx: summary.tx[$1], t: summary.t[$1]) }
            #expect(abs(total - model.logLikelihood) < 1e-6 * abs(total), "\(model.name): \(total) vs \(model.logLikelihood)")
        }
    }

    /// With lifetimes' fitted parameters, P(alive) and the 39-week expectation equal
    /// lifetimes 0.11.3's to 1e-9 relative; a one-time buyer is no longer surely alive.
    @Test(arguments: [
        (2.0, 30.43, 38.86, 0.706125699315964, 1.2626692202500718), (0, 0, 38.86, 0.3897151860726884, 0.153954276933175),
        (0, 0, 10, 0.5221723140259649, 0.48251722695995714), (5, 20, 30, 0.5540456091484017, 2.490601222937973),
    ])
    func scoresMatchLifetimes(x: Double, tx: Double, t: Double, alive: Double, purchases: Double) {
        let model = BGNBDModel(r: 0.524842903149598, alpha: 6.183081764399279, a: 0.8913595172711999, b: 1.6140029311982655, modified: true)
        #expect(abs(model.probabilityAlive(x: x, tx: tx, t: t) - alive) <= 1e-9 * alive)
        #expect(abs(model.expectedPurchases(horizon: 39, x: x, tx: tx, t: t) - purchases) <= 1e-9 * purchases)
    }
}

@Suite struct GammaGammaLiteratureTests {
    /// Published (Fader & Hardie 2013): p = 6.25, q = 3.74, γ = 15.44, within 1% each.
    @Test func fitMatchesFaderHardie() throws {
        let summary = try cdnowCalibrationSummary()
        let model = try GammaGamma().fit(summary)
        print("Gamma-Gamma on CDNOW: p \(model.p), q \(model.q), gamma \(model.gamma), corr(x, spend) \(model.frequencySpendCorrelation)")
        for (value, published, name) in [(model.p, 6.25, "p"), (model.q, 3.74, "q"), (model.gamma, 15.44, "gamma")] {
            #expect(abs(value - published) / published <= 0.01, "\(name) = \(value), published \(published)")
        }
        #expect(abs(model.frequencySpendCorrelation) < 0.3)
    }
}

@Suite struct ParetoNBDLiteratureTests {
    /// Published (Fader, Hardie & Lee 2005, CDNOW): r = 0.553, α = 10.578, s = 0.606,
    /// β = 11.669, LL = −9595.0, within 1% each.
    @Test func fitMatchesThePublishedValues() throws {
        let summary = try cdnowCalibrationSummary()
        let model = try ParetoNBD().fit(summary)
        print("Pareto/NBD on CDNOW: r \(model.r), alpha \(model.alpha), s \(model.s), beta \(model.beta), LL \(model.logLikelihood)")
        for (value, published, name) in [(model.r, 0.553, "r"), (model.alpha, 10.578, "alpha"), (model.s, 0.606, "s"), (model.beta, 11.669, "beta")] {
            #expect(abs(value - published) / published <= 0.01, "\(name) = \(value), published \(published)")
        }
        #expect(abs(model.logLikelihood - -9595.0) / 9595.0 <= 0.01, "LL \(model.logLikelihood)")
    }

    /// With the published parameters, P(alive) and the expected purchases in the next 39
    /// weeks agree with lifetimes 0.11.3's ParetoNBDFitter (conditional_probability_alive,
    /// conditional_expected_number_of_purchases_up_to_time) on the same customers.
    @Test(arguments: [
        (2.0, 30.43, 38.86, 0.8691675591530111, 1.4551231932576019),
        (0.0, 0.0, 38.86, 0.29528660461689443, 0.10708146821530892),
        (10.0, 8.0, 38.86, 0.0003569370145573645, 0.0024700910658883783),
        (5.0, 38.0, 38.86, 0.989134826190222, 3.601874747165887),
    ])
    func scoresMatchLifetimes(x: Double, tx: Double, t: Double, alive: Double, purchases: Double) {
        let model = ParetoNBDModel(r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669)
        #expect(abs(model.probabilityAlive(x: x, tx: tx, t: t) - alive) <= 1e-9 * max(alive, 1e-3))
        #expect(abs(model.expectedPurchases(horizon: 39, x: x, tx: tx, t: t) - purchases) <= 1e-9 * max(purchases, 1e-3))
    }
}
