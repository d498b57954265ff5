import Ingest
import Referrals
import SegflowCore
import TestSupport
import Testing

@Suite struct ReferralNetworkTests {
    /// Customers a…g. a is on file but never bought (a prospect); the others' first purchases
    /// are below. x is nobody.
    let known = IDIndex(["a", "b", "c", "d", "e", "f", "g"])
    let firstPurchase: [Int64?] = [nil, "2024-01-02", "2024-01-06", "2024-01-10", "2024-01-01", "2024-01-02", "2024-01-03"].map {
        $0.map { day in CivilTime.daysFromCivil(year: 2024, month: 1, day: Int(day.suffix(2))!) }
    }
    let spend: [Double] = [0, 10, 20, 40, 5, 80, 7]

    /// A small tree with a cycle, a self-referral, a double referral, a referral of someone
    /// who had bought already, an unknown id, one after as_of and two broken rows.
    let csv = """
        referrer,referred,at
        a,b,2024-01-01
        b,c,2024-01-05
        c,d,2024-01-10
        d,a,2024-01-12
        e,e,2024-01-04
        a,x,2024-01-04
        f,b,2024-01-03
        a,e,2024-01-20
        a,f,2024-01-02
        g,a,2024-06-10
        ,b,2024-01-04
        a,c,soon

        """

    func network() throws -> (ReferralNetwork, [RejectedRow]) {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let columns = ReferralLog.Columns(referrer: "referrer", referred: "referred", time: "at")
        let table = try FieldTableReader(
            file: DelimitedFile(path: try directory.write("r.csv", csv), key: "inputs.referrals"), columns: columns.names
        )
        .read()
        let cutoff = CivilTime.daysFromCivil(year: 2024, month: 6, day: 1) * 86_400
        let (log, rejected) = ReferralLog.parse(table, columns: columns, timeFormat: .date, customers: known, cutoff: cutoff)
        return (ReferralNetwork(log: log, firstPurchaseDay: firstPurchase), rejected)
    }

    /// In time order: a→b (01-01), a→f (01-02) credited; f→b (01-03) finds b credited on
    /// line 2; b→c, c→d credited; d→a (01-12) would make a its own referrer's referrer: a
    /// cycle; a→e (01-20) comes after e's first purchase on 01-01.
    @Test func rulesDecideWhoIsCredited() throws {
        let (network, rejected) = try network()
        #expect(rejected.map(\.line) == [12, 13])
        #expect(rejected.map(\.reason) == ["empty customer id in column 'referrer'", "time in column 'at' is not a YYYY-MM-DD date"])
        #expect(network.referrer == [nil, 0, 1, 2, nil, 0, nil])
        #expect(network.ignored.map(\.line) == [5, 6, 7, 8, 9, 11])
        #expect(network.ignored.map(\.rule) == [.cycle, .selfReferral, .unknownReferred, .referredTwice, .alreadyCustomer, .afterAsOf])
        #expect(network.ignored[3].reason == "the referred customer is credited to the earlier referral on line 2")
        #expect(network.ignored[4].reason == "the referred customer first bought on 2024-01-01, before the referral")
        #expect(network.ignored[1].record == "e,e,2024-01-04")
        #expect(network.referralCount == 4)
        #expect(network.ignoredByRule.map(\.rows) == [1, 0, 1, 1, 1, 1, 1])
    }

    /// a brought b and f; b brought c, who brought d. Referral value counts direct referrals
    /// only: a 10 + 80, b 20, c 40; together 150, the spend of b, c, d and f counted once.
    @Test func valueAndCascades() throws {
        let (network, _) = try network()
        #expect(network.referralsMade == [2, 1, 1, 0, 0, 0, 0])
        let value = network.creditedToReferrers(spend)
        #expect(value == [90, 20, 40, 0, 0, 0, 0])
        #expect(value.reduce(0, +) == spend[1] + spend[2] + spend[3] + spend[5])
        let (size, depth) = network.cascades()
        #expect(size == [4, 2, 1, 0, 0, 0, 0])
        #expect(depth == [3, 2, 1, 0, 0, 0, 0])
    }

    /// Equal times are taken in file order, so of two customers naming each other on the same
    /// day the first row is credited and the second is the cycle; a long chain is walked
    /// without recursion.
    @Test func equalTimesAndLongChains() {
        var log = ReferralLog()
        func add(_ from: Int, _ to: Int, line: Int) {
            log.referrer.append(from)
            log.referred.append(to)
            log.time.append(86_400)
            log.line.append(line)
            log.record.append("")
        }
        add(1, 0, line: 3)
        add(0, 1, line: 2)
        let pair = ReferralNetwork(log: log, firstPurchaseDay: [nil, nil])
        #expect(pair.referrer == [nil, 0])
        #expect(pair.ignored.map(\.rule) == [.cycle] && pair.ignored[0].line == 3)

        log = ReferralLog()
        let length = 100_000
        for customer in 1..<length { add(customer - 1, customer, line: customer + 1) }
        let chain = ReferralNetwork(log: log, firstPurchaseDay: Array(repeating: nil, count: length))
        let (size, depth) = chain.cascades()
        #expect(size[0] == length - 1 && depth[0] == length - 1 && size[length - 2] == 1 && depth[length - 1] == 0)
    }
}
