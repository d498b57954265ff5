import Ingest
import SegflowCore

/// Checks that go beyond the pipeline file itself: inputs exist and have the mapped columns.
public enum PipelineValidation {
    public static func checkInputs(_ pipeline: PipelineFile) throws {
        let reader = TransactionReader(input: pipeline.transactions)
        let names = try reader.headerNames()
        let missing = pipeline.transactions.columns.allNames.filter { !names.contains($0) }
        guard !missing.isEmpty else { return }
        throw SegflowError(
            .data,
            missing.map { name in
                let suggestion = Suggestion.closest(to: name, among: names).map { "did you mean '\($0)'? " } ?? ""
                return .error(
                    at: SourceLocation(file: pipeline.transactions.path, line: 1),
                    "missing column '\(name)'; the header has: \(names.joined(separator: ", "))",
                    hint: "\(suggestion)fix inputs.transactions.columns in \(pipeline.path), or the file's header")
            })
    }
}
