// Reals of a table column formatted many at a time, in C because clang vectorizes this loop
// for the instruction set found at load time (target_clones): the same steps one value at a
// time cost about 20 ns each in Swift, built for baseline x86-64. The text must be the same
// bytes as TableWriter.real, which stays the definition and the path for every value this
// kernel leaves out.
#include "format_kernels.h"

#include <string.h>

// `magnitude * power + 0.5` is two roundings, as in Swift: never one fused multiply-add.
#pragma clang fp contract(off)

#if defined(__x86_64__) && defined(__linux__)
#define SEGFLOW_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define SEGFLOW_CLONES
#endif

static const double powers_of_ten[] = {
    1e-22, 1e-21, 1e-20, 1e-19, 1e-18, 1e-17, 1e-16, 1e-15, 1e-14, 1e-13, 1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6,
    1e-5,  1e-4,  1e-3,  1e-2,  1e-1,  1e0,   1e1,   1e2,   1e3,   1e4,   1e5,   1e6,   1e7,  1e8,  1e9,  1e10, 1e11,
    1e12,  1e13,  1e14,  1e15,  1e16,  1e17,  1e18,  1e19,  1e20,  1e21,  1e22,
};

// The 8 decimal digits of `value` (below 10^8) as ASCII, first digit in the lowest byte:
// TableWriter.eightDigits, the same reciprocals. Divisions are written as multiplications,
// exact in the ranges used, because vector units have no 64-bit high multiply.
static inline uint64_t eight_digits(uint64_t value) {
    uint64_t thousands = (value * 109951163) >> 40;  // value / 10^4, exact below 2^27
    uint64_t fours = thousands | (value - 10000 * thousands) << 32;
    uint64_t hundreds = ((fours * 10486) >> 20) & 0x0000007F0000007Full;
    uint64_t twos = hundreds | (fours - 100 * hundreds) << 16;
    uint64_t tens = ((twos * 103) >> 10) & 0x000F000F000F000Full;
    return (tens | (twos - 10 * tens) << 8) | 0x3030303030303030ull;
}

static inline uint64_t shift_left(uint64_t word, uint64_t bits) { return bits >= 64 ? 0 : word << bits; }

SEGFLOW_CLONES void segflow_format_reals(const double *values, long count, uint64_t *slots, uint8_t *lengths) {
    for (long index = 0; index < count; index++) {
        double value = values[index];
        uint64_t bits;
        memcpy(&bits, &value, sizeof bits);
        uint64_t negative = bits >> 63;
        bits &= ~(1ull << 63);
        double magnitude;
        memcpy(&magnitude, &bits, sizeof magnitude);
        // Decimal exponent: floor(log10(2) * binary exponent) is at most one too small, which
        // one comparison mends. Estimates outside [-3, 11] (zero, NaN and infinity among them)
        // are left to the general path, as are exponents that end outside [-2, 11].
        int64_t estimate = (((int64_t)(bits >> 52) - 1023) * 78913) >> 18;
        int64_t clamped = estimate < -3 ? -3 : estimate > 11 ? 11 : estimate;
        int64_t exponent = clamped + (magnitude >= powers_of_ten[23 + clamped]);
        int supported = estimate == clamped && exponent >= -2 && exponent <= 11;
        int64_t shift = 11 - (exponent < -2 ? -2 : exponent > 11 ? 11 : exponent);
        double scaled = magnitude * powers_of_ten[22 + shift];
        // Half away from zero; below 2^44 adding 0.5 rounds nothing.
        double half_up = scaled + 0.5;
        uint64_t significand = half_up < 1e12 ? (uint64_t)half_up : 0;
        supported &= significand >= 100000000000ull && significand < 1000000000000ull;
        // The digits, first in the lowest byte: `low` holds digits 1-8, `high` digits 9-12.
        uint64_t upper = ((significand >> 8) * 2882303762ull) >> 50;  // significand / 10^8
        uint64_t lower_digits = eight_digits(significand - upper * 100000000);
        uint64_t low = eight_digits(upper) >> 32 | lower_digits << 32;
        uint64_t high = lower_digits >> 32;
        // Trailing "0" digits: zero bytes once "0" is taken away, counted from the top.
        uint64_t zeroed_high = (high ^ 0x30303030ull) << 32, zeroed_low = low ^ 0x3030303030303030ull;
        uint64_t trailing = zeroed_high ? (uint64_t)__builtin_clzll(zeroed_high) >> 3
                                        : 4 + ((uint64_t)__builtin_clzll(zeroed_low | 1) >> 3);
        int64_t integer_digits = exponent + 1;
        uint64_t text_low, text_high;
        int64_t length;
        if (integer_digits <= 0) {
            // "0." and as many zeros as -integer_digits, then the digits.
            uint64_t lead = 2 - integer_digits;
            uint64_t bits_lead = 8 * lead;
            text_low = 0x2E30ull | (lead == 3 ? 0x300000ull : 0) | low << bits_lead;
            text_high = high << bits_lead | low >> (64 - bits_lead);
            length = (int64_t)lead + 12 - (int64_t)trailing;
        } else if (integer_digits == 12) {
            text_low = low;
            text_high = high;
            length = 12;
        } else {
            // The point after `integer_digits` digits: the bytes above it move up by one.
            uint64_t point = 8 * (uint64_t)integer_digits;
            uint64_t keep_low = point >= 64 ? ~0ull : (1ull << point) - 1;
            uint64_t keep_high = point >= 64 ? (1ull << (point - 64)) - 1 : 0;
            uint64_t moved_low = low & ~keep_low, moved_high = high & ~keep_high;
            text_low = (low & keep_low) | moved_low << 8 | shift_left(0x2E, point);
            text_high = (high & keep_high) | moved_high << 8 | moved_low >> 56 | shift_left(0x2E, point - 64);
            int64_t fraction = 12 - integer_digits - (int64_t)trailing;
            length = fraction > 0 ? integer_digits + 1 + fraction : integer_digits;
        }
        // A sign moves everything up by one byte; the text must still fit in 16.
        if (negative) {
            text_high = text_high << 8 | text_low >> 56;
            text_low = text_low << 8 | 0x2D;
            length += 1;
        }
        supported &= length <= 16;
        // Zero of either sign is "0".
        int zero = bits == 0;
        text_low = zero ? 0x30 : text_low;
        length = zero ? 1 : length;
        supported |= zero;
        slots[2 * index] = text_low;
        slots[2 * index + 1] = text_high;
        lengths[index] = supported ? (uint8_t)length : 255;
    }
}
