import SegflowCore
import Testing

@Suite struct TextGroupsTests {
    @Test func groupsInFirstAppearanceOrder() {
        let groups = TextGroups(["b", "a", "", "b", "b", "c", ""])
        #expect(groups.names == ["b", "a", "c"])
        #expect(groups.codes == [0, 1, -1, 0, 0, 2, -1])
        #expect(groups.sizes == [3, 1, 1])
        #expect(groups.members == [[0, 3, 4], [1], [5]])
        // Shares among some rows count only the rows in a group.
        #expect(groups.shares(among: [0, 1, 2, 3]) == ["b": 2.0 / 3, "a": 1.0 / 3])
        #expect(groups.shares(among: [2, 6]).isEmpty)
    }

    @Test func emptyCellsCanBeAGroup() {
        let groups = TextGroups(["", "", "x", ""], keepingEmpty: true)
        #expect(groups.names == ["", "x"])
        #expect(groups.codes == [0, 0, 1, 0])
        #expect(groups.sizes == [3, 1])
    }
}
