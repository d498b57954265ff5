import ArgumentParser
import Foundation
import Ingest
import Pipeline
import SegflowCore

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check a pipeline file and its inputs' headers (with --data, the data's dates too) without running it.")

    @Argument(help: "The pipeline file (YAML).")
    var file: String

    @Flag(help: "Also read the input and check that its dates fit as_of and the churn horizon.")
    var data = false

    @Option(name: .customLong("as-of"), help: "With --data, check this as_of (YYYY-MM-DD) instead of the file's, as run --as-of would.")
    var asOf: String?

    func validate() throws {
        if let asOf, CivilTime.parseDate(asOf) == nil {
            throw ValidationError("--as-of must be a date written YYYY-MM-DD, got '\(asOf)'")
        }
    }

    func run() throws {
        do {
            let pipeline = try PipelineFile.load(path: file)
            try PipelineValidation.checkInputs(pipeline)
            for warning in pipeline.warnings { printError(warning.description) }
            let check = data ? try PipelineValidation.checkData(pipeline, asOfOverride: asOf.flatMap(CivilTime.parseDate)) : nil
            let count = pipeline.outputs.files.count
            print("\(file): ok (\(count) export\(count == 1 ? "" : "s") into \(pipeline.outputs.directory), input headers match)")
            if let check { print("data: \(check.summary): the settings fit") }
        } catch let error as SegflowError {
            exitReporting(error)
        }
    }
}
