import Churn
import Foundation
import Testing

@Suite struct LifetimeValueTests {
    let purchases = BGNBDModel(r: 0.243, alpha: 4.414, a: 0.793, b: 2.426)
    let spend = GammaGammaModel(p: 6.25, q: 3.74, gamma: 15.44, logLikelihood: 0, frequencySpendCorrelation: 0)

    /// One month, no discount: CLV is margin x expected spend x expected purchases in a month
    /// of 365.25 / 12 days.
    @Test func oneUndiscountedMonthIsPurchasesTimesSpend() {
        let value = LifetimeValue(purchases: purchases, spend: spend, unitDays: 7)
        let clv = value.clv(x: 2, tx: 30.43, t: 38.86, meanSpend: 22.35, months: 1, monthlyDiscountRate: 0, margin: 0.3)
        let month = 365.25 / 12 / 7
        let expected = 0.3 * spend.expectedSpend(x: 2, meanSpend: 22.35) * purchases.expectedPurchases(horizon: month, x: 2, tx: 30.43, t: 38.86)
        #expect(abs(clv - expected) < 1e-12)
    }

    /// Values computed with lifetimes 0.11.3's own formulas (BetaGeoFitter's
    /// conditional_expected_number_of_purchases_up_to_time at i · (365.25 / 12) / 7 weeks,
    /// GammaGammaFitter's conditional_expected_average_profit, its population mean
    /// p·γ/(q − 1) for a mean spend that is not positive) and the discounted monthly sum,
    /// with the published CDNOW parameters: pinned, not rebuilt from segflow's own calls.
    @Test(arguments: [
        (2.0, 30.43, 38.86, 22.35, 1, 0.0, 0.3, 1.1828191308814227),
        (2.0, 30.43, 38.86, 22.35, 12, 0.01, 1.0, 36.31125721698214),
        (0.0, 0.0, 38.86, 0.0, 12, 0.01, 1.0, 8.374459099411789),
        (10.0, 38.0, 38.86, 40.0, 24, 0.01, 0.25, 124.98637144804734),
        (3.0, 20.0, 38.86, -5.0, 12, 0.01, 1.0, 47.15139368552517),
    ])
    func clvEqualsLifetimesFormulas(
        x: Double, tx: Double, t: Double, meanSpend: Double, months: Int, discount: Double, margin: Double, lifetimes: Double
    ) {
        let value = LifetimeValue(purchases: purchases, spend: spend, unitDays: 7)
        let clv = value.clv(x: x, tx: tx, t: t, meanSpend: meanSpend, months: months, monthlyDiscountRate: discount, margin: margin)
        #expect(abs(clv - lifetimes) <= 1e-9 * lifetimes, "\(clv) against lifetimes' \(lifetimes)")
    }

    /// The paper's example customer (x = 2, t_x = 30.43, T = 38.86) under the published
    /// parameters: P(alive) = 0.7266 (lifetimes gives 0.72657857), expected spend 24.6637.
    @Test func paperCustomerIsAliveWithProbability0Point7266() {
        #expect(abs(purchases.probabilityAlive(x: 2, tx: 30.43, t: 38.86) - 0.72657857) < 1e-7)
        #expect(abs(spend.expectedSpend(x: 2, meanSpend: 22.35) - 24.663713910761157) < 1e-9)
    }

    @Test func discountingLowersValueAndLongerHorizonsRaiseIt() {
        let value = LifetimeValue(purchases: purchases, spend: spend, unitDays: 7)
        let year = value.clv(x: 2, tx: 30.43, t: 38.86, meanSpend: 22.35, months: 12, monthlyDiscountRate: 0, margin: 1)
        let discounted = value.clv(x: 2, tx: 30.43, t: 38.86, meanSpend: 22.35, months: 12, monthlyDiscountRate: 0.01, margin: 1)
        let twoYears = value.clv(x: 2, tx: 30.43, t: 38.86, meanSpend: 22.35, months: 24, monthlyDiscountRate: 0.01, margin: 1)
        #expect(discounted < year)
        #expect(twoYears > discounted)
    }

    /// Gamma-Gamma's expected spend shrinks a customer's mean towards the population mean
    /// p·γ/(q − 1) = 35.85 with weight p·x / (p·x + q − 1).
    @Test func expectedSpendShrinksTowardsThePopulation() {
        let populationMean = 6.25 * 15.44 / 2.74
        let weight = 6.25 * 2 / (6.25 * 2 + 2.74)
        #expect(abs(spend.expectedSpend(x: 2, meanSpend: 22.35) - ((1 - weight) * populationMean + weight * 22.35)) < 1e-12)
    }

    /// The next-purchase quantiles by hand: P(purchase within h) = P(alive) · (1 − ((α + T) /
    /// (α + T + h))^{r + x}), so the time to probability q is (α + T) · ((1 − q / P(alive))^{−1 /
    /// (r + x)} − 1). A customer whose P(alive) is below q never reaches it.
    @Test func nextPurchaseQuantilesByHand() throws {
        let alive = purchases.probabilityAlive(x: 10, tx: 38, t: 38.86)
        for q in [0.25, 0.5, 0.75] {
            let expected = (4.414 + 38.86) * (pow(1 - q / alive, -1 / (0.243 + 10)) - 1)
            let time = try #require(purchases.timeToPurchase(probability: q, x: 10, tx: 38, t: 38.86, limit: 520))
            #expect(abs(time - expected) <= 1e-5 * expected, "q \(q): \(time) against \(expected)")
            #expect(abs(purchases.purchaseProbability(within: time, x: 10, tx: 38, t: 38.86) - q) < 1e-6)
        }
        // Bought often early, silent for 30 weeks: more likely gone, so no median.
        #expect(purchases.probabilityAlive(x: 10, tx: 8, t: 38.86) < 0.5)
        #expect(purchases.timeToPurchase(probability: 0.5, x: 10, tx: 8, t: 38.86, limit: 520) == nil)
    }
}
