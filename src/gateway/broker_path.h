/* broker_path.h — pure path logic of the file broker (DESIGN.md §5): which
 * host file an app's path names, and which host paths are never served. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* How the app's view maps onto the host, from the launcher's plan. */
struct emp_broker_map {
        const char *home_inside; /* "/home/user" (anonymous) or the host home */
        const char *home_host;   /* the invoking user's home, symlinks resolved */
        const char *const *never; /* host prefixes never served (Empyra's own dirs) */
};

/* Join a relative path onto base (both as the app sees them), into buf.
 * 0, or -ENAMETOOLONG. An absolute path is copied as is. */
int emp_broker_join(const char *base, const char *path, char *buf, size_t size);

/* The host path a path in the app's view stands for, normalised ("//" and
 * "/./" folded, no trailing '/') into buf. -ENOENT when the broker must not
 * serve it: relative, "..", the kernel's own trees (/proc, /sys, /dev, /run)
 * or a prefix of map->never; -ENAMETOOLONG. */
int emp_broker_host_path(const char *view_path, const struct emp_broker_map *map, char *buf, size_t size);
