// Causal attention of one (window, head), included once per FMA-capable instruction set with PZ_VARIANT(name)
// naming the copy. Replaces two sgemm calls per query block: at a head dimension of 32–128 those products are too
// small for sgemm to reach its rate (36 GFLOP/s here on the bundled model's shape, a third of its large-matrix rate).
//
// For query rows i0 … i0+R−1 (R rows share every load of K and V):
//   1. s[r][j] = scale · Σ_d q[i0+r][d] · k[j][d] for keys j < i0+R, from Kᵀ (D, Tp) laid out once per call, two
//      16-key segments at a time so 2R independent FMA chains hide the FMA latency;
//   2. s[r] = softmax over j ≤ i0+r (exact zeros after), the causal mask as a lane predicate;
//   3. out[i0+r] = Σ_j s[r][j] · v[j], D/16 accumulators per row.
// Products accumulate in key (or d) order with fused multiply-adds, identically in every variant that has this file.

static inline __attribute__((always_inline)) v16 PZ_VARIANT(fma)(v16 a, v16 b, v16 c) {
    return __builtin_elementwise_fma(a, b, c);
}

// Phase 1 for R rows: scores into s (R rows of stride tp), keys 0..<keys (rounded up to 16 with zero padding in kt).
static inline __attribute__((always_inline)) void PZ_VARIANT(scores)(
    float *s, size_t tp, const float *q, size_t q_stride, const float *kt, size_t keys, const size_t D, const int R,
    float scale) {
    const size_t segments = (keys + 15) / 16;
    size_t g = 0;
    for (; g + 2 <= segments; g += 2) {
        v16 acc[4][2] = {{0}};
        for (size_t d = 0; d < D; d++) {
            const v16 k0 = PZ_VARIANT(load)(kt + d * tp + g * 16), k1 = PZ_VARIANT(load)(kt + d * tp + g * 16 + 16);
#pragma clang loop unroll(full)
            for (int r = 0; r < R; r++) {
                const v16 qd = q[r * q_stride + d];
                acc[r][0] = PZ_VARIANT(fma)(qd, k0, acc[r][0]);
                acc[r][1] = PZ_VARIANT(fma)(qd, k1, acc[r][1]);
            }
        }
#pragma clang loop unroll(full)
        for (int r = 0; r < R; r++) {
            PZ_VARIANT(store)(s + r * tp + g * 16, acc[r][0] * scale);
            PZ_VARIANT(store)(s + r * tp + g * 16 + 16, acc[r][1] * scale);
        }
    }
    if (g < segments) {
        v16 acc[4] = {0};
        for (size_t d = 0; d < D; d++) {
            const v16 k0 = PZ_VARIANT(load)(kt + d * tp + g * 16);
#pragma clang loop unroll(full)
            for (int r = 0; r < R; r++) acc[r] = PZ_VARIANT(fma)((v16)q[r * q_stride + d], k0, acc[r]);
        }
#pragma clang loop unroll(full)
        for (int r = 0; r < R; r++) PZ_VARIANT(store)(s + r * tp + g * 16, acc[r] * scale);
    }
}

// Phase 3 for R rows: out[r] = Σ_{j < keys} s[r][j] · v[j] (s is zero past each row's last visible key).
static inline __attribute__((always_inline)) void PZ_VARIANT(weighted_values)(
    float *out, size_t out_stride, const float *s, size_t tp, const float *v, size_t kv_stride, size_t keys,
    const size_t D, const int R) {
    v16 acc[4][8] = {{0}};
    for (size_t j = 0; j < keys; j++) {
#pragma clang loop unroll(full)
        for (size_t c = 0; c < D / 16; c++) {
            const v16 vj = PZ_VARIANT(load)(v + j * kv_stride + c * 16);
#pragma clang loop unroll(full)
            for (int r = 0; r < R; r++) acc[r][c] = PZ_VARIANT(fma)((v16)s[r * tp + j], vj, acc[r][c]);
        }
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < R; r++)
#pragma clang loop unroll(full)
        for (size_t c = 0; c < D / 16; c++) PZ_VARIANT(store)(out + r * out_stride + c * 16, acc[r][c]);
}

// softmax over row[0..<valid] in place, exact zeros in row[valid..<width] (width a multiple of 16 that the scores
// phase filled). Whole vectors with the causal mask as a lane predicate, instead of pz_softmax's partial-vector
// tail, which dominated short rows. Same operations on the visible entries as pz_softmax, so the same bits.
static inline __attribute__((always_inline)) void PZ_VARIANT(causal_softmax)(float *row, size_t valid, size_t width) {
    const v16i lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    const v16 minus_inf = -__builtin_inff();
    v16 mx = minus_inf;
    for (size_t j = 0; j < width; j += 16) {
        const v16i visible = (lane + (int)j) < (int)valid;
        const v16 x = PZ_VARIANT(select)(visible, minus_inf, PZ_VARIANT(load)(row + j));
        mx = PZ_VARIANT(select)(mx < x, mx, x);
    }
    float m = -__builtin_inff();
    for (int i = 0; i < 16; i++) m = mx[i] > m ? mx[i] : m;
    v16 acc = 0;
    for (size_t j = 0; j < width; j += 16) {
        const v16i visible = (lane + (int)j) < (int)valid;
        const v16 e = PZ_VARIANT(select)(visible, (v16)0.0f, PZ_VARIANT(exp)(PZ_VARIANT(load)(row + j) - m));
        PZ_VARIANT(store)(row + j, e);
        acc += e;
    }
    const float inv = 1.0f / PZ_VARIANT(hsum)(acc);
    for (size_t j = 0; j < width; j += 16) PZ_VARIANT(store)(row + j, PZ_VARIANT(load)(row + j) * inv);
}

// All query rows with R rows per block (a tail block of fewer rows goes one row at a time), for a constant D.
static inline __attribute__((always_inline)) void PZ_VARIANT(attention_d)(
    float *out, const float *q, const float *k, const float *v, size_t t, const size_t D, size_t q_stride,
    size_t kv_stride, float scale, float *scratch, const int R) {
    const size_t tp = (t + 15) / 16 * 16;
    float *kt = scratch, *s = scratch + D * tp;   // Kᵀ (D, tp), scores (R, tp)
    for (size_t d = 0; d < D; d++) {
        for (size_t j = 0; j < t; j++) kt[d * tp + j] = k[j * kv_stride + d];
        for (size_t j = t; j < tp; j++) kt[d * tp + j] = 0;
    }
    size_t i0 = 0;
    for (; i0 + R <= t; i0 += R) {
        const size_t keys = i0 + R;
        PZ_VARIANT(scores)(s, tp, q + i0 * q_stride, q_stride, kt, keys, D, R, scale);
        for (int r = 0; r < R; r++) PZ_VARIANT(causal_softmax)(s + r * tp, i0 + r + 1, (keys + 15) / 16 * 16);
        PZ_VARIANT(weighted_values)(out + i0 * q_stride, q_stride, s, tp, v, kv_stride, keys, D, R);
    }
    for (; i0 < t; i0++) {
        const size_t keys = i0 + 1;
        PZ_VARIANT(scores)(s, tp, q + i0 * q_stride, q_stride, kt, keys, D, 1, scale);
        PZ_VARIANT(causal_softmax)(s, keys, (keys + 15) / 16 * 16);
        PZ_VARIANT(weighted_values)(out + i0 * q_stride, q_stride, s, tp, v, kv_stride, keys, D, 1);
    }
}

void PZ_VARIANT(pz_attention_head)(float *out, const float *q, const float *k, const float *v, size_t t, size_t d,
                                   size_t q_stride, size_t kv_stride, float scale, float *scratch) {
    switch (d) {
    case 16: PZ_VARIANT(attention_d)(out, q, k, v, t, 16, q_stride, kv_stride, scale, scratch, 4); break;
    case 32: PZ_VARIANT(attention_d)(out, q, k, v, t, 32, q_stride, kv_stride, scale, scratch, 4); break;
    case 48: PZ_VARIANT(attention_d)(out, q, k, v, t, 48, q_stride, kv_stride, scale, scratch, 4); break;
    case 64: PZ_VARIANT(attention_d)(out, q, k, v, t, 64, q_stride, kv_stride, scale, scratch, 4); break;
    case 80: PZ_VARIANT(attention_d)(out, q, k, v, t, 80, q_stride, kv_stride, scale, scratch, 2); break;
    case 96: PZ_VARIANT(attention_d)(out, q, k, v, t, 96, q_stride, kv_stride, scale, scratch, 2); break;
    case 112: PZ_VARIANT(attention_d)(out, q, k, v, t, 112, q_stride, kv_stride, scale, scratch, 2); break;
    case 128: PZ_VARIANT(attention_d)(out, q, k, v, t, 128, q_stride, kv_stride, scale, scratch, 2); break;
    default: break;   // pz_attention_supported said no; the caller uses its sgemm path
    }
}
