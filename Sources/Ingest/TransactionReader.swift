import SegflowCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What ingest hands on: the accepted rows, the rejected ones, and facts for the manifest.
public struct IngestResult: Sendable {
    public var transactions: TransactionTable
    public var rejected: [RejectedRow]
    /// Data records in the file (accepted + rejected; blank lines are not records).
    public var recordCount: Int
    public var fileBytes: Int
    /// XXH64 of the file as stored, 16 hex digits.
    public var fingerprint: String
    /// The newest accepted transaction time, nil when no row was accepted.
    public var newestTime: Int64?
}

/// Progress of a read, for the terminal's progress line.
public struct IngestProgress: Sendable {
    public var fileBytesRead: Int
    public var fileBytesTotal: Int
    public var records: Int
}

/// Reads one transaction file in bounded memory: the file is taken in chunks of whole
/// records, chunks are parsed on all cores, and only the parsed columns are kept.
public struct TransactionReader {
    public let input: TransactionInput
    public var budget: RejectionBudget
    public var chunkBytes: Int
    public var workers: Int

    public init(
        input: TransactionInput, budget: RejectionBudget = .unlimited, chunkBytes: Int = 4 << 20,
        workers: Int = Parallel.workerCount
    ) {
        self.input = input
        self.budget = budget
        self.chunkBytes = max(chunkBytes, 64)
        self.workers = max(workers, 1)
    }

    /// The column names: the header's cells, or "1", "2", ... for a file without a header.
    public func headerNames() throws -> [String] {
        var splitter = try RecordSplitter(file: input.file, chunkBytes: chunkBytes)
        return try splitter.readHeader().names
    }

    /// Reads the header only and checks it has every mapped column, with the messages a run
    /// would give: what `segflow validate` checks of an input.
    public func checkHeader() throws {
        var splitter = try RecordSplitter(file: input.file, chunkBytes: chunkBytes)
        _ = try recordLayout(for: splitter.readHeader().names)
    }

    public func read(progress: ((IngestProgress) -> Void)? = nil) throws -> IngestResult {
        var splitter = try RecordSplitter(file: input.file, chunkBytes: chunkBytes)
        let header = try splitter.readHeader()
        let layout = try recordLayout(for: header.names)
        let totalBytes = fileSize(input.path) ?? 0

        let shardCount = workers
        let shards = UnsafeMutableBufferPointer<CustomerShard>.allocate(capacity: shardCount)
        shards.initialize(repeating: CustomerShard())
        defer { shards.deinitialize().deallocate() }

        var table = TransactionTable()
        var dictionaries = [DimensionDictionary](repeating: DimensionDictionary(), count: RecordLayout.dimensionRoles.count)
        var rejected: [RejectedRow] = []
        var records = 0
        var nextLine = 1 + header.lineCount
        var newestTime = Int64.min
        var stoppedEarly = false
        let batchSize = workers * 2
        let buffers = (0..<batchSize).map { _ in ChunkBuffer() }

        while true {
            var filled = 0
            while filled < batchSize, try splitter.nextChunk(into: buffers[filled]) { filled += 1 }
            if filled == 0 { break }
            let parsed = UnsafeMutableBufferPointer<ParsedChunk>.allocate(capacity: filled)
            parsed.initialize(repeating: ParsedChunk())
            defer { parsed.deinitialize().deallocate() }
            let chunks = buffers
            Parallel.forEach(parts: filled) { index in
                parsed[index] = ChunkParser.parse(chunks[index].bytes, layout: layout)
            }

            if table.count == 0, totalBytes > 0, !input.file.isGzip {
                // Reserve once from the first chunk's row density: growing 10M-row columns by doubling costs copies and peak memory.
                table.reserve(Int(Double(totalBytes) / Double(max(chunks[0].count, 1)) * Double(parsed[0].count) * 1.02))
            }
            let batchStartRow = table.count
            var chunkStartRow = [Int](repeating: 0, count: filled + 1)
            for index in 0..<filled { chunkStartRow[index + 1] = chunkStartRow[index] + parsed[index].count }
            let batchRows = chunkStartRow[filled]
            let encoded = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: batchRows)
            defer { encoded.deallocate() }
            Parallel.forEach(parts: shardCount) { shard in
                for index in 0..<filled {
                    let chunk = parsed[index]
                    chunks[index].bytes.withMemoryRebound(to: UInt8.self) { bytes in
                        chunk.unescaped.withUnsafeBufferPointer { unescaped in
                            for row in 0..<chunk.count {
                                let hash = chunk.customerHash[row]
                                guard Int(hash >> 56) % shardCount == shard else { continue }
                                let offset = chunk.customerOffset[row], length = Int(chunk.customerLength[row])
                                let key =
                                    offset & ParsedChunk.unescapedFlag == 0
                                    ? UnsafeRawBufferPointer(start: bytes.baseAddress! + Int(offset), count: length)
                                    : UnsafeRawBufferPointer(start: unescaped.baseAddress! + Int(offset & ~ParsedChunk.unescapedFlag), count: length)
                                let globalRow = batchStartRow + chunkStartRow[index] + row
                                let local = shards[shard].intern(hash: hash, key: key, row: globalRow)
                                encoded[chunkStartRow[index] + row] = UInt32(local * shardCount + shard)
                            }
                        }
                    }
                }
            }
            table.customer.append(contentsOf: encoded)
            for index in 0..<filled {
                let chunk = parsed[index]
                table.orderKey.append(contentsOf: chunk.orderKey)
                table.time.append(contentsOf: chunk.time)
                table.amount.append(contentsOf: chunk.amount)
                appendLines(of: chunk, to: &table.lines, layout: layout, dictionaries: &dictionaries)
                for row in chunk.rejected {
                    rejected.append(RejectedRow(line: nextLine + row.line, reason: row.reason, record: row.record))
                }
                nextLine += chunk.lineCount
                records += chunk.recordCount
                newestTime = max(newestTime, chunk.newestTime)
            }
            progress?(IngestProgress(fileBytesRead: splitter.fileBytesRead, fileBytesTotal: totalBytes, records: records))
            if case .count(let limit) = budget, rejected.count > limit {
                stoppedEarly = try splitter.hasMoreInput()
                break
            }
        }

        try budget.enforce(rejected: rejected, of: records, in: input.path, stoppedEarly: stoppedEarly)
        finishInterning(&table, shards: shards)
        table.lines.category.names = dictionaries[0].names
        table.lines.channel.names = dictionaries[1].names
        table.lines.store.names = dictionaries[2].names
        return IngestResult(
            transactions: table, rejected: rejected, recordCount: records,
            fileBytes: splitter.fileBytesRead, fingerprint: splitter.fingerprint.hexDigest(),
            newestTime: newestTime == .min ? nil : newestTime)
    }

    /// The file's dictionary of one order-line text column: each value once, in order of
    /// first appearance.
    struct DimensionDictionary {
        var names: [String] = []
        var codes: [String: UInt32] = [:]

        mutating func code(of name: String) -> UInt32 {
            if let code = codes[name] { return code }
            let code = UInt32(names.count)
            names.append(name)
            codes[name] = code
            return code
        }
    }

    /// Appends a chunk's order-line columns, its text codes renumbered into the file's dictionaries.
    private func appendLines(of chunk: ParsedChunk, to lines: inout OrderLines, layout: RecordLayout, dictionaries: inout [DimensionDictionary]) {
        for index in layout.dimensions.indices where layout.dimensions[index].isMapped {
            let local = chunk.dimensions[index]
            let remap = local.names.map { dictionaries[index].code(of: $0) }
            let codes = local.codes.map { $0 == OrderLines.missing ? $0 : remap[Int($0)] }
            switch layout.dimensions[index].role {
            case .category: lines.category.codes.append(contentsOf: codes)
            case .channel: lines.channel.codes.append(contentsOf: codes)
            default: lines.store.codes.append(contentsOf: codes)
            }
        }
        lines.quantity.append(contentsOf: chunk.quantity)
        lines.profit.append(contentsOf: chunk.profit)
    }

    /// Renumbers customers from (shard, local) to the order of first appearance in the file.
    private func finishInterning(_ table: inout TransactionTable, shards: UnsafeMutableBufferPointer<CustomerShard>) {
        let shardCount = shards.count
        let total = shards.reduce(0) { $0 + $1.count }
        var remap = [UInt32](repeating: 0, count: (shards.map(\.count).max() ?? 0) * shardCount)
        var customerIDs: [String] = []
        customerIDs.reserveCapacity(total)
        var heads = [Int](repeating: 0, count: shardCount)
        for next in 0..<total {
            var best = -1
            for shard in 0..<shardCount where heads[shard] < shards[shard].count {
                if best < 0 || shards[shard].firstRow[heads[shard]] < shards[best].firstRow[heads[best]] { best = shard }
            }
            let local = heads[best]
            remap[local * shardCount + best] = UInt32(next)
            customerIDs.append(shards[best].key(local))
            heads[best] += 1
        }
        let rowCount = table.customer.count
        table.customer.withUnsafeMutableBufferPointer { customers in
            remap.withUnsafeBufferPointer { remap in
                Parallel.forEach(parts: workers) { part in
                    for row in Parallel.slice(part, of: workers, count: rowCount) {
                        customers[row] = remap[Int(customers[row])]
                    }
                }
            }
        }
        table.customerIDs = customerIDs
    }

    private func recordLayout(for names: [String]) throws -> RecordLayout {
        let positions = try HeaderMapping.positions(of: input.columns.named.map(\.name), in: names, file: input.file)
        var roles = [FieldRole](repeating: .ignored, count: names.count)
        for ((role, _), position) in zip(input.columns.named, positions) { roles[position] = role }
        return RecordLayout(roles: roles, input: input)
    }
}

extension TransactionTable {
    mutating func reserve(_ rows: Int) {
        customer.reserveCapacity(rows)
        orderKey.reserveCapacity(rows)
        time.reserveCapacity(rows)
        amount.reserveCapacity(rows)
    }
}

func fileSize(_ path: String) -> Int? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return Int(info.st_size)
}
