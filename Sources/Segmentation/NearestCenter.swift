import CKMeansKernels
import LinearAlgebra

/// The kernels of k-means' assignment step. The arg-min is C (CKMeansKernels), built for
/// several instruction sets. The distance is Swift on `Lanes`; it must be inlined into
/// specialised code to run as vector instructions (unspecialised `SIMD` code runs lane by lane).
public protocol KMeansScalar: BLASScalar {
    /// For each of `rows` rows, the cluster `c` minimising `norms[c] - 2 * dots[c * rows + row]`
    /// (the first on ties), that minimum, and the smallest value over the other clusters
    /// (infinity for one cluster): the row's squared distances to its nearest and next-nearest
    /// centre, less the row's own squared norm. `dots` is cluster-major, as the GEMM of
    /// `KMeans.Problem` leaves it.
    static func nearestTwoCenters(
        dots: UnsafePointer<Self>, norms: UnsafePointer<Self>, clusters: Int, rows: Int,
        labels: UnsafeMutablePointer<Int32>, nearest: UnsafeMutablePointer<Self>,
        runnerUp: UnsafeMutablePointer<Self>)

    /// The SIMD vector the distance below runs on: 8 Floats or 4 Doubles (two SSE registers).
    associatedtype Lanes: SIMD where Lanes.Scalar == Self
}

extension Float: KMeansScalar {
    public typealias Lanes = SIMD8<Float>

    public static func nearestTwoCenters(
        dots: UnsafePointer<Float>, norms: UnsafePointer<Float>, clusters: Int, rows: Int,
        labels: UnsafeMutablePointer<Int32>, nearest: UnsafeMutablePointer<Float>,
        runnerUp: UnsafeMutablePointer<Float>
    ) {
        segflow_nearest_two_f32(dots, norms, clusters, rows, labels, nearest, runnerUp)
    }
}

extension Double: KMeansScalar {
    public typealias Lanes = SIMD4<Double>

    public static func nearestTwoCenters(
        dots: UnsafePointer<Double>, norms: UnsafePointer<Double>, clusters: Int, rows: Int,
        labels: UnsafeMutablePointer<Int32>, nearest: UnsafeMutablePointer<Double>,
        runnerUp: UnsafeMutablePointer<Double>
    ) {
        segflow_nearest_two_f64(dots, norms, clusters, rows, labels, nearest, runnerUp)
    }
}

extension KMeansScalar {
    /// `sum((a[i] - b[i])^2)` over `count` elements, `Lanes` at a time. Inlined into the
    /// specialised callers, where `Lanes` is a concrete vector type.
    @inline(__always)
    static func squaredDistance(_ a: UnsafePointer<Self>, _ b: UnsafePointer<Self>, count: Int) -> Self {
        var sums = Lanes()
        var index = 0
        while index + Lanes.scalarCount <= count {
            let difference =
                UnsafeRawPointer(a + index).loadUnaligned(as: Lanes.self)
                - UnsafeRawPointer(b + index).loadUnaligned(as: Lanes.self)
            sums += difference * difference
            index += Lanes.scalarCount
        }
        var total = sums.sum()
        while index < count {
            let difference = a[index] - b[index]
            total += difference * difference
            index += 1
        }
        return total
    }
}

/// Each point's nearest centre by squared Euclidean distance (ties to the lower index), and
/// the sum of those squared distances: for scoring against stored centres and for small
/// samples, where the blocked GEMM kernels of Lloyd's iterations are not worth setting up.
enum NearestCenters {
    static func assign<Scalar: BLASScalar>(_ points: Matrix<Scalar>, centers: Matrix<Scalar>) -> (labels: [Int32], inertia: Double) {
        var labels = [Int32](repeating: 0, count: points.rows)
        var inertia = 0.0
        for row in 0..<points.rows {
            var best = Double.infinity
            for center in 0..<centers.rows {
                var distance = 0.0
                for column in 0..<points.columns {
                    let difference = Double(points[row, column]) - Double(centers[center, column])
                    distance += difference * difference
                }
                if distance < best {
                    best = distance
                    labels[row] = Int32(center)
                }
            }
            inertia += best
        }
        return (labels, inertia)
    }
}
