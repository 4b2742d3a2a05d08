/* verify.c — `empyra audit verify`: walk the chain from the genesis through
 * every file to the head and name the first line that breaks it, and how. */
#include "audit_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/cleanup.h"

struct loc {
        char file[AUDIT_NAME_MAX];
        uint64_t line;
};

/* A break is often only classified by what follows it: an edit of line N
 * breaks the link into N+1, a drop leaves a gap no later line fills, a swap
 * leaves a gap a later line does fill. */
enum pending { PEND_NONE, PEND_LINK, PEND_GAP };

struct verifier {
        unsigned char key[EMP_AUDIT_KEY_BYTES];
        struct audit_pos genesis, head;
        struct audit_pos expect; /* the seq and prev the next line must carry */
        bool at_genesis;         /* no line accepted yet */
        struct loc last, cur;    /* the last accepted line; the line being read */
        bool head_seen, head_match;
        struct loc head_loc;
        unsigned cur_index;   /* of the file being read: 0 is audit.log */
        uint64_t rotated_end; /* seq of the last line in a rotated file */
        enum pending pending;
        struct loc break_loc, before_loc;
        bool before_is_genesis;
        struct audit_pos broken; /* the line where the chain broke */
        uint64_t gap_lo, gap_hi; /* seqs missing before it */
        bool done;
        int error; /* -errno that stopped the walk */
        struct emp_audit_verify_result res;
};

static void fail(struct verifier *v, enum emp_audit_status status, const struct loc *at, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void fail(struct verifier *v, enum emp_audit_status status, const struct loc *at, const char *fmt, ...)
{
        va_list ap;
        v->res.status = status;
        snprintf(v->res.file, sizeof(v->res.file), "%s", at->file);
        v->res.line = at->line;
        va_start(ap, fmt);
        vsnprintf(v->res.reason, sizeof(v->res.reason), fmt, ap);
        va_end(ap);
        v->pending = PEND_NONE;
        v->done = true;
}

static void fail_state(struct verifier *v, const char *file, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void fail_state(struct verifier *v, const char *file, const char *fmt, ...)
{
        struct loc at = {.line = 0};
        snprintf(at.file, sizeof(at.file), "%s", file);
        va_list ap;
        char msg[sizeof(v->res.reason)];
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        fail(v, EMP_AUDIT_BAD_STATE, &at, "%s", msg);
}

static unsigned long long ull(uint64_t v)
{
        return (unsigned long long)v;
}

/* Which of the two lines around a broken link changed: if the next line
 * links to the later one (next_links 1), the later is intact and the earlier
 * was edited; if not (0), the later one was; -1: nothing tells. */
static void resolve_link(struct verifier *v, int next_links)
{
        const struct loc *b = &v->break_loc, *e = &v->before_loc;
        if (next_links == 0 || (next_links < 0 && v->before_is_genesis))
                fail(v, EMP_AUDIT_EDITED, b, "%s line %llu was changed: it does not chain from %s%s", b->file,
                     ull(b->line), v->before_is_genesis ? "the genesis" : "the line before it",
                     next_links == 0 ? ", nor does the line after it chain from it" : "");
        else if (v->before_is_genesis)
                fail(v, EMP_AUDIT_BAD_STATE, b, "%s line %llu does not chain from the genesis %s records (replaced?)",
                     b->file, ull(b->line), AUDIT_GENESIS);
        else if (next_links > 0)
                fail(v, EMP_AUDIT_EDITED, e, "%s line %llu was changed: %s line %llu no longer chains from it", e->file,
                     ull(e->line), b->file, ull(b->line));
        else
                fail(v, EMP_AUDIT_EDITED, e, "%s line %llu or %s line %llu was changed: the chain breaks between them",
                     e->file, ull(e->line), b->file, ull(b->line));
}

/* found: a record of the gap seen further on (0: none). */
static void resolve_gap(struct verifier *v, uint64_t found)
{
        uint64_t n = v->gap_hi - v->gap_lo + 1;
        if (found)
                fail(v, EMP_AUDIT_REORDERED, &v->break_loc,
                     "%s line %llu is out of order: record %llu, which belongs before it, comes later",
                     v->break_loc.file, ull(v->break_loc.line), ull(found));
        else if (n == 1)
                fail(v, EMP_AUDIT_DROPPED, &v->break_loc, "1 line (record %llu) is missing before %s line %llu",
                     ull(v->gap_lo), v->break_loc.file, ull(v->break_loc.line));
        else
                fail(v, EMP_AUDIT_DROPPED, &v->break_loc,
                     "%llu lines (records %llu to %llu) are missing before %s line %llu", ull(n), ull(v->gap_lo),
                     ull(v->gap_hi), v->break_loc.file, ull(v->break_loc.line));
}

/* Whether p is the line right after pos. */
static bool follows(const struct audit_parsed *p, const struct audit_pos *pos)
{
        return p->seq == pos->seq + 1 && memcmp(p->prev, pos->hash, sizeof(p->prev)) == 0;
}

/* A line after the break (p NULL: not a record) settles it, or not yet. */
static void look_ahead(struct verifier *v, const struct audit_parsed *p)
{
        if (v->pending == PEND_LINK)
                resolve_link(v, p ? follows(p, &v->broken) : -1);
        else if (p && p->seq >= v->gap_lo && p->seq <= v->gap_hi)
                resolve_gap(v, p->seq);
}

static void accept_line(struct verifier *v, const struct audit_parsed *p, const unsigned char *hash)
{
        v->expect.seq = p->seq + 1;
        memcpy(v->expect.hash, hash, EMP_AUDIT_HASH_BYTES);
        v->last = v->cur;
        v->at_genesis = false;
        v->res.lines++;
        if (v->cur_index > 0)
                v->rotated_end = p->seq;
        if (p->seq == v->head.seq) {
                v->head_seen = true;
                v->head_match = memcmp(hash, v->head.hash, EMP_AUDIT_HASH_BYTES) == 0;
                v->head_loc = v->cur;
        }
}

static void break_at(struct verifier *v, const struct audit_parsed *p, const unsigned char *hash)
{
        if (memcmp(p->prev, v->expect.hash, sizeof(p->prev)) == 0) {
                /* It chains, so only its own bytes can be wrong. */
                fail(v, EMP_AUDIT_EDITED, &v->cur, "%s line %llu was changed: it says record %llu, not %llu",
                     v->cur.file, ull(v->cur.line), ull(p->seq), ull(v->expect.seq));
                return;
        }
        if (p->seq < v->expect.seq) {
                fail(v, EMP_AUDIT_REORDERED, &v->cur,
                     "%s line %llu is out of order or repeated: record %llu came before", v->cur.file, ull(v->cur.line),
                     ull(p->seq));
                return;
        }
        v->break_loc = v->cur;
        v->before_loc = v->last;
        v->before_is_genesis = v->at_genesis;
        v->broken.seq = p->seq;
        memcpy(v->broken.hash, hash, EMP_AUDIT_HASH_BYTES);
        v->pending = p->seq == v->expect.seq ? PEND_LINK : PEND_GAP;
        v->gap_lo = v->expect.seq;
        v->gap_hi = p->seq - 1;
}

static void check_line(struct verifier *v, const struct audit_line *line)
{
        struct audit_parsed p;
        const char *why = "longer than the longest record";
        unsigned char hash[EMP_AUDIT_HASH_BYTES];
        v->cur.line++;
        int r = line->too_long ? -EBADMSG : audit_record_parse(line->data, line->len, &p, &why);
        if (r == -ENOMEM) {
                v->error = r;
                v->done = true;
                return;
        }
        if (r == 0)
                audit_hash_line(v->key, line->data, line->len, hash);
        if (v->pending != PEND_NONE)
                look_ahead(v, r == 0 ? &p : NULL);
        else if (r < 0)
                fail(v, EMP_AUDIT_MALFORMED, &v->cur, "%s line %llu is not an audit record: %s", v->cur.file,
                     ull(v->cur.line), why);
        else if (p.seq == v->expect.seq && memcmp(p.prev, v->expect.hash, sizeof(p.prev)) == 0)
                accept_line(v, &p, hash);
        else
                break_at(v, &p, hash);
        if (r == 0)
                audit_parsed_free(&p);
}

static void torn_line(struct verifier *v, uint64_t bytes)
{
        v->cur.line++;
        if (v->pending == PEND_LINK)
                resolve_link(v, -1);
        else if (v->pending == PEND_NONE)
                fail(v, EMP_AUDIT_TORN, &v->cur,
                     "%s line %llu is incomplete (%llu bytes, no newline): a torn write, or the file was cut mid-line",
                     v->cur.file, ull(v->cur.line), ull(bytes));
}

static int check_file(struct verifier *v, int dirfd, unsigned index)
{
        audit_file_name(index, v->cur.file, sizeof(v->cur.file));
        v->cur.line = 0;
        v->cur_index = index;
        _cleanup_close_ int fd = openat(dirfd, v->cur.file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        v->res.files++;
        struct audit_lines lines;
        int r = audit_lines_init(&lines, fd, 0);
        if (r < 0)
                return r;
        struct audit_line line;
        while (!v->done && (r = audit_lines_next(&lines, &line)) == 1)
                check_line(v, &line);
        if (r == 0 && !v->done && audit_lines_pending(&lines) > 0)
                torn_line(v, audit_lines_pending(&lines));
        audit_lines_free(&lines);
        return r < 0 ? r : v->error;
}

/* After the last line: does the chain end where audit.head says? */
static void check_head(struct verifier *v)
{
        uint64_t last = v->expect.seq - 1;
        if (v->head.seq > last) {
                /* cur is audit.log, always walked last. */
                struct loc at = v->cur;
                at.line++;
                uint64_t n = v->head.seq - last;
                if (last < v->genesis.seq)
                        fail(v, EMP_AUDIT_CUT, &at, "the log has no lines but %s records %llu: all were cut",
                             AUDIT_HEAD, ull(v->head.seq));
                else
                        fail(v, EMP_AUDIT_CUT, &at,
                             "the log ends at record %llu but %s records %llu: %llu line%s cut from the end", ull(last),
                             AUDIT_HEAD, ull(v->head.seq), ull(n), n == 1 ? " was" : "s were");
        } else if (v->head.seq < v->rotated_end) {
                /* The writer records the head before every rotation. */
                fail_state(v, AUDIT_HEAD, "%s is older than the end of the rotated files: an earlier copy put back?",
                           AUDIT_HEAD);
        } else if (v->head.seq + 1 < v->genesis.seq) {
                fail_state(v, AUDIT_HEAD, "%s is older than %s", AUDIT_HEAD, AUDIT_GENESIS);
        } else if (v->head.seq + 1 == v->genesis.seq) {
                if (memcmp(v->head.hash, v->genesis.hash, EMP_AUDIT_HASH_BYTES) != 0)
                        fail_state(v, AUDIT_HEAD, "%s does not match %s", AUDIT_HEAD, AUDIT_GENESIS);
        } else if (!v->head_seen || !v->head_match) {
                fail(v, EMP_AUDIT_EDITED, &v->head_loc, "%s line %llu was changed: it does not match %s",
                     v->head_loc.file, ull(v->head_loc.line), AUDIT_HEAD);
        }
        if (!v->done)
                v->res.unconfirmed = last - v->head.seq;
}

static void finish(struct verifier *v)
{
        if (v->pending == PEND_LINK) {
                /* The broken line is the last: the head, if it covers it, tells. */
                int links = v->head.seq == v->broken.seq
                                    ? memcmp(v->head.hash, v->broken.hash, EMP_AUDIT_HASH_BYTES) == 0
                                    : -1;
                resolve_link(v, links);
        } else if (v->pending == PEND_GAP) {
                resolve_gap(v, 0);
        }
        if (!v->done)
                check_head(v);
}

/* Any log file with content? */
static int logs_present(int dirfd, const struct audit_set *set, bool *ret)
{
        struct stat st;
        *ret = set->n > 1;
        if (fstatat(dirfd, AUDIT_LOG, &st, AT_SYMLINK_NOFOLLOW) == 0)
                *ret = *ret || st.st_size > 0;
        else if (errno != ENOENT)
                return -errno;
        return 0;
}

/* Key, genesis, head: 1 when there is no log at all, 0 when all are there
 * (or v->done with BAD_STATE). Read before the log files, so that lines
 * appended meanwhile are merely unconfirmed, never "cut". */
static int load_state(struct verifier *v, int dirfd, const struct audit_set *set)
{
        bool logs;
        int r = logs_present(dirfd, set, &logs);
        if (r < 0)
                return r;
        r = audit_key_load(dirfd, v->key, false);
        if (r == -ENOENT && !logs)
                return 1;
        if (r == -ENOENT || r == -EBADMSG) {
                fail_state(v, AUDIT_KEY, "%s is %s: nothing can be verified", AUDIT_KEY,
                           r == -ENOENT ? "missing" : "not a key");
                return 0;
        }
        if (r < 0)
                return r;
        static const enum audit_state_kind kinds[] = {AUDIT_STATE_GENESIS, AUDIT_STATE_HEAD};
        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
                struct audit_pos *pos = kinds[i] == AUDIT_STATE_GENESIS ? &v->genesis : &v->head;
                r = audit_state_read(dirfd, kinds[i], v->key, pos);
                /* First use stops between writing the key and the genesis. */
                if (r == -ENOENT && kinds[i] == AUDIT_STATE_GENESIS && !logs)
                        return 1;
                if (r == -ENOENT || r == -EBADMSG) {
                        fail_state(v, audit_state_name(kinds[i]), "%s is %s", audit_state_name(kinds[i]),
                                   r == -ENOENT ? "missing" : "malformed or was not written with " AUDIT_KEY);
                        return 0;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int walk(struct verifier *v, int dirfd, const struct audit_set *set)
{
        /* Files wholly before the genesis are left by a rotation that was
         * interrupted after moving it; the genesis is MAC'd, so only the key
         * holder can make a file count as stale. */
        size_t first = 0;
        for (size_t i = 0; i < set->n; i++) {
                struct audit_pos start;
                if (audit_file_start(dirfd, set->index[i], &start) == 0 && audit_pos_equal(&start, &v->genesis)) {
                        first = i;
                        break;
                }
        }
        v->res.stale_files = (unsigned)first;
        v->expect = v->genesis;
        v->at_genesis = true;
        for (size_t i = first; i < set->n && !v->done; i++) {
                int r = check_file(v, dirfd, set->index[i]);
                if (r < 0)
                        return r;
        }
        if (!v->done)
                finish(v);
        return 0;
}

static int verify_dir(int dirfd, struct verifier *v)
{
        struct audit_set set;
        int r = audit_set_list(dirfd, &set);
        if (r < 0)
                return r;
        r = load_state(v, dirfd, &set);
        if (r == 0 && !v->done)
                r = walk(v, dirfd, &set);
        audit_set_free(&set);
        return r < 0 ? r : 0;
}

int emp_audit_verify(const char *dir, struct emp_audit_verify_result *res, struct emp_error *err)
{
        if (!dir || !res)
                return emp_error_set(err, -EINVAL, "audit: bad arguments to verify");
        if (sodium_init() < 0)
                return emp_error_set(err, -EIO, "audit: libsodium failed to initialise");
        _cleanup_free_ struct verifier *v = calloc(1, sizeof(*v));
        if (!v)
                return emp_error_errno(err, -ENOMEM, "audit: verify");
        int r = 0;
        _cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0 && errno != ENOENT)
                r = -errno;
        else if (dirfd >= 0)
                r = verify_dir(dirfd, v);
        sodium_memzero(v->key, sizeof(v->key));
        if (r < 0)
                return emp_error_errno(err, r, "audit: verifying %s", v->cur.file[0] ? v->cur.file : dir);
        *res = v->res;
        return 0;
}

const char *emp_audit_status_name(enum emp_audit_status s)
{
        static const char *const names[] = {
                [EMP_AUDIT_OK] = "ok",
                [EMP_AUDIT_EDITED] = "edited",
                [EMP_AUDIT_DROPPED] = "dropped",
                [EMP_AUDIT_REORDERED] = "reordered",
                [EMP_AUDIT_MALFORMED] = "malformed",
                [EMP_AUDIT_TORN] = "torn",
                [EMP_AUDIT_CUT] = "cut",
                [EMP_AUDIT_BAD_STATE] = "bad-state",
        };
        if ((unsigned)s >= ARRAY_SIZE(names))
                return "unknown";
        return names[s];
}
