/* idmap.c — uid_map/gid_map for the sandbox's user namespace: written
 * directly for a single id or as root, through newuidmap/newgidmap (run in
 * parallel) when the user has subordinate ranges. */
#include "idmap.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fs.h"

extern char **environ;

int emp_idmap_format(const struct emp_idmap *ids, int gid, char *buf, size_t len)
{
        uint32_t me = gid ? ids->host_gid : ids->host_uid;
        uint32_t start = gid ? ids->subgid_start : ids->subuid_start;
        uint32_t count = gid ? ids->subgid_count : ids->subuid_count;
        int n;
        if (ids->host_root) {
                n = snprintf(buf, len, "0 0 4294967295\n");
        } else if (ids->subid) {
                /* Inside ids 0..65535 all mapped: ours to ours, the rest onto
                 * the subordinate range. */
                uint32_t below = me < 65536 ? me : 65536;
                uint32_t above = me < 65535 ? 65535 - me : 0;
                if (below > count)
                        below = count;
                if (above > count - below)
                        above = count - below;
                n = snprintf(buf, len, "%u %u 1\n", me, me);
                if (below && n >= 0 && (size_t)n < len)
                        n += snprintf(buf + n, len - (size_t)n, "0 %u %u\n", start, below);
                if (above && n >= 0 && (size_t)n < len)
                        n += snprintf(buf + n, len - (size_t)n, "%u %u %u\n", me + 1, start + below, above);
        } else {
                n = snprintf(buf, len, "%u %u 1\n", me, me);
        }
        return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

static int write_map(pid_t pid, const char *file, const char *text)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
        return emp_write_string(path, text);
}

/* newuidmap PID inside outside count ... from the formatted map. */
static int spawn_helper(const char *helper, pid_t pid, const char *map, pid_t *ret)
{
        char *argv[3 + 3 * 4] = {(char *)helper};
        char pidstr[16], copy[256];
        snprintf(pidstr, sizeof(pidstr), "%ld", (long)pid);
        snprintf(copy, sizeof(copy), "%s", map);
        size_t k = 1;
        argv[k++] = pidstr;
        char *save = NULL;
        for (char *tok = strtok_r(copy, " \n", &save); tok && k < 3 * 4 + 2; tok = strtok_r(NULL, " \n", &save))
                argv[k++] = tok;
        argv[k] = NULL;
        int r = posix_spawn(ret, helper, NULL, NULL, argv, environ);
        return -r;
}

static int wait_helper(pid_t p, const char *name, struct emp_error *err)
{
        int st;
        while (waitpid(p, &st, 0) < 0)
                if (errno != EINTR)
                        return emp_error_errno(err, -errno, "%s", name);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                return emp_error_set(err, -EPERM, "user namespace: %s failed (check /etc/subuid and /etc/subgid)", name);
        return 0;
}

int emp_idmap_write(const struct emp_idmap *ids, pid_t pid, struct emp_error *err)
{
        char umap[256], gmap[256];
        int r;
        if ((r = emp_idmap_format(ids, 0, umap, sizeof(umap))) < 0 ||
            (r = emp_idmap_format(ids, 1, gmap, sizeof(gmap))) < 0)
                return r;
        if (ids->subid) {
                pid_t up, gp;
                if ((r = spawn_helper("/usr/bin/newuidmap", pid, umap, &up)) < 0)
                        return emp_error_errno(err, r, "user namespace: starting newuidmap");
                if ((r = spawn_helper("/usr/bin/newgidmap", pid, gmap, &gp)) < 0) {
                        wait_helper(up, "newuidmap", NULL);
                        return emp_error_errno(err, r, "user namespace: starting newgidmap");
                }
                int r1 = wait_helper(up, "newuidmap", err);
                int r2 = wait_helper(gp, "newgidmap", err);
                return r1 < 0 ? r1 : r2;
        }
        /* An unprivileged process may map only its own gid, and only after
         * giving up setgroups (else it could drop a group used to deny it). */
        if (!ids->host_root && (r = write_map(pid, "setgroups", "deny")) < 0)
                return emp_error_errno(err, r, "user namespace: writing setgroups");
        if ((r = write_map(pid, "uid_map", umap)) < 0)
                return emp_error_errno(err, r, "user namespace: writing uid_map");
        if ((r = write_map(pid, "gid_map", gmap)) < 0)
                return emp_error_errno(err, r, "user namespace: writing gid_map");
        return 0;
}
