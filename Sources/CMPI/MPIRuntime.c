// Open MPI through dlopen/dlsym. Open MPI's handles are addresses of exported globals
// (MPI_COMM_WORLD is &ompi_mpi_comm_world, MPI_FLOAT &ompi_mpi_float, MPI_SUM
// &ompi_mpi_op_sum, as its mpi.h defines them), so no MPI header is needed at build time.
// Linking libmpi instead (a pkg-config system library) would make Open MPI a build and
// run-time requirement of every Finch binary, and the trainer needs only these few calls.
#include "CMPI.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

typedef void *Handle;

static int (*mpi_init)(int *, char ***);
static int (*mpi_comm_rank)(Handle, int *);
static int (*mpi_comm_size)(Handle, int *);
static int (*mpi_allreduce)(const void *, void *, int, Handle, Handle, Handle);
static int (*mpi_bcast)(void *, int, Handle, int, Handle);
static int (*mpi_barrier)(Handle);
static int (*mpi_finalize)(void);
static int (*mpi_abort)(Handle, int);
static int (*mpi_error_string)(int, char *, int *);
static int (*mpi_comm_set_errhandler)(Handle, Handle);

static Handle comm_world, type_float, type_double, type_int64, type_byte, op_sum, op_max, errors_return;

// MPI_IN_PLACE in Open MPI's ABI.
#define IN_PLACE ((void *)1)
// Counts are C ints in MPI; larger buffers go in pieces of this many elements.
#define MAX_PIECE (1 << 30)
// An error code of this shim (not MPI's): a count that does not fit.
#define SHIM_BAD_COUNT (-1)

static void *symbol(void *library, const char *name, char *message, size_t capacity, int *missing) {
    void *address = dlsym(library, name);
    if (!address && !*missing) {
        snprintf(message, capacity, "libmpi.so.40 has no symbol %s (Open MPI 4 or 5 is required)", name);
        *missing = 1;
    }
    return address;
}

int finch_mpi_open(char *message, size_t capacity) {
    // RTLD_GLOBAL: Open MPI's own plugins, which it dlopens, resolve libmpi's symbols from it.
    void *library = dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL);
    if (!library) {
        snprintf(message, capacity, "cannot load Open MPI (libmpi.so.40): %s; install openmpi-bin and libopenmpi-dev", dlerror());
        return 1;
    }
    int missing = 0;
#define LOAD(variable, name) *(void **)(&variable) = symbol(library, name, message, capacity, &missing)
    LOAD(mpi_init, "MPI_Init");
    LOAD(mpi_comm_rank, "MPI_Comm_rank");
    LOAD(mpi_comm_size, "MPI_Comm_size");
    LOAD(mpi_allreduce, "MPI_Allreduce");
    LOAD(mpi_bcast, "MPI_Bcast");
    LOAD(mpi_barrier, "MPI_Barrier");
    LOAD(mpi_finalize, "MPI_Finalize");
    LOAD(mpi_abort, "MPI_Abort");
    LOAD(mpi_error_string, "MPI_Error_string");
    LOAD(mpi_comm_set_errhandler, "MPI_Comm_set_errhandler");
#undef LOAD
    comm_world = symbol(library, "ompi_mpi_comm_world", message, capacity, &missing);
    type_float = symbol(library, "ompi_mpi_float", message, capacity, &missing);
    type_double = symbol(library, "ompi_mpi_double", message, capacity, &missing);
    type_int64 = symbol(library, "ompi_mpi_int64_t", message, capacity, &missing);
    type_byte = symbol(library, "ompi_mpi_byte", message, capacity, &missing);
    op_sum = symbol(library, "ompi_mpi_op_sum", message, capacity, &missing);
    op_max = symbol(library, "ompi_mpi_op_max", message, capacity, &missing);
    errors_return = symbol(library, "ompi_mpi_errors_return", message, capacity, &missing);
    if (missing) return 1;
    int code = mpi_init(NULL, NULL);
    if (code == 0) code = mpi_comm_set_errhandler(comm_world, errors_return);
    if (code != 0) {
        char reason[256];
        finch_mpi_error_string(code, reason, sizeof reason);
        snprintf(message, capacity, "MPI_Init failed: %s", reason);
    }
    return code;
}

int finch_mpi_rank(int *rank) { return mpi_comm_rank(comm_world, rank); }
int finch_mpi_size(int *size) { return mpi_comm_size(comm_world, size); }

static int allreduce(void *values, int64_t count, size_t elementSize, Handle type, Handle op) {
    if (count < 0) return SHIM_BAD_COUNT;
    for (int64_t start = 0; start < count; start += MAX_PIECE) {
        int64_t piece = count - start < MAX_PIECE ? count - start : MAX_PIECE;
        int code = mpi_allreduce(IN_PLACE, (char *)values + start * elementSize, (int)piece, type, op, comm_world);
        if (code != 0) return code;
    }
    return 0;
}

int finch_mpi_allreduce_sum_float(float *values, int64_t count) {
    return allreduce(values, count, sizeof(float), type_float, op_sum);
}

int finch_mpi_allreduce_sum_double(double *values, int64_t count) {
    return allreduce(values, count, sizeof(double), type_double, op_sum);
}

int finch_mpi_allreduce_max_int64(int64_t *values, int64_t count) {
    return allreduce(values, count, sizeof(int64_t), type_int64, op_max);
}

int finch_mpi_broadcast_bytes(void *bytes, int64_t count, int root) {
    if (count < 0 || count > INT_MAX) return SHIM_BAD_COUNT;
    return mpi_bcast(bytes, (int)count, type_byte, root, comm_world);
}

int finch_mpi_barrier(void) { return mpi_barrier(comm_world); }
int finch_mpi_finalize(void) { return mpi_finalize(); }
int finch_mpi_abort(int code) { return mpi_abort(comm_world, code); }

void finch_mpi_error_string(int code, char *message, size_t capacity) {
    if (code == SHIM_BAD_COUNT || !mpi_error_string) {
        snprintf(message, capacity, "error %d (element count out of range)", code);
        return;
    }
    char text[1024];
    int length = 0;
    if (mpi_error_string(code, text, &length) != 0) length = 0;
    text[length < (int)sizeof text ? length : (int)sizeof text - 1] = 0;
    snprintf(message, capacity, "%s (MPI error %d)", length > 0 ? text : "unknown", code);
}
