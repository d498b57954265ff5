import Clean
import Features
import Ingest
import SegflowCore
import TestSupport
import Testing

/// Order lines from a CSV through ingest, cleaning and the feature builder, with answers
/// worked out by hand.
@Suite struct OrderLineFeatureTests {
    let asOfDay = CivilTime.daysFromCivil(year: 2024, month: 4, day: 1)
    let channels = ["web", "app, mobile", "store"]

    func features(_ csv: String, dedupe: DedupePolicy = .row, winsorize: Double? = nil) throws -> CustomerFeatures {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let columns = TransactionColumns(
            customer: "customer", order: "order", time: "ts", amount: "amount", category: "category", channel: "channel",
            quantity: "qty", cost: "cost")
        let input = TransactionInput(path: try directory.write("t.csv", csv), columns: columns, timeFormat: .date, knownChannels: channels)
        let ingested = try TransactionReader(input: input, chunkBytes: 64, workers: 2).read()
        #expect(ingested.rejected.isEmpty, "\(ingested.rejected)")
        let rules = CleaningRules(cutoff: asOfDay * 86_400, winsorizeQuantile: winsorize, dedupe: dedupe)
        let (grouped, _) = Cleaner(rules: rules).clean(ingested.transactions, workers: 2)
        let lines = LineColumns(mapped: [.category, .channel, .quantity, .profit], channels: channels)
        let builder = FeatureBuilder(groups: FeatureGroup.allCases, asOfDay: asOfDay, lineColumns: lines)
        return builder.build(grouped, workers: 2).0
    }

    /// Customer a: order o1 has two lines (toys 30 on the web, books 10 in the app), o2 toys
    /// 20 in store, and toys 5 are returned. Spend by category: toys 50, books 10 (the return
    /// lowers profit, not the spend ranking); by channel: web 30, app 10, store 20 of 60.
    /// Profit: (30-18) + (10-4) + (20-12) + (-5+3) = 24 on net spend 55: margin 24/55.
    /// Units: 2 + 1 + 1 - 1 = 3. Customer b's lines interleave with a's and have an empty
    /// category: no category, one channel.
    @Test func handComputedCustomers() throws {
        let csv = """
            customer,order,ts,amount,channel,category,qty,cost
            a,o1,2024-03-01,30,web,toys,2,18
            b,p1,2024-03-02,8,store,,1,6
            a,o1,2024-03-01,10,"app, mobile",books,1,4
            a,o2,2024-03-05,20,store,toys,1,12
            a,r1,2024-03-09,-5,store,toys,-1,-3

            """
        let values = try features(csv)
        #expect(values.customerID == ["a", "b"])
        #expect(values.lines.categoryCount == [2, 0])
        #expect(values.lines.topCategory == ["toys", ""])
        #expect(values.lines.topChannel == ["web", "store"])
        #expect(values.lines.channelShares[0] == [0.5, 0])
        #expect(values.lines.channelShares[1] == [10.0 / 60, 0])
        #expect(values.lines.channelShares[2] == [20.0 / 60, 1])
        #expect(values.lines.profitTotal == [24, 2])
        #expect(abs(values.lines.marginRate[0] - 24.0 / 55) < 1e-12)
        #expect(values.lines.unitsTotal == [3, 1])
        #expect(values.values(named: "channel_share_app_mobile") == [10.0 / 60, 0])
        #expect(values.values(named: "profit_total") == [24, 2])
    }

    /// Under `dedupe: row`, two lines of one order alike in amount and time but not in
    /// category are both kept; a line loaded twice is one.
    @Test func lineColumnsTellLinesApart() throws {
        let csv = """
            customer,order,ts,amount,channel,category,qty,cost
            a,o1,2024-03-01,10,web,toys,1,5
            a,o1,2024-03-01,10,web,books,1,5
            a,o1,2024-03-01,10,web,books,1,5

            """
        let values = try features(csv)
        #expect(values.lines.categoryCount == [2])
        #expect(values.monetaryTotal == [20])
        #expect(values.lines.profitTotal == [10])
    }

    /// A winsorized line keeps its margin rate: its profit shrinks with its amount.
    @Test func winsorizingKeepsTheMarginRate() throws {
        var csv = "customer,order,ts,amount,channel,category,qty,cost\n"
        for index in 0..<99 { csv += "c\(index),o\(index),2024-03-01,10,web,toys,1,6\n" }
        csv += "big,o99,2024-03-01,1010,web,toys,1,606\n"
        let values = try features(csv, winsorize: 0.9)
        let big = try #require(values.customerID.firstIndex(of: "big"))
        #expect(values.monetaryTotal[big] == 10)
        #expect(abs(values.lines.marginRate[big] - 0.4) < 1e-12)
    }
}
