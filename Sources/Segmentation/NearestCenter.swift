import CKMeansKernels
import LinearAlgebra

/// The kernels of k-means' assignment step. The arg-min is C (CKMeansKernels), built for
/// several instruction sets; the distance is written against the concrete SIMD types, since
/// only those lower to vector instructions (generic `SIMD` code runs lane by lane).
public protocol KMeansScalar: BLASScalar {
    /// For each of `rows` rows, the cluster `c` minimising `norms[c] - 2 * dots[c * rows + row]`
    /// (the first on ties), that minimum, and the smallest value over the other clusters
    /// (infinity for one cluster): the row's squared distances to its nearest and next-nearest
    /// centre, less the row's own squared norm. `dots` is cluster-major, as the GEMM of
    /// `KMeans.Problem` leaves it.
    static func nearestTwoCenters(dots: UnsafePointer<Self>, norms: UnsafePointer<Self>, clusters: Int, rows: Int,
                                  labels: UnsafeMutablePointer<Int32>, nearest: UnsafeMutablePointer<Self>,
                                  runnerUp: UnsafeMutablePointer<Self>)

    /// `sum((a[i] - b[i])^2)` over `count` elements, in any order of summation.
    static func squaredDistance(_ a: UnsafePointer<Self>, _ b: UnsafePointer<Self>, count: Int) -> Self
}

extension Float: KMeansScalar {
    public static func nearestTwoCenters(dots: UnsafePointer<Float>, norms: UnsafePointer<Float>, clusters: Int, rows: Int,
                                         labels: UnsafeMutablePointer<Int32>, nearest: UnsafeMutablePointer<Float>,
                                         runnerUp: UnsafeMutablePointer<Float>) {
        segflow_nearest_two_f32(dots, norms, clusters, rows, labels, nearest, runnerUp)
    }

    @inline(__always)
    public static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var sums = SIMD8<Float>.zero
        var index = 0
        while index + 8 <= count {
            let difference = UnsafeRawPointer(a + index).loadUnaligned(as: SIMD8<Float>.self)
                - UnsafeRawPointer(b + index).loadUnaligned(as: SIMD8<Float>.self)
            sums += difference * difference
            index += 8
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


extension Double: KMeansScalar {
    public static func nearestTwoCenters(dots: UnsafePointer<Double>, norms: UnsafePointer<Double>, clusters: Int, rows: Int,
                                         labels: UnsafeMutablePointer<Int32>, nearest: UnsafeMutablePointer<Double>,
                                         runnerUp: UnsafeMutablePointer<Double>) {
        segflow_nearest_two_f64(dots, norms, clusters, rows, labels, nearest, runnerUp)
    }

    @inline(__always)
    public static func squaredDistance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, count: Int) -> Double {
        var sums = SIMD4<Double>.zero
        var index = 0
        while index + 4 <= count {
            let difference = UnsafeRawPointer(a + index).loadUnaligned(as: SIMD4<Double>.self)
                - UnsafeRawPointer(b + index).loadUnaligned(as: SIMD4<Double>.self)
            sums += difference * difference
            index += 4
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
