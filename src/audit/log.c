/* log.c — the audit writer empyrad uses: one lock-holding writer appends
 * chained lines, fsyncs them in batches of at most a second, records the head. */
#include "audit_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/cleanup.h"
#include "common/fs.h"

int64_t audit_now_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void audit_free(struct emp_audit *a)
{
        if (!a)
                return;
        /* Closing the lock fd releases the writer lock. */
        emp_closep(&a->fd);
        emp_closep(&a->lockfd);
        emp_closep(&a->dirfd);
        sodium_memzero(a->key, sizeof(a->key));
        free(a);
}

static void audit_freep(struct emp_audit **a)
{
        audit_free(*a);
}

static int open_dir(const char *dir, int *ret, struct emp_error *err)
{
        int r = emp_mkdir_p(dir, 0700);
        if (r < 0)
                return emp_error_errno(err, r, "audit: creating %s", dir);
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return emp_error_errno(err, -errno, "audit: opening %s", dir);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return emp_error_errno(err, -errno, "audit: %s", dir);
        /* Another user's directory could hold a key they know. */
        if (st.st_uid != geteuid())
                return emp_error_set(err, -EPERM, "audit: %s belongs to uid %u, not to us", dir, (unsigned)st.st_uid);
        *ret = TAKE_FD(fd);
        return 0;
}

/* One writer: two would interleave chains. */
static int take_lock(struct emp_audit *a, struct emp_error *err)
{
        a->lockfd = openat(a->dirfd, AUDIT_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (a->lockfd < 0)
                return emp_error_errno(err, -errno, "audit: opening %s", AUDIT_LOCK);
        if (flock(a->lockfd, LOCK_EX | LOCK_NB) < 0) {
                if (errno == EWOULDBLOCK)
                        return emp_error_set(err, -EBUSY, "audit: another process is writing the log");
                return emp_error_errno(err, -errno, "audit: locking %s", AUDIT_LOCK);
        }
        return 0;
}

static int open_log(struct emp_audit *a, struct emp_error *err)
{
        _cleanup_close_ int fd =
                openat(a->dirfd, AUDIT_LOG, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0)
                return emp_error_errno(err, -errno, "audit: opening %s", AUDIT_LOG);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return emp_error_errno(err, -errno, "audit: %s", AUDIT_LOG);
        if (!S_ISREG(st.st_mode))
                return emp_error_set(err, -EINVAL, "audit: %s is not a regular file", AUDIT_LOG);
        a->size = (uint64_t)st.st_size;
        /* A new file's directory entry must become durable with its lines. */
        if (a->size == 0)
                a->dir_dirty = true;
        a->fd = TAKE_FD(fd);
        return 0;
}

/* Restart after damage: the old files go aside with their reason, a new
 * chain starts, and info says so for the daemon to log. */
static int restart_damaged(struct emp_audit *a, struct emp_audit_open_info *info, const struct emp_error *damage,
                           struct emp_error *err)
{
        int r = audit_move_aside(a, info->moved_to, sizeof(info->moved_to), err);
        if (r < 0)
                return r;
        snprintf(info->damage, sizeof(info->damage), "%s", damage->msg);
        info->flags |= EMP_AUDIT_OPENED_RESTARTED;
        return audit_writer_recover(a, info, err);
}

int emp_audit_open(const char *dir, const struct emp_audit_options *opts, struct emp_audit **ret,
                   struct emp_audit_open_info *ret_info, struct emp_error *err)
{
        struct emp_audit_options o = opts ? *opts : (struct emp_audit_options){0};
        if (!dir || !ret || o.keep > 1000)
                return emp_error_set(err, -EINVAL, "audit: bad arguments to open");
        __attribute__((cleanup(audit_freep))) struct emp_audit *a = calloc(1, sizeof(*a));
        if (!a)
                return emp_error_errno(err, -ENOMEM, "audit");
        a->dirfd = a->lockfd = a->fd = -1;
        a->max_size = o.max_size ? o.max_size : EMP_AUDIT_DEFAULT_MAX_SIZE;
        a->keep = o.keep ? o.keep : EMP_AUDIT_DEFAULT_KEEP;
        int r = open_dir(dir, &a->dirfd, err);
        if (r == 0)
                r = take_lock(a, err);
        if (r < 0)
                return r;
        struct emp_audit_open_info info = {0};
        struct emp_error damage = {0};
        r = audit_writer_recover(a, &info, &damage);
        if (r == -EBADMSG && o.restart_damaged)
                r = restart_damaged(a, &info, &damage, err);
        else if (r < 0)
                return emp_error_set(err, r, "%s", damage.msg);
        if (r < 0)
                return r;
        r = open_log(a, err);
        if (r < 0)
                return r;
        /* Recovery moved the chain past the head: record that at once. */
        if (!audit_pos_equal(&a->head, &a->last)) {
                a->deadline = audit_now_usec();
                r = emp_audit_flush(a, err);
                if (r < 0)
                        return r;
        }
        if (ret_info)
                *ret_info = info;
        *ret = TAKE_PTR(a);
        return 0;
}

/* One write(2) for the whole line; should the kernel take only part of it
 * (disk full, file size limit), cut the part off again so that the next line
 * never chains onto a fragment. */
static int write_line(struct emp_audit *a, const char *line, size_t len)
{
        size_t done = 0;
        int r = 0;
        while (done < len) {
                ssize_t n = write(a->fd, line + done, len - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        r = n < 0 ? -errno : -EIO;
                        break;
                }
                done += (size_t)n;
        }
        if (r < 0 && done > 0 && ftruncate(a->fd, (off_t)a->size) < 0)
                a->broken = true;
        return r;
}

int emp_audit_append(struct emp_audit *a, const struct emp_audit_record *rec, struct emp_error *err)
{
        if (!a || !rec)
                return emp_error_set(err, -EINVAL, "audit: bad arguments to append");
        if (a->broken)
                return emp_error_set(err, -EIO, "audit: a failed write could not be undone; reopen the log");
        _cleanup_free_ char *line = NULL;
        size_t len;
        struct audit_pos next = {.seq = a->last.seq + 1};
        int r = audit_record_format(rec, next.seq, a->last.hash, &line, &len, err);
        if (r < 0)
                return r;
        if (a->fd >= 0 && a->size > 0 && a->size + len > a->max_size) {
                r = audit_rotate(a, err);
                if (r < 0)
                        return r;
        }
        if (a->fd < 0 && (r = open_log(a, err)) < 0)
                return r;
        r = write_line(a, line, len);
        if (r < 0)
                return emp_error_errno(err, r, "audit: writing %s", AUDIT_LOG);
        audit_hash_line(a->key, line, len - 1, next.hash);
        a->last = next;
        a->size += len;
        int64_t now = audit_now_usec();
        if (a->deadline == 0)
                a->deadline = now + EMP_AUDIT_FLUSH_DELAY_USEC;
        else if (now >= a->deadline)
                /* The event loop is late; keep the promise here. Its own
                 * flush call reports a failure, and the line is written. */
                emp_audit_flush(a, NULL);
        return 0;
}

int emp_audit_flush(struct emp_audit *a, struct emp_error *err)
{
        if (!a)
                return 0;
        if (a->deadline == 0 && !a->dir_dirty)
                return 0;
        int r = 0;
        const char *what = AUDIT_LOG;
        if (a->fd >= 0 && fdatasync(a->fd) < 0)
                r = -errno;
        if (r == 0 && a->dir_dirty) {
                what = "the audit directory";
                r = fsync(a->dirfd) < 0 ? -errno : 0;
                a->dir_dirty = r < 0;
        }
        /* The head goes out only after the lines it vouches for are durable. */
        if (r == 0 && !audit_pos_equal(&a->head, &a->last)) {
                what = AUDIT_HEAD;
                r = audit_state_write(a->dirfd, AUDIT_STATE_HEAD, a->key, &a->last);
                if (r == 0) {
                        a->head = a->last;
                        audit_journal_head(&a->head);
                }
        }
        if (r < 0) {
                a->deadline = audit_now_usec() + EMP_AUDIT_FLUSH_DELAY_USEC;
                return emp_error_errno(err, r, "audit: syncing %s", what);
        }
        a->deadline = 0;
        return 0;
}

int64_t emp_audit_flush_deadline(const struct emp_audit *a)
{
        return a ? a->deadline : 0;
}

int emp_audit_flush_timeout_ms(const struct emp_audit *a)
{
        if (!a || a->deadline == 0)
                return -1;
        int64_t left = a->deadline - audit_now_usec();
        if (left <= 0)
                return 0;
        return (int)((left + 999) / 1000);
}

int emp_audit_close(struct emp_audit *a, struct emp_error *err)
{
        int r = emp_audit_flush(a, err);
        audit_free(a);
        return r;
}
