// The kernels compiled for AVX-512 (F, DQ, BW, VL): one zmm register per 16-lane vector.
#if defined(__x86_64__)
#include "pz_kernels.h"
#include "kernels_vector.h"
#pragma clang fp contract(off)
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,fma"))), apply_to = function)
#define PZ_VARIANT(name) name##_avx512
#include "kernels_body.h"
#include "attention_body.h"
#pragma clang attribute pop
#endif
