// OpenBLAS from Debian's libopenblas-dev: cblas_sgemm / cblas_sgemv and openblas_set_num_threads.
#include <cblas.h>
