import Ingest
import SegflowCore

/// Why a well-formed referral row is not credited. Each rule is documented in
/// docs/crm-analyses.md; a row is counted under the first rule it breaks, in this order.
public enum ReferralRule: String, Sendable, CaseIterable {
    /// Referrer and referred are the same customer.
    case selfReferral = "self_referral"
    /// The referrer neither bought nor is on the customers file.
    case unknownReferrer = "unknown_referrer"
    /// The referred customer neither bought nor is on the customers file.
    case unknownReferred = "unknown_referred"
    /// Given on or after `as_of`: not known yet as of the run.
    case afterAsOf = "after_as_of"
    /// The referred customer was credited to an earlier referral: first touch wins.
    case referredTwice = "referred_twice"
    /// The referred customer had bought on a day before the referral: the referral did not bring them.
    case alreadyCustomer = "referred_already_customer"
    /// Crediting it would make a customer their own (indirect) referrer.
    case cycle
}

/// A referral row that is not credited, with the rule it breaks.
public struct IgnoredReferral: Sendable, Equatable {
    public var line: Int
    public var rule: ReferralRule
    /// Why, for `ignored_referrals.csv`: the rule in words, with what it compared.
    public var reason: String
    public var record: String

    public init(line: Int, rule: ReferralRule, reason: String, record: String) {
        self.line = line
        self.rule = rule
        self.reason = reason
        self.record = record
    }
}

/// The referral file's rows that name two different known customers, as of the run.
public struct ReferralLog: Sendable, Equatable {
    /// Rows of the customers the log was parsed against.
    public var referrer: [Int] = []
    public var referred: [Int] = []
    public var time: [Int64] = []
    public var line: [Int] = []
    public var record: [String] = []
    /// Well-formed rows that name no credited pair (self-referrals, unknown ids, after as_of).
    public var ignored: [IgnoredReferral] = []

    public init() {}

    public var count: Int { referrer.count }

    /// Which header names hold what.
    public struct Columns: Sendable, Equatable {
        public var referrer: String
        public var referred: String
        public var time: String

        public init(referrer: String, referred: String, time: String) {
            self.referrer = referrer
            self.referred = referred
            self.time = time
        }

        /// No column mapped yet: what a pipeline file's `columns` is read into.
        public init() { self.init(referrer: "", referred: "", time: "") }

        /// The mapped names, in the order `FieldTableReader` is asked for them.
        public var names: [String] { [referrer, referred, time] }
    }

    /// The rows of a read file. A row with an empty id or an unreadable time is rejected
    /// with its reason; a well-formed row that names no pair to credit is kept in `ignored`.
    /// `customers` gives each known id (buyers and customers on file) its row.
    public static func parse(
        _ table: FieldTable, columns: Columns, timeFormat: TimeFormat, customers: IDIndex, cutoff: Int64
    ) -> (log: ReferralLog, rejected: [RejectedRow]) {
        var log = ReferralLog()
        var rejected: [RejectedRow] = []
        for (row, cells) in table.rows.enumerated() {
            let line = table.lines[row]
            let record = cells.joined(separator: ",")
            func ignore(_ rule: ReferralRule, _ reason: String) {
                log.ignored.append(IgnoredReferral(line: line, rule: rule, reason: reason, record: record))
            }
            guard !cells[0].isEmpty, !cells[1].isEmpty else {
                let column = cells[0].isEmpty ? columns.referrer : columns.referred
                rejected.append(RejectedRow(line: line, reason: "empty customer id in column '\(column)'", record: record))
                continue
            }
            guard let time = Array(cells[2].utf8).withUnsafeBytes({ timeFormat.parse($0) }) else {
                rejected.append(RejectedRow(line: line, reason: "time in column '\(columns.time)' is not \(timeFormat.name)", record: record))
                continue
            }
            guard cells[0] != cells[1] else {
                ignore(.selfReferral, "referrer and referred are the same customer")
                continue
            }
            guard let referrer = customers[cells[0]] else {
                ignore(.unknownReferrer, "referrer in column '\(columns.referrer)' has no accepted transaction and is not on the customers file")
                continue
            }
            guard let referred = customers[cells[1]] else {
                ignore(
                    .unknownReferred, "referred customer in column '\(columns.referred)' has no accepted transaction and is not on the customers file"
                )
                continue
            }
            guard time < cutoff else {
                ignore(.afterAsOf, "given on or after as_of: not known yet as of this run")
                continue
            }
            log.referrer.append(referrer)
            log.referred.append(referred)
            log.time.append(time)
            log.line.append(line)
            log.record.append(record)
        }
        return (log, rejected)
    }
}

/// Who brought whom: each customer credited to at most one referrer, with no cycles, so the
/// referrals form a forest. Built from a `ReferralLog` in time order (file order on equal
/// times), each row checked against the rules `ReferralRule` lists.
public struct ReferralNetwork: Sendable, Equatable {
    /// Each customer's credited referrer; nil for customers nobody brought.
    public private(set) var referrer: [Int?]
    /// The rows that are not credited, the log's and the network's, in file order.
    public private(set) var ignored: [IgnoredReferral]

    /// `firstPurchaseDay` per customer, nil for customers on file who never bought.
    public init(log: ReferralLog, firstPurchaseDay: [Int64?]) {
        let customerCount = firstPurchaseDay.count
        referrer = [Int?](repeating: nil, count: customerCount)
        var creditedLine = [Int](repeating: 0, count: customerCount)
        var ruled: [IgnoredReferral] = []
        // A union-find over the trees: a referred customer is always a root when credited,
        // so the new edge closes a cycle exactly when the referrer is in the referred's tree.
        var tree = Array(0..<customerCount)
        func root(_ customer: Int) -> Int {
            var node = customer
            while tree[node] != node {
                tree[node] = tree[tree[node]]
                node = tree[node]
            }
            return node
        }
        let order = (0..<log.count).sorted { (log.time[$0], log.line[$0]) < (log.time[$1], log.line[$1]) }
        for row in order {
            let (from, to) = (log.referrer[row], log.referred[row])
            func ignore(_ rule: ReferralRule, _ reason: String) {
                ruled.append(IgnoredReferral(line: log.line[row], rule: rule, reason: reason, record: log.record[row]))
            }
            if referrer[to] != nil {
                ignore(.referredTwice, "the referred customer is credited to the earlier referral on line \(creditedLine[to])")
                continue
            }
            if let first = firstPurchaseDay[to], first < CivilTime.day(ofSeconds: log.time[row]) {
                ignore(.alreadyCustomer, "the referred customer first bought on \(CivilTime.dateString(days: first)), before the referral")
                continue
            }
            if root(from) == root(to) {
                ignore(.cycle, "the referrer was brought in, directly or through others, by the customer they refer")
                continue
            }
            referrer[to] = from
            creditedLine[to] = log.line[row]
            tree[root(to)] = root(from)
        }
        ignored = (log.ignored + ruled).sorted { $0.line < $1.line }
    }

    /// Credited referrals.
    public var referralCount: Int { referrer.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    /// Ignored rows per rule, every rule listed.
    public var ignoredByRule: [(rule: ReferralRule, rows: Int)] {
        ReferralRule.allCases.map { rule in (rule, ignored.reduce(0) { $0 + ($1.rule == rule ? 1 : 0) }) }
    }

    /// How many customers each customer brought directly.
    public var referralsMade: [Int] {
        var made = [Int](repeating: 0, count: referrer.count)
        for case let from? in referrer { made[from] += 1 }
        return made
    }

    /// Per customer, the sum of `value` over the customers they brought directly. Each
    /// referred customer is credited to one referrer and never further up the chain, so the
    /// credited total is the referred customers' total, counted once.
    public func creditedToReferrers(_ value: [Double]) -> [Double] {
        var credited = [Double](repeating: 0, count: referrer.count)
        for (customer, from) in referrer.enumerated() {
            if let from, value[customer].isFinite { credited[from] += value[customer] }
        }
        return credited
    }

    /// Per customer, the cascade below them: everyone they brought, directly or through
    /// those they brought (`size`), and its longest chain of referrals (`depth`: 1 when the
    /// customer brought people who brought nobody, 0 when they brought nobody).
    public func cascades() -> (size: [Int], depth: [Int]) {
        let count = referrer.count
        // Children in CSR form, then roots first (breadth-first), so that walking the order
        // backwards sees every customer after all of their descendants.
        var childStart = [Int](repeating: 0, count: count + 1)
        for case let from? in referrer { childStart[from + 1] += 1 }
        for index in 0..<count { childStart[index + 1] += childStart[index] }
        var fill = childStart
        var children = [Int](repeating: 0, count: childStart[count])
        for (customer, from) in referrer.enumerated() {
            if let from {
                children[fill[from]] = customer
                fill[from] += 1
            }
        }
        var order = referrer.indices.filter { referrer[$0] == nil }
        var next = 0
        while next < order.count {
            order.append(contentsOf: children[childStart[order[next]]..<childStart[order[next] + 1]])
            next += 1
        }
        var size = [Int](repeating: 0, count: count)
        var depth = [Int](repeating: 0, count: count)
        for customer in order.reversed() {
            guard let from = referrer[customer] else { continue }
            size[from] += size[customer] + 1
            depth[from] = max(depth[from], depth[customer] + 1)
        }
        return (size, depth)
    }
}
