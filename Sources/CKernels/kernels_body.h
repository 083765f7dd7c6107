// The kernels' bodies, included once per instruction set with PZ_VARIANT(name) naming the copy. Written with
// clang's 16-lane vector type: one zmm register under AVX-512, two ymm under AVX2, four xmm on the baseline.
// Tails shorter than 16 go through a padded vector, so every element sees the same arithmetic.
//
// exp is a Cephes-style polynomial (≤ 2 ulp on the range used): x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-7
// polynomial, 2^n through the exponent bits; inputs are clamped to [−87.3, 88] so 2^n stays normal, and a NaN
// input stays NaN (the clamp is a compare-and-select that keeps NaN).

static inline __attribute__((always_inline)) v16 PZ_VARIANT(load)(const float *p) { v16 v; __builtin_memcpy(&v, p, sizeof v); return v; }
static inline __attribute__((always_inline)) void PZ_VARIANT(store)(float *p, v16 v) { __builtin_memcpy(p, &v, sizeof v); }

static inline __attribute__((always_inline)) v16 PZ_VARIANT(load_partial)(const float *p, size_t n, float fill) {
    float tmp[16];
    for (size_t i = 0; i < 16; i++) tmp[i] = i < n ? p[i] : fill;
    return PZ_VARIANT(load)(tmp);
}

static inline __attribute__((always_inline)) void PZ_VARIANT(store_partial)(float *p, v16 v, size_t n) {
    float tmp[16];
    PZ_VARIANT(store)(tmp, v);
    for (size_t i = 0; i < n; i++) p[i] = tmp[i];
}

static inline __attribute__((always_inline)) v16 PZ_VARIANT(select)(v16i take_b, v16 a, v16 b) {
    return (v16)(((v16i)a & ~take_b) | ((v16i)b & take_b));
}

static inline __attribute__((always_inline)) v16 PZ_VARIANT(exp)(v16 x) {
    const v16 lo = -87.3f, hi = 88.0f;
    x = PZ_VARIANT(select)(x < lo, x, lo);
    x = PZ_VARIANT(select)(x > hi, x, hi);
    const float magic = 12582912.0f;   // 1.5·2²³: adding it rounds to an integer kept in the low mantissa bits
    v16 shifted = x * 1.44269504f + magic;
    v16 n = shifted - magic;
    v16 r = x - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    v16 p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    v16i ni = (v16i)shifted - (v16i)(v16)magic;
    v16 scale = (v16)((ni + 127) << 23);
    return p * scale;
}

static inline __attribute__((always_inline)) float PZ_VARIANT(hsum)(v16 v) {
    float s = 0;
    for (int i = 0; i < 16; i++) s += v[i];
    return s;
}

static inline __attribute__((always_inline)) float PZ_VARIANT(max_of)(const float *row, size_t n) {
    v16 acc = -__builtin_inff();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) { v16 v = PZ_VARIANT(load)(row + i); acc = PZ_VARIANT(select)(acc < v, acc, v); }
    float m = -__builtin_inff();
    for (int j = 0; j < 16; j++) m = acc[j] > m ? acc[j] : m;
    for (; i < n; i++) m = row[i] > m ? row[i] : m;
    return m;
}

void PZ_VARIANT(pz_silu_mul)(float *gate, const float *up, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        v16 g = PZ_VARIANT(load)(gate + i);
        PZ_VARIANT(store)(gate + i, g / (1.0f + PZ_VARIANT(exp)(-g)) * PZ_VARIANT(load)(up + i));
    }
    if (i < n) {
        v16 g = PZ_VARIANT(load_partial)(gate + i, n - i, 0);
        PZ_VARIANT(store_partial)(gate + i, g / (1.0f + PZ_VARIANT(exp)(-g)) * PZ_VARIANT(load_partial)(up + i, n - i, 0), n - i);
    }
}

// out[i] = e^x[i]: the polynomial itself, for its accuracy test against libm.
void PZ_VARIANT(pz_exp)(float *out, const float *x, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) PZ_VARIANT(store)(out + i, PZ_VARIANT(exp)(PZ_VARIANT(load)(x + i)));
    if (i < n) PZ_VARIANT(store_partial)(out + i, PZ_VARIANT(exp)(PZ_VARIANT(load_partial)(x + i, n - i, 0)), n - i);
}

// The backward of silu_mul, same argument order: for h = silu(g)·u with σ = 1/(1 + e^−g),
// dgate = dh·u·σ·(1 + g·(1 − σ)), dup = dh·g·σ (written, not accumulated).
static inline __attribute__((always_inline)) void PZ_VARIANT(silu_mul_backward_step)(v16 g, v16 u, v16 d, v16 *dg, v16 *du) {
    v16 s = 1.0f / (1.0f + PZ_VARIANT(exp)(-g));
    *dg = d * u * s * (1.0f + g * (1.0f - s));
    *du = d * g * s;
}

void PZ_VARIANT(pz_silu_mul_backward)(float *dgate, float *dup, const float *dh, const float *gate, const float *up, size_t n) {
    size_t i = 0;
    v16 dg, du;
    for (; i + 16 <= n; i += 16) {
        PZ_VARIANT(silu_mul_backward_step)(PZ_VARIANT(load)(gate + i), PZ_VARIANT(load)(up + i), PZ_VARIANT(load)(dh + i), &dg, &du);
        PZ_VARIANT(store)(dgate + i, dg);
        PZ_VARIANT(store)(dup + i, du);
    }
    if (i < n) {
        PZ_VARIANT(silu_mul_backward_step)(PZ_VARIANT(load_partial)(gate + i, n - i, 0), PZ_VARIANT(load_partial)(up + i, n - i, 0),
                                           PZ_VARIANT(load_partial)(dh + i, n - i, 0), &dg, &du);
        PZ_VARIANT(store_partial)(dgate + i, dg, n - i);
        PZ_VARIANT(store_partial)(dup + i, du, n - i);
    }
}

void PZ_VARIANT(pz_softmax)(float *row, size_t n, size_t width) {
    const float m = PZ_VARIANT(max_of)(row, n);
    v16 acc = 0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        v16 e = PZ_VARIANT(exp)(PZ_VARIANT(load)(row + i) - m);
        PZ_VARIANT(store)(row + i, e);
        acc += e;
    }
    if (i < n) {
        v16 e = PZ_VARIANT(exp)(PZ_VARIANT(load_partial)(row + i, n - i, -__builtin_inff()) - m);
        PZ_VARIANT(store_partial)(row + i, e, n - i);
        acc += e;
    }
    const float inv = 1.0f / PZ_VARIANT(hsum)(acc);
    for (i = 0; i + 16 <= n; i += 16) PZ_VARIANT(store)(row + i, PZ_VARIANT(load)(row + i) * inv);
    for (; i < n; i++) row[i] *= inv;
    for (; i < width; i++) row[i] = 0;
}

float PZ_VARIANT(pz_log_sum_exp)(const float *row, size_t n) {
    const float m = PZ_VARIANT(max_of)(row, n);
    v16 acc = 0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) acc += PZ_VARIANT(exp)(PZ_VARIANT(load)(row + i) - m);
    if (i < n) acc += PZ_VARIANT(exp)(PZ_VARIANT(load_partial)(row + i, n - i, -__builtin_inff()) - m);
    return m + __builtin_logf(PZ_VARIANT(hsum)(acc));
}

void PZ_VARIANT(pz_rms_norm)(float *out, const float *x, const float *weight, size_t rows, size_t c, float eps) {
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * c;
        float *o = out + r * c;
        v16 acc = 0;
        size_t i = 0;
        for (; i + 16 <= c; i += 16) { v16 v = PZ_VARIANT(load)(xr + i); acc += v * v; }
        float ss = PZ_VARIANT(hsum)(acc);
        for (; i < c; i++) ss += xr[i] * xr[i];
        const float inv = 1.0f / __builtin_sqrtf(ss / (float)c + eps);
        for (i = 0; i + 16 <= c; i += 16) PZ_VARIANT(store)(o + i, PZ_VARIANT(load)(xr + i) * inv * PZ_VARIANT(load)(weight + i));
        for (; i < c; i++) o[i] = xr[i] * inv * weight[i];
    }
}
