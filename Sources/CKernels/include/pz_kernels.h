// The forward pass's element-wise kernels and causal attention, in C so that one source compiles to several
// instruction sets (AVX-512, AVX2 with FMA, the architecture's baseline) and the widest the CPU supports is picked
// at run time. Swift compiles for the baseline only (SSE2 on x86-64), a quarter of this CPU's vector width.
//
// Every variant performs the same IEEE operations in the same order (no FMA contraction), so their results are
// bit-identical; attention, written with fused multiply-adds, exists only in the FMA variants, which agree with each
// other. `pz_kernels_use_on_this_thread` lets tests check both. All pointers are to row-major float32 data.
#ifndef PZ_KERNELS_H
#define PZ_KERNELS_H

#include <stddef.h>

/// The instruction sets a variant may be compiled for, widest last.
typedef enum { PZ_KERNELS_BASELINE = 0, PZ_KERNELS_AVX2 = 1, PZ_KERNELS_AVX512 = 2 } pz_kernels_isa;

/// The variant the calling thread uses: the widest this CPU supports, unless it chose another.
pz_kernels_isa pz_kernels_active(void);
/// Selects a variant for the calling thread only; returns 0 if this CPU or build lacks it (nothing changes).
int pz_kernels_use_on_this_thread(pz_kernels_isa isa);
/// Returns the calling thread to the widest variant.
void pz_kernels_use_default_on_this_thread(void);
/// "avx512", "avx2" or "baseline".
const char *pz_kernels_name(pz_kernels_isa isa);

/// gate[i] = silu(gate[i]) · up[i] = gate[i] / (1 + e^−gate[i]) · up[i], for i < n.
void pz_silu_mul(float *gate, const float *up, size_t n);
/// out[i] = e^x[i] for i < n, by the Cephes-style polynomial every kernel here uses (≤ 2 ulp on [−87.3, 88]).
void pz_exp(float *out, const float *x, size_t n);
/// The backward of pz_silu_mul: for h = silu(g)·u with σ = 1/(1 + e^−g), dgate = dh·u·σ·(1 + g·(1 − σ)) and
/// dup = dh·g·σ, for i < n (written, not accumulated).
void pz_silu_mul_backward(float *dgate, float *dup, const float *dh, const float *gate, const float *up, size_t n);
/// row[0..<n] = softmax(row[0..<n]), shifted by the row maximum; row[n..<width] = 0 (masked positions).
void pz_softmax(float *row, size_t n, size_t width);
/// log Σ e^row[i], shifted by the row maximum.
float pz_log_sum_exp(const float *row, size_t n);
/// out[r] = x[r] / sqrt(mean(x[r]²) + eps) ⊙ weight, for rows r < rows of width c; out may equal x.
void pz_rms_norm(float *out, const float *x, const float *weight, size_t rows, size_t c, float eps);

/// Whether `pz_attention_head` handles head dimension d here: a multiple of 16 up to 128, on a variant with FMA.
int pz_attention_supported(size_t d);
/// The tile sizes `pz_attention_head` uses: query rows per block and keys per tile (a multiple of 16). They fix
/// the rounding (the online softmax rescales at tile edges), so they are constants, the same on every node.
#define PZ_ATTENTION_QUERY_BLOCK 64
#define PZ_ATTENTION_KEY_BLOCK 64
/// Floats of scratch `pz_attention_head` needs for t tokens and head dimension d: O(t·d), never t².
size_t pz_attention_scratch(size_t t, size_t d);
/// Causal attention of one (window, head): out[i] = Σ_{j ≤ i} softmax_j(scale · q[i]·k[j]) · v[j] for i < t, rows of
/// q and out `q_stride` floats apart, of k and v `kv_stride` apart (one head inside (T, H·D) buffers). Only where
/// pz_attention_supported(d). Tiled over queries and keys with an online softmax; products are fused multiply-adds
/// in key order: the same bits in every variant.
void pz_attention_head(float *out, const float *q, const float *k, const float *v, size_t t, size_t d, size_t q_stride,
                       size_t kv_stride, float scale, float *scratch);
/// pz_attention_head with other tile sizes (tests: tiles small enough that short windows span several), valid where
/// pz_attention_tiles_valid; scratch of pz_attention_scratch_tiled floats.
void pz_attention_head_tiled(float *out, const float *q, const float *k, const float *v, size_t t, size_t d,
                             size_t q_stride, size_t kv_stride, float scale, float *scratch, size_t query_block,
                             size_t key_block);
int pz_attention_tiles_valid(size_t query_block, size_t key_block);
size_t pz_attention_scratch_tiled(size_t t, size_t d, size_t query_block, size_t key_block);

/// The CPUs this process may run on (its affinity mask on Linux; the online CPUs elsewhere), at least 1.
int pz_usable_cpus(void);

#endif
