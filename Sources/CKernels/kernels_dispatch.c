// Picks the widest kernel variant this CPU runs, once, and forwards every call to it.
#include <stdlib.h>
#include <string.h>
#include "pz_kernels.h"

#define PZ_DECLARE(suffix)                                                                           \
    void pz_silu_mul_##suffix(float *gate, const float *up, size_t n);                               \
    void pz_exp_##suffix(float *out, const float *x, size_t n);                                      \
    void pz_silu_mul_backward_##suffix(float *dgate, float *dup, const float *dh, const float *gate, const float *up, \
                                       size_t n);                                                    \
    void pz_softmax_##suffix(float *row, size_t n, size_t width);                                                  \
    float pz_log_sum_exp_##suffix(const float *row, size_t n);                                       \
    void pz_rms_norm_##suffix(float *out, const float *x, const float *w, size_t rows, size_t c, float eps);

#define PZ_DECLARE_ATTENTION(suffix)                                                                 \
    void pz_attention_head_tiled_##suffix(float *out, const float *q, const float *k, const float *v, size_t t, \
                                          size_t d, size_t q_stride, size_t kv_stride, float scale, float *scratch, \
                                          size_t qb, size_t kb);

PZ_DECLARE(baseline)
#if defined(__x86_64__)
PZ_DECLARE(avx2)
PZ_DECLARE(avx512)
PZ_DECLARE_ATTENTION(avx2)
PZ_DECLARE_ATTENTION(avx512)
#endif

typedef struct {
    void (*silu_mul)(float *, const float *, size_t);
    void (*exp)(float *, const float *, size_t);
    void (*silu_mul_backward)(float *, float *, const float *, const float *, const float *, size_t);
    void (*softmax)(float *, size_t, size_t);
    float (*log_sum_exp)(const float *, size_t);
    void (*rms_norm)(float *, const float *, const float *, size_t, size_t, float);
    // NULL where the instruction set has no FMA (the baseline): attention then stays on sgemm.
    void (*attention_head)(float *, const float *, const float *, const float *, size_t, size_t, size_t, size_t, float,
                           float *, size_t, size_t);
} pz_kernel_table;

#define PZ_TABLE(suffix, attention) \
    {pz_silu_mul_##suffix, pz_exp_##suffix, pz_silu_mul_backward_##suffix, pz_softmax_##suffix, pz_log_sum_exp_##suffix, pz_rms_norm_##suffix, attention}

static const pz_kernel_table tables[] = {
    PZ_TABLE(baseline, 0),
#if defined(__x86_64__)
    PZ_TABLE(avx2, pz_attention_head_tiled_avx2),
    PZ_TABLE(avx512, pz_attention_head_tiled_avx512),
#endif
};

static int supported(pz_kernels_isa isa) {
    switch (isa) {
    case PZ_KERNELS_BASELINE: return 1;
#if defined(__x86_64__)
    case PZ_KERNELS_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case PZ_KERNELS_AVX512:
        return __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#endif
    default: return 0;
    }
}

// The widest supported variant, or the one PRUNERZERO_KERNELS names (baseline, avx2, avx512) if this CPU has it:
// for comparing variants on a whole run, or sidestepping one suspected of a fault.
static pz_kernels_isa widest(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();   // normally run by a constructor already; cheap and safe to repeat
#endif
    const char *asked = getenv("PRUNERZERO_KERNELS");
    if (asked)
        for (int isa = PZ_KERNELS_BASELINE; isa <= PZ_KERNELS_AVX512; isa++)
            if (strcmp(asked, pz_kernels_name((pz_kernels_isa)isa)) == 0 && supported((pz_kernels_isa)isa))
                return (pz_kernels_isa)isa;
    for (int isa = PZ_KERNELS_AVX512; isa > PZ_KERNELS_BASELINE; isa--)
        if (supported((pz_kernels_isa)isa)) return (pz_kernels_isa)isa;
    return PZ_KERNELS_BASELINE;
}

// -1 until the first call; then the widest variant. Threads may race to set it, all to the same value; the
// atomic accesses make that race well-defined.
static int widest_supported = -1;
// A variant chosen for the calling thread only (tests compare variants without disturbing other threads), or -1.
static _Thread_local int thread_choice = -1;

pz_kernels_isa pz_kernels_active(void) {
    if (thread_choice >= 0) return (pz_kernels_isa)thread_choice;
    int isa = __atomic_load_n(&widest_supported, __ATOMIC_RELAXED);
    if (isa < 0) {
        isa = widest();
        __atomic_store_n(&widest_supported, isa, __ATOMIC_RELAXED);
    }
    return (pz_kernels_isa)isa;
}

int pz_kernels_use_on_this_thread(pz_kernels_isa isa) {
    if (!supported(isa)) return 0;
    thread_choice = isa;
    return 1;
}

void pz_kernels_use_default_on_this_thread(void) { thread_choice = -1; }

const char *pz_kernels_name(pz_kernels_isa isa) {
    switch (isa) {
    case PZ_KERNELS_AVX512: return "avx512";
    case PZ_KERNELS_AVX2: return "avx2";
    default: return "baseline";
    }
}

static inline const pz_kernel_table *table(void) { return &tables[pz_kernels_active()]; }

void pz_silu_mul(float *gate, const float *up, size_t n) { table()->silu_mul(gate, up, n); }
void pz_exp(float *out, const float *x, size_t n) { table()->exp(out, x, n); }
void pz_silu_mul_backward(float *dgate, float *dup, const float *dh, const float *gate, const float *up, size_t n) {
    table()->silu_mul_backward(dgate, dup, dh, gate, up, n);
}
void pz_softmax(float *row, size_t n, size_t width) { table()->softmax(row, n, width); }
float pz_log_sum_exp(const float *row, size_t n) { return table()->log_sum_exp(row, n); }
void pz_rms_norm(float *out, const float *x, const float *w, size_t rows, size_t c, float eps) {
    table()->rms_norm(out, x, w, rows, c, eps);
}

int pz_attention_supported(size_t d) {
    return table()->attention_head != 0 && d % 16 == 0 && d >= 16 && d <= 128;
}

size_t pz_attention_scratch_tiled(size_t t, size_t d, size_t query_block, size_t key_block) {
    return (t + key_block - 1) / key_block * key_block * d + 4 * key_block + 2 * query_block;
}

size_t pz_attention_scratch(size_t t, size_t d) {
    return pz_attention_scratch_tiled(t, d, PZ_ATTENTION_QUERY_BLOCK, PZ_ATTENTION_KEY_BLOCK);
}

int pz_attention_tiles_valid(size_t query_block, size_t key_block) {
    return query_block >= 1 && key_block >= 16 && key_block % 16 == 0;
}

void pz_attention_head_tiled(float *out, const float *q, const float *k, const float *v, size_t t, size_t d,
                             size_t q_stride, size_t kv_stride, float scale, float *scratch, size_t query_block,
                             size_t key_block) {
    table()->attention_head(out, q, k, v, t, d, q_stride, kv_stride, scale, scratch, query_block, key_block);
}

void pz_attention_head(float *out, const float *q, const float *k, const float *v, size_t t, size_t d, size_t q_stride,
                       size_t kv_stride, float scale, float *scratch) {
    pz_attention_head_tiled(out, q, k, v, t, d, q_stride, kv_stride, scale, scratch, PZ_ATTENTION_QUERY_BLOCK,
                            PZ_ATTENTION_KEY_BLOCK);
}
