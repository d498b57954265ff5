import Churn
import SegflowCore
import Testing

@Suite struct BGNBDFitTests {
    /// Customers drawn from BG/NBD itself: λ ~ Gamma(r, 1/α), p ~ Beta(a, b), Poisson
    /// purchases while alive, dropout with probability p after each repeat purchase.
    static func simulatedSummary(customers: Int, truth: BGNBDModel, seed: UInt64) -> RepeatPurchaseSummary {
        var random = RandomSource(seed: seed)
        var summary = RepeatPurchaseSummary(unitDays: 7)
        for _ in 0..<customers {
            let age = Double(7 + Int(random.unit() * 358)) / 7
            let rate = random.gamma(shape: truth.r, scale: 1 / truth.alpha), dropout = random.beta(truth.a, truth.b)
            var time = 0.0, repeats = 0.0, last = 0.0
            while true {
                time += random.exponential(mean: 1 / rate)
                guard time <= age else { break }
                repeats += 1
                last = time
                if random.unit() < dropout { break }
            }
            summary.customerIDs.append("")
            summary.x.append(repeats)
            summary.tx.append(last)
            summary.t.append(age)
            summary.spend.append(0)
        }
        return summary
    }

    /// 150,000 customers: enough distinct rows for the warm start from a sample, so this
    /// checks that path; the CDNOW test checks the direct one.
    @Test func recoversTheParametersOfSimulatedCustomers() throws {
        let truth = BGNBDModel(r: 0.5, alpha: 3, a: 0.8, b: 4)
        let model = try BGNBD().fit(Self.simulatedSummary(customers: 150_000, truth: truth, seed: 11))
        print("BG/NBD on 150,000 simulated customers: r \(model.r), alpha \(model.alpha), a \(model.a), b \(model.b)")
        for (value, expected, name) in [
            (model.r, truth.r, "r"), (model.alpha, truth.alpha, "alpha"), (model.a, truth.a, "a"), (model.b, truth.b, "b"),
        ] {
            #expect(abs(value - expected) / expected <= 0.05, "\(name) = \(value), simulated with \(expected)")
        }
        #expect(model.optimizer == "L-BFGS")
    }

    /// Customers with identical (x, t_x, T) are one weighted row: the fit must not change.
    @Test func mergingIdenticalCustomersKeepsTheLikelihood() throws {
        let truth = BGNBDModel(r: 0.5, alpha: 3, a: 0.8, b: 4)
        var summary = Self.simulatedSummary(customers: 3_000, truth: truth, seed: 5)
        let single = try BGNBD().fit(summary)
        summary.customerIDs += summary.customerIDs
        summary.x += summary.x
        summary.tx += summary.tx
        summary.t += summary.t
        summary.spend += summary.spend
        let doubled = try BGNBD().fit(summary)
        #expect(abs(doubled.logLikelihood - 2 * single.logLikelihood) < 1e-6 * abs(single.logLikelihood))
        #expect(abs(doubled.r - single.r) < 1e-6 && abs(doubled.b - single.b) < 1e-5)
    }
}
