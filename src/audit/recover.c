/* recover.c — opening the log after whatever happened last (first use, a
 * crash inside the fsync window, a torn write, an interrupted rotation) and
 * telling those apart from damage, which is never repaired silently. */
#include "audit_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/cleanup.h"

static int damaged(struct emp_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int damaged(struct emp_error *err, const char *fmt, ...)
{
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return emp_error_set(err, -EBADMSG, "audit: %s", msg);
}

/* Whether any log file has content: then the state files must exist too. */
static int logs_present(int dirfd, bool *ret)
{
        struct audit_set set;
        int r = audit_set_list(dirfd, &set);
        if (r < 0)
                return r;
        bool any = set.n > 1;
        audit_set_free(&set);
        struct stat st;
        if (!any && fstatat(dirfd, AUDIT_LOG, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_size > 0)
                any = true;
        *ret = any;
        return 0;
}

static int init_fresh(struct emp_audit *a, struct emp_audit_open_info *info, struct emp_error *err)
{
        int r = audit_key_create(a->dirfd, a->key);
        if (r < 0)
                return emp_error_errno(err, r, "audit: creating %s", AUDIT_KEY);
        struct audit_pos genesis = {.seq = 1}, head = {.seq = 0};
        randombytes_buf(genesis.hash, sizeof(genesis.hash));
        memcpy(head.hash, genesis.hash, sizeof(head.hash));
        /* Head first: a head without a genesis is just first use again,
         * while a genesis without a head would look like damage. */
        r = audit_state_write(a->dirfd, AUDIT_STATE_HEAD, a->key, &head);
        if (r == 0)
                r = audit_state_write(a->dirfd, AUDIT_STATE_GENESIS, a->key, &genesis);
        if (r < 0)
                return emp_error_errno(err, r, "audit: writing the chain's state");
        a->last = a->head = head;
        info->flags |= EMP_AUDIT_OPENED_CREATED;
        return 0;
}

static int load_state(struct emp_audit *a, enum audit_state_kind kind, struct audit_pos *ret, struct emp_error *err)
{
        int r = audit_state_read(a->dirfd, kind, a->key, ret);
        if (r == -ENOENT)
                return damaged(err, "%s is missing but the log is not empty", audit_state_name(kind));
        if (r == -EBADMSG)
                return damaged(err, "%s is malformed or was not written with %s", audit_state_name(kind), AUDIT_KEY);
        if (r < 0)
                return emp_error_errno(err, r, "audit: reading %s", audit_state_name(kind));
        return 0;
}

/* Find the line hashing to head: 1 with *ret_end just past it, 0 when it is
 * not there. */
static int find_line(const unsigned char *key, int fd, const struct audit_pos *head, uint64_t *ret_end)
{
        struct audit_lines lines;
        int r = audit_lines_init(&lines, fd, 0);
        if (r < 0)
                return r;
        struct audit_line line;
        while ((r = audit_lines_next(&lines, &line)) == 1) {
                unsigned char hash[EMP_AUDIT_HASH_BYTES];
                if (line.too_long)
                        continue;
                audit_hash_line(key, line.data, line.len, hash);
                if (memcmp(hash, head->hash, sizeof(hash)) != 0)
                        continue;
                *ret_end = line.offset + line.len + 1;
                r = 1;
                break;
        }
        audit_lines_free(&lines);
        return r;
}

/* From offset on, take the lines that continue the chain from *chain; stop
 * at the first that does not, with *ret_end where it starts. */
static int follow_chain(const unsigned char *key, int fd, uint64_t offset, struct audit_pos *chain, uint64_t *ret_end,
                        uint64_t *ret_kept)
{
        if (lseek(fd, (off_t)offset, SEEK_SET) < 0)
                return -errno;
        struct audit_lines lines;
        int r = audit_lines_init(&lines, fd, offset);
        if (r < 0)
                return r;
        struct audit_line line;
        uint64_t kept = 0, end = offset;
        while ((r = audit_lines_next(&lines, &line)) == 1) {
                struct audit_parsed p;
                if (line.too_long || (r = audit_record_parse(line.data, line.len, &p, NULL)) < 0)
                        break;
                bool links = p.seq == chain->seq + 1 && memcmp(p.prev, chain->hash, sizeof(p.prev)) == 0;
                audit_parsed_free(&p);
                if (!links)
                        break;
                chain->seq++;
                audit_hash_line(key, line.data, line.len, chain->hash);
                end = line.offset + line.len + 1;
                kept++;
        }
        audit_lines_free(&lines);
        if (r < 0 && r != -EBADMSG)
                return r;
        *ret_end = end;
        *ret_kept = kept;
        return 0;
}

/* The last complete line of a rotated file, as a chain position: 1, or 0
 * when it has no complete line, -ENODATA when that line is no record. */
static int file_end(const unsigned char *key, int dirfd, unsigned index, struct audit_pos *ret)
{
        char name[AUDIT_NAME_MAX];
        audit_file_name(index, name, sizeof(name));
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        struct audit_lines lines;
        int r = audit_lines_init(&lines, fd, 0);
        if (r < 0)
                return r;
        struct audit_line line;
        struct audit_pos end = {0};
        bool any = false, last_ok = false;
        while ((r = audit_lines_next(&lines, &line)) == 1) {
                struct audit_parsed p;
                any = true;
                last_ok = !line.too_long && audit_record_parse(line.data, line.len, &p, NULL) == 0;
                if (!last_ok)
                        continue;
                end.seq = p.seq;
                audit_parsed_free(&p);
                audit_hash_line(key, line.data, line.len, end.hash);
        }
        audit_lines_free(&lines);
        if (r < 0)
                return r;
        if (!any)
                return 0;
        if (!last_ok)
                return -ENODATA;
        *ret = end;
        return 1;
}

/* Whether head is where the chain stood before audit.log began: the end of
 * the newest rotated file with lines, or the genesis when there is none. */
static int head_before_log(struct emp_audit *a, const struct audit_pos *genesis, const struct audit_pos *head,
                           bool *ret)
{
        struct audit_set set;
        int r = audit_set_list(a->dirfd, &set);
        if (r < 0)
                return r;
        struct audit_pos before = {.seq = genesis->seq - 1};
        memcpy(before.hash, genesis->hash, sizeof(before.hash));
        /* Newest first; index 0, audit.log itself, is last in the set. */
        for (size_t i = set.n - 1; i-- > 0;) {
                r = file_end(a->key, a->dirfd, set.index[i], &before);
                if (r != 0)
                        break;
        }
        audit_set_free(&set);
        if (r < 0 && r != -ENODATA)
                return r;
        *ret = r >= 0 && audit_pos_equal(&before, head);
        return 0;
}

static int cut_tail(int fd, uint64_t end, struct emp_audit_open_info *info)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if ((uint64_t)st.st_size <= end)
                return 0;
        if (ftruncate(fd, (off_t)end) < 0 || fsync(fd) < 0)
                return -errno;
        info->bytes_dropped = (uint64_t)st.st_size - end;
        info->flags |= EMP_AUDIT_OPENED_TORN_TAIL;
        return 0;
}

/* Locate the recorded head in audit.log (or just before it), keep the lines
 * that chain on from it, cut what follows them. */
static int recover_log(struct emp_audit *a, const struct audit_pos *genesis, const struct audit_pos *head,
                       struct emp_audit_open_info *info, struct emp_error *err)
{
        _cleanup_close_ int fd = openat(a->dirfd, AUDIT_LOG, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0 && errno != ENOENT)
                return emp_error_errno(err, -errno, "audit: opening %s", AUDIT_LOG);
        uint64_t from = 0, kept = 0;
        int r = fd >= 0 ? find_line(a->key, fd, head, &from) : 0;
        if (r == 0) {
                bool before = false;
                r = head_before_log(a, genesis, head, &before);
                if (r == 0 && !before)
                        return damaged(err, "the line %s records (seq %llu) is not in the log: it was cut or edited",
                                       AUDIT_HEAD, (unsigned long long)head->seq);
        }
        if (r < 0)
                return emp_error_errno(err, r, "audit: reading the log");
        struct audit_pos chain = *head;
        if (fd >= 0) {
                r = follow_chain(a->key, fd, from, &chain, &from, &kept);
                if (r == 0)
                        r = cut_tail(fd, from, info);
                if (r < 0)
                        return emp_error_errno(err, r, "audit: repairing %s", AUDIT_LOG);
        }
        if (kept > 0) {
                info->lines_recovered = kept;
                info->flags |= EMP_AUDIT_OPENED_HEAD_BEHIND;
        }
        a->head = *head;
        a->last = chain;
        return 0;
}

int audit_writer_recover(struct emp_audit *a, struct emp_audit_open_info *info, struct emp_error *err)
{
        int key_r = audit_key_load(a->dirfd, a->key, true);
        if (key_r == -EPERM)
                return emp_error_set(err, -EPERM, "audit: %s is not ours or not 0600: it may have leaked", AUDIT_KEY);
        bool logs;
        int r = logs_present(a->dirfd, &logs);
        if (r < 0)
                return emp_error_errno(err, r, "audit: listing the log files");
        struct stat st;
        bool has_genesis = fstatat(a->dirfd, AUDIT_GENESIS, &st, AT_SYMLINK_NOFOLLOW) == 0;
        if (!logs && !has_genesis && (key_r == 0 || key_r == -ENOENT))
                return init_fresh(a, info, err);
        if (key_r == -ENOENT)
                return damaged(err, "%s is missing: the log cannot be continued or verified", AUDIT_KEY);
        if (key_r == -EBADMSG)
                return damaged(err, "%s is not a %d-byte key", AUDIT_KEY, EMP_AUDIT_KEY_BYTES);
        if (key_r < 0)
                return emp_error_errno(err, key_r, "audit: reading %s", AUDIT_KEY);
        struct audit_pos genesis, head;
        if ((r = load_state(a, AUDIT_STATE_GENESIS, &genesis, err)) < 0 ||
            (r = load_state(a, AUDIT_STATE_HEAD, &head, err)) < 0)
                return r;
        if (head.seq + 1 < genesis.seq ||
            (head.seq + 1 == genesis.seq && memcmp(head.hash, genesis.hash, sizeof(head.hash)) != 0))
                return damaged(err, "%s is older than %s", AUDIT_HEAD, AUDIT_GENESIS);
        bool changed = false;
        r = audit_rotation_repair(a->dirfd, &genesis, &changed);
        if (r < 0)
                return emp_error_errno(err, r, "audit: finishing an interrupted rotation");
        if (changed)
                info->flags |= EMP_AUDIT_OPENED_ROTATION_FINISHED;
        return recover_log(a, &genesis, &head, info, err);
}

static int move_file(int dirfd, int subfd, const char *name)
{
        if (renameat(dirfd, name, subfd, name) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

static int make_aside_dir(int dirfd, char *name, size_t size)
{
        char stamp[32];
        struct tm tm;
        time_t now = time(NULL);
        strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
        for (int i = 0; i < 100; i++) {
                if (i == 0)
                        snprintf(name, size, "damaged-%s", stamp);
                else
                        snprintf(name, size, "damaged-%s-%d", stamp, i);
                if (mkdirat(dirfd, name, 0700) == 0) {
                        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                        return fd < 0 ? -errno : fd;
                }
                if (errno != EEXIST)
                        return -errno;
        }
        return -EEXIST;
}

int audit_move_aside(struct emp_audit *a, char *ret_name, size_t size, struct emp_error *err)
{
        char name[64];
        _cleanup_close_ int subfd = make_aside_dir(a->dirfd, name, sizeof(name));
        if (subfd < 0)
                return emp_error_errno(err, subfd, "audit: making a directory for the damaged log");
        struct audit_set set;
        int r = audit_set_list(a->dirfd, &set);
        for (size_t i = 0; r == 0 && i < set.n; i++) {
                char file[AUDIT_NAME_MAX];
                audit_file_name(set.index[i], file, sizeof(file));
                r = move_file(a->dirfd, subfd, file);
        }
        audit_set_free(&set);
        if (r == 0)
                r = move_file(a->dirfd, subfd, AUDIT_GENESIS);
        if (r == 0)
                r = move_file(a->dirfd, subfd, AUDIT_HEAD);
        /* A good key stays (and is linked beside the old files, so they can
         * still be verified there); a broken one goes with them. */
        unsigned char key[EMP_AUDIT_KEY_BYTES];
        if (r == 0 && audit_key_load(a->dirfd, key, false) == 0)
                r = linkat(a->dirfd, AUDIT_KEY, subfd, AUDIT_KEY, 0) < 0 ? -errno : 0;
        else if (r == 0)
                r = move_file(a->dirfd, subfd, AUDIT_KEY);
        sodium_memzero(key, sizeof(key));
        if (r == 0 && (fsync(subfd) < 0 || fsync(a->dirfd) < 0))
                r = -errno;
        if (r < 0)
                return emp_error_errno(err, r, "audit: moving the damaged log to %s", name);
        snprintf(ret_name, size, "%s", name);
        return 0;
}
