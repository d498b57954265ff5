import ArgumentParser
import Foundation
import Ingest
import Pipeline
import SegflowCore

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check a pipeline file and its inputs' headers without running it.")

    @Argument(help: "The pipeline file (YAML).")
    var file: String

    func run() throws {
        do {
            let pipeline = try PipelineFile.load(path: file)
            try PipelineValidation.checkInputs(pipeline)
            for warning in pipeline.warnings { printError(warning.description) }
            let count = pipeline.outputs.files.count
            print("\(file): ok (\(count) export\(count == 1 ? "" : "s") into \(pipeline.outputs.directory), input headers match)")
        } catch let error as SegflowError {
            exitReporting(error)
        }
    }
}
