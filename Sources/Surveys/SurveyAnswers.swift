import Ingest
import SegflowCore
import Statistics

/// Survey answers, one per row: who answered when, their NPS answer (0-10), and optionally
/// the expectation and perception scores of satisfaction C = b/a (perceived experience over
/// expectation).
public struct SurveyAnswers: Sendable, Equatable {
    /// The answering customer's row in the customers the answers were parsed against.
    public var customer: [Int] = []
    public var time: [Int64] = []
    public var score: [Int] = []
    /// NaN where the file has no such column or the cell is empty.
    public var expectation: [Double] = []
    public var perception: [Double] = []

    public init() {}

    public var count: Int { customer.count }

    /// Which header names hold what.
    public struct Columns: Sendable, Equatable {
        public var customer: String
        public var time: String
        public var nps: String
        public var expectation: String?
        public var perception: String?

        public init(customer: String, time: String, nps: String, expectation: String? = nil, perception: String? = nil) {
            self.customer = customer
            self.time = time
            self.nps = nps
            self.expectation = expectation
            self.perception = perception
        }

        /// No column mapped yet: what a pipeline file's `columns` is read into.
        public init() { self.init(customer: "", time: "", nps: "") }

        /// The mapped names, in the order `FieldTableReader` is asked for them.
        public var names: [String] { [customer, time, nps] + [expectation, perception].compactMap { $0 } }
    }

    /// The answers of a read file, each row checked; rows that fail are rejected with their
    /// reason. Answers given on or after `cutoff` are not yet known as of the run: they are
    /// left out and counted, not rejected. `customers` gives each known id its row.
    public static func parse(
        _ table: FieldTable, columns: Columns, timeFormat: TimeFormat, customers: IDIndex, cutoff: Int64
    ) -> (answers: SurveyAnswers, rejected: [RejectedRow], afterCutoff: Int) {
        var answers = SurveyAnswers()
        var rejected: [RejectedRow] = []
        var afterCutoff = 0
        let hasSatisfaction = columns.expectation != nil && columns.perception != nil
        for (row, cells) in table.rows.enumerated() {
            func reject(_ reason: String) {
                rejected.append(RejectedRow(line: table.lines[row], reason: reason, record: cells.joined(separator: ",")))
            }
            let customer = cells[0]
            guard !customer.isEmpty else {
                reject("empty customer id in column '\(columns.customer)'")
                continue
            }
            guard let customer = customers[customer] else {
                reject("customer in column '\(columns.customer)' has no accepted transaction")
                continue
            }
            guard let time = Array(cells[1].utf8).withUnsafeBytes({ timeFormat.parse($0) }) else {
                reject("time in column '\(columns.time)' is not \(timeFormat.name)")
                continue
            }
            guard let score = Int(cells[2]), (0...10).contains(score) else {
                reject("NPS answer in column '\(columns.nps)' is not a whole number from 0 to 10")
                continue
            }
            var expectation = Double.nan, perception = Double.nan
            if hasSatisfaction, !(cells[3].isEmpty && cells[4].isEmpty) {
                guard let a = Double(cells[3]), a > 0, a.isFinite, let b = Double(cells[4]), b >= 0, b.isFinite else {
                    reject(
                        "expectation and perception in columns '\(columns.expectation!)' and '\(columns.perception!)' must both be numbers, expectation above 0"
                    )
                    continue
                }
                expectation = a
                perception = b
            }
            guard time < cutoff else {
                afterCutoff += 1
                continue
            }
            answers.customer.append(customer)
            answers.time.append(time)
            answers.score.append(score)
            answers.expectation.append(expectation)
            answers.perception.append(perception)
        }
        return (answers, rejected, afterCutoff)
    }

    /// Each customer's latest answer (the later row on equal times), as of the run: its
    /// score and its satisfaction b/a (NaN where that answer has none). nil for customers
    /// who did not answer: they stay unknown, never passives.
    public func latest(customerCount: Int) -> (score: [Int?], satisfaction: [Double]) {
        var latestRow = [Int?](repeating: nil, count: customerCount)
        for row in 0..<count {
            if let previous = latestRow[customer[row]], time[previous] > time[row] { continue }
            latestRow[customer[row]] = row
        }
        return (latestRow.map { $0.map { score[$0] } }, latestRow.map { $0.map { perception[$0] / expectation[$0] } ?? .nan })
    }
}

/// The behaviour × attitude loyalty matrix (Dick & Basu 1994): repeat buying against
/// relative attitude.
/// - Behaviour: the customer keeps buying (`LoyaltyQuadrant.isLoyal`: repeat purchases and
///   a status of active or loyal, as the loyalty × profitability quadrant reads loyalty).
/// - Attitude: the latest NPS answer at least `minScore` (a promoter, by default).
public enum LoyaltyType: String, Sendable, CaseIterable {
    /// High repeat, high attitude.
    case loyal
    /// Low repeat, high attitude: would buy more if something did not stop them.
    case latent
    /// High repeat, low attitude: buys out of habit or convenience, and leaves when a rival is easier.
    case spurious
    /// Neither.
    case notLoyal = "not_loyal"

    /// nil for customers without an answer: their attitude is unknown.
    public static func assign(score: [Int?], keepsBuying: [Bool], minScore: Int) -> [LoyaltyType?] {
        score.indices.map { customer in
            guard let score = score[customer] else { return nil }
            switch (keepsBuying[customer], score >= minScore) {
            case (true, true): return .loyal
            case (false, true): return .latent
            case (true, false): return .spurious
            case (false, false): return .notLoyal
            }
        }
    }
}
