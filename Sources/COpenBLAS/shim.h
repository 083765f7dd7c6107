// OpenBLAS's CBLAS interface (libopenblas-dev); pkg-config supplies the architecture's include path.
#include <cblas.h>
