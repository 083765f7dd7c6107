// How many CPUs this process may run on: its affinity mask (taskset, Slurm's CPU binding), which Foundation's
// activeProcessorCount ignores. sched_getaffinity needs _GNU_SOURCE, which Swift's Glibc module does not set.
#define _GNU_SOURCE
#include <sched.h>
#include <unistd.h>
#include "pz_kernels.h"

int pz_usable_cpus(void) {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
#endif
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int)online : 1;
}
