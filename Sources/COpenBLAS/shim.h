// OpenBLAS's CBLAS interface (libopenblas-dev); pkg-config supplies the architecture's include path.
#include <cblas.h>
#include <stddef.h>

// LAPACK, which libopenblas also exports (Fortran interface, column-major; `nm -D libopenblas.so.0` lists these).
// Debian's headers do not declare them outside f77blas.h's macros, so the two SparseGPT uses are declared here.
// `uplo_len` is the hidden length gfortran passes for a CHARACTER argument (always 1 here): passing it keeps the call
// correct whichever of OpenBLAS's C or Fortran implementations answers.
//   dpotrf: Cholesky factor of a symmetric positive definite matrix (info > 0: the leading minor of that order is not).
//   dpotri: its inverse from that factor.
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);
