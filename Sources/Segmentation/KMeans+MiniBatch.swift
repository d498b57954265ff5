import LinearAlgebra
import SegflowCore

extension KMeans.Problem {
    /// k-means++ on `size` rows drawn at random (scikit-learn's `init_size`), so seeding a
    /// mini-batch fit does not cost full passes; centres come back in this problem's space.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func kMeansPlusPlus(clusterCount k: Int, sampleSize size: Int, random: inout RandomSource) -> [Scalar] {
        var elements = [Scalar]()
        var sampleWeights = [Double]()
        elements.reserveCapacity(size * columns)
        for _ in 0..<size {
            let row = Int(random.next() % UInt64(rows))
            elements.append(contentsOf: x[(row * columns)..<((row + 1) * columns)])
            sampleWeights.append(weights[row])
        }
        guard size < rows,
            let sample = try? KMeans.Problem<Scalar>(
                data: Matrix(rows: size, columns: columns, elements: elements),
                weights: sampleWeights, clusterCount: k)
        else { return kMeansPlusPlus(clusterCount: k, random: &random) }
        var centers = sample.kMeansPlusPlus(clusterCount: k, random: &random)
        for cluster in 0..<k {
            for column in 0..<columns { centers[cluster * columns + column] += sample.mean[column] }
        }
        return centers
    }

    /// Mini-batch k-means (Sculley 2010, "Web-scale k-means clustering"; as scikit-learn's
    /// `MiniBatchKMeans`): each step assigns a random batch of rows to the nearest centres
    /// and moves every touched centre towards its batch mean with a per-centre learning rate
    /// (weight seen so far). Steps run until `maxIterations` passes over the data or until the
    /// smoothed batch inertia has not improved for 10 steps. One full assignment at the end
    /// gives the labels and the inertia. Steps are sequential and seeded: deterministic.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func miniBatch(
        start: [Scalar], batchSize: Int, configuration: KMeansConfiguration, random: inout RandomSource,
        restart: Int
    ) -> KMeansModel<Scalar> {
        let k = start.count / columns
        let batch = min(batchSize, rows)
        var centers = start
        var seenWeight = [Double](repeating: 0, count: k)
        let steps = max(1, configuration.maxIterations * rows / batch)
        let smoothing = min(1, 2 * Double(batch) / Double(rows + 1))
        var smoothed = Double.nan, bestSmoothed = Double.infinity
        var stepsWithoutImprovement = 0
        var rowsOfBatch = [Int](repeating: 0, count: batch)
        var batchData = [Scalar](repeating: 0, count: batch * columns)
        var products = [Scalar](repeating: 0, count: batch * k)
        var nearest = [Int32](repeating: 0, count: batch)
        var nearestDistance = [Scalar](repeating: 0, count: batch)
        var runnerUpDistance = [Scalar](repeating: 0, count: batch)
        var centerNorms = [Scalar](repeating: 0, count: k)
        var performed = 0
        for _ in 0..<steps {
            performed += 1
            for index in 0..<batch {
                let row = Int(random.next() % UInt64(rows))
                rowsOfBatch[index] = row
                for column in 0..<columns { batchData[index * columns + column] = x[row * columns + column] }
            }
            for cluster in 0..<k {
                var norm: Scalar = 0
                for column in 0..<columns { norm += centers[cluster * columns + column] * centers[cluster * columns + column] }
                centerNorms[cluster] = norm
            }
            centers.withUnsafeBufferPointer { centers in
                batchData.withUnsafeBufferPointer { batchData in
                    products.withUnsafeMutableBufferPointer { products in
                        Scalar.gemm(
                            transposeA: false, transposeB: true, m: k, n: batch, k: columns, alpha: 1,
                            a: centers.baseAddress!, lda: columns, b: batchData.baseAddress!, ldb: columns,
                            beta: 0, c: products.baseAddress!, ldc: batch)
                        centerNorms.withUnsafeBufferPointer { norms in
                            Scalar.nearestTwoCenters(
                                dots: products.baseAddress!, norms: norms.baseAddress!, clusters: k,
                                rows: batch, labels: &nearest, nearest: &nearestDistance,
                                runnerUp: &runnerUpDistance)
                        }
                    }
                }
            }
            // Batch sums per centre, then each touched centre moves to its running weighted mean.
            var sums = [Double](repeating: 0, count: k * columns)
            var batchWeight = [Double](repeating: 0, count: k)
            var batchInertia = 0.0
            for index in 0..<batch {
                let cluster = Int(nearest[index]), weight = weights[rowsOfBatch[index]]
                batchWeight[cluster] += weight
                var distance = 0.0
                for column in 0..<columns {
                    let value = Double(batchData[index * columns + column])
                    sums[cluster * columns + column] += weight * value
                    let difference = value - Double(centers[cluster * columns + column])
                    distance += difference * difference
                }
                batchInertia += weight * distance
            }
            for cluster in 0..<k where batchWeight[cluster] > 0 {
                let total = seenWeight[cluster] + batchWeight[cluster]
                for column in 0..<columns {
                    let old = Double(centers[cluster * columns + column]) * seenWeight[cluster]
                    centers[cluster * columns + column] = Scalar((old + sums[cluster * columns + column]) / total)
                }
                seenWeight[cluster] = total
            }
            let meanInertia = batchInertia / Double(batch)
            smoothed = smoothed.isNaN ? meanInertia : smoothed * (1 - smoothing) + meanInertia * smoothing
            if smoothed < bestSmoothed {
                bestSmoothed = smoothed
                stepsWithoutImprovement = 0
            } else {
                stepsWithoutImprovement += 1
                if stepsWithoutImprovement >= 10 { break }
            }
        }
        return finish(
            centers: centers, labels: labels(nearest: centers), iterations: performed, converged: performed < steps,
            reseeded: 0, restart: restart)
    }
}
