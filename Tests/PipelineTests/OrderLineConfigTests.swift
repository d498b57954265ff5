import Features
import Testing

@testable import Pipeline

/// The order-line keys: what needs which column, each refused at its key with a way out.
@Suite struct OrderLineConfigTests {
    let lines = validPipeline.replacingOccurrences(
        of: "amount: amount}", with: "amount: amount, category: cat, channel: ch, cost: cost}\n    channels: [web, app]")

    @Test func theDefaultFeaturesAreWhatTheInputCanCompute() throws {
        #expect(try parse(validPipeline).features == FeatureGroup.available(LineColumns()))
        #expect(try parse(lines).features == FeatureGroup.allCases.filter { $0 != .stores && $0 != .units })
        let columns = try parse(lines + "features: [channels]\n").customerColumns.map(\.name)
        #expect(Array(columns.suffix(3)) == ["top_channel", "channel_share_web", "channel_share_app"])
    }

    @Test(arguments: [
        ("features: [profit]\n", "feature group 'profit' needs the order-line column 'profit'", "map 'cost' or 'margin'"),
        (
            "segment: {value: {measure: profit}}\n", "ranks customers by profit_total, and no cost or margin column is mapped",
            "or use measure: historical"
        ),
        ("affinity: {}\n", "'affinity' finds categories bought together, and no category column is mapped", "map 'category'"),
        (
            "outputs: {directory: out, files: [{affinity: a.csv}]}\n",
            "output file 'a.csv' of the 'affinity' table needs an 'affinity' section", "add 'affinity: {min_customers: 10}'"
        ),
    ])
    func whatNeedsAColumnIsRefusedWithout(setting: String, message: String, hint: String) {
        let yaml =
            setting.hasPrefix("outputs")
            ? validPipeline.replacingOccurrences(of: "outputs: {directory: out,\n  files: [{customers: customers.csv}]}\n", with: setting)
            : validPipeline + setting
        let text = diagnostics(yaml)
        #expect(text.contains(message), "\(text)")
        #expect(text.contains(hint), "\(text)")
    }

    @Test func costAndMarginAreOneOrTheOther() {
        let text = diagnostics(validPipeline.replacingOccurrences(of: "amount: amount}", with: "amount: amount, cost: c, margin: m}"))
        #expect(text.contains("maps both 'cost' and 'margin'"), "\(text)")
    }

    @Test func aChannelColumnNeedsItsChannels() {
        let text = diagnostics(validPipeline.replacingOccurrences(of: "amount: amount}", with: "amount: amount, channel: ch}"))
        #expect(text.contains("'inputs.transactions.columns.channel' is mapped, but the channels are not listed"), "\(text)")
        let twice = diagnostics(lines.replacingOccurrences(of: "[web, app]", with: "[web, Web!]"))
        #expect(twice.contains("would both be column channel_share_web"), "\(twice)")
        let repeated = diagnostics(lines.replacingOccurrences(of: "[web, app]", with: "[web, web]"))
        #expect(repeated.contains("lists 'web' twice"), "\(repeated)")
    }
}

/// The survey keys: each refused at its key when something it needs is missing.
@Suite struct SurveyConfigTests {
    let surveys = validPipeline.replacingOccurrences(
        of: "outputs: {directory", with: "  surveys: {path: s.csv, columns: {customer: c, time: t, nps: n, expectation: e}}\noutputs: {directory")

    @Test func satisfactionNeedsBothScores() {
        let text = diagnostics(surveys)
        #expect(text.contains("maps one of 'expectation' and 'perception': satisfaction b/a needs both"), "\(text)")
    }

    @Test func npsNeedsSurveys() {
        #expect(diagnostics(validPipeline + "nps: {min_respondents: 5}\n").contains("'nps' reads survey answers, and 'inputs.surveys' is not set"))
        let export = validPipeline.replacingOccurrences(of: "files: [{customers: customers.csv}]", with: "files: [{nps: n.csv}]")
        #expect(diagnostics(export).contains("output file 'n.csv' of the 'nps' table needs survey answers"))
    }
}
