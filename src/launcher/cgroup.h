/* cgroup.h — the app's own cgroup with its resource limits: cgroup v2 where
 * the controllers are there (and delegated), v1 controllers on hybrid hosts.
 * Only cgroups Empyra creates are ever written to. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

struct emp_cgroup_limits {
        uint64_t memory_max; /* bytes, 0 = none */
        uint64_t pids_max;   /* 0 = none */
        uint32_t cpu_weight; /* 1..10000, 0 = none */
        bool cpu;            /* a cpu cgroup even without a weight (focus) */
};

#define EMP_CPU_WEIGHT_DEFAULT 100u

struct emp_cgroup {
        char *dirs[4];    /* app cgroups created, one per hierarchy used */
        char *parents[4]; /* Empyra's own parents, removed when left empty; NULL if delegated */
        bool v2[4];
        unsigned ctrls[4]; /* 1 memory, 2 pids, 4 cpu */
        size_t n_dirs;
        char desc[512]; /* human summary for --verbose */
};

/* Where the app cgroups go: $EMPYRA_CGROUP_PARENT (a path relative to each
 * hierarchy's root, delegated to the user) or, as root, Empyra's own parent.
 * Creates the app cgroups and writes the limits. */
int emp_cgroup_create(const char *app_id, const struct emp_cgroup_limits *lim, struct emp_cgroup **ret,
                      struct emp_error *err);
int emp_cgroup_attach(const struct emp_cgroup *cg, pid_t pid, struct emp_error *err);
/* Remove the app cgroups (after every process in them is gone) and free. */
void emp_cgroup_destroy(struct emp_cgroup *cg);
/* Write a cpu weight (v2 cpu.weight, v1 cpu.shares) into an app or parent
 * cgroup Empyra created. 0 or -errno. */
int emp_cgroup_set_cpu_weight(const char *dir, bool v2, uint32_t weight);
/* The cgroup of this set that carries the cpu controller, or -1. */
int emp_cgroup_cpu_index(const struct emp_cgroup *cg);
/* Pure helpers, exposed for tests. */
uint64_t emp_cgroup_weight_to_shares(uint32_t weight);
/* From /proc/self/cgroup text: the path of the v1 hierarchy carrying
 * `controller` (or of the v2 entry when controller is NULL). */
int emp_cgroup_own_path(const char *proc_cgroup, const char *controller, char **ret);
