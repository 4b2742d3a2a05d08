/* rotate.c — audit.log becomes audit.log.1 when full, older files shift up,
 * those beyond `keep` go, and the genesis moves so the chain still verifies. */
#include "audit_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/cleanup.h"

static int rename_index(int dirfd, unsigned from, unsigned to)
{
        char a[AUDIT_NAME_MAX], b[AUDIT_NAME_MAX];
        audit_file_name(from, a, sizeof(a));
        audit_file_name(to, b, sizeof(b));
        return renameat(dirfd, a, dirfd, b) < 0 ? -errno : 0;
}

static int unlink_index(int dirfd, unsigned index)
{
        char name[AUDIT_NAME_MAX];
        audit_file_name(index, name, sizeof(name));
        return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
}

/* Rotated files older than the first one starting at the genesis. */
static size_t count_stale(int dirfd, const struct audit_set *set, const struct audit_pos *genesis)
{
        for (size_t i = 0; i < set->n; i++) {
                struct audit_pos start;
                if (audit_file_start(dirfd, set->index[i], &start) == 0 && audit_pos_equal(&start, genesis))
                        return i;
        }
        return 0; /* none starts there: leave everything for verify to report */
}

int audit_rotation_repair(int dirfd, const struct audit_pos *genesis, bool *ret_changed)
{
        struct audit_set set;
        int r = audit_set_list(dirfd, &set);
        if (r < 0)
                return r;
        size_t first = genesis ? count_stale(dirfd, &set, genesis) : 0;
        bool changed = first > 0;
        for (size_t i = 0; r == 0 && i < first; i++)
                r = unlink_index(dirfd, set.index[i]);
        /* Renumber the rest 1..m, lowest first, so no rename lands on a
         * file not yet moved; the order, and so the chain, is unchanged. */
        for (size_t k = set.n - 1; r == 0 && k-- > first;) {
                unsigned target = (unsigned)(set.n - 1 - k);
                if (set.index[k] == target)
                        continue;
                r = rename_index(dirfd, set.index[k], target);
                changed = true;
        }
        audit_set_free(&set);
        if (r == 0 && changed && fsync(dirfd) < 0)
                r = -errno;
        if (r == 0)
                *ret_changed = changed;
        return r;
}

/* Files past keep go. The genesis moves first, to where the oldest kept
 * file starts: a crash in between leaves stale files (removed on the next
 * open, skipped by verify), never a chain without its anchor. */
static int drop_oldest(struct emp_audit *a, unsigned m, unsigned *ret_m)
{
        struct audit_pos start;
        int r = audit_file_start(a->dirfd, a->keep - 1, &start);
        if (r == -ENODATA || r == -ENOENT) {
                /* Where it starts cannot be read (damage verify will name):
                 * keep every file rather than lose the anchor. */
                *ret_m = m;
                return 0;
        }
        if (r == 0)
                r = audit_state_write(a->dirfd, AUDIT_STATE_GENESIS, a->key, &start);
        for (unsigned i = m; r == 0 && i >= a->keep; i--)
                r = unlink_index(a->dirfd, i);
        if (r == 0)
                *ret_m = a->keep - 1;
        return r;
}

int audit_rotate(struct emp_audit *a, struct emp_error *err)
{
        /* The head must close this file before it becomes audit.log.1. */
        int r = emp_audit_flush(a, err);
        if (r < 0)
                return r;
        bool changed;
        struct audit_set set = {0};
        r = audit_rotation_repair(a->dirfd, NULL, &changed);
        if (r == 0)
                r = audit_set_list(a->dirfd, &set);
        unsigned m = set.n > 0 ? (unsigned)set.n - 1 : 0;
        audit_set_free(&set);
        if (r == 0 && m >= a->keep)
                r = drop_oldest(a, m, &m);
        for (unsigned i = m; r == 0 && i >= 1; i--)
                r = rename_index(a->dirfd, i, i + 1);
        if (r == 0)
                r = rename_index(a->dirfd, 0, 1);
        if (r < 0)
                return emp_error_errno(err, r, "audit: rotating %s", AUDIT_LOG);
        /* Never write to the renamed file again; the next line opens a new
         * audit.log, and the flush after it fsyncs the directory. */
        emp_closep(&a->fd);
        a->fd = -1;
        a->size = 0;
        a->dir_dirty = true;
        return 0;
}
