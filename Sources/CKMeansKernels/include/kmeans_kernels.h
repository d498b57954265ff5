#ifndef SEGFLOW_KMEANS_KERNELS_H
#define SEGFLOW_KMEANS_KERNELS_H

#include <stdint.h>

/// For each of `rows` rows, the cluster c minimising norms[c] - 2 * dots[c * rows + row] (the
/// first on ties), that minimum, and the smallest value over the other clusters (infinity for
/// one cluster). `dots` is cluster-major: the k x rows product of a k-means GEMM.
void segflow_nearest_two_f32(const float *dots, const float *norms, long clusters, long rows,
                             int32_t *labels, float *nearest, float *runner_up);
void segflow_nearest_two_f64(const double *dots, const double *norms, long clusters, long rows,
                             int32_t *labels, double *nearest, double *runner_up);

#endif
