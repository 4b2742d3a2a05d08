/* landlock.h — restrict the app to its mount view with Landlock, using the
 * newest ABI the kernel offers and degrading per ABI (DESIGN.md §5). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum emp_ll_kind { EMP_LL_RO, EMP_LL_RW, EMP_LL_DEV, EMP_LL_LIST };
struct emp_ll_rule {
        const char *path;
        enum emp_ll_kind kind;
};

/* Kernel's Landlock ABI version, 0 when unsupported or disabled. */
int emp_landlock_abi(void);
/* Access rights handled/granted for an ABI; exposed for tests. */
uint64_t emp_landlock_handled(int abi);
uint64_t emp_landlock_rights(int abi, enum emp_ll_kind kind, bool is_dir);
/* Build a ruleset from the rules (missing paths are skipped) into *ret_fd.
 * Done while the paths can still be opened, before ids are switched.
 * -EOPNOTSUPP when the kernel has no Landlock. */
int emp_landlock_prepare(const struct emp_ll_rule *rules, size_t n, int *ret_fd, struct emp_error *err);
/* Enforce it on the calling thread (no_new_privs must be set); closes fd. */
int emp_landlock_enforce(int ruleset_fd, struct emp_error *err);
