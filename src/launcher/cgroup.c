/* cgroup.c — create the app's cgroup(s), write limits, attach the sandbox's
 * pid 1 before it enters its cgroup namespace, and remove them afterwards. */
#include "cgroup.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"

#define CG_ROOT "/sys/fs/cgroup"

uint64_t emp_cgroup_weight_to_shares(uint32_t weight)
{
        /* v2 weight 100 is the default, as v1 shares 1024 is. */
        uint64_t s = (uint64_t)weight * 1024 / 100;
        return s < 2 ? 2 : s;
}

int emp_cgroup_own_path(const char *proc_cgroup, const char *controller, char **ret)
{
        const char *line = proc_cgroup;
        while (line && *line) {
                const char *nl = strchr(line, '\n');
                size_t len = nl ? (size_t)(nl - line) : strlen(line);
                const char *c1 = memchr(line, ':', len);
                const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
                if (c2) {
                        size_t clen = (size_t)(c2 - c1 - 1);
                        bool match = false;
                        if (!controller) {
                                match = clen == 0;
                        } else {
                                /* "cpu,cpuacct": match one comma-separated name. */
                                const char *p = c1 + 1;
                                while (p < c2) {
                                        const char *comma = memchr(p, ',', (size_t)(c2 - p));
                                        const char *end = comma ? comma : c2;
                                        if ((size_t)(end - p) == strlen(controller) &&
                                            strncmp(p, controller, (size_t)(end - p)) == 0)
                                                match = true;
                                        p = end + 1;
                                }
                        }
                        if (match) {
                                char *r = strndup(c2 + 1, len - (size_t)(c2 + 1 - line));
                                if (!r)
                                        return -ENOMEM;
                                *ret = r;
                                return 0;
                        }
                }
                line = nl ? nl + 1 : NULL;
        }
        return -ENOENT;
}

/* Controllers listed in a v2 cgroup.controllers file. */
static bool v2_has(const char *v2root, const char *ctrl)
{
        char path[256];
        snprintf(path, sizeof(path), "%s/cgroup.controllers", v2root);
        _cleanup_free_ char *text = NULL;
        if (emp_read_file(path, 4096, &text, NULL) < 0)
                return false;
        size_t cl = strlen(ctrl);
        for (char *p = strstr(text, ctrl); p; p = strstr(p + 1, ctrl))
                if ((p == text || p[-1] == ' ') && (p[cl] == ' ' || p[cl] == '\n' || p[cl] == '\0'))
                        return true;
        return false;
}

/* One hierarchy the app needs, with the knobs to write there. */
struct cg_target {
        char root[128]; /* mount point of the hierarchy */
        bool v2;
        unsigned ctrls; /* 1 memory, 2 pids, 4 cpu */
};

static const char *const ctrl_names[] = {"memory", "pids", "cpu"};

static int find_targets(unsigned need, struct cg_target *t, size_t *n, struct emp_error *err)
{
        const char *v2root = NULL;
        struct stat st;
        if (stat(CG_ROOT "/cgroup.controllers", &st) == 0)
                v2root = CG_ROOT;
        else if (stat(CG_ROOT "/unified/cgroup.controllers", &st) == 0)
                v2root = CG_ROOT "/unified";
        *n = 0;
        unsigned v2ctrls = 0;
        for (size_t i = 0; i < 3; i++) {
                unsigned bit = 1u << i;
                if (!(need & bit))
                        continue;
                if (v2root && v2_has(v2root, ctrl_names[i])) {
                        v2ctrls |= bit;
                        continue;
                }
                char p[128];
                snprintf(p, sizeof(p), CG_ROOT "/%s", ctrl_names[i]);
                if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
                        return emp_error_set(err, -EOPNOTSUPP,
                                             "cgroup: the %s controller is not available (neither cgroup v2 "
                                             "nor a v1 hierarchy has it); rerun with --allow-weaker=cgroup "
                                             "to run without limits",
                                             ctrl_names[i]);
                struct cg_target *x = &t[(*n)++];
                snprintf(x->root, sizeof(x->root), "%s", p);
                x->v2 = false;
                x->ctrls = bit;
        }
        if (v2ctrls) {
                struct cg_target *x = &t[(*n)++];
                snprintf(x->root, sizeof(x->root), "%s", v2root);
                x->v2 = true;
                x->ctrls = v2ctrls;
        }
        return 0;
}

/* The parent under which app cgroups are made, for one hierarchy. */
static int parent_dir(const struct cg_target *t, char **ret, struct emp_error *err)
{
        const char *deleg = getenv("EMPYRA_CGROUP_PARENT");
        char *r = NULL;
        if (deleg && deleg[0]) {
                if (strstr(deleg, ".."))
                        return emp_error_set(err, -EINVAL, "cgroup: EMPYRA_CGROUP_PARENT must not contain '..'");
                if (asprintf(&r, "%s/%s", t->root, deleg[0] == '/' ? deleg + 1 : deleg) < 0)
                        return -ENOMEM;
        } else if (geteuid() == 0) {
                if (t->v2) {
                        /* v2: a cgroup with processes cannot delegate controllers to
                         * children, so Empyra's parent sits at the top. */
                        if (asprintf(&r, "%s/empyra", t->root) < 0)
                                return -ENOMEM;
                } else {
                        /* v1: nest under the invoker's own cgroup so the machine's
                         * accounting and limits still cover the app. */
                        _cleanup_free_ char *self = NULL, *own = NULL;
                        int e = emp_read_file("/proc/self/cgroup", 65536, &self, NULL);
                        if (e < 0)
                                return emp_error_errno(err, e, "cgroup: reading /proc/self/cgroup");
                        const char *c = strrchr(t->root, '/') + 1;
                        if (emp_cgroup_own_path(self, c, &own) < 0)
                                own = strdup("/");
                        if (!own)
                                return -ENOMEM;
                        if (asprintf(&r, "%s%s%sempyra", t->root, own, own[strlen(own) - 1] == '/' ? "" : "/") < 0)
                                return -ENOMEM;
                }
        } else {
                return emp_error_set(err, -EACCES,
                                     "cgroup: no cgroup is delegated to uid %u for resource limits (set "
                                     "EMPYRA_CGROUP_PARENT to a cgroup delegated to you, run as root, or rerun "
                                     "with --allow-weaker=cgroup to run without limits)",
                                     (unsigned)getuid());
        }
        *ret = r;
        return 0;
}

static int write_knob(const char *dir, const char *knob, uint64_t value, bool optional, struct emp_error *err)
{
        char path[4200], val[32];
        snprintf(path, sizeof(path), "%s/%s", dir, knob);
        snprintf(val, sizeof(val), "%" PRIu64, value);
        int r = emp_write_string(path, val);
        if (r == -ENOENT && optional)
                return 0;
        return r < 0 ? emp_error_errno(err, r, "cgroup: writing %s", path) : 0;
}

static int write_limits(const struct cg_target *t, const char *dir, const struct emp_cgroup_limits *lim,
                        struct emp_error *err)
{
        int r = 0;
        if (t->ctrls & 1u) {
                if (t->v2) {
                        r = write_knob(dir, "memory.max", lim->memory_max, false, err);
                        if (r == 0)
                                r = write_knob(dir, "memory.swap.max", 0, true, err);
                } else {
                        r = write_knob(dir, "memory.limit_in_bytes", lim->memory_max, false, err);
                        if (r == 0)
                                r = write_knob(dir, "memory.memsw.limit_in_bytes", lim->memory_max, true, err);
                }
        }
        if (r == 0 && (t->ctrls & 2u))
                r = write_knob(dir, "pids.max", lim->pids_max, false, err);
        if (r == 0 && (t->ctrls & 4u) && lim->cpu_weight && emp_cgroup_set_cpu_weight(dir, t->v2, lim->cpu_weight) < 0)
                r = emp_error_errno(err, -errno, "cgroup: writing the cpu weight in %s", dir);
        return r;
}

int emp_cgroup_set_cpu_weight(const char *dir, bool v2, uint32_t weight)
{
        char path[4200], val[32];
        snprintf(path, sizeof(path), "%s/%s", dir, v2 ? "cpu.weight" : "cpu.shares");
        snprintf(val, sizeof(val), "%" PRIu64, v2 ? (uint64_t)weight : emp_cgroup_weight_to_shares(weight));
        int r = emp_write_string(path, val);
        if (r < 0)
                errno = -r;
        return r;
}

int emp_cgroup_cpu_index(const struct emp_cgroup *cg)
{
        for (size_t i = 0; cg && i < cg->n_dirs; i++)
                if (cg->ctrls[i] & 4u)
                        return (int)i;
        return -1;
}

static int enable_v2_controllers(const char *parent, unsigned ctrls, struct emp_error *err)
{
        char path[4200], buf[64] = "";
        snprintf(path, sizeof(path), "%s/cgroup.subtree_control", parent);
        for (size_t i = 0; i < 3; i++)
                if (ctrls & (1u << i)) {
                        strcat(buf, buf[0] ? " +" : "+");
                        strcat(buf, ctrl_names[i]);
                }
        int r = emp_write_string(path, buf);
        return r < 0 ? emp_error_errno(err, r, "cgroup: enabling %s in %s", buf, path) : 0;
}

/* Cgroups of launchers that died without cleaning up (SIGKILL): ours by
 * name (APP-PID under Empyra's parent), their launcher gone (ESRCH, so not
 * a reused pid we may not signal either) and empty (rmdir refuses
 * otherwise: an orphaned sandbox still running keeps its cgroup). */
static void reap_stale(const char *parent)
{
        DIR *d = opendir(parent);
        if (!d)
                return;
        struct dirent *e;
        while ((e = readdir(d))) {
                const char *dash = strrchr(e->d_name, '-');
                if (e->d_type != DT_DIR || !dash || !dash[1] || strspn(dash + 1, "0123456789") != strlen(dash + 1))
                        continue;
                long pid = strtol(dash + 1, NULL, 10);
                if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
                        continue;
                char path[PATH_MAX];
                if (snprintf(path, sizeof(path), "%s/%s", parent, e->d_name) < (int)sizeof(path))
                        rmdir(path);
        }
        closedir(d);
}

int emp_cgroup_create(const char *app_id, const struct emp_cgroup_limits *lim, struct emp_cgroup **ret,
                      struct emp_error *err)
{
        unsigned need = (lim->memory_max ? 1u : 0) | (lim->pids_max ? 2u : 0) | (lim->cpu_weight || lim->cpu ? 4u : 0);
        struct cg_target t[4];
        size_t n = 0;
        int r = find_targets(need, t, &n, err);
        if (r < 0)
                return r;
        struct emp_cgroup *cg = calloc(1, sizeof(*cg));
        if (!cg)
                return -ENOMEM;
        size_t off = 0;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *parent = NULL;
                if ((r = parent_dir(&t[i], &parent, err)) < 0)
                        goto fail;
                if (mkdir(parent, 0755) < 0 && errno != EEXIST) {
                        r = emp_error_errno(err, -errno, "cgroup: creating %s", parent);
                        goto fail;
                }
                if (t[i].v2 && (r = enable_v2_controllers(parent, t[i].ctrls, err)) < 0)
                        goto fail;
                reap_stale(parent);
                char *dir = NULL;
                if (asprintf(&dir, "%s/%s-%ld", parent, app_id, (long)getpid()) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
                /* Another launcher may remove the shared parent when it finds it
                 * empty, between our two mkdirs: make it again then. */
                int e = 0;
                for (int tries = 0; tries < 5; tries++) {
                        e = mkdir(dir, 0755) < 0 ? -errno : 0;
                        if (e != -ENOENT || (mkdir(parent, 0755) < 0 && errno != EEXIST))
                                break;
                }
                if (e < 0) {
                        r = emp_error_errno(err, e, "cgroup: creating %s", dir);
                        free(dir);
                        goto fail;
                }
                const char *deleg = getenv("EMPYRA_CGROUP_PARENT");
                cg->parents[cg->n_dirs] = deleg && deleg[0] ? NULL : TAKE_PTR(parent);
                cg->v2[cg->n_dirs] = t[i].v2;
                cg->ctrls[cg->n_dirs] = t[i].ctrls;
                cg->dirs[cg->n_dirs++] = dir;
                if ((r = write_limits(&t[i], dir, lim, err)) < 0)
                        goto fail;
                off += (size_t)snprintf(cg->desc + off, sizeof(cg->desc) - off, "%s%s (%s)", off ? ", " : "",
                                        dir, t[i].v2 ? "v2" : "v1");
                if (off >= sizeof(cg->desc))
                        off = sizeof(cg->desc) - 1;
        }
        *ret = cg;
        return 0;
fail:
        emp_cgroup_destroy(cg);
        return r;
}

int emp_cgroup_attach(const struct emp_cgroup *cg, pid_t pid, struct emp_error *err)
{
        char val[32];
        snprintf(val, sizeof(val), "%ld", (long)pid);
        for (size_t i = 0; i < cg->n_dirs; i++) {
                char path[4200];
                snprintf(path, sizeof(path), "%s/cgroup.procs", cg->dirs[i]);
                int r = emp_write_string(path, val);
                if (r < 0)
                        return emp_error_errno(err, r, "cgroup: moving the sandbox into %s", cg->dirs[i]);
        }
        return 0;
}

void emp_cgroup_destroy(struct emp_cgroup *cg)
{
        if (!cg)
                return;
        for (size_t i = 0; i < cg->n_dirs; i++) {
                /* The kernel may still be tearing down the last tasks. */
                for (int tries = 0; tries < 100 && rmdir(cg->dirs[i]) < 0 && errno == EBUSY; tries++)
                        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
                /* Empyra's own parent goes when no other app uses it. */
                if (cg->parents[i])
                        rmdir(cg->parents[i]);
                free(cg->dirs[i]);
                free(cg->parents[i]);
        }
        free(cg);
}
