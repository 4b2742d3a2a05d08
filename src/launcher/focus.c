/* focus.c — focus state (a file naming the focused app), the registry of
 * running apps (a file per launcher) and applying weights to the cgroups
 * Empyra created for them. Writes replace files atomically. */
#include "focus.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "governor.h"

uint32_t emp_focus_cpu_weight(const char *focused, const struct emp_focus_app *a)
{
        if (!focused)
                return a->base_weight;
        return strcmp(focused, a->app_id) == 0 ? EMP_FOCUS_WEIGHT_HIGH : EMP_FOCUS_WEIGHT_LOW;
}

static int write_atomic(const char *path, const char *text)
{
        char tmp[4200];
        snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        size_t len = strlen(text);
        /* Renamed into place so readers never see half a file; no fsync: the
         * runtime dir does not outlive the processes it describes. */
        if (write(fd, text, len) != (ssize_t)len || rename(tmp, path) < 0) {
                int e = errno ? -errno : -EIO;
                unlink(tmp);
                return e;
        }
        return 0;
}

static char *runtime_path(const char *runtime, const char *name)
{
        char *p = NULL;
        return asprintf(&p, "%s/%s", runtime, name) < 0 ? NULL : p;
}

int emp_focus_register(const char *runtime, const char *app_id, uint32_t base_weight,
                       const struct emp_cgroup *cg, char **ret_entry)
{
        int ci = emp_cgroup_cpu_index(cg);
        if (ci < 0)
                return -ENOENT;
        _cleanup_free_ char *dir = runtime_path(runtime, "running");
        if (!dir)
                return -ENOMEM;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        char *entry = NULL;
        _cleanup_free_ char *text = NULL;
        if (asprintf(&entry, "%s/%s.%ld", dir, app_id, (long)getpid()) < 0)
                return -ENOMEM;
        if (asprintf(&text, "app=%s\npid=%ld\nweight=%u\ncpu=%s\nv2=%d\nparent=%s\n", app_id, (long)getpid(),
                     base_weight, cg->dirs[ci], cg->v2[ci] ? 1 : 0, cg->parents[ci] ? cg->parents[ci] : "") < 0) {
                free(entry);
                return -ENOMEM;
        }
        int r = write_atomic(entry, text);
        if (r < 0) {
                free(entry);
                return r;
        }
        *ret_entry = entry;
        return 0;
}

void emp_focus_unregister(const char *entry)
{
        if (entry)
                unlink(entry);
}

static char *field(const char *text, const char *key)
{
        size_t kl = strlen(key);
        for (const char *l = text; l && *l;) {
                const char *nl = strchr(l, '\n');
                size_t len = nl ? (size_t)(nl - l) : strlen(l);
                if (len > kl && strncmp(l, key, kl) == 0 && l[kl] == '=')
                        return strndup(l + kl + 1, len - kl - 1);
                l = nl ? nl + 1 : NULL;
        }
        return NULL;
}

static void app_free(struct emp_focus_app *a)
{
        free(a->app_id);
        free(a->cpu_dir);
        free(a->parent_dir);
        free(a->entry);
}

/* An entry is trusted only as far as it names a cgroup under Empyra's own
 * parent: the registry is the user's, but a typo must not aim writes at
 * another cgroup. */
static int parse_entry(const char *path, struct emp_focus_app *a)
{
        _cleanup_free_ char *text = NULL, *pid = NULL, *w = NULL, *v2 = NULL;
        int r = emp_read_file(path, 8192, &text, NULL);
        if (r < 0)
                return r;
        *a = (struct emp_focus_app){0};
        a->app_id = field(text, "app");
        a->cpu_dir = field(text, "cpu");
        a->parent_dir = field(text, "parent");
        pid = field(text, "pid");
        w = field(text, "weight");
        v2 = field(text, "v2");
        a->entry = strdup(path);
        if (!a->app_id || !a->cpu_dir || !pid || !w || !v2 || !a->entry ||
            strncmp(a->cpu_dir, "/sys/fs/cgroup/", 15) != 0 || strstr(a->cpu_dir, "..")) {
                app_free(a);
                return -EBADMSG;
        }
        if (a->parent_dir && (!a->parent_dir[0] || strncmp(a->cpu_dir, a->parent_dir, strlen(a->parent_dir)) != 0)) {
                free(a->parent_dir);
                a->parent_dir = NULL;
        }
        a->pid = (pid_t)strtol(pid, NULL, 10);
        a->base_weight = (uint32_t)strtoul(w, NULL, 10);
        a->cpu_v2 = strcmp(v2, "1") == 0;
        return 0;
}

static bool entry_alive(const struct emp_focus_app *a)
{
        struct stat st;
        return a->pid > 0 && (kill(a->pid, 0) == 0 || errno == EPERM) && stat(a->cpu_dir, &st) == 0;
}

int emp_focus_list(const char *runtime, struct emp_focus_app **ret, size_t *ret_n)
{
        _cleanup_free_ char *dir = runtime_path(runtime, "running");
        if (!dir)
                return -ENOMEM;
        DIR *d = opendir(dir);
        struct emp_focus_app *apps = NULL;
        size_t n = 0;
        if (!d) {
                if (errno != ENOENT)
                        return -errno;
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || strchr(de->d_name, '.') == NULL || strstr(de->d_name, ".XXXX"))
                        continue;
                char path[4200];
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                struct emp_focus_app a;
                if (parse_entry(path, &a) < 0)
                        continue;
                if (!entry_alive(&a)) {
                        unlink(path); /* its launcher was killed */
                        app_free(&a);
                        continue;
                }
                struct emp_focus_app *na = realloc(apps, (n + 1) * sizeof(*na));
                if (!na) {
                        app_free(&a);
                        break;
                }
                apps = na;
                apps[n++] = a;
        }
        closedir(d);
        *ret = apps;
        *ret_n = n;
        return 0;
}

void emp_focus_list_free(struct emp_focus_app *apps, size_t n)
{
        for (size_t i = 0; i < n; i++)
                app_free(&apps[i]);
        free(apps);
}

int emp_focus_get(const char *runtime, char **ret)
{
        _cleanup_free_ char *path = runtime_path(runtime, "focus");
        if (!path)
                return -ENOMEM;
        char *text = NULL;
        int r = emp_read_file(path, 512, &text, NULL);
        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        text[strcspn(text, "\n")] = '\0';
        *ret = text;
        return 0;
}

/* Optional knobs of cgroup v2 controllers, written only where they exist. */
static void apply_extra(const struct emp_focus_app *a, const char *focused, FILE *report)
{
        if (!a->cpu_v2)
                return;
        bool me = focused && strcmp(focused, a->app_id) == 0;
        char path[4200];
        snprintf(path, sizeof(path), "%s/io.weight", a->cpu_dir);
        if (access(path, W_OK) == 0)
                emp_write_string(path, !focused ? "default 100" : me ? "default 1000" : "default 1");
        snprintf(path, sizeof(path), "%s/memory.low", a->cpu_dir);
        if (access(path, W_OK) == 0)
                emp_write_string(path, me ? "max" : "0");
        (void)report;
}

static void report_unavailable(FILE *report, const struct emp_focus_app *apps, size_t n)
{
        if (!report)
                return;
        bool v2 = false;
        for (size_t i = 0; i < n; i++)
                v2 |= apps[i].cpu_v2;
        char probe[4200] = "";
        if (n)
                snprintf(probe, sizeof(probe), "%s/io.weight", apps[0].cpu_dir);
        if (!v2 || access(probe, F_OK) < 0)
                fprintf(report, "not applied: io.weight (no io controller in the app's cgroup v2 hierarchy here)\n");
        if (n)
                snprintf(probe, sizeof(probe), "%s/memory.low", apps[0].cpu_dir);
        if (!v2 || access(probe, F_OK) < 0)
                fprintf(report, "not applied: memory.low (no cgroup v2 memory controller for the app here)\n");
}

int emp_focus_apply(const char *runtime, FILE *report, struct emp_error *err)
{
        _cleanup_free_ char *focused = NULL;
        int r = emp_focus_get(runtime, &focused);
        if (r < 0)
                return emp_error_errno(err, r, "focus: reading the focus state");
        struct emp_focus_app *apps = NULL;
        size_t n = 0;
        if ((r = emp_focus_list(runtime, &apps, &n)) < 0)
                return emp_error_errno(err, r, "focus: listing running apps");
        int first_err = 0;
        for (size_t i = 0; i < n; i++) {
                uint32_t w = emp_focus_cpu_weight(focused, &apps[i]);
                int e = emp_cgroup_set_cpu_weight(apps[i].cpu_dir, apps[i].cpu_v2, w);
                if (e < 0 && !first_err)
                        first_err = emp_error_errno(err, e, "focus: setting the cpu weight of %s", apps[i].cpu_dir);
                apply_extra(&apps[i], focused, report);
                if (report && e == 0)
                        fprintf(report, "cpu: %s %s weight %u (%s)\n", apps[i].app_id,
                                !focused ? "restored to" : strcmp(focused, apps[i].app_id) == 0 ? "focused," : "background,",
                                w, apps[i].cpu_dir);
        }
        /* Empyra's own parents: high while something is focused, so the
         * focused app also outweighs work outside Empyra. */
        for (size_t i = 0; i < n; i++) {
                if (!apps[i].parent_dir)
                        continue;
                bool seen = false;
                for (size_t j = 0; j < i; j++)
                        seen |= apps[j].parent_dir && strcmp(apps[j].parent_dir, apps[i].parent_dir) == 0;
                if (seen)
                        continue;
                uint32_t w = focused ? EMP_FOCUS_WEIGHT_HIGH : EMP_CPU_WEIGHT_DEFAULT;
                int e = emp_cgroup_set_cpu_weight(apps[i].parent_dir, apps[i].cpu_v2, w);
                if (e < 0 && !first_err)
                        first_err = emp_error_errno(err, e, "focus: setting the cpu weight of %s", apps[i].parent_dir);
                if (report && e == 0)
                        fprintf(report, "cpu: Empyra's parent cgroup weight %u (%s)\n", w, apps[i].parent_dir);
        }
        if (focused)
                report_unavailable(report, apps, n);
        emp_governor_apply(runtime, focused != NULL, report);
        emp_focus_list_free(apps, n);
        return first_err;
}

int emp_focus_set(const char *runtime, const char *app_id, FILE *report, struct emp_error *err)
{
        _cleanup_free_ char *path = runtime_path(runtime, "focus");
        if (!path)
                return -ENOMEM;
        if (app_id) {
                struct emp_focus_app *apps = NULL;
                size_t n = 0;
                int r = emp_focus_list(runtime, &apps, &n);
                if (r < 0)
                        return emp_error_errno(err, r, "focus: listing running apps");
                bool running = false;
                for (size_t i = 0; i < n; i++)
                        running |= strcmp(apps[i].app_id, app_id) == 0;
                emp_focus_list_free(apps, n);
                if (!running)
                        return emp_error_set(err, -ESRCH,
                                             "focus: %s is not running in its own cgroup (focus needs the app's "
                                             "cgroup: run as root or with EMPYRA_CGROUP_PARENT delegated)",
                                             app_id);
                char text[300];
                snprintf(text, sizeof(text), "%s\n", app_id);
                if ((r = write_atomic(path, text)) < 0)
                        return emp_error_errno(err, r, "focus: writing %s", path);
        } else if (unlink(path) < 0 && errno != ENOENT) {
                return emp_error_errno(err, -errno, "focus: removing %s", path);
        }
        return emp_focus_apply(runtime, report, err);
}

bool emp_focus_app_exit(const char *runtime, const char *app_id, pid_t self)
{
        _cleanup_free_ char *focused = NULL;
        if (emp_focus_get(runtime, &focused) < 0 || !focused || strcmp(focused, app_id) != 0)
                return false;
        struct emp_focus_app *apps = NULL;
        size_t n = 0;
        if (emp_focus_list(runtime, &apps, &n) < 0)
                return false;
        bool other = false;
        for (size_t i = 0; i < n; i++)
                other |= strcmp(apps[i].app_id, app_id) == 0 && apps[i].pid != self;
        emp_focus_list_free(apps, n);
        if (other)
                return false;
        emp_focus_set(runtime, NULL, NULL, NULL);
        return true;
}
