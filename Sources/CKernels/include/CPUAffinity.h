// The CPUs this process may run on (taskset, cgroup cpusets, mpirun's binding): Swift's Glibc
// module does not import sched_getaffinity, a GNU extension.
#ifndef FINCH_CPU_AFFINITY_H
#define FINCH_CPU_AFFINITY_H

// Number of CPUs in the calling process's affinity mask, or 0 when it cannot be read.
int finch_affinity_cpu_count(void);

#endif
