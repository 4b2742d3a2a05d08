/* sandbox.c — lifetime of the launch plan (struct emp_sandbox) and the small
 * builders plan.c uses to append mounts and notes. */
#include "sandbox.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "common/strv.h"

void emp_sandbox_init(struct emp_sandbox *sb)
{
        *sb = (struct emp_sandbox){.home_fd = -1};
}

void emp_sandbox_free(struct emp_sandbox *sb)
{
        for (size_t i = 0; i < sb->n_mounts; i++) {
                struct emp_mount *m = &sb->mounts[i];
                free(m->src);
                free(m->dest);
                free(m->data);
                free(m->src_base);
                if (m->tree_fd >= 0)
                        close(m->tree_fd);
        }
        free(sb->mounts);
        emp_strv_free(sb->covers);
        emp_strv_free(sb->envp);
        emp_strv_free(sb->notes);
        free(sb->app_id);
        free(sb->home_inside);
        free(sb->cwd_inside);
        free(sb->hostname);
        emp_dirs_free(&sb->dirs);
        emp_cgroup_destroy(sb->cgroup);
        free(sb->focus_entry);
        if (sb->home_fd >= 0)
                close(sb->home_fd);
        *sb = (struct emp_sandbox){.home_fd = -1};
}

void emp_sandbox_note(struct emp_sandbox *sb, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r >= 0) {
                emp_strv_push(&sb->notes, s);
                free(s);
        }
}

struct emp_mount *emp_sandbox_add_mount(struct emp_sandbox *sb, enum emp_mount_kind kind, const char *src,
                                        const char *dest, unsigned flags, mode_t mode)
{
        struct emp_mount *nm = realloc(sb->mounts, (sb->n_mounts + 1) * sizeof(*nm));
        if (!nm)
                return NULL;
        sb->mounts = nm;
        struct emp_mount *m = &nm[sb->n_mounts];
        *m = (struct emp_mount){.kind = kind, .flags = flags, .mode = mode, .tree_fd = -1};
        m->src = src ? strdup(src) : NULL;
        m->dest = strdup(dest);
        if ((src && !m->src) || !m->dest) {
                free(m->src);
                free(m->dest);
                return NULL;
        }
        sb->n_mounts++;
        return m;
}

int emp_sandbox_add_data(struct emp_sandbox *sb, const char *src, const char *dest, mode_t mode, char *data,
                         size_t len)
{
        if (!data)
                return -ENOMEM;
        struct emp_mount *m = emp_sandbox_add_mount(sb, EMP_MNT_FILE, src, dest, 0, mode);
        if (!m) {
                free(data);
                return -ENOMEM;
        }
        m->data = data;
        m->data_len = len;
        return 0;
}
