import SegflowCore
import Testing

@Suite struct XXH64Tests {
    /// Reference digests from the xxhash Python package (xxhash.xxh64(data).hexdigest()).
    @Test(arguments: [
        ("", "ef46db3751d8e999"),
        ("a", "d24ec4f1a98c6e5b"),
        ("abc", "44bc2cf5ad770999"),
        (String(repeating: "0123456789", count: 10), "f80e7b96315afffa"),
        (String(repeating: "x", count: 31), "60dd0d01083b99f0"),
        (String(repeating: "y", count: 33), "f27d5a84556caef4"),
    ])
    func matchesReference(text: String, digest: String) {
        #expect(XXH64.hexDigest(of: Array(text.utf8)) == digest)
    }

    @Test func streamingInPiecesEqualsOneShot() {
        let bytes = Array(String(repeating: "0123456789", count: 10).utf8)
        var hasher = XXH64()
        for piece in [bytes[0..<7], bytes[7..<40], bytes[40..<41], bytes[41...]] {
            Array(piece).withUnsafeBytes { hasher.update($0) }
        }
        #expect(hasher.hexDigest() == "f80e7b96315afffa")
    }
}

@Suite struct CivilTimeTests {
    @Test(arguments: [
        (1970, 1, 1, Int64(0)), (2000, 3, 1, 11_017), (2024, 2, 29, 19_782), (1969, 12, 31, -1), (2026, 11, 21, 20_778),
    ])
    func daysRoundTrip(year: Int, month: Int, day: Int, days: Int64) {
        #expect(CivilTime.daysFromCivil(year: year, month: month, day: day) == days)
        #expect(CivilTime.civilFromDays(days) == (year, month, day))
    }

    /// Every day from the year -1000 to 9999 goes there and back, and each is the day after the
    /// one before: together a check of `civilFromDays` against `daysFromCivil`, Hinnant's.
    @Test func everyDayRoundTrips() {
        var previous = CivilTime.civilFromDays(-1_085_000 - 1)
        for days in Int64(-1_085_000)...Int64(2_932_896) {
            let civil = CivilTime.civilFromDays(days)
            guard CivilTime.daysFromCivil(year: civil.year, month: civil.month, day: civil.day) == days,
                civil.day == previous.day + 1 || (civil.day == 1 && previous.day == CivilTime.daysInMonth(year: previous.year, month: previous.month))
            else {
                Issue.record("day \(days) became \(civil), after \(previous)")
                return
            }
            previous = civil
        }
    }

    @Test func formatsAndParses() {
        #expect(CivilTime.timestampString(seconds: 1_700_000_000) == "2023-11-14T22:13:20Z")
        #expect(CivilTime.timestampString(seconds: -1) == "1969-12-31T23:59:59Z")
        #expect(CivilTime.parseDate("2024-02-29") == 19_782)
        #expect(CivilTime.parseDate("2023-02-29") == nil)
        #expect(CivilTime.parseDate("2023-2-28") == nil)
    }
}

@Suite struct SuggestionTests {
    @Test func suggestsCloseKeysOnly() {
        #expect(Suggestion.closest(to: "dedup", among: ["dedupe", "returns"]) == "dedupe")
        #expect(Suggestion.closest(to: "retruns", among: ["dedupe", "returns"]) == "returns")
        #expect(Suggestion.closest(to: "colour", among: ["dedupe", "returns"]) == nil)
    }
}

@Suite struct DiagnosticTests {
    @Test func formatsLikeACompilerAndSortsByPosition() {
        let later = Diagnostic.error(at: SourceLocation(file: "p.yaml", line: 9, column: 3), "second")
        let earlier = Diagnostic.warning(at: SourceLocation(file: "p.yaml", line: 2, column: 1), "first", hint: "do this")
        let error = SegflowError(.config, [later, earlier])
        #expect(error.description == "p.yaml:2:1: warning: first\n  hint: do this\np.yaml:9:3: error: second")
        #expect(error.kind.exitCode == 2)
    }

    /// Echoed values (a million-column header, a huge key) are cut, saying how much was left out.
    @Test func longMessagesAndHintsAreCut() {
        let huge = String(repeating: "é", count: 50_000)
        let diagnostic = Diagnostic.error(at: nil, "missing column; the header has: \(huge)", hint: huge)
        #expect(diagnostic.message.unicodeScalars.count < 2_100)
        #expect(diagnostic.message.hasSuffix("… (48032 more characters)"))
        #expect(diagnostic.hint == String(repeating: "é", count: 2_000) + "… (48000 more characters)")
        #expect(Diagnostic.error(at: nil, "short").message == "short")
    }
}

@Suite struct RadixSortTests {
    @Test(arguments: [0, 1, 7, 10_000])
    func sortsLikeTheStandardLibrary(count: Int) {
        var random = RandomSource(seed: UInt64(count))
        for bits in [5, 11, 12, 31, 64] {
            let keys = (0..<count).map { _ in bits == 64 ? random.next() : random.next() & (UInt64(1) << bits - 1) }
            var sorted = keys
            RadixSort.sort(&sorted, significantBits: bits)
            #expect(sorted == keys.sorted(), "\(count) keys of \(bits) bits")
        }
    }
}
