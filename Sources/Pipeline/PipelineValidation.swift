import Ingest
import SegflowCore

/// Checks that go beyond the pipeline file itself: inputs exist and have the mapped columns,
/// and, with `--data`, that the data can serve the settings.
public enum PipelineValidation {
    public static func checkInputs(_ pipeline: PipelineFile) throws {
        try TransactionReader(input: pipeline.transactions).checkHeader()
    }

    /// The days between the newest transaction and as_of, when nobody bought in the churn
    /// horizon before as_of (its days are as_of − horizon to as_of − 1), so every customer
    /// looks churned; nil otherwise. `validate --data` and a failed churn fit both ask.
    static func quietDaysBeyondHorizon(asOfDay: Int64, newestDay: Int64, horizonDays: Int) -> Int64? {
        asOfDay - newestDay > Int64(horizonDays) ? asOfDay - newestDay - 1 : nil
    }

    /// What a read of the input found: enough to tell in seconds whether `as_of` and the
    /// horizons fit the data, instead of after clustering.
    public struct DataCheck: Sendable {
        public var records: Int
        public var rejected: Int
        public var firstDay: Int64
        public var lastDay: Int64
        public var asOfDay: Int64

        public var summary: String {
            "\(Formatting.count(records)) records (\(Formatting.count(rejected)) rejected), "
                + "\(CivilTime.dateString(days: firstDay)) to \(CivilTime.dateString(days: lastDay)); "
                + "as_of \(CivilTime.dateString(days: asOfDay))"
        }
    }

    /// Reads the input as a run would (the rejection budget included) and refuses settings
    /// the data cannot serve, each at the key to change: an `as_of` before the data, or so far
    /// past it that nobody bought in the churn horizon; a churn classifier without two
    /// horizons of history.
    public static func checkData(_ pipeline: PipelineFile, asOfOverride: Int64? = nil) throws -> DataCheck {
        let ingested = try TransactionReader(input: pipeline.transactions, budget: pipeline.clean.maxRejected).read()
        let times = ingested.transactions.time
        guard let oldest = times.min(), let newest = times.max() else {
            throw SegflowError(
                .data, at: SourceLocation(file: pipeline.transactions.path), "no transaction was accepted",
                hint: "check the file and its rejected rows (segflow run writes them to rejected.csv)")
        }
        let firstDay = CivilTime.day(ofSeconds: oldest), lastDay = CivilTime.day(ofSeconds: newest)
        let asOfDay: Int64
        switch (asOfOverride, pipeline.asOf) {
        case (let day?, _), (nil, .day(let day)): asOfDay = day
        case (nil, .latest): asOfDay = lastDay + 1
        }
        let check = DataCheck(
            records: ingested.recordCount, rejected: ingested.rejected.count, firstDay: firstDay, lastDay: lastDay, asOfDay: asOfDay)
        var problems: [Diagnostic] = []
        let asOfLocation = asOfOverride == nil ? pipeline.location(of: "as_of") : SourceLocation(file: pipeline.path)
        let data = "the data runs from \(CivilTime.dateString(days: firstDay)) to \(CivilTime.dateString(days: lastDay))"
        if asOfDay <= firstDay {
            problems.append(
                .error(
                    at: asOfLocation,
                    "as_of \(CivilTime.dateString(days: asOfDay)) is on or before the first transaction: no customer has bought by then",
                    hint: "\(data); use as_of: latest or a date after \(CivilTime.dateString(days: firstDay))"))
        }
        if let churn = pipeline.churn {
            let horizon = Int64(churn.rules.horizonDays)
            if let quiet = quietDaysBeyondHorizon(asOfDay: asOfDay, newestDay: lastDay, horizonDays: churn.rules.horizonDays) {
                problems.append(
                    .error(
                        at: asOfLocation,
                        "as_of \(CivilTime.dateString(days: asOfDay)) is \(quiet) days after the newest transaction, "
                            + "beyond the \(horizon)-day churn horizon: nobody bought in it, so every customer looks churned",
                        hint: "\(data); use as_of: latest or a date up to \(CivilTime.dateString(days: lastDay + 1))"))
            }
            if churn.rules.classifier, asOfDay - 2 * horizon <= firstDay {
                problems.append(
                    .error(
                        at: pipeline.location(of: "churn.horizon"),
                        "the churn classifier needs \(2 * horizon) days of history before as_of (twice the horizon); "
                            + "the data covers \(max(asOfDay - firstDay, 0))",
                        hint: "\(data); shorten churn.horizon, move as_of later, or set churn.model: none"))
            }
        }
        if !problems.isEmpty { throw SegflowError(.config, problems) }
        return check
    }
}
