// Causal attention of one (window, head), included once per FMA-capable instruction set with PZ_VARIANT(name)
// naming the copy. Replaces two sgemm calls per query block: at a head dimension of 32–128 those products are too
// small for sgemm to reach its rate (36 GFLOP/s here on the bundled model's shape, a third of its large-matrix rate).
//
// Tiled as flash attention (Dao et al. 2022, its second version's loop order): query rows in blocks of qb, keys in
// tiles of kb, and for R query rows at a time (R rows share every load of K and V) against one tile:
//   1. s[r][j] = scale · Σ_d q[i0+r][d] · k[j][d] for the tile's keys the rows can see, from the tile's Kᵀ (D, kb),
//      two 16-key segments at a time so 2R independent FMA chains hide the FMA latency;
//   2. online softmax: p[r][j] = e^(s[r][j] − m'), m' the row's running maximum, with the causal mask as a lane
//      predicate; the row's sum l and earlier output are rescaled by e^(m − m');
//   3. out[i0+r] = e^(m − m')·out[i0+r] + Σ_j p[r][j] · v[j], D/16 accumulators per row;
// and out[i] /= l[i] once the row has seen its last tile. Tiles wholly above the diagonal are skipped, and within
// the diagonal tile only the keys the group's last row sees are computed. The working set of one step is a (D, kb)
// tile of Kᵀ and kb rows of V, so the rate does not fall when T outgrows the cache (it did, by a third, at 2048).
// Products accumulate in key order with fused multiply-adds, identically in every variant that has this file; the
// tile sizes are part of the rounding (pz_attention_head uses fixed ones).

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

// e^x for the softmax: kernels_body.h's Cephes polynomial (same range reduction, coefficients and clamps, ≤ 2 ulp)
// with every multiply-add fused. The exponential is most of the softmax's work and the softmax about as much as
// both products at D = 64, so the fused form (half the operations) is worth its own copy. FMA, so the same bits in
// every variant that has this file.
static inline __attribute__((always_inline)) v16 PZ_VARIANT(fma_exp)(v16 x) {
    const v16 lo = -87.3f, hi = 88.0f;
    x = PZ_VARIANT(select)(x < lo, x, lo);
    x = PZ_VARIANT(select)(x > hi, x, hi);
    const v16 magic = 12582912.0f;   // 1.5·2²³: adding it rounds to an integer kept in the low mantissa bits
    const v16 shifted = PZ_VARIANT(fma)(x, (v16)1.44269504f, magic);
    const v16 n = shifted - magic;
    v16 r = PZ_VARIANT(fma)(n, (v16)-0.693359375f, x);
    r = PZ_VARIANT(fma)(n, (v16)2.12194440e-4f, r);
    v16 p = 1.9875691500e-4f;
    p = PZ_VARIANT(fma)(p, r, (v16)1.3981999507e-3f);
    p = PZ_VARIANT(fma)(p, r, (v16)8.3334519073e-3f);
    p = PZ_VARIANT(fma)(p, r, (v16)4.1665795894e-2f);
    p = PZ_VARIANT(fma)(p, r, (v16)1.6666665459e-1f);
    p = PZ_VARIANT(fma)(p, r, (v16)5.0000001201e-1f);
    p = PZ_VARIANT(fma)(p, r * r, r) + 1.0f;
    const v16i ni = (v16i)shifted - (v16i)magic;
    return p * (v16)((ni + 127) << 23);
}

// Lane reductions in a fixed tree order (halves, then quarters, …): 4 dependent steps instead of 15, which matters
// here because they run once per row and key tile. The same operations in every variant, so the same bits.
static inline __attribute__((always_inline)) float PZ_VARIANT(tree_sum)(v16 v) {
    const __attribute__((ext_vector_type(8))) float h8 = v.lo + v.hi;
    const __attribute__((ext_vector_type(4))) float h4 = h8.lo + h8.hi;
    const __attribute__((ext_vector_type(2))) float h2 = h4.lo + h4.hi;
    return h2.x + h2.y;
}

static inline __attribute__((always_inline)) float PZ_VARIANT(tree_max)(v16 v) {
    const __attribute__((ext_vector_type(8))) float h8 = v.lo > v.hi ? v.lo : v.hi;
    const __attribute__((ext_vector_type(4))) float h4 = h8.lo > h8.hi ? h8.lo : h8.hi;
    const __attribute__((ext_vector_type(2))) float h2 = h4.lo > h4.hi ? h4.lo : h4.hi;
    return h2.x > h2.y ? h2.x : h2.y;
}

// The online-softmax step of R rows against one key tile (flash attention): row r's scores s[r][0..<visible[r]]
// (its visible keys in this tile; entries up to `width`, a multiple of 16 that the scores phase filled, become
// exact zeros) turn into e^(s − m') with m' = max(m, max s), the running maximum m and sum l are updated, and
// rescale[r] = e^(m − m') is the factor for the row's earlier partial output (0 on its first tile, where m = −∞).
// A row with visible[r] = 0 sees nothing here: its scores become zeros and rescale[r] = 1. The R rescales go through
// one vector exp. Whole vectors with the causal mask as a lane predicate; the same operations in every variant.
static inline __attribute__((always_inline)) void PZ_VARIANT(online_softmax)(
    float *s, size_t kb, const size_t *visible, size_t width, float *m, float *l, float *rescale, const int R) {
    const v16i lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    const v16 minus_inf = -__builtin_inff();
    float m_old[16], m_new[16], sums[16];
    for (int r = 0; r < 16; r++) { m_old[r] = 0; m_new[r] = 0; sums[r] = 0; }
#pragma clang loop unroll(full)
    for (int r = 0; r < R; r++) {
        float *row = s + r * kb;
        v16 mx = minus_inf, acc = 0;
        if (visible[r] == width) {   // every key of the tile (all but the diagonal tile): no mask
            for (size_t j = 0; j < width; j += 16) {
                const v16 x = PZ_VARIANT(load)(row + j);
                mx = PZ_VARIANT(select)(mx < x, mx, x);
            }
            const float tile_max = PZ_VARIANT(tree_max)(mx);
            m_old[r] = m[r];
            m_new[r] = m[r] > tile_max ? m[r] : tile_max;
            for (size_t j = 0; j < width; j += 16) {
                const v16 e = PZ_VARIANT(fma_exp)(PZ_VARIANT(load)(row + j) - m_new[r]);
                PZ_VARIANT(store)(row + j, e);
                acc += e;
            }
        } else {
            for (size_t j = 0; j < width; j += 16) {
                const v16i seen = (lane + (int)j) < (int)visible[r];
                const v16 x = PZ_VARIANT(select)(seen, minus_inf, PZ_VARIANT(load)(row + j));
                mx = PZ_VARIANT(select)(mx < x, mx, x);
            }
            const float tile_max = PZ_VARIANT(tree_max)(mx);
            m_old[r] = m[r];
            m_new[r] = m[r] > tile_max ? m[r] : tile_max;
            for (size_t j = 0; j < width; j += 16) {
                const v16i seen = (lane + (int)j) < (int)visible[r];
                const v16 e = PZ_VARIANT(select)(seen, (v16)0.0f, PZ_VARIANT(fma_exp)(PZ_VARIANT(load)(row + j) - m_new[r]));
                PZ_VARIANT(store)(row + j, e);
                acc += e;
            }
        }
        sums[r] = PZ_VARIANT(tree_sum)(acc);
    }
    // e^(m − m') for all rows at once; −∞ − m' (a first tile) is clamped by exp to e^−87.3, replaced by 0 below.
    const v16 factors = PZ_VARIANT(fma_exp)(PZ_VARIANT(load)(m_old) - PZ_VARIANT(load)(m_new));
#pragma clang loop unroll(full)
    for (int r = 0; r < R; r++) {
        if (visible[r] == 0) { rescale[r] = 1; continue; }
        rescale[r] = m_old[r] == -__builtin_inff() ? 0.0f : factors[r];
        m[r] = m_new[r];
        l[r] = l[r] * rescale[r] + sums[r];
    }
}

// Phase 3 for R rows against one key tile: out[r] = rescale[r] · out[r] + Σ_{j < keys} p[r][j] · v[j], the partial
// (unnormalised) output kept in `out` itself between tiles. p is zero past each row's last visible key.
static inline __attribute__((always_inline)) void PZ_VARIANT(accumulate_values)(
    float *out, size_t out_stride, const float *p, size_t kb, const float *rescale, const float *v, size_t kv_stride,
    size_t keys, const size_t D, const int R) {
    v16 acc[4][8];
#pragma clang loop unroll(full)
    for (int r = 0; r < R; r++)
#pragma clang loop unroll(full)
        for (size_t c = 0; c < D / 16; c++) acc[r][c] = PZ_VARIANT(load)(out + r * out_stride + c * 16) * rescale[r];
    for (size_t j = 0; j < keys; j++) {
#pragma clang loop unroll(full)
        for (size_t c = 0; c < D / 16; c++) {
            const v16 vj = PZ_VARIANT(load)(v + j * kv_stride + c * 16);
#pragma clang loop unroll(full)
            for (int r = 0; r < R; r++) acc[r][c] = PZ_VARIANT(fma)((v16)p[r * kb + j], vj, acc[r][c]);
        }
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < R; r++)
#pragma clang loop unroll(full)
        for (size_t c = 0; c < D / 16; c++) PZ_VARIANT(store)(out + r * out_stride + c * 16, acc[r][c]);
}

// Rows i0 … i0+R−1 (R of them, or 1 for a tail row) against key tile [j0, j0 + width): scores, online softmax,
// values. Only the keys the last row sees are computed; rows that see none of the tile are left untouched.
static inline __attribute__((always_inline)) void PZ_VARIANT(rows_against_tile)(
    float *out, const float *q, size_t q_stride, const float *kt, size_t kb, const float *v, size_t kv_stride,
    size_t i0, size_t j0, size_t width, float scale, float *s, float *m, float *l, const size_t D, const int R) {
    if (i0 + R - 1 < j0) return;
    const size_t seen = i0 + R - j0, keys = seen < width ? seen : width;   // keys the group's last row sees
    PZ_VARIANT(scores)(s, kb, q + i0 * q_stride, q_stride, kt, keys, D, R, scale);
    size_t visible[4];
    float rescale[4];
#pragma clang loop unroll(full)
    for (int r = 0; r < R; r++) {
        const size_t last = i0 + r;   // the row sees keys ≤ last
        visible[r] = last < j0 ? 0 : (last - j0 + 1 < keys ? last - j0 + 1 : keys);
    }
    PZ_VARIANT(online_softmax)(s, kb, visible, (keys + 15) / 16 * 16, m, l, rescale, R);
    PZ_VARIANT(accumulate_values)(out + i0 * q_stride, q_stride, s, kb, rescale, v + j0 * kv_stride, kv_stride, keys, D, R);
}

// Tiled causal attention for a constant D (flash attention's loop order): query rows in blocks of qb; each block
// visits the key tiles of kb keys it can see (0 ..< its last row + 1), R rows at a time (a tail of fewer rows one
// at a time) with the tile's Kᵀ and V rows hot in cache, keeping a running maximum, sum and unnormalised output per
// row; the output is divided by the sum at the end. Memory: Kᵀ of the head in tile-major order (each tile (D, kb)
// contiguous, so its rows are not a power-of-two stride apart) and one (R, kb) score block, never (T, T).
static inline __attribute__((always_inline)) void PZ_VARIANT(attention_d)(
    float *out, const float *q, const float *k, const float *v, size_t t, const size_t D, size_t q_stride,
    size_t kv_stride, float scale, float *scratch, size_t qb, size_t kb, const int R) {
    const size_t tiles = (t + kb - 1) / kb;
    float *kt = scratch, *s = kt + tiles * kb * D, *m = s + 4 * kb, *l = m + qb;   // Kᵀ tiles, scores (R, kb), m, l
    for (size_t tile = 0; tile < tiles; tile++)
        for (size_t d = 0; d < D; d++) {
            float *dst = kt + tile * kb * D + d * kb;
            for (size_t j = 0; j < kb; j++) dst[j] = tile * kb + j < t ? k[(tile * kb + j) * kv_stride + d] : 0;
        }
    for (size_t b0 = 0; b0 < t; b0 += qb) {
        const size_t b1 = b0 + qb < t ? b0 + qb : t, full = b0 + (b1 - b0) / R * R;
        for (size_t i = b0; i < b1; i++) {
            m[i - b0] = -__builtin_inff();
            l[i - b0] = 0;
            for (size_t c = 0; c < D; c++) out[i * q_stride + c] = 0;
        }
        for (size_t j0 = 0; j0 < b1; j0 += kb) {
            const float *tile_kt = kt + j0 / kb * kb * D;
            const size_t width = j0 + kb < b1 ? kb : b1 - j0;
            for (size_t i0 = b0; i0 < full; i0 += R)
                PZ_VARIANT(rows_against_tile)(out, q, q_stride, tile_kt, kb, v, kv_stride, i0, j0, width, scale, s,
                                              m + (i0 - b0), l + (i0 - b0), D, R);
            for (size_t i0 = full; i0 < b1; i0++)
                PZ_VARIANT(rows_against_tile)(out, q, q_stride, tile_kt, kb, v, kv_stride, i0, j0, width, scale, s,
                                              m + (i0 - b0), l + (i0 - b0), D, 1);
        }
        for (size_t i = b0; i < b1; i++) {
            const v16 inv = 1.0f / l[i - b0];
            for (size_t c = 0; c < D; c += 16)
                PZ_VARIANT(store)(out + i * q_stride + c, PZ_VARIANT(load)(out + i * q_stride + c) * inv);
        }
    }
}

void PZ_VARIANT(pz_attention_head_tiled)(float *out, const float *q, const float *k, const float *v, size_t t,
                                         size_t d, size_t q_stride, size_t kv_stride, float scale, float *scratch,
                                         size_t qb, size_t kb) {
    switch (d) {
    case 16: PZ_VARIANT(attention_d)(out, q, k, v, t, 16, q_stride, kv_stride, scale, scratch, qb, kb, 4); break;
    case 32: PZ_VARIANT(attention_d)(out, q, k, v, t, 32, q_stride, kv_stride, scale, scratch, qb, kb, 4); break;
    case 48: PZ_VARIANT(attention_d)(out, q, k, v, t, 48, q_stride, kv_stride, scale, scratch, qb, kb, 4); break;
    case 64: PZ_VARIANT(attention_d)(out, q, k, v, t, 64, q_stride, kv_stride, scale, scratch, qb, kb, 4); break;
    case 80: PZ_VARIANT(attention_d)(out, q, k, v, t, 80, q_stride, kv_stride, scale, scratch, qb, kb, 2); break;
    case 96: PZ_VARIANT(attention_d)(out, q, k, v, t, 96, q_stride, kv_stride, scale, scratch, qb, kb, 2); break;
    case 112: PZ_VARIANT(attention_d)(out, q, k, v, t, 112, q_stride, kv_stride, scale, scratch, qb, kb, 2); break;
    case 128: PZ_VARIANT(attention_d)(out, q, k, v, t, 128, q_stride, kv_stride, scale, scratch, qb, kb, 2); break;
    default: break;   // pz_attention_supported said no; the caller uses its sgemm path
    }
}
