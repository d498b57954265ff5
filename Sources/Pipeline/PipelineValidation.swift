import Ingest
import SegflowCore

/// Checks that go beyond the pipeline file itself: inputs exist and have the mapped columns.
public enum PipelineValidation {
    public static func checkInputs(_ pipeline: PipelineFile) throws {
        try TransactionReader(input: pipeline.transactions).checkHeader()
    }
}
