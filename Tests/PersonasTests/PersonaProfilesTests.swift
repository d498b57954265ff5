import Personas
import SegflowCore
import Testing

@Suite struct PersonaProfilesTests {
    /// Six customers in two segments. Segment X (customers 0-2) is two-thirds business
    /// against a third in the base: lift 2, a trait ("mostly"); web is the top channel of 2
    /// of 3 against 3 of 6 in the base (x1.33), so "web-first"; median categories 3. Segment
    /// Y's consumers are 100% against 67% (lift 1.5), a trait; no channel leads half of Y, so
    /// no "-first".
    @Test func handComputedProfiles() {
        let customers = Table(
            rowCount: 6,
            columns: [
                Column("customer_id", .text(["a", "b", "c", "d", "e", "f"])),
                Column("monetary_total", .real([10, 20, 30, 5, 5, 30])),
                Column("category_count", .integer([3, 2, 4, 1, 1, 1])),
                Column("top_category", .text(["toys", "toys", "books", "grocery", "grocery", "pet"])),
                Column("top_channel", .text(["web", "web", "store", "app", "store", "web"])),
                Column("customer_type", .text(["business", "business", "consumer", "consumer", "consumer", "consumer"])),
            ])
        let profiles = PersonaProfiles(
            customers: customers, groups: [("rfm_segment", ["X", "X", "X", "Y", "Y", "Y"])], attributes: ["customer_type"])
        #expect(profiles.medianNames == ["monetary_total", "category_count"])
        let x = profiles.profiles[0], y = profiles.profiles[1]
        #expect(x.customers == 3 && x.valueShare == 0.6)
        #expect(x.medians == [20, 3])
        #expect(x.topCategory == "toys" && x.topChannel == "web")
        #expect(x.traits.map(\.value) == ["business"] && x.traits[0].lift == 2)
        #expect(x.description == "mostly customer type business, web-first, buy 3 categories, mostly toys")
        #expect(y.traits.map(\.value) == ["consumer"] && y.traits[0].lift == 1.5)
        #expect(y.topCategory == "grocery" && y.topChannel == "app")
        #expect(y.description == "mostly customer type consumer, buy 1 category, mostly grocery")
        #expect(profiles.table.column(named: "traits")?.textValues[0] == "customer_type=business (67% vs 33%, x2.0)")
    }

    /// A run without order lines, attributes or surveys still gets profiles of what it has.
    @Test func onlyTheColumnsTheRunHas() {
        let customers = Table(
            rowCount: 3, columns: [Column("customer_id", .text(["a", "b", "c"])), Column("frequency", .integer([1, 4, 2]))])
        let profiles = PersonaProfiles(customers: customers, groups: [("cluster", ["0", "0", "1"])], attributes: ["region"])
        #expect(profiles.medianNames == ["frequency"])
        #expect(profiles.profiles.map(\.medians) == [[2.5], [2]])
        #expect(profiles.profiles.map(\.description) == ["typical customers", "typical customers"])
        #expect(profiles.profiles.allSatisfy { $0.topChannel.isEmpty && $0.traits.isEmpty && $0.nps.respondents == 0 })
    }
}
