import History
import SegflowCore
import TestSupport
import Testing

@Suite struct MigrationTests {
    let before = Assignments(
        customerIDs: ["a", "b", "c", "d"],
        values: [
            "status": ["active", "active", "at_risk", "lost"],
            "churn_risk": ["low", "medium", "high", "high"],
        ])
    let after = Assignments(
        customerIDs: ["b", "a", "c", "e"],
        values: [
            "status": ["at_risk", "active", "at_risk", "new"],
            "churn_risk": ["high", "low", "high", "low"],
            "rfm_segment": ["Fading regulars", "Champions", "Gone cold", "Recent first-timers"],
        ])

    /// Counted by hand: a stays, b moves active -> at_risk and medium -> high, c stays,
    /// d is gone, e is new; rfm_segment is only in the later run, so it is not compared.
    @Test func countsFlowsNewAndGoneCustomers() {
        let migration = Migration(from: before, to: after)
        #expect(migration.newCustomers == 1 && migration.goneCustomers == 1 && migration.unchangedCustomers == 2)
        let status = migration.flows.filter { $0.dimension == "status" }.map { "\($0.from)>\($0.to)=\($0.customers)" }
        #expect(status == ["(new)>new=1", "active>active=1", "active>at_risk=1", "at_risk>at_risk=1", "lost>(gone)=1"])
        let risk = migration.flows.filter { $0.dimension == "churn_risk" }.map { "\($0.from)>\($0.to)=\($0.customers)" }
        #expect(risk == ["(new)>low=1", "high>(gone)=1", "high>high=1", "low>low=1", "medium>high=1"])
        #expect(!migration.flows.contains { $0.dimension == "rfm_segment" })
        #expect(
            migration.movers.map { "\($0.customerID) \($0.change) from \($0.from)" }
                == ["b entered status at_risk from active", "b entered churn_risk high from medium"])
    }

    /// Value tier and lifecycle stage are compared like the others; a customer whose tier
    /// letter rises (A to B, A to C) dropped a tier and is a mover; a rise in value is not.
    @Test func tierDropsAreMoversAndStagesMigrate() {
        let earlier = Assignments(
            customerIDs: ["a", "b", "c"], values: ["value_tier": ["A", "B", "A"], "lifecycle_stage": ["stability", "formation", "stability"]])
        let later = Assignments(
            customerIDs: ["a", "b", "c"], values: ["value_tier": ["C", "A", "A"], "lifecycle_stage": ["decline", "stability", "stability"]])
        let migration = Migration(from: earlier, to: later)
        #expect(migration.movers.map { "\($0.customerID) \($0.change) \($0.from)>\($0.to)" } == ["a dropped value_tier A>C"])
        let stages = migration.flows.filter { $0.dimension == "lifecycle_stage" }.map { "\($0.from)>\($0.to)=\($0.customers)" }
        #expect(stages == ["formation>stability=1", "stability>decline=1", "stability>stability=1"])
        #expect(migration.unchangedCustomers == 1)
    }

    /// Becoming loyal and falling out of it are both moves a campaign acts on.
    @Test func moversIntoAndOutOfLoyal() {
        let earlier = Assignments(customerIDs: ["a", "b", "c"], values: ["status": ["active", "loyal", "loyal"]])
        let later = Assignments(customerIDs: ["a", "b", "c"], values: ["status": ["loyal", "at_risk", "loyal"]])
        #expect(
            Migration(from: earlier, to: later).movers.map { "\($0.customerID) \($0.change)" }
                == ["a entered status loyal", "b entered status at_risk", "b left status loyal"])
    }

    @Test func assignmentsSurviveTheirFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("assignments.csv")
        var text = "customer_id,status,cluster\n"
        text += "a,active,\"1 (frequent, high value)\"\n\"b,2\",at_risk,0 (long gone)\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let read = try Assignments.read(path: path)
        #expect(read.customerIDs == ["a", "b,2"])
        #expect(read.values["cluster"] == ["1 (frequent, high value)", "0 (long gone)"])
        #expect(read.values["status"] == ["active", "at_risk"])
    }
}
