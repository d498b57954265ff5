import Ingest
import SegflowCore
import Statistics
import Surveys
import TestSupport
import Testing

@Suite struct SurveyTests {
    /// 5 promoters, 3 passives, 2 detractors: NPS = 100 × (5 − 2) / 10 = 30. Per answer the
    /// variance is 0.5 + 0.2 − 0.3² = 0.61, so the standard error is 100 × √(0.61 / 10) =
    /// 24.698 and the 95% interval 30 ± 1.96 × 24.698 = −18.41 … 78.41.
    @Test func npsAndItsInterval() {
        let nps = NetPromoterScore(promoters: 5, passives: 3, detractors: 2)
        #expect(nps.respondents == 10)
        #expect(nps.score == 30)
        #expect(abs(nps.standardError - 24.698_178) < 1e-5)
        let interval = nps.interval()
        #expect(abs(interval.low - -18.408_43) < 1e-4)
        #expect(abs(interval.high - 78.408_43) < 1e-4)
        // All promoters: no spread, and the interval is the point; it never leaves −100 … 100.
        #expect(NetPromoterScore(promoters: 4).interval() == (100, 100))
        #expect(NetPromoterScore(promoters: 1, detractors: 1).interval().low == -100)
        #expect(NetPromoterScore().score.isNaN)
    }

    @Test func classes() {
        #expect(
            (0...10).map { NetPromoterScore.Class(score: $0)! } == Array(repeating: .detractor, count: 7) + [
                .passive, .passive, .promoter, .promoter,
            ])
        #expect(NetPromoterScore.Class(score: 11) == nil)
    }

    func parse(_ csv: String, known: IDIndex = IDIndex(["a", "b", "c"])) throws -> (SurveyAnswers, [RejectedRow], Int) {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let columns = SurveyAnswers.Columns(customer: "customer", time: "at", nps: "nps", expectation: "expected", perception: "perceived")
        let table = try FieldTableReader(file: DelimitedFile(path: try directory.write("s.csv", csv), key: "inputs.surveys"), columns: columns.names)
            .read()
        #expect(table.rejected.isEmpty)
        let cutoff = CivilTime.daysFromCivil(year: 2024, month: 6, day: 1) * 86_400
        return SurveyAnswers.parse(table, columns: columns, timeFormat: .date, customers: known, cutoff: cutoff)
    }

    /// Each bad row is rejected at its line with what is wrong; an answer after as_of is not
    /// known yet, and is counted, not rejected.
    @Test func badRowsAreRejectedWithTheirLine() throws {
        let csv = """
            customer,at,nps,expected,perceived
            a,2024-01-05,9,4,5
            b,2024-01-05,11,,
            z,2024-01-05,3,,
            c,05/01/2024,7,,
            c,2024-01-06,7,0,4
            c,2024-07-01,2,,
            b,2024-02-01,6,,

            """
        let (answers, rejected, later) = try parse(csv)
        #expect(rejected.map(\.line) == [3, 4, 5, 6])
        #expect(rejected[0].reason == "NPS answer in column 'nps' is not a whole number from 0 to 10")
        #expect(rejected[1].reason == "customer in column 'customer' has no accepted transaction")
        #expect(rejected[2].reason == "time in column 'at' is not a YYYY-MM-DD date")
        #expect(rejected[3].reason.hasPrefix("expectation and perception"))
        #expect(later == 1)
        #expect(answers.customer == [0, 1])
    }

    /// The latest answer counts; a customer who never answered is unknown, not a passive.
    @Test func latestAnswerPerCustomer() throws {
        let csv = """
            customer,at,nps,expected,perceived
            a,2024-01-05,3,4,2
            a,2024-03-05,10,4,5
            b,2024-02-01,8,,

            """
        let (answers, _, _) = try parse(csv)
        let (score, satisfaction) = answers.latest(customerCount: 3)
        #expect(score == [10, 8, nil])
        #expect(satisfaction[0] == 1.25)
        #expect(satisfaction[1].isNaN && satisfaction[2].isNaN)
    }

    /// Behaviour × attitude: keeps buying and promotes = loyal; promotes only = latent; buys
    /// without promoting = spurious; neither = not loyal; no answer = unknown.
    @Test func loyaltyMatrix() {
        let types = LoyaltyType.assign(score: [10, 9, 7, 2, nil], keepsBuying: [true, false, true, false, true], minScore: 9)
        #expect(types == [.loyal, .latent, .spurious, .notLoyal, nil])
    }
}
