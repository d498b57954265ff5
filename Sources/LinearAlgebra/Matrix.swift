import CBLAS

/// A dense row-major matrix: the storage the BLAS/LAPACK kernels work on.
public struct Matrix<Scalar: BLASScalar>: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    public var elements: [Scalar]

    public init(rows: Int, columns: Int, elements: [Scalar]) {
        precondition(elements.count == rows * columns, "expected \(rows * columns) elements, got \(elements.count)")
        self.rows = rows
        self.columns = columns
        self.elements = elements
    }

    public init(rows: Int, columns: Int, repeating value: Scalar = 0) {
        self.init(rows: rows, columns: columns, elements: [Scalar](repeating: value, count: rows * columns))
    }

    public subscript(row: Int, column: Int) -> Scalar {
        get { elements[row * columns + column] }
        set { elements[row * columns + column] = newValue }
    }

    /// `alpha * self * other + beta * accumulator` through BLAS gemm.
    /// The given rows, in that order.
    public func selecting(rows indices: [Int]) -> Matrix {
        var selected = [Scalar]()
        selected.reserveCapacity(indices.count * columns)
        for row in indices { selected.append(contentsOf: elements[(row * columns)..<((row + 1) * columns)]) }
        return Matrix(rows: indices.count, columns: columns, elements: selected)
    }

    public func multiplied(by other: Matrix, alpha: Scalar = 1, adding accumulator: Matrix? = nil, beta: Scalar = 0) -> Matrix {
        precondition(columns == other.rows, "inner dimensions differ: \(columns) vs \(other.rows)")
        var result = accumulator ?? Matrix(rows: rows, columns: other.columns)
        precondition(result.rows == rows && result.columns == other.columns)
        guard rows > 0, other.columns > 0, columns > 0 else { return result }
        elements.withUnsafeBufferPointer { a in
            other.elements.withUnsafeBufferPointer { b in
                result.elements.withUnsafeMutableBufferPointer { c in
                    Scalar.gemm(
                        transposeA: false, transposeB: false, m: rows, n: other.columns, k: columns, alpha: alpha,
                        a: a.baseAddress!, lda: columns, b: b.baseAddress!, ldb: other.columns,
                        beta: accumulator == nil ? 0 : beta, c: c.baseAddress!, ldc: other.columns)
                }
            }
        }
        return result
    }
}

/// Why a LAPACK factorisation gave up.
public enum LinearAlgebraError: Error, Equatable, CustomStringConvertible {
    /// The matrix is not positive definite: its leading minor of this order is not positive
    /// (collinear or constant columns, typically).
    case notPositiveDefinite(leadingMinor: Int)
    case invalidArgument(position: Int)

    public var description: String {
        switch self {
        case .notPositiveDefinite(let minor):
            return "matrix is not positive definite (leading minor \(minor)); columns may be collinear or constant"
        case .invalidArgument(let position):
            return "LAPACK rejected argument \(position)"
        }
    }
}

extension Matrix where Scalar == Double {
    /// Solves `self * X = rightHandSide` for symmetric positive definite `self` by Cholesky
    /// factorisation (`LAPACKE_dposv`).
    public func solvingPositiveDefinite(_ rightHandSide: Matrix) throws -> Matrix {
        precondition(rows == columns, "matrix must be square")
        precondition(rightHandSide.rows == rows)
        var factor = elements
        var solution = rightHandSide.elements
        let info = factor.withUnsafeMutableBufferPointer { a in
            solution.withUnsafeMutableBufferPointer { b in
                LAPACKE_dposv(
                    LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), Int32(rows), Int32(rightHandSide.columns),
                    a.baseAddress, Int32(rows), b.baseAddress, Int32(rightHandSide.columns))
            }
        }
        if info > 0 { throw LinearAlgebraError.notPositiveDefinite(leadingMinor: Int(info)) }
        if info < 0 { throw LinearAlgebraError.invalidArgument(position: Int(-info)) }
        return Matrix(rows: rightHandSide.rows, columns: rightHandSide.columns, elements: solution)
    }
}
