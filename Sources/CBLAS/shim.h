// OpenBLAS from Debian's libopenblas-dev: cblas_sgemm / cblas_sgemv and openblas_set_num_threads,
// and the two LAPACK routines OpenBLAS also exports that invert a symmetric positive-definite
// matrix (Cholesky factor, then inverse from it; Fortran calling convention, column-major).
#include <cblas.h>

void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);
