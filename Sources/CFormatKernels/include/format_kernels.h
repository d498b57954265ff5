#ifndef SEGFLOW_FORMAT_KERNELS_H
#define SEGFLOW_FORMAT_KERNELS_H

#include <stdint.h>

/// Formats `values[0..<count]` as segflow writes reals (12 significant digits, plain decimal
/// notation, trailing zeros dropped) into 16-byte slots: `slots[2 * i]` holds the first eight
/// bytes of value i, lowest first, `slots[2 * i + 1]` the next eight, and `lengths[i]` how many
/// of them are the text. A value this kernel leaves to the general path gets length 255:
/// NaN and infinities, magnitudes below 0.01 or from 10^12 up, and the rare significand
/// whose rounding carries into a 13th digit.
void segflow_format_reals(const double *values, long count, uint64_t *slots, uint8_t *lengths);

#endif
