/* broker_path.c — maps a path as the app wrote it to the host file it may
 * stand for; refuses anything ambiguous rather than guessing. */
#include "broker_path.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy/permission.h"

int emp_broker_join(const char *base, const char *path, char *buf, size_t size)
{
        int n = path[0] == '/' ? snprintf(buf, size, "%s", path)
                               : snprintf(buf, size, "%s%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/", path);
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Fold "//" and "/./", drop a trailing '/'; -ENOENT on "..". */
static int normalise(const char *in, char *out, size_t size)
{
        size_t o = 0;
        const char *p = in;
        while (*p) {
                while (*p == '/')
                        p++;
                const char *end = strchrnul(p, '/');
                size_t len = (size_t)(end - p);
                if (len == 0)
                        break;
                if (len == 2 && p[0] == '.' && p[1] == '.')
                        return -ENOENT;
                if (!(len == 1 && p[0] == '.')) {
                        if (o + 1 + len + 1 > size)
                                return -ENAMETOOLONG;
                        out[o++] = '/';
                        memcpy(out + o, p, len);
                        o += len;
                }
                p = end;
        }
        if (o == 0) {
                if (size < 2)
                        return -ENAMETOOLONG;
                out[o++] = '/';
        }
        out[o] = '\0';
        return 0;
}

int emp_broker_host_path(const char *view_path, const struct emp_broker_map *map, char *buf, size_t size)
{
        static const char *const kernel_trees[] = {"/proc", "/sys", "/dev", "/run"};
        char norm[4096];
        if (view_path[0] != '/')
                return -ENOENT;
        int r = normalise(view_path, norm, sizeof(norm));
        if (r < 0)
                return r;
        const char *rest = NULL;
        if (map->home_inside && emp_path_has_prefix(norm, map->home_inside))
                rest = norm + strlen(map->home_inside);
        int n = rest ? snprintf(buf, size, "%s%s", map->home_host, rest) : snprintf(buf, size, "%s", norm);
        if (n < 0 || (size_t)n >= size)
                return -ENAMETOOLONG;
        if (strcmp(buf, "/") == 0)
                return -ENOENT; /* the whole host is no file */
        for (size_t i = 0; i < sizeof(kernel_trees) / sizeof(kernel_trees[0]); i++)
                if (emp_path_has_prefix(buf, kernel_trees[i]))
                        return -ENOENT;
        for (size_t i = 0; map->never && map->never[i]; i++)
                if (emp_path_has_prefix(buf, map->never[i]))
                        return -ENOENT;
        return 0;
}
