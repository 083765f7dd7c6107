// The forward pass's element-wise kernels, in C so that one source compiles to several instruction sets
// (AVX-512, AVX2, the architecture's baseline) and the widest the CPU supports is picked at run time.
// Swift compiles for the baseline only (SSE2 on x86-64), which left these loops at a quarter of the vector width.
//
// Every variant performs the same IEEE operations in the same order (no FMA contraction), so their results are
// bit-identical; `pz_kernels_use` lets tests check that. All pointers are to row-major float32 data.
#ifndef PZ_KERNELS_H
#define PZ_KERNELS_H

#include <stddef.h>

/// The instruction sets a variant may be compiled for, widest last.
typedef enum { PZ_KERNELS_BASELINE = 0, PZ_KERNELS_AVX2 = 1, PZ_KERNELS_AVX512 = 2 } pz_kernels_isa;

/// The variant in use (the widest this CPU supports, unless `pz_kernels_use` chose another).
pz_kernels_isa pz_kernels_active(void);
/// Selects a variant; returns 0 if this CPU or build lacks it (the active one is unchanged).
int pz_kernels_use(pz_kernels_isa isa);
/// "avx512", "avx2" or "baseline".
const char *pz_kernels_name(pz_kernels_isa isa);

/// gate[i] = silu(gate[i]) · up[i] = gate[i] / (1 + e^−gate[i]) · up[i], for i < n.
void pz_silu_mul(float *gate, const float *up, size_t n);
/// row[0..<n] = softmax(row[0..<n]), shifted by the row maximum; row[n..<width] = 0 (masked positions).
void pz_softmax(float *row, size_t n, size_t width);
/// log Σ e^row[i], shifted by the row maximum.
float pz_log_sum_exp(const float *row, size_t n);
/// out[r] = x[r] / sqrt(mean(x[r]²) + eps) ⊙ weight, for rows r < rows of width c; out may equal x.
void pz_rms_norm(float *out, const float *x, const float *weight, size_t rows, size_t c, float eps);

/// The CPUs this process may run on (its affinity mask on Linux; the online CPUs elsewhere), at least 1.
int pz_usable_cpus(void);

#endif
