import Export
import Foundation
import SegflowCore

/// Generates a realistic transaction log for demos, tests and benchmarks.
///
/// Each customer follows the BG/NBD story (Fader, Hardie & Lee 2005): while alive, they buy
/// as a Poisson process with a gamma-distributed rate; after each purchase they drop out
/// with a beta-distributed probability. So purchase counts are skewed and many customers
/// stop buying. Spend per order is lognormal around a lognormal per-customer mean. Some
/// purchases are returned (a negative row a few days later), some rows are loaded twice,
/// and `malformedRows` broken lines can be mixed in to exercise the rejected-row path.
///
/// Each order also has a category, a quantity and a cost, drawn from a second random stream
/// (so the purchases are those of the plain log) by the customer's persona, which follows
/// from their latent traits (`Persona`): big spenders who drop out fast buy fashion, shoes,
/// jewellery and beauty at high margins, the planted "fashion" relationships (valuable but
/// fickle); frequent buyers buy groceries, household goods and pet food at thin margins;
/// families buy toys, books and groceries together, outdoor people sports, garden and
/// shoes, which plants category affinities; the rest buy across the range.
public struct SampleGenerator: Sendable {
    public var customers: Int
    public var seed: UInt64
    public var malformedRows: Int
    /// First and last day (since the epoch) of the observed window.
    public var firstDay: Int64
    public var lastDay: Int64

    public init(
        customers: Int, seed: UInt64, malformedRows: Int = 0,
        firstDay: Int64 = CivilTime.daysFromCivil(year: 2023, month: 1, day: 1),
        lastDay: Int64 = CivilTime.daysFromCivil(year: 2026, month: 10, day: 31)
    ) {
        self.customers = customers
        self.seed = seed
        self.malformedRows = malformedRows
        self.firstDay = firstDay
        self.lastDay = lastDay
    }

    struct Row {
        var time: Int64
        var customer: Int32
        var order: Int64
        var cents: Int64
        var channel: UInt8
        var isReturn: Bool
        var category: UInt8 = 0
        var quantity: Int16 = 1
        var costCents: Int64 = 0
    }

    static let header = "customer_id,order_id,ts,amount,channel,category,quantity,cost"
    static let channels = ["web", "store", "\"app, mobile\"", "phone"]

    /// The categories and their usual margin (share of the amount that is profit).
    public static let categories: [(name: String, margin: Double)] = [
        ("grocery", 0.10), ("household", 0.16), ("pet", 0.20), ("toys", 0.32), ("books", 0.28), ("sports", 0.30),
        ("garden", 0.24), ("shoes", 0.45), ("fashion", 0.52), ("jewelry", 0.60), ("beauty", 0.40), ("electronics", 0.12),
    ]

    /// Who a customer is, from the traits that drive their purchases.
    enum Persona: CaseIterable {
        case fashion, staples, family, outdoor, browser

        /// The categories the persona buys, most of their orders in these.
        var favourites: [UInt8] {
            switch self {
            case .fashion: return [8, 7, 9, 10]
            case .staples: return [0, 1, 2]
            case .family: return [3, 4, 0]
            case .outdoor: return [5, 6, 7]
            case .browser: return [11, 4, 10, 1]
            }
        }

        /// How much of the category's margin the persona's purchases keep (fashion buyers pay
        /// full price; staples buyers wait for offers).
        var marginFactor: Double {
            switch self {
            case .fashion: return 1.15
            case .staples: return 0.8
            default: return 1
            }
        }

        static func of(ratePerDay: Double, dropout: Double, meanSpend: Double, draw: Double) -> Persona {
            if meanSpend > 70, dropout > 0.08 { return .fashion }
            if ratePerDay > 0.09 { return .staples }
            return draw < 0.3 ? .family : draw < 0.55 ? .outdoor : .browser
        }
    }

    /// Writes the sample as CSV sorted by time, as a shop's export would be.
    /// Writes the transactions as CSV sorted by time, as a shop's export would be.
    public func write(to writer: BufferedFileWriter) throws { try generate().writeTransactions(to: writer) }

    /// The sample, ready to be written file by file.
    public func generate() -> GeneratedSample {
        var random = RandomSource(seed: seed)
        var lineRandom = RandomSource(seed: seed ^ 0x6C69_6E65_7321)
        var stories: [CustomerStory] = []
        var rows = generateRows(&random, lines: &lineRandom, stories: &stories)
        rows.sort { ($0.time, $0.order, $0.isReturn ? 1 : 0) < ($1.time, $1.order, $1.isReturn ? 1 : 0) }
        var malformedAt = Set<Int>()
        while malformedAt.count < min(malformedRows, rows.count) { malformedAt.insert(Int(random.next() % UInt64(rows.count))) }
        return GeneratedSample(generator: self, rows: rows, malformedAt: malformedAt, stories: stories)
    }

    /// What the survey answers of a customer follow from.
    struct CustomerStory {
        var persona: Persona
        var firstDay: Int64
        var lastDay: Int64
        var purchases: Int
    }

    static let surveyHeader = "customer_id,answered_at,nps,expectation,perception"
    static let customersHeader = "customer_id,signup_date,region,customer_type,age_band,newsletter"
    static let regions = ["north", "south", "east", "west", "central"]
    static let ageBands = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"]

    /// One row per customer who bought, and one per sixth as many prospects (on file, never
    /// bought), from a stream of their own. Signup is up to a year before the first
    /// purchase (a tenth sign up only after buying as guests). Fashion buyers are young
    /// (18-34 mostly), staples buyers older and a third of them businesses; regions are
    /// spread evenly; a few cells are empty, as in real files.
    func writeCustomers(_ stories: [CustomerStory], to writer: BufferedFileWriter) throws {
        var random = RandomSource(seed: seed ^ 0x6375_7374_6F6D)
        try writer.write(Self.customersHeader + "\n")
        func pick(_ weights: [Double]) -> Int {
            var draw = random.unit() * weights.reduce(0, +)
            for (index, weight) in weights.enumerated() {
                draw -= weight
                if draw < 0 { return index }
            }
            return weights.count - 1
        }
        let prospects = stories.count / 6
        for index in 0..<(stories.count + prospects) {
            let story = index < stories.count ? stories[index] : nil
            let joined: Int64
            if let story {
                joined = min(lastDay, story.firstDay - (random.unit() < 0.1 ? -Int64(random.next() % 60) : Int64(random.next() % 365)))
            } else {
                joined = firstDay + Int64(random.next() % UInt64(lastDay - firstDay + 1))
            }
            let type: String
            switch story?.persona {
            case .staples: type = ["consumer", "business", "government"][pick([0.62, 0.33, 0.05])]
            default: type = ["consumer", "business", "government"][pick([0.93, 0.06, 0.01])]
            }
            let ages: [Double]
            switch story?.persona {
            case .fashion: ages = [0.35, 0.4, 0.12, 0.07, 0.04, 0.02]
            case .staples: ages = [0.03, 0.12, 0.25, 0.27, 0.2, 0.13]
            default: ages = [0.1, 0.22, 0.24, 0.2, 0.14, 0.1]
            }
            let age = random.unit() < 0.05 ? "" : Self.ageBands[pick(ages)]
            let region = Self.regions[Int(random.next() % UInt64(Self.regions.count))]
            let newsletter = random.unit() < (story == nil ? 0.2 : 0.45) ? "yes" : "no"
            try writer.write(
                "\(Self.customerID(Int32(index))),\(CivilTime.dateString(days: joined)),\(region),\(type),\(age),\(newsletter)\n")
        }
    }

    /// Survey answers for about a third of the customers, one or two each, given between
    /// their first purchase and a month after their last, drawn from a stream of their own.
    /// The NPS answer leans on who the customer is: regulars who buy staples recommend (mean
    /// 8.6), families and outdoor buyers are warm (7.6), browsers lukewarm (6.8), and the
    /// fashion buyers who leave early are detractors more often than not (5.6); a one-time
    /// buyer answers a point lower. Expectation is 1-7; perception follows the answer, so
    /// satisfaction b/a tracks the NPS.
    func writeSurveys(_ stories: [CustomerStory], to writer: BufferedFileWriter) throws {
        var random = RandomSource(seed: seed ^ 0x7375_7276_6579)
        var answers: [(time: Int64, line: String)] = []
        for (customer, story) in stories.enumerated() where random.unit() < 0.33 {
            let mean: Double
            switch story.persona {
            case .staples: mean = 8.6
            case .family, .outdoor: mean = 7.6
            case .browser: mean = 6.8
            case .fashion: mean = 5.6
            }
            for _ in 0..<(random.unit() < 0.25 ? 2 : 1) {
                let span = Double(min(story.lastDay + 30, lastDay) - story.firstDay + 1)
                let day = story.firstDay + Int64(random.unit() * span)
                let time = day * 86_400 + Int64(random.next() % 86_400)
                let score = Int(min(10, max(0, (mean - (story.purchases == 1 ? 1 : 0) + 1.8 * random.normal()).rounded())))
                let expectation = Int(3 + random.next() % 5)
                let perception = Int(min(7, max(1, (Double(expectation) + Double(score - 7) / 2 + 0.7 * random.normal()).rounded())))
                let id = Self.customerID(Int32(customer))
                answers.append((time, "\(id),\(CivilTime.timestampString(seconds: time)),\(score),\(expectation),\(perception)"))
            }
        }
        answers.sort { $0.time < $1.time }
        try writer.write(Self.surveyHeader + "\n")
        for answer in answers { try writer.write(answer.line + "\n") }
    }

    static let referralsHeader = "referrer_id,referred_id,referred_at"

    /// A referral log as a referral programme keeps one, from a stream of its own. About one
    /// customer in eight was brought by someone who had bought before them: a uniformly drawn
    /// earlier customer, redrawn up to three times with a chance that falls as their purchases
    /// rise, so regulars refer most. Referred customers refer in turn, so cascades run
    /// several generations deep. The referral is made up to two weeks before the referred's
    /// first purchase, never before the referrer's own. One prospect in twenty was referred
    /// too (invited, never bought). And the rows real logs hold: a customer entering their own
    /// code (one customer in 2,000), a second referrer claiming a customer already referred
    /// (one referral in 200), and invitations to people who never joined (one in 100).
    func writeReferrals(_ stories: [CustomerStory], to writer: BufferedFileWriter) throws {
        var random = RandomSource(seed: seed ^ 0x7265_6665_7272)
        var rows: [(time: Int64, line: String)] = []
        func add(_ referrer: Int, _ referred: String, day: Int64) {
            let time = day * 86_400 + Int64(random.next() % 86_400)
            rows.append((time, "\(Self.customerID(Int32(referrer))),\(referred),\(CivilTime.timestampString(seconds: time))"))
        }
        let byFirstDay = stories.indices.sorted { (stories[$0].firstDay, $0) < (stories[$1].firstDay, $1) }
        let prospects = stories.count / 6
        var strangers = stories.count + prospects
        for position in byFirstDay.indices.dropFirst() {
            let customer = byFirstDay[position], story = stories[customer]
            if random.unit() < 0.0005 { add(customer, Self.customerID(Int32(customer)), day: story.firstDay) }
            guard random.unit() < 0.125 else { continue }
            var referrer = byFirstDay[Int(random.next() % UInt64(position))]
            for _ in 0..<3 where random.unit() > Double(stories[referrer].purchases) / 6 {
                referrer = byFirstDay[Int(random.next() % UInt64(position))]
            }
            let referrerDay = stories[referrer].firstDay
            guard referrerDay < story.firstDay else { continue }
            let day = max(referrerDay, story.firstDay - Int64(random.next() % 15))
            add(referrer, Self.customerID(Int32(customer)), day: day)
            if random.unit() < 0.005 {
                add(byFirstDay[Int(random.next() % UInt64(position))], Self.customerID(Int32(customer)), day: min(story.firstDay, day + 3))
            }
            if random.unit() < 0.01 {
                add(referrer, Self.customerID(Int32(strangers)), day: day)
                strangers += 1
            }
        }
        for prospect in stories.count..<(stories.count + prospects) where random.unit() < 0.05 && !stories.isEmpty {
            let referrer = Int(random.next() % UInt64(stories.count))
            let from = stories[referrer].firstDay
            add(referrer, Self.customerID(Int32(prospect)), day: from + Int64(random.next() % UInt64(lastDay - from + 1)))
        }
        rows.sort { $0.time < $1.time }
        try writer.write(Self.referralsHeader + "\n")
        for row in rows { try writer.write(row.line + "\n") }
    }

    private func generateRows(_ random: inout RandomSource, lines: inout RandomSource, stories: inout [CustomerStory]) -> [Row] {
        var rows: [Row] = []
        rows.reserveCapacity(customers * 11)
        var nextOrder: Int64 = 1
        let span = Double(lastDay - firstDay + 1)
        for customer in 0..<customers {
            // Acquisition spread over the window, more customers in later months (growth).
            let joined = Double(firstDay) + span * random.unit().squareRoot()
            let ratePerDay = random.gamma(shape: 0.9, scale: 0.07)
            let dropout = random.beta(1.1, 9)
            let meanSpend = exp(3.6 + 0.7 * random.normal())
            let persona = Persona.of(ratePerDay: ratePerDay, dropout: dropout, meanSpend: meanSpend, draw: lines.unit())
            var day = joined
            var story = CustomerStory(persona: persona, firstDay: Int64(joined.rounded(.down)), lastDay: Int64(joined.rounded(.down)), purchases: 0)
            defer { stories.append(story) }
            repeat {
                let cents = max(50, Int64((meanSpend * exp(0.45 * random.normal() - 0.1) * 100).rounded()))
                let time = Int64(day.rounded(.down)) * 86_400 + Int64(random.next() % 86_400)
                let order = nextOrder
                nextOrder += 1
                let channel = UInt8(random.next() % 100 < 70 ? 0 : random.next() % 4)
                var row = Row(time: time, customer: Int32(customer), order: order, cents: cents, channel: channel, isReturn: false)
                Self.drawLine(&row, persona: persona, &lines)
                story.lastDay = Int64(day.rounded(.down))
                story.purchases += 1
                rows.append(row)
                if random.unit() < 0.03 {
                    let refunded = random.unit() < 0.6 ? cents : max(1, cents / 2)
                    let returnTime = time + Int64(86_400 * (1 + random.next() % 20))
                    if returnTime < (lastDay + 1) * 86_400 {
                        var returned = row
                        returned.time = returnTime
                        returned.cents = -refunded
                        returned.isReturn = true
                        returned.costCents = -row.costCents * refunded / cents
                        returned.quantity = -max(1, Int16(Int64(row.quantity) * refunded / cents))
                        rows.append(returned)
                    }
                }
                if random.unit() < 0.005 { rows.append(rows[rows.count - 1]) }
                if random.unit() < dropout { break }
                day += random.exponential(mean: 1 / max(ratePerDay, 1e-6))
            } while day < Double(lastDay + 1)
        }
        return rows
    }

    /// The order's category (a favourite of the persona 80% of the time), quantity and cost.
    static func drawLine(_ row: inout Row, persona: Persona, _ random: inout RandomSource) {
        let favourites = persona.favourites
        row.category =
            random.unit() < 0.8 ? favourites[Int(random.next() % UInt64(favourites.count))] : UInt8(random.next() % UInt64(categories.count))
        row.quantity = Int16(1 + min(20, Int(random.exponential(mean: 1.2))))
        let margin = min(0.9, categories[Int(row.category)].margin * persona.marginFactor * exp(0.15 * random.normal()))
        row.costCents = Int64((Double(row.cents) * (1 - margin)).rounded())
    }

    static func customerID(_ index: Int32) -> String {
        let digits = String(index + 1)
        return "C" + String(repeating: "0", count: max(0, 7 - digits.count)) + digits
    }

    static func orderID(_ row: Row) -> String {
        (row.isReturn ? "R" : "O") + String(row.order)
    }

    static func amountText(_ cents: Int64) -> String {
        let magnitude = abs(cents)
        let fraction = magnitude % 100
        return (cents < 0 ? "-" : "") + String(magnitude / 100) + "." + (fraction < 10 ? "0" : "") + String(fraction)
    }

    static func line(_ row: Row) -> String {
        "\(customerID(row.customer)),\(orderID(row)),\(CivilTime.timestampString(seconds: row.time)),\(amountText(row.cents)),"
            + lineFields(row)
    }

    static func lineFields(_ row: Row) -> String {
        "\(channels[Int(row.channel)]),\(categories[Int(row.category)].name),\(row.quantity),\(amountText(row.costCents))"
    }

    /// One of four kinds of damage seen in real exports.
    static func malformedLine(_ row: Row, kind: Int) -> String {
        switch kind {
        case 0: return "\(customerID(row.customer)),\(orderID(row)),\(CivilTime.timestampString(seconds: row.time))"
        case 1: return "\(customerID(row.customer)),\(orderID(row)),31/02/2025 10:00,\(amountText(row.cents)),\(lineFields(row))"
        case 2: return "\(customerID(row.customer)),\(orderID(row)),\(CivilTime.timestampString(seconds: row.time)),12;50,\(lineFields(row))"
        default: return ",\(orderID(row)),\(CivilTime.timestampString(seconds: row.time)),\(amountText(row.cents)),\(lineFields(row))"
        }
    }
}

/// A generated sample: the transactions, and the customers behind them for the survey
/// answers and the customers file.
public struct GeneratedSample: Sendable {
    let generator: SampleGenerator
    let rows: [SampleGenerator.Row]
    let malformedAt: Set<Int>
    let stories: [SampleGenerator.CustomerStory]

    public func writeTransactions(to writer: BufferedFileWriter) throws {
        try writer.write(SampleGenerator.header + "\n")
        for (index, row) in rows.enumerated() {
            if malformedAt.contains(index) {
                try writer.write(SampleGenerator.malformedLine(row, kind: index % 4) + "\n")
                continue
            }
            try writer.write(SampleGenerator.line(row) + "\n")
        }
    }

    public func writeSurveys(to writer: BufferedFileWriter) throws { try generator.writeSurveys(stories, to: writer) }

    public func writeCustomers(to writer: BufferedFileWriter) throws { try generator.writeCustomers(stories, to: writer) }

    public func writeReferrals(to writer: BufferedFileWriter) throws { try generator.writeReferrals(stories, to: writer) }
}
