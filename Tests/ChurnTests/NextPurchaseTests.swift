import Churn
import Foundation
import SegflowCore
import Testing

/// The next-purchase dates are quantiles of the predictive distribution of the time to the
/// next purchase, dropout included. Checked by simulation: customers drawn from BG/NBD with
/// the published CDNOW parameters, observed for their calibration weeks, then followed on.
/// Among the customers a quantile exists for, the share who bought by their q-date is q.
@Suite struct NextPurchaseTests {
    struct Customer {
        var x = 0.0, tx = 0.0, t = 0.0
        /// Weeks after the calibration's end to the next purchase; nil once dropped out.
        var next: Double?
    }

    /// Born in the first 12 weeks, observed to week 39; a dropout can follow every repeat
    /// purchase (BG/NBD holds every customer alive until the first repeat purchase).
    static func simulate(_ model: BGNBDModel, customers: Int, seed: UInt64) -> [Customer] {
        var random = RandomSource(seed: seed)
        return (0..<customers).map { _ in
            let rate = random.gamma(shape: model.r, scale: 1 / model.alpha)
            let dropout = random.beta(model.a, model.b)
            let birth = 12 * random.unit()
            var customer = Customer(t: 39 - birth)
            var clock = 0.0
            while true {
                clock += -log(1 - random.unit()) / rate
                if clock > customer.t {
                    customer.next = clock - customer.t
                    return customer
                }
                customer.x += 1
                customer.tx = clock
                if random.unit() < dropout { return customer }
            }
        }
    }

    @Test(arguments: [0.25, 0.5, 0.75])
    func theShareWhoBoughtByTheirDateIsItsProbability(q: Double) {
        let model = BGNBDModel(r: 0.243, alpha: 4.414, a: 0.793, b: 2.426)
        let customers = Self.simulate(model, customers: 40_000, seed: 11)
        var dated = 0, bought = 0
        for customer in customers {
            guard let time = model.timeToPurchase(probability: q, x: customer.x, tx: customer.tx, t: customer.t, limit: 522) else { continue }
            dated += 1
            if let next = customer.next, next <= time { bought += 1 }
        }
        let share = Double(bought) / Double(dated)
        #expect(dated > 2_000)
        #expect(abs(share - q) < 0.015, "\(bought) of \(dated) dated customers bought by their \(q) date: \(share)")
    }

    /// Pareto/NBD's probability, integrated numerically, against a simulation of its own
    /// customers (exponential lifetimes, so dropout can come before the next purchase).
    @Test func paretoNBDProbabilityMatchesItsSimulation() {
        let model = ParetoNBDModel(r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669)
        var random = RandomSource(seed: 3)
        var predicted = 0.0, observed = 0.0
        for _ in 0..<40_000 {
            let rate = random.gamma(shape: model.r, scale: 1 / model.alpha)
            let death = -log(1 - random.unit()) / random.gamma(shape: model.s, scale: 1 / model.beta)
            let t = 39 - 12 * random.unit()
            var clock = 0.0, x = 0.0, tx = 0.0
            var next: Double?
            while true {
                clock += -log(1 - random.unit()) / rate
                if clock > death { break }
                if clock > t {
                    next = clock - t
                    break
                }
                x += 1
                tx = clock
            }
            predicted += model.purchaseProbability(within: 26, x: x, tx: tx, t: t)
            if let next, next <= 26 { observed += 1 }
        }
        #expect(abs(predicted - observed) / observed < 0.03, "predicted \(predicted), simulated \(observed)")
    }
}
