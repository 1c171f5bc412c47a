// Open MPI, loaded at run time (dlopen of libmpi.so.40) so Finch builds and runs on machines
// without MPI; only a process started by mpirun opens it. Every call returns MPI's error code
// (0 = success); finch_mpi_error_string describes one.
#ifndef FINCH_CMPI_H
#define FINCH_CMPI_H

#include <stddef.h>
#include <stdint.h>

// Opens libmpi, calls MPI_Init and makes errors return instead of aborting. On failure returns
// nonzero and writes a message into `message`.
int finch_mpi_open(char *message, size_t capacity);
int finch_mpi_rank(int *rank);
int finch_mpi_size(int *size);
// In-place sums over MPI_COMM_WORLD.
int finch_mpi_allreduce_sum_float(float *values, int64_t count);
int finch_mpi_allreduce_sum_double(double *values, int64_t count);
int finch_mpi_allreduce_max_int64(int64_t *values, int64_t count);
int finch_mpi_broadcast_bytes(void *bytes, int64_t count, int root);
int finch_mpi_barrier(void);
int finch_mpi_finalize(void);
// Ends every rank of the job (MPI_Abort on MPI_COMM_WORLD).
int finch_mpi_abort(int code);
void finch_mpi_error_string(int code, char *message, size_t capacity);

#endif
