import Export
import Ingest
import RunRecords
import SegflowCore

/// An input read besides the transactions: its manifest entry and its rejected rows, which
/// go to `rejected_<name>.csv`.
struct SideInput {
    var manifest: Manifest.Input
    var rejected: [RejectedRow]

    var rejectedFile: String { RunFiles.rejected(input: manifest.name) }

    /// Reads the `columns` of a side input and checks its rows with `parse`; the rows either
    /// step rejects count against `clean.max_rejected` together, and the input is recorded
    /// in the run for the manifest and its rejected file. Returns the parsed rows and the
    /// input's manifest entry (records read, rows rejected).
    static func read<Parsed>(
        _ name: String, file: DelimitedFile, columns: [String], into context: inout RunContext,
        parse: (FieldTable) -> (Parsed, rejected: [RejectedRow])
    ) throws -> (Parsed, Manifest.Input) {
        let table = try FieldTableReader(file: file, columns: columns).read()
        let (parsed, invalid) = parse(table)
        let rejected = (table.rejected + invalid).sorted { $0.line < $1.line }
        try context.pipeline.clean.maxRejected.enforce(rejected: rejected, of: table.recordCount, in: file.path)
        let manifest = Manifest.Input(
            name: name, path: file.path, bytes: table.fileBytes, xxh64: table.fingerprint, records: table.recordCount, rejected: rejected.count)
        context.sideInputs.append(SideInput(manifest: manifest, rejected: rejected))
        return (parsed, manifest)
    }
}
