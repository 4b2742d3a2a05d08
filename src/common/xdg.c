/* xdg.c — resolve Empyra's directories from the XDG base directory
 * variables, falling back as DESIGN.md §10 says. */
#include "xdg.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"

static char *path_join(const char *a, const char *b)
{
        char *r = NULL;
        if (asprintf(&r, "%s/%s", a, b) < 0)
                return NULL;
        return r;
}

/* XDG says: relative values are invalid and must be ignored. */
static const char *xdg_env(const char *name)
{
        const char *v = getenv(name);
        return v && v[0] == '/' ? v : NULL;
}

static char *xdg_dir(const char *var, const char *home, const char *fallback)
{
        const char *v = xdg_env(var);
        if (v)
                return path_join(v, "empyra");
        _cleanup_free_ char *base = path_join(home, fallback);
        return base ? path_join(base, "empyra") : NULL;
}

int emp_dirs_init(struct emp_dirs *d)
{
        struct emp_dirs r = {0};
        const char *home = xdg_env("HOME");
        if (!home) {
                struct passwd *pw = getpwuid(getuid());
                if (!pw || !pw->pw_dir || pw->pw_dir[0] != '/')
                        return -ENOENT;
                home = pw->pw_dir;
        }
        r.home = strdup(home);
        r.config = xdg_dir("XDG_CONFIG_HOME", home, ".config");
        r.state = xdg_dir("XDG_STATE_HOME", home, ".local/state");
        r.data = xdg_dir("XDG_DATA_HOME", home, ".local/share");
        const char *rt = xdg_env("XDG_RUNTIME_DIR");
        char fallback[64];
        if (!rt) {
                snprintf(fallback, sizeof(fallback), "/run/user/%u", (unsigned)getuid());
                struct stat st;
                if (stat(fallback, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid())
                        rt = fallback;
        }
        if (rt) {
                r.host_runtime = strdup(rt);
                r.runtime = path_join(rt, "empyra");
        } else {
                const char *tmp = xdg_env("TMPDIR");
                if (asprintf(&r.runtime, "%s/empyra-%u", tmp ? tmp : "/tmp", (unsigned)getuid()) < 0)
                        r.runtime = NULL;
        }
        if (!r.home || !r.config || !r.state || !r.data || !r.runtime || (rt && !r.host_runtime)) {
                emp_dirs_free(&r);
                return -ENOMEM;
        }
        *d = r;
        return 0;
}

void emp_dirs_free(struct emp_dirs *d)
{
        free(d->home);
        free(d->config);
        free(d->state);
        free(d->data);
        free(d->runtime);
        free(d->host_runtime);
        *d = (struct emp_dirs){0};
}

int emp_dirs_ensure_runtime(const struct emp_dirs *d)
{
        if (d->host_runtime) {
                if (mkdir(d->runtime, 0700) < 0 && errno != EEXIST)
                        return -errno;
        } else if (mkdir(d->runtime, 0700) < 0 && errno != EEXIST) {
                return -errno;
        }
        struct stat st;
        if (lstat(d->runtime, &st) < 0)
                return -errno;
        /* In a shared /tmp another user could have created it first. */
        if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 0077))
                return -EPERM;
        return 0;
}
