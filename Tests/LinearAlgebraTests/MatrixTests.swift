import LinearAlgebra
import Testing

@Suite struct MatrixTests {
    /// The reference the BLAS kernel must agree with.
    func naiveProduct(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Matrix<Double> {
        var c = Matrix<Double>(rows: a.rows, columns: b.columns)
        for i in 0..<a.rows {
            for j in 0..<b.columns {
                var sum = 0.0
                for k in 0..<a.columns { sum += a[i, k] * b[k, j] }
                c[i, j] = sum
            }
        }
        return c
    }

    @Test func gemmMatchesNaiveLoop() {
        var generator = SplitMix(seed: 7)
        let a = Matrix<Double>(rows: 37, columns: 13, elements: (0..<(37 * 13)).map { _ in generator.unit() - 0.5 })
        let b = Matrix<Double>(rows: 13, columns: 29, elements: (0..<(13 * 29)).map { _ in generator.unit() - 0.5 })
        let fast = a.multiplied(by: b)
        let slow = naiveProduct(a, b)
        for (x, y) in zip(fast.elements, slow.elements) {
            #expect(abs(x - y) <= 1e-12 * max(1, abs(y)))
        }
    }

    @Test func gemmAccumulatesWithBeta() {
        let a = Matrix<Double>(rows: 1, columns: 2, elements: [1, 2])
        let b = Matrix(rows: 2, columns: 1, elements: [3, 4])
        let c = Matrix(rows: 1, columns: 1, elements: [10])
        #expect(a.multiplied(by: b, alpha: 2, adding: c, beta: 0.5).elements == [27])
    }

    @Test func choleskySolvesHandComputedSystem() throws {
        // [[4, 2], [2, 3]] x = [2, 1]  =>  x = [0.5, 0]
        let a = Matrix<Double>(rows: 2, columns: 2, elements: [4, 2, 2, 3])
        let x = try a.solvingPositiveDefinite(Matrix(rows: 2, columns: 1, elements: [2, 1]))
        #expect(abs(x[0, 0] - 0.5) < 1e-14)
        #expect(abs(x[1, 0]) < 1e-14)
    }

    @Test func choleskyReportsSingularMatrix() {
        let collinear = Matrix<Double>(rows: 2, columns: 2, elements: [1, 1, 1, 1])
        #expect(throws: LinearAlgebraError.notPositiveDefinite(leadingMinor: 2)) {
            try collinear.solvingPositiveDefinite(Matrix(rows: 2, columns: 1, elements: [1, 1]))
        }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
