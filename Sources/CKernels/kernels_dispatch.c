// Picks the widest kernel variant this CPU runs, once, and forwards every call to it.
#include "pz_kernels.h"

#define PZ_DECLARE(suffix)                                                                           \
    void pz_silu_mul_##suffix(float *gate, const float *up, size_t n);                               \
    void pz_softmax_##suffix(float *row, size_t n, size_t width);                                                  \
    float pz_log_sum_exp_##suffix(const float *row, size_t n);                                       \
    void pz_rms_norm_##suffix(float *out, const float *x, const float *w, size_t rows, size_t c, float eps);

PZ_DECLARE(baseline)
#if defined(__x86_64__)
PZ_DECLARE(avx2)
PZ_DECLARE(avx512)
#endif

typedef struct {
    void (*silu_mul)(float *, const float *, size_t);
    void (*softmax)(float *, size_t, size_t);
    float (*log_sum_exp)(const float *, size_t);
    void (*rms_norm)(float *, const float *, const float *, size_t, size_t, float);
} pz_kernel_table;

#define PZ_TABLE(suffix) {pz_silu_mul_##suffix, pz_softmax_##suffix, pz_log_sum_exp_##suffix, pz_rms_norm_##suffix}

static const pz_kernel_table tables[] = {
    PZ_TABLE(baseline),
#if defined(__x86_64__)
    PZ_TABLE(avx2),
    PZ_TABLE(avx512),
#endif
};

static int supported(pz_kernels_isa isa) {
    switch (isa) {
    case PZ_KERNELS_BASELINE: return 1;
#if defined(__x86_64__)
    case PZ_KERNELS_AVX2: return __builtin_cpu_supports("avx2");
    case PZ_KERNELS_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#endif
    default: return 0;
    }
}

static pz_kernels_isa widest(void) {
    for (int isa = PZ_KERNELS_AVX512; isa > PZ_KERNELS_BASELINE; isa--)
        if (supported((pz_kernels_isa)isa)) return (pz_kernels_isa)isa;
    return PZ_KERNELS_BASELINE;
}

// -1 until the first call; then the variant in use. A benign race: every thread computes the same value.
static int active = -1;

pz_kernels_isa pz_kernels_active(void) {
    if (active < 0) active = widest();
    return (pz_kernels_isa)active;
}

int pz_kernels_use(pz_kernels_isa isa) {
    if (!supported(isa)) return 0;
    active = isa;
    return 1;
}

const char *pz_kernels_name(pz_kernels_isa isa) {
    switch (isa) {
    case PZ_KERNELS_AVX512: return "avx512";
    case PZ_KERNELS_AVX2: return "avx2";
    default: return "baseline";
    }
}

static inline const pz_kernel_table *table(void) { return &tables[pz_kernels_active()]; }

void pz_silu_mul(float *gate, const float *up, size_t n) { table()->silu_mul(gate, up, n); }
void pz_softmax(float *row, size_t n, size_t width) { table()->softmax(row, n, width); }
float pz_log_sum_exp(const float *row, size_t n) { return table()->log_sum_exp(row, n); }
void pz_rms_norm(float *out, const float *x, const float *w, size_t rows, size_t c, float eps) {
    table()->rms_norm(out, x, w, rows, c, eps);
}
