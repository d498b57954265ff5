import Ingest
import TestSupport
import Testing

@Suite struct TimeParsingTests {
    func parse(_ text: String, _ format: TimeFormat = .iso8601) -> Int64? {
        Array(text.utf8).withUnsafeBytes { format.parse($0) }
    }

    @Test func iso8601Variants() {
        let noon = Fixtures.seconds(2024, 5, 6, 12, 0, 0)
        #expect(parse("2024-05-06T12:00:00Z") == noon)
        #expect(parse("2024-05-06 12:00:00") == noon)
        #expect(parse("2024-05-06T12:00") == noon)
        #expect(parse("2024-05-06T12:00:00.123456Z") == noon)
        #expect(parse("2024-05-06T14:00:00+02:00") == noon)
        #expect(parse("2024-05-06T07:30:00-0430") == noon)
        #expect(parse("2024-05-06") == Fixtures.seconds(2024, 5, 6))
    }

    @Test func iso8601Rejects() {
        for text in ["2024-13-01", "2024-02-30", "2024-05-06T25:00", "2024-05-06X12:00", "06/05/2024", "2024-05-06T12:00:00Q", ""] {
            #expect(parse(text) == nil, "\(text)")
        }
    }

    @Test func dateEpochAndPattern() throws {
        #expect(parse("2024-05-06", .date) == Fixtures.seconds(2024, 5, 6))
        #expect(parse("2024-05-06T00:00", .date) == nil)
        #expect(parse("1700000000", .epochSeconds) == 1_700_000_000)
        #expect(parse("1700000000.75", .epochSeconds) == 1_700_000_000)
        #expect(parse("17e8", .epochSeconds) == nil)
        let pattern = TimeFormat.pattern(try TimePattern("%d/%m/%Y %H:%M"))
        #expect(parse("6/5/2024 12:00", pattern) == Fixtures.seconds(2024, 5, 6, 12))
        #expect(parse("31/02/2024 12:00", pattern) == nil)
        #expect(parse("6/5/2024", pattern) == nil)
    }

    @Test func patternErrors() {
        #expect(throws: TimePatternError.self) { try TimePattern("%Y-%q") }
        #expect(throws: TimePatternError.self) { try TimePattern("%H:%M") }
    }
}

@Suite struct AmountParsingTests {
    func parse(_ text: String) -> Double? { Array(text.utf8).withUnsafeBytes { AmountParsing.parse($0) } }

    @Test func acceptsDecimalForms() {
        #expect(parse("12.50") == 12.5)
        #expect(parse("-3") == -3)
        #expect(parse("+7.25") == 7.25)
        #expect(parse(" 0.1 ") == 0.1)
        #expect(parse(".5") == 0.5)
        #expect(parse("1e3") == 1000)
        #expect(parse("1234567890123456789.5") == 1234567890123456789.5)
        #expect(parse("0.30000000000000004") == 0.30000000000000004)
    }

    @Test func rejectsNonNumbers() {
        for text in ["", " ", "abc", "nan", "inf", "1,5", "12;50", "1.2.3", "0x10", "1e400", "-"] {
            #expect(parse(text) == nil, "\(text)")
        }
    }
}

@Suite struct RejectionBudgetParsingTests {
    /// 0.007 x 1,000 is 6.999... in floating point; the budget compares in integers.
    @Test func percentagesAreExact() throws {
        let budget = try #require(RejectionBudget("0.7%"))
        #expect(budget == .percent(units: 7, decimals: 1))
        #expect(budget.allows(rejected: 7, of: 1000))
        #expect(!budget.allows(rejected: 8, of: 1000))
        #expect(RejectionBudget("0.1%")?.allows(rejected: 1, of: 1000) == true)
        #expect(RejectionBudget("0.1%")?.allows(rejected: 1, of: 999) == false)
        #expect(RejectionBudget("100%")?.allows(rejected: 10, of: 10) == true)
        #expect(budget.description == "0.7% of rows")
        #expect(RejectionBudget("0.05%")?.description == "0.05% of rows")
    }

    @Test func onlyCountsAndPercentagesUpTo100AreBudgets() {
        for text in ["100.1%", "-1%", "1e-3%", "%", ".%", "0.0000001%", "lots", "-3", "1.5"] {
            #expect(RejectionBudget(text) == nil, "\(text)")
        }
        #expect(RejectionBudget("25") == .count(25))
        #expect(RejectionBudget(".5%") == .percent(units: 5, decimals: 1))
    }
}
