/* idmap.h — write the new user namespace's uid/gid maps from outside. */
#pragma once
#include <sys/types.h>

#include "common/error.h"
#include "sandbox.h"

/* Map ids for the child `pid` as DESIGN.md §4 says: the app's ids to the
 * invoker's; root and other ids too where /etc/subuid (newuidmap) or root
 * allow. */
int emp_idmap_write(const struct emp_idmap *ids, pid_t pid, struct emp_error *err);
/* The map text (lines "inside outside count") for tests and --verbose. */
int emp_idmap_format(const struct emp_idmap *ids, int gid, char *buf, size_t len);
