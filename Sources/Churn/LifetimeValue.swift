import Foundation

/// Discounted customer lifetime value and the expected next purchase, from a fitted purchase
/// model (how many purchases: BG/NBD or Pareto/NBD) and Gamma-Gamma model (how much per purchase).
public struct LifetimeValue: Sendable {
    public let purchases: any PurchaseModel
    public let spend: GammaGammaModel
    /// Days per model time unit (7 when the models were fitted in weeks).
    public let unitDays: Double

    public init(purchases: any PurchaseModel, spend: GammaGammaModel, unitDays: Double) {
        self.purchases = purchases
        self.spend = spend
        self.unitDays = unitDays
    }

    /// Days in a CLV month: a twelfth of the mean Gregorian year, so twelve months are a year.
    public static let daysPerMonth = 365.25 / 12

    /// CLV over `months` months, discrete and discounted monthly, as lifetimes'
    /// `customer_lifetime_value`: Σᵢ margin · E[spend] · (E[Y(i)] − E[Y(i−1)]) / (1 + d)ⁱ,
    /// where E[Y(i)] is the expected number of purchases in the next i months. A customer
    /// whose mean repeat spend is not positive (returns outweigh purchases) is given the
    /// population's mean spend, so CLV is never negative.
    public func clv(
        x: Double, tx: Double, t: Double, meanSpend: Double, months: Int, monthlyDiscountRate: Double,
        margin: Double
    ) -> Double {
        let perPurchase = margin * (meanSpend > 0 ? spend.expectedSpend(x: x, meanSpend: meanSpend) : spend.populationMean)
        let month = Self.daysPerMonth / unitDays
        var value = 0.0, previous = 0.0
        for index in 1...max(months, 1) {
            let cumulative = purchases.expectedPurchases(horizon: Double(index) * month, x: x, tx: tx, t: t)
            value += perPurchase * (cumulative - previous) / pow(1 + monthlyDiscountRate, Double(index))
            previous = cumulative
        }
        return value
    }
}
