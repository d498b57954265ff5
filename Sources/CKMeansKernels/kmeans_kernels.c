// The arg-min of k-means' assignment step in C, because clang can build it for several
// instruction sets and pick one at load time (target_clones): Swift compiles for the baseline
// x86-64 only, where this loop runs two doubles at a time instead of eight.
#include "kmeans_kernels.h"

#include <math.h>

// The same bits on every instruction set: `n - 2 * d` stays one rounding, never a fused one.
#pragma clang fp contract(off)

#if defined(__x86_64__) && defined(__linux__)
#define SEGFLOW_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SEGFLOW_CLONES
#endif

// Rows are taken a slice at a time so that the running best, second best and label of the
// slice stay in L1 while every cluster's row of `dots` streams past them.
enum { slice_rows = 256 };

#define DEFINE_NEAREST_TWO(name, scalar, infinity)                                                       \
    SEGFLOW_CLONES void name(const scalar *dots, const scalar *norms, long clusters, long rows,           \
                             int32_t *labels, scalar *nearest, scalar *runner_up) {                      \
        for (long start = 0; start < rows; start += slice_rows) {                                        \
            long end = start + slice_rows < rows ? start + slice_rows : rows;                            \
            for (long row = start; row < end; row++) {                                                   \
                nearest[row] = norms[0] - 2 * dots[row];                                                 \
                runner_up[row] = infinity;                                                               \
                labels[row] = 0;                                                                         \
            }                                                                                            \
            for (long cluster = 1; cluster < clusters; cluster++) {                                      \
                const scalar *products = dots + cluster * rows;                                          \
                scalar norm = norms[cluster];                                                            \
                for (long row = start; row < end; row++) {                                               \
                    scalar distance = norm - 2 * products[row];                                          \
                    scalar best = nearest[row];                                                          \
                    int closer = distance < best;                                                        \
                    scalar second = runner_up[row];                                                      \
                    runner_up[row] = closer ? best : (distance < second ? distance : second);            \
                    nearest[row] = closer ? distance : best;                                             \
                    labels[row] = closer ? (int32_t)cluster : labels[row];                               \
                }                                                                                        \
            }                                                                                            \
        }                                                                                                \
    }

DEFINE_NEAREST_TWO(segflow_nearest_two_f32, float, INFINITY)
DEFINE_NEAREST_TWO(segflow_nearest_two_f64, double, (double)INFINITY)
