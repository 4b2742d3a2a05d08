/* mount.h — build the sandbox's view from the plan's mount list inside the
 * new mount namespace, then pivot into it. */
#pragma once
#include "landlock.h"
#include "sandbox.h"

/* Phase 1, host tree still visible: make propagation one-way, cover
 * Empyra's own directories, clone every bind source (open_tree) and set its
 * flags on the detached copy. */
int emp_mount_prepare(struct emp_sandbox *sb, struct emp_error *err);
/* Phase 2: tmpfs root, every step of the plan, pivot_root, read-only root. */
int emp_mount_build(struct emp_sandbox *sb, struct emp_error *err);
/* Landlock rules matching the view (allocated; *n set). */
int emp_mount_landlock_rules(const struct emp_sandbox *sb, struct emp_ll_rule **ret, size_t *n);
