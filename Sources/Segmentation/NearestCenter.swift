import LinearAlgebra

/// The arg-min of k-means' assignment step, written against the concrete SIMD types: only
/// those lower to vector instructions (generic `SIMD` code runs lane by lane), so Float and
/// Double each get their own short kernel.
public protocol KMeansScalar: BLASScalar {
    /// For each of `rows` rows, the cluster `c` minimising `norms[c] - 2 * dots[c * rows + row]`
    /// (the first on ties). `dots` is cluster-major, as `KMeans.Problem.dots` leaves it.
    static func nearestCenters(dots: UnsafePointer<Self>, norms: UnsafePointer<Self>, clusters: Int, rows: Int,
                               into labels: UnsafeMutablePointer<Int32>)
}

extension Float: KMeansScalar {
    public static func nearestCenters(dots: UnsafePointer<Float>, norms: UnsafePointer<Float>, clusters: Int, rows: Int,
                                      into labels: UnsafeMutablePointer<Int32>) {
        let vectorRows = rows & ~7
        var row = 0
        while row < vectorRows {
            var bestDistance = SIMD8<Float>(repeating: norms[0]) - 2 * UnsafeRawPointer(dots + row).loadUnaligned(as: SIMD8<Float>.self)
            var bestLabel = SIMD8<Int32>.zero
            for cluster in 1..<clusters {
                let distance = SIMD8<Float>(repeating: norms[cluster])
                    - 2 * UnsafeRawPointer(dots + cluster * rows + row).loadUnaligned(as: SIMD8<Float>.self)
                let closer = distance .< bestDistance
                bestDistance.replace(with: distance, where: closer)
                bestLabel.replace(with: Int32(truncatingIfNeeded: cluster), where: closer)
            }
            UnsafeMutableRawPointer(labels + row).storeBytes(of: bestLabel, as: SIMD8<Int32>.self)
            row += 8
        }
        nearestCentersScalar(dots: dots, norms: norms, clusters: clusters, rows: vectorRows..<rows, into: labels)
    }
}

extension Double: KMeansScalar {
    public static func nearestCenters(dots: UnsafePointer<Double>, norms: UnsafePointer<Double>, clusters: Int, rows: Int,
                                      into labels: UnsafeMutablePointer<Int32>) {
        let vectorRows = rows & ~3
        var row = 0
        while row < vectorRows {
            var bestDistance = SIMD4<Double>(repeating: norms[0]) - 2 * UnsafeRawPointer(dots + row).loadUnaligned(as: SIMD4<Double>.self)
            var bestLabel = SIMD4<Int64>.zero
            for cluster in 1..<clusters {
                let distance = SIMD4<Double>(repeating: norms[cluster])
                    - 2 * UnsafeRawPointer(dots + cluster * rows + row).loadUnaligned(as: SIMD4<Double>.self)
                let closer = distance .< bestDistance
                bestDistance.replace(with: distance, where: closer)
                bestLabel.replace(with: Int64(cluster), where: closer)
            }
            for lane in 0..<4 { labels[row + lane] = Int32(truncatingIfNeeded: bestLabel[lane]) }
            row += 4
        }
        nearestCentersScalar(dots: dots, norms: norms, clusters: clusters, rows: vectorRows..<rows, into: labels)
    }
}

extension KMeansScalar {
    /// The same arg-min, one row at a time: for the rows left over after the SIMD steps.
    static func nearestCentersScalar(dots: UnsafePointer<Self>, norms: UnsafePointer<Self>, clusters: Int, rows: Range<Int>,
                                     into labels: UnsafeMutablePointer<Int32>) {
        let stride = rows.upperBound
        for row in rows {
            var bestDistance = norms[0] - 2 * dots[row]
            var bestLabel = 0
            for cluster in 1..<clusters {
                let distance = norms[cluster] - 2 * dots[cluster * stride + row]
                if distance < bestDistance { bestDistance = distance; bestLabel = cluster }
            }
            labels[row] = Int32(truncatingIfNeeded: bestLabel)
        }
    }
}
