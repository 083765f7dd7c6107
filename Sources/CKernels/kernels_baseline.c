// The kernels compiled for the architecture's baseline (SSE2 on x86-64, NEON on arm64): always available.
#include "pz_kernels.h"
#include "kernels_vector.h"
#pragma clang fp contract(off)
#define PZ_VARIANT(name) name##_baseline
#include "kernels_body.h"
