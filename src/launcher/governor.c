/* governor.c — switch cpufreq governors for focus and put them back. The
 * saved state is a file in the runtime dir, so a clear from another process
 * (the app's launcher ending) restores what the focus command changed. */
#include "governor.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"

static const char *sysfs_cpu(void)
{
        /* Tests point this at a fake tree; only root's own invocation reads it. */
        const char *t = getenv("EMPYRA_TEST_SYSFS_CPU");
        return t && t[0] == '/' ? t : "/sys/devices/system/cpu";
}

static int governor_files(glob_t *g)
{
        char pattern[512];
        snprintf(pattern, sizeof(pattern), "%s/cpu[0-9]*/cpufreq/scaling_governor", sysfs_cpu());
        return glob(pattern, 0, NULL, g) == 0 ? 0 : -ENOENT;
}

static char *read_value(const char *path)
{
        char *v = NULL;
        if (emp_read_file(path, 256, &v, NULL) < 0)
                return NULL;
        v[strcspn(v, "\n")] = '\0';
        return v;
}

static bool performance_available(const char *gov_path)
{
        char path[600];
        snprintf(path, sizeof(path), "%.*savailable_governors", (int)(strlen(gov_path) - strlen("governor")),
                 gov_path);
        _cleanup_free_ char *avail = read_value(path);
        return avail && strstr(avail, "performance");
}

static char *saved_path(const char *runtime)
{
        char *p = NULL;
        return asprintf(&p, "%s/governor.saved", runtime) < 0 ? NULL : p;
}

/* "PATH=GOVERNOR" lines, written whole before anything is changed. */
static int save(const char *runtime, glob_t *g)
{
        _cleanup_free_ char *path = saved_path(runtime), *text = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&text, &len);
        if (!path || !mem)
                return -ENOMEM;
        for (size_t i = 0; i < g->gl_pathc; i++) {
                _cleanup_free_ char *v = read_value(g->gl_pathv[i]);
                if (v)
                        fprintf(mem, "%s=%s\n", g->gl_pathv[i], v);
        }
        fclose(mem);
        char tmp[4200];
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        int r = emp_write_file_at(AT_FDCWD, tmp, text, len, 0600);
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        return r;
}

static void restore(const char *runtime, FILE *report)
{
        _cleanup_free_ char *path = saved_path(runtime), *text = NULL;
        if (!path || emp_read_file(path, 1 << 20, &text, NULL) < 0)
                return; /* nothing was changed */
        const char *root = sysfs_cpu();
        unsigned n = 0;
        static const char suffix[] = "/cpufreq/scaling_governor";
        for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char *eq = strrchr(l, '=');
                if (!eq)
                        continue;
                *eq = '\0';
                size_t len = strlen(l);
                /* Only ever a governor file under the cpu tree. */
                if (strncmp(l, root, strlen(root)) != 0 || l[strlen(root)] != '/' || strstr(l, "..") ||
                    len < sizeof(suffix) || strcmp(l + len - (sizeof(suffix) - 1), suffix) != 0)
                        continue;
                if (emp_write_string(l, eq + 1) == 0)
                        n++;
        }
        unlink(path);
        if (report)
                fprintf(report, "governor: previous governors restored on %u CPU(s)\n", n);
}

void emp_governor_apply(const char *runtime, bool focused, FILE *report)
{
        if (!focused) {
                restore(runtime, report);
                return;
        }
        glob_t g;
        if (governor_files(&g) < 0) {
                if (report)
                        fprintf(report, "not applied: CPU governor (no cpufreq on this machine)\n");
                return;
        }
        if (geteuid() != 0) {
                if (report)
                        fprintf(report, "not applied: CPU governor (needs root: Empyra's privileged helper is not "
                                        "built yet)\n");
                globfree(&g);
                return;
        }
        _cleanup_free_ char *path = saved_path(runtime);
        /* Saved once per focus period: a second focus keeps the first state. */
        if (path && access(path, F_OK) < 0 && save(runtime, &g) < 0) {
                if (report)
                        fprintf(report, "not applied: CPU governor (cannot save the current governors)\n");
                globfree(&g);
                return;
        }
        unsigned n = 0, missing = 0;
        for (size_t i = 0; i < g.gl_pathc; i++) {
                if (!performance_available(g.gl_pathv[i])) {
                        missing++;
                        continue;
                }
                if (emp_write_string(g.gl_pathv[i], "performance") == 0)
                        n++;
        }
        if (report) {
                fprintf(report, "governor: performance on %u of %zu CPU(s)\n", n, g.gl_pathc);
                if (missing)
                        fprintf(report, "not applied: CPU governor on %u CPU(s) (no performance governor)\n", missing);
        }
        globfree(&g);
}
