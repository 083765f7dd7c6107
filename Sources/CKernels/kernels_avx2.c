// The kernels compiled for AVX2 and FMA: two ymm registers per 16-lane vector.
#if defined(__x86_64__)
#include "pz_kernels.h"
#include "kernels_vector.h"
#pragma clang fp contract(off)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define PZ_VARIANT(name) name##_avx2
#include "kernels_body.h"
#include "attention_body.h"
#pragma clang attribute pop
#endif
