// The vector types the kernel bodies are written in, and the settings every variant shares.
#ifndef PZ_KERNELS_VECTOR_H
#define PZ_KERNELS_VECTOR_H

#include <stddef.h>

// The helpers pass 16-lane vectors between always-inlined functions only, so no call crosses the ABI clang warns
// about where a variant's instruction set lacks 512-bit registers.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float v16 __attribute__((ext_vector_type(16)));
typedef int v16i __attribute__((ext_vector_type(16)));

#endif
