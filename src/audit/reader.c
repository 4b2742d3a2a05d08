/* reader.c — `empyra audit` and the dashboard's live view: iterate over the
 * log's records (optionally of one app) and follow lines as they are appended. */
#include "audit_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"

struct emp_audit_reader {
        int dirfd;
        char *app;
        unsigned *queue; /* files still to read, oldest first */
        size_t nqueue, next;
        bool follow; /* at the end, wait for more and follow rotations */
        int fd;      /* the file being read, -1 between files */
        char name[AUDIT_NAME_MAX];
        struct audit_lines lines;
        uint64_t lineno, skipped;
        struct audit_parsed parsed; /* the entry last returned points into it */
};

void emp_audit_reader_free(struct emp_audit_reader *r)
{
        if (!r)
                return;
        audit_parsed_free(&r->parsed);
        audit_lines_free(&r->lines);
        emp_closep(&r->fd);
        emp_closep(&r->dirfd);
        free(r->queue);
        free(r->app);
        free(r);
}

static void reader_freep(struct emp_audit_reader **r)
{
        emp_audit_reader_free(*r);
}

static int reader_new(const char *dir, const char *app, struct emp_audit_reader **ret)
{
        if (!dir || !ret)
                return -EINVAL;
        __attribute__((cleanup(reader_freep))) struct emp_audit_reader *r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->fd = -1;
        r->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (r->dirfd < 0)
                return -errno;
        if (app && !(r->app = strdup(app)))
                return -ENOMEM;
        *ret = TAKE_PTR(r);
        return 0;
}

static void close_file(struct emp_audit_reader *r)
{
        audit_lines_free(&r->lines);
        emp_closep(&r->fd);
        r->fd = -1;
}

/* Read fd (taken) as file index from offset. */
static int adopt_file(struct emp_audit_reader *r, int fd, unsigned index, uint64_t offset)
{
        int e = audit_lines_init(&r->lines, fd, offset);
        if (e < 0) {
                close(fd);
                return e;
        }
        audit_file_name(index, r->name, sizeof(r->name));
        r->fd = fd;
        r->lineno = 0;
        return 0;
}

/* Open file index at offset; -ENOENT when it is not there (yet). */
static int open_file(struct emp_audit_reader *r, unsigned index, uint64_t offset)
{
        char name[AUDIT_NAME_MAX];
        audit_file_name(index, name, sizeof(name));
        _cleanup_close_ int fd = openat(r->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (offset && lseek(fd, (off_t)offset, SEEK_SET) < 0)
                return -errno;
        return adopt_file(r, TAKE_FD(fd), index, offset);
}

int emp_audit_reader_open(const char *dir, const char *app, unsigned flags, struct emp_audit_reader **ret)
{
        __attribute__((cleanup(reader_freep))) struct emp_audit_reader *r = NULL;
        int e = reader_new(dir, app, &r);
        if (e < 0)
                return e;
        struct audit_set set = {0};
        if (flags & EMP_AUDIT_READ_ROTATED) {
                e = audit_set_list(r->dirfd, &set);
                if (e < 0)
                        return e;
        } else {
                set.index = calloc(1, sizeof(*set.index));
                set.n = 1;
                if (!set.index)
                        return -ENOMEM;
        }
        r->queue = set.index;
        r->nqueue = set.n;
        *ret = TAKE_PTR(r);
        return 0;
}

/* Just past the last newline at or before size, so following starts at a
 * line, even while a line is being written. */
static int line_start_before(int fd, uint64_t size, uint64_t *ret)
{
        char buf[4096];
        uint64_t end = size;
        while (end > 0) {
                size_t n = end < sizeof(buf) ? (size_t)end : sizeof(buf);
                ssize_t got = pread(fd, buf, n, (off_t)(end - n));
                if (got < 0)
                        return -errno;
                if ((size_t)got != n)
                        return -EIO; /* shrank under us: the caller retries */
                const char *nl = memrchr(buf, '\n', n);
                if (nl) {
                        *ret = end - n + (uint64_t)(nl - buf) + 1;
                        return 0;
                }
                end -= n;
        }
        *ret = 0;
        return 0;
}

int emp_audit_follow_open(const char *dir, const char *app, uint64_t offset, struct emp_audit_reader **ret)
{
        __attribute__((cleanup(reader_freep))) struct emp_audit_reader *r = NULL;
        int e = reader_new(dir, app, &r);
        if (e < 0)
                return e;
        r->follow = true;
        _cleanup_close_ int fd = openat(r->dirfd, AUDIT_LOG, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0 && errno != ENOENT)
                return -errno;
        if (fd >= 0) {
                struct stat st;
                if (fstat(fd, &st) < 0)
                        return -errno;
                /* Past the end: an offset from before a rotation. */
                if (offset > (uint64_t)st.st_size)
                        offset = EMP_AUDIT_OFFSET_END;
                if (offset == EMP_AUDIT_OFFSET_END && (e = line_start_before(fd, (uint64_t)st.st_size, &offset)) < 0)
                        return e;
                e = open_file(r, 0, offset);
                if (e < 0 && e != -ENOENT)
                        return e;
        }
        *ret = TAKE_PTR(r);
        return 0;
}

/* Following: has audit.log been renamed away from under our fd? */
static bool rotated_away(struct emp_audit_reader *r)
{
        struct stat now, ours;
        if (fstat(r->fd, &ours) < 0)
                return false;
        if (fstatat(r->dirfd, AUDIT_LOG, &now, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT;
        return now.st_dev != ours.st_dev || now.st_ino != ours.st_ino;
}

static bool is_file(struct emp_audit_reader *r, unsigned index, const struct stat *want)
{
        char name[AUDIT_NAME_MAX];
        struct stat st;
        audit_file_name(index, name, sizeof(name));
        return fstatat(r->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == want->st_dev &&
               st.st_ino == want->st_ino;
}

/* Where our file is in the set now (-1: dropped), and the file after it. */
static int find_successor(struct emp_audit_reader *r, const struct stat *ours, int *ret_at, unsigned *ret_next)
{
        struct audit_set set;
        int e = audit_set_list(r->dirfd, &set);
        if (e < 0)
                return e;
        size_t i = 0;
        while (i < set.n && !is_file(r, set.index[i], ours))
                i++;
        /* Dropped already (a slow follower): lines were lost, go on from the oldest. */
        *ret_at = i < set.n ? (int)set.index[i] : -1;
        *ret_next = i + 1 < set.n ? set.index[i + 1] : set.index[0];
        e = i + 1 == set.n ? -EAGAIN : 0; /* still audit.log: nothing follows yet */
        audit_set_free(&set);
        return e;
}

/* Our file was rotated: move to the one after it, however many rotations
 * ago that was. 1 when moved; 0 when nothing follows yet (the old file stays
 * open until something does). Rotation goes on meanwhile, so the successor
 * counts only if our file was still where we found it after opening it. */
static int open_successor(struct emp_audit_reader *r)
{
        struct stat ours;
        if (fstat(r->fd, &ours) < 0)
                return -errno;
        for (int attempt = 0; attempt < 8; attempt++) {
                int at;
                unsigned next;
                int e = find_successor(r, &ours, &at, &next);
                if (e == -EAGAIN)
                        return 0;
                if (e < 0)
                        return e;
                char name[AUDIT_NAME_MAX];
                audit_file_name(next, name, sizeof(name));
                _cleanup_close_ int fd = openat(r->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
                if (fd < 0 && errno == ENOENT && next == 0)
                        return 0; /* renamed, the new audit.log not created yet */
                if (fd < 0 && errno != ENOENT)
                        return -errno;
                if (fd >= 0 && (at < 0 || is_file(r, (unsigned)at, &ours))) {
                        close_file(r);
                        return adopt_file(r, TAKE_FD(fd), next, 0) < 0 ? -ENOMEM : 1;
                }
        }
        return 0;
}

static void fill_entry(struct emp_audit_reader *r, const struct audit_line *line, struct emp_audit_entry *ret)
{
        const struct audit_parsed *p = &r->parsed;
        *ret = (struct emp_audit_entry){
                .seq = p->seq,
                .time = p->field[AUDIT_F_TIME],
                .app = p->field[AUDIT_F_APP],
                .instance = p->field[AUDIT_F_INSTANCE],
                .permission = p->field[AUDIT_F_PERMISSION],
                .decision = p->field[AUDIT_F_DECISION],
                .source = p->field[AUDIT_F_SOURCE],
                .name = p->field[AUDIT_F_NAME],
                .address = p->field[AUDIT_F_ADDRESS],
                .protocol = p->field[AUDIT_F_PROTOCOL],
                .path = p->field[AUDIT_F_PATH],
                .port = p->port,
                .line = line->data,
                .line_len = line->len,
                .file = r->name,
                .lineno = r->lineno,
        };
}

/* The next record of the current file: 1, or 0 at its (current) end. */
static int next_in_file(struct emp_audit_reader *r, struct emp_audit_entry *ret)
{
        struct audit_line line;
        int e;
        while ((e = audit_lines_next(&r->lines, &line)) == 1) {
                r->lineno++;
                audit_parsed_free(&r->parsed);
                e = line.too_long ? -EBADMSG : audit_record_parse(line.data, line.len, &r->parsed, NULL);
                if (e == -ENOMEM)
                        return e;
                if (e < 0) {
                        r->skipped++;
                        continue;
                }
                if (r->app && strcmp(r->app, r->parsed.field[AUDIT_F_APP]) != 0)
                        continue;
                fill_entry(r, &line, ret);
                return 1;
        }
        return e;
}

int emp_audit_reader_next(struct emp_audit_reader *r, struct emp_audit_entry *ret)
{
        for (;;) {
                if (r->fd < 0) {
                        bool queued = r->next < r->nqueue;
                        if (!queued && !r->follow)
                                return 0;
                        int e = open_file(r, queued ? r->queue[r->next++] : 0, 0);
                        if (e == -ENOENT && queued)
                                continue;
                        if (e == -ENOENT)
                                return 0; /* following, and audit.log is not there yet */
                        if (e < 0)
                                return e;
                }
                int e = next_in_file(r, ret);
                if (e != 0)
                        return e;
                /* An unfinished line at the end of a file that is done
                 * (queued before others, or rotated) is no record. */
                if (r->next < r->nqueue) {
                        close_file(r);
                        continue;
                }
                if (r->follow && rotated_away(r)) {
                        /* Its last lines may have landed after our read but
                         * before the rename: read once more, then move on. */
                        e = next_in_file(r, ret);
                        if (e != 0)
                                return e;
                        e = open_successor(r);
                        if (e <= 0)
                                return e;
                        continue;
                }
                return 0;
        }
}

uint64_t emp_audit_reader_offset(const struct emp_audit_reader *r)
{
        return r->fd >= 0 ? audit_lines_offset(&r->lines) : 0;
}

uint64_t emp_audit_reader_skipped(const struct emp_audit_reader *r)
{
        return r->skipped;
}
