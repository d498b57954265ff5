import ArgumentParser
import Export
import Foundation
import History
import SegflowCore

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show how customers moved between two runs.",
        discussion: """
            A and B are run directories, e.g. out/runs/20261101T020000Z and out/current. Prints, \
            for each segmentation both runs have, the matrix of customers from A's value (rows) \
            to B's (columns), then new and departed customers and the movers: into at_risk or \
            loyal status, out of loyal, into high churn risk, or down a value tier.
            """)

    @Argument(help: "The earlier run directory.")
    var from: String

    @Argument(help: "The later run directory.")
    var to: String

    @Option(name: .customLong("movers"), help: "Also write the movers to this CSV file.")
    var moversPath: String?

    func run() throws {
        do {
            let before = try Assignments.read(path: "\(from)/\(RunFiles.assignments)")
            let after = try Assignments.read(path: "\(to)/\(RunFiles.assignments)")
            let migration = Migration(from: before, to: after)
            var lines = ["\(from) -> \(to)"]
            for dimension in Assignments.dimensions {
                let matrix = migration.matrixLines(dimension)
                guard !matrix.isEmpty else { continue }
                lines.append("")
                lines.append(dimension)
                lines += matrix
            }
            lines.append("")
            lines.append(
                "\(migration.newCustomers) new, \(migration.goneCustomers) gone, \(migration.unchangedCustomers) unchanged, "
                    + "\(migration.movers.count) \(Migration.moversMeaning)")
            print(lines.joined(separator: "\n"))
            if let moversPath {
                try OutputTransaction.write(moversPath, table: migration.moverTable)
            }
        } catch let error as SegflowError {
            exitReporting(error)
        }
    }
}
