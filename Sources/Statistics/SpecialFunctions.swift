#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Special functions the customer-base models need, in log space.
public enum SpecialFunctions {
    /// ln Γ(x) for x > 0.
    @inlinable
    public static func logGamma(_ x: Double) -> Double {
        var sign: Int32 = 0
        return lgamma_r(x, &sign)
    }

    /// ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b).
    @inlinable
    public static func logBeta(_ a: Double, _ b: Double) -> Double {
        logGamma(a) + logGamma(b) - logGamma(a + b)
    }

    /// The digamma function ψ(x) = d/dx ln Γ(x), for x > 0: the recurrence
    /// ψ(x) = ψ(x + 1) − 1/x up to x ≥ 12, then the asymptotic series (Abramowitz & Stegun 6.3.18).
    public static func digamma(_ x: Double) -> Double {
        var value = x
        var result = 0.0
        while value < 12 {
            result -= 1 / value
            value += 1
        }
        let inverse = 1 / value, inverse2 = inverse * inverse
        let series = inverse2 * (1.0 / 12 - inverse2 * (1.0 / 120 - inverse2 * (1.0 / 252 - inverse2 * (1.0 / 240 - inverse2 * (1.0 / 132)))))
        return result + log(value) - 0.5 * inverse - series
    }

    /// ln(e^a + e^b) without overflow.
    @inlinable
    public static func logSumExp(_ a: Double, _ b: Double) -> Double {
        let high = max(a, b)
        guard high > -.infinity else { return -.infinity }
        return high + log(exp(a - high) + exp(b - high))
    }
}
