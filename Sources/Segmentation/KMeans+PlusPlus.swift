import Foundation
import LinearAlgebra
import SegflowCore

extension KMeans.Problem {
    /// Greedy k-means++ (Arthur & Vassilvitskii 2007; scikit-learn's `_kmeans_plusplus`):
    /// the first centre is a row drawn with probability proportional to its weight; each
    /// next one is the best of 2 + floor(ln k) rows drawn proportionally to weight x squared
    /// distance to the nearest centre so far, "best" meaning the lowest resulting potential.
    /// Returns `k x d` centres in the centred space.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func kMeansPlusPlus(clusterCount k: Int, random: inout RandomSource) -> [Scalar] {
        let trials = 2 + Int(log(Double(k)))
        var centers = [Scalar](repeating: 0, count: k * columns)
        var cumulative = [Double](repeating: 0, count: rows)

        func draw(_ target: Double) -> Int {
            // First index whose cumulative value reaches the target (numpy's searchsorted, left).
            var low = 0, high = rows - 1
            while low < high {
                let middle = (low + high) / 2
                if cumulative[middle] < target { low = middle + 1 } else { high = middle }
            }
            return low
        }
        func copyRow(_ row: Int, toCenter center: Int) {
            for column in 0..<columns { centers[center * columns + column] = x[row * columns + column] }
        }

        var running = 0.0
        for row in 0..<rows {
            running += weights[row]
            cumulative[row] = running
        }
        copyRow(draw(random.unit() * running), toCenter: 0)
        var closest = squaredDistances(to: Array(centers[0..<columns]), count: 1)[0]
        var potential = weightedSum(closest)

        for center in 1..<max(k, 1) {
            running = 0
            for row in 0..<rows {
                running += weights[row] * Double(closest[row])
                cumulative[row] = running
            }
            let candidates = (0..<trials).map { _ in min(draw(random.unit() * potential), rows - 1) }
            var candidateCenters = [Scalar](repeating: 0, count: trials * columns)
            for (index, row) in candidates.enumerated() {
                for column in 0..<columns { candidateCenters[index * columns + column] = x[row * columns + column] }
            }
            var distances = squaredDistances(to: candidateCenters, count: trials)
            var bestTrial = 0
            var bestPotential = Double.infinity
            for trial in 0..<trials {
                for row in 0..<rows where closest[row] < distances[trial][row] { distances[trial][row] = closest[row] }
                let trialPotential = weightedSum(distances[trial])
                if trialPotential < bestPotential {
                    bestPotential = trialPotential
                    bestTrial = trial
                }
            }
            potential = bestPotential
            closest = distances[bestTrial]
            copyRow(candidates[bestTrial], toCenter: center)
        }
        return centers
    }

    /// Squared distances of every row to each of `count` points (rows of `points`), by the
    /// norm expansion on GEMM blocks, clamped at 0.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func squaredDistances(to points: [Scalar], count: Int) -> [[Scalar]] {
        var pointNorms = [Scalar](repeating: 0, count: count)
        for point in 0..<count {
            for column in 0..<columns { pointNorms[point] += points[point * columns + column] * points[point * columns + column] }
        }
        var flat = [Scalar](repeating: 0, count: count * rows)
        points.withUnsafeBufferPointer { points in
            flat.withUnsafeMutableBufferPointer { flat in
                forEachPart { part in
                    let block = UnsafeMutablePointer<Scalar>.allocate(capacity: KMeans.blockRows * count)
                    defer { block.deallocate() }
                    let rows = partRows(part)
                    var start = rows.lowerBound
                    while start < rows.upperBound {
                        let end = min(start + KMeans.blockRows, rows.upperBound)
                        dots(start..<end, points.baseAddress!, count: count, into: block)
                        for point in 0..<count {
                            let dotsOfPoint = block + point * (end - start)
                            for row in start..<end {
                                flat[point * self.rows + row] = max(0, rowNorms[row] - 2 * dotsOfPoint[row - start] + pointNorms[point])
                            }
                        }
                        start = end
                    }
                }
            }
        }
        return (0..<count).map { Array(flat[($0 * rows)..<(($0 + 1) * rows)]) }
    }

    /// Sum of weight x value over rows, in part order (deterministic).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func weightedSum(_ values: [Scalar]) -> Double {
        var totals = [Double](repeating: 0, count: KMeans.accumulationParts)
        totals.withUnsafeMutableBufferPointer { totals in
            forEachPart { part in
                var total = 0.0
                for row in partRows(part) { total += weights[row] * Double(values[row]) }
                totals[part] = total
            }
        }
        return totals.reduce(0, +)
    }
}
