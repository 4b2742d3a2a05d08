/* audit.h — the tamper-evident audit log (DESIGN.md §7): a writer for empyrad,
 * a verifier for `empyra audit verify`, a reader and follower for `empyra audit`.
 *
 * Files in the state directory ($XDG_STATE_HOME/empyra):
 *   audit.log        JSON lines, one per decision, oldest first
 *   audit.log.N      rotated files, N=1 the newest; the chain runs through them
 *   audit.key        32 random bytes keying every hash (0600, never leaves here)
 *   audit.genesis    where the chain starts: the value the oldest line's "prev"
 *                    must hold and that line's "seq"
 *   audit.head       the keyed hash and seq of the last line made durable
 *   audit.lock       held by the one writer
 *
 * A line is {"seq":N,"time":...,"app":...,"instance":...,"permission":...,
 * "decision":...,"source":...,<details>,"prev":HEX}. "prev" is the keyed
 * BLAKE2b-256 of the previous line's exact bytes (without its newline); "seq"
 * counts lines across rotation, so dropped and reordered lines are told apart
 * from edited ones. audit.genesis and audit.head carry a MAC under the same key,
 * so they cannot be rewritten to hide a cut tail or dropped first lines by
 * anyone who only reads the log.
 *
 * What this protects against: an app in a sandbox never sees these files; a
 * process of the same user that can write them but not read audit.key (or that
 * only has the log) cannot edit, drop, reorder or cut lines undetected. What it
 * cannot: whoever reads audit.key can forge a whole new chain, and whoever
 * saved an old audit.head can cut audit.log back to that point and put it
 * back (not across a rotation: verify wants the head past every rotated
 * file). DESIGN.md §7 closes that gap with a second copy of each head in the
 * systemd journal, which empyrad writes after emp_audit_flush(). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define EMP_AUDIT_KEY_BYTES 32
#define EMP_AUDIT_HASH_BYTES 32
/* Longest line the writer produces and the reader accepts. */
#define EMP_AUDIT_LINE_MAX (64 * 1024)
/* Longest value of one field (a path is at most PATH_MAX). */
#define EMP_AUDIT_FIELD_MAX 4096
/* fsync is batched: a written line is durable at most this long after. */
#define EMP_AUDIT_FLUSH_DELAY_USEC 1000000
#define EMP_AUDIT_DEFAULT_MAX_SIZE (8u * 1024 * 1024)
#define EMP_AUDIT_DEFAULT_KEEP 4

/* One decision to record. There is deliberately no field for file contents,
 * message bodies, request payloads or credentials: the log says who asked for
 * what and what was decided, never what flowed. Details name the object only
 * (a path, a host, a port). A string that is not valid UTF-8 is stored as
 * "<field>_hex" so the log stays JSON and loses nothing. */
struct emp_audit_record {
        int64_t time_ms;        /* Unix time in ms; 0: now */
        const char *app;        /* app id */
        const char *instance;   /* the sandbox instance */
        const char *permission; /* DESIGN.md §6 name, e.g. "network:example.org:443" */
        const char *decision;   /* "allow", "deny", ... */
        const char *source;     /* where the decision came from: "user", "manifest", "default", "prompt" */
        /* Optional details; NULL (port 0) when absent. */
        const char *name;     /* host name asked for */
        const char *address;  /* address connected to or bound */
        uint32_t port;        /* 1..65535 */
        const char *protocol; /* "tcp", "udp", ... */
        const char *path;     /* file path */
};

/* ---- Writer (empyrad) ---- */

struct emp_audit;

struct emp_audit_options {
        uint64_t max_size;    /* rotate when audit.log would grow past this; 0: default */
        unsigned keep;        /* rotated files kept (>= 1); 0: default */
        bool restart_damaged; /* see emp_audit_open */
};

/* What opening found and repaired; the daemon logs every flag. */
enum {
        EMP_AUDIT_OPENED_CREATED = 1 << 0,           /* new key/genesis: the chain starts here */
        EMP_AUDIT_OPENED_HEAD_BEHIND = 1 << 1,       /* valid lines after the recorded head (a crash
                                                        inside the fsync batch window); head moved on */
        EMP_AUDIT_OPENED_TORN_TAIL = 1 << 2,         /* an incomplete or unchained tail after the head
                                                        was cut off (a torn write) */
        EMP_AUDIT_OPENED_ROTATION_FINISHED = 1 << 3, /* an interrupted rotation was completed */
        EMP_AUDIT_OPENED_RESTARTED = 1 << 4,         /* the old log was damaged: moved to moved_to,
                                                        a new chain started */
};

struct emp_audit_open_info {
        unsigned flags;
        uint64_t lines_recovered; /* HEAD_BEHIND: lines the head moved over */
        uint64_t bytes_dropped;   /* TORN_TAIL: bytes cut from the end of audit.log */
        char moved_to[64];        /* RESTARTED: subdirectory of dir holding the old files */
        char damage[1024];        /* RESTARTED: what was wrong (an emp_error message) */
};

/* Open (creating on first use) the log in dir, taking the writer lock (-EBUSY
 * when another writer holds it). Recovery: a torn last line is cut; lines
 * after the recorded head that chain from it are kept and the head moved on;
 * an interrupted rotation is finished. A log whose recorded head cannot be
 * found (cut, edited, state files missing or forged) is damage, not a crash:
 * -EBADMSG, nothing touched — or, with opts->restart_damaged, the old files
 * are moved to dir/damaged-TIME/ (with a link to the key, so they can still
 * be verified there) and a new chain starts. ret_info may be NULL. */
int emp_audit_open(const char *dir, const struct emp_audit_options *opts, struct emp_audit **ret,
                   struct emp_audit_open_info *ret_info, struct emp_error *err);

/* Append one line with a single write(2) to the O_APPEND file. Call this
 * BEFORE letting the operation proceed, and deny the operation when it fails:
 * a decision that could not be logged must not take effect. The line is
 * visible to readers at once and durable after the next emp_audit_flush().
 * A failed write is rolled back (truncated) so the chain never continues from
 * a partial line; if even that fails, every later append fails with -EIO until
 * the log is reopened. Rotates first when audit.log would exceed max_size. */
int emp_audit_append(struct emp_audit *a, const struct emp_audit_record *rec, struct emp_error *err);

/* fsync the log (and the directory after a rotation), then record the head
 * in audit.head (temp + fsync + rename). No-op when nothing is pending. On
 * failure the deadline moves 1 s on, so an event loop retries without spinning. */
int emp_audit_flush(struct emp_audit *a, struct emp_error *err);

/* When emp_audit_flush() must next run: CLOCK_MONOTONIC in µs (the clock of
 * g_get_monotonic_time()), at most EMP_AUDIT_FLUSH_DELAY_USEC after the first
 * unflushed write; 0 when nothing is pending. */
int64_t emp_audit_flush_deadline(const struct emp_audit *a);
/* The same as a poll(2) timeout: -1 when nothing is pending, 0 when due. */
int emp_audit_flush_timeout_ms(const struct emp_audit *a);

/* Flush, release the lock and free. Returns the flush result; a is freed
 * either way. NULL is fine. */
int emp_audit_close(struct emp_audit *a, struct emp_error *err);

/* ---- Verification ---- */

enum emp_audit_status {
        EMP_AUDIT_OK = 0,
        EMP_AUDIT_EDITED,    /* the line's bytes changed: the next line's prev (or the head) disagrees */
        EMP_AUDIT_DROPPED,   /* lines are missing before this one (seq jumps) */
        EMP_AUDIT_REORDERED, /* this line is out of order or repeated */
        EMP_AUDIT_MALFORMED, /* not an audit record (JSON, fields, length) */
        EMP_AUDIT_TORN,      /* the last line has no newline: a torn write */
        EMP_AUDIT_CUT,       /* lines missing at the end: the head records more */
        EMP_AUDIT_BAD_STATE, /* key, genesis or head missing, malformed or forged */
};

struct emp_audit_verify_result {
        enum emp_audit_status status;
        char file[64];        /* file of the first broken line (or the state file at fault) */
        uint64_t line;        /* its 1-based line number in that file; 0 when not about a line */
        uint64_t lines;       /* lines checked */
        unsigned files;       /* log files checked */
        unsigned stale_files; /* files wholly before the genesis (interrupted rotation), skipped */
        uint64_t unconfirmed; /* valid lines after the recorded head: written within the
                                 last fsync batch, or before a crash */
        char reason[512];     /* one sentence for the user */
};

/* Walk the chain from the genesis through every rotated file and audit.log to
 * the head. Returns 0 with *res filled (res->status says what was found, the
 * FIRST break only), or -errno when the files could not be read (res untouched).
 * An empty or missing directory verifies as OK with no lines. Run it with the
 * writer quiet (or through empyrad): a line being appended right now may look
 * torn. */
int emp_audit_verify(const char *dir, struct emp_audit_verify_result *res, struct emp_error *err);
const char *emp_audit_status_name(enum emp_audit_status s);

/* ---- Reading: `empyra audit [--app ID] [--json]`, and following ---- */

/* One line as read. Strings point into the reader and stay valid until the
 * next emp_audit_reader_next(); optional ones are NULL when absent. */
struct emp_audit_entry {
        uint64_t seq;
        const char *time, *app, *instance, *permission, *decision, *source;
        const char *name, *address, *protocol, *path;
        uint32_t port;
        const char *line; /* the raw JSON line, for --json */
        size_t line_len;
        const char *file; /* "audit.log", "audit.log.1", ... */
        uint64_t lineno;
};

struct emp_audit_reader;

enum {
        EMP_AUDIT_READ_ROTATED = 1 << 0, /* start at the oldest rotated file, not audit.log */
};
#define EMP_AUDIT_OFFSET_END UINT64_MAX

/* Iterate over the log, only lines of app when app is not NULL. The reader
 * does not verify (emp_audit_verify does); lines that are not records are
 * skipped and counted. */
int emp_audit_reader_open(const char *dir, const char *app, unsigned flags, struct emp_audit_reader **ret);
/* Follow audit.log from offset (from emp_audit_reader_offset(), 0, or
 * EMP_AUDIT_OFFSET_END for "only new lines"). */
int emp_audit_follow_open(const char *dir, const char *app, uint64_t offset, struct emp_audit_reader **ret);
/* 1 with *ret filled; 0 when there is no further complete line now (a
 * follower calls again once audit.log changed: lines appended since are
 * returned, a rotation is followed to the new file); -errno. An incomplete
 * last line is never returned. */
int emp_audit_reader_next(struct emp_audit_reader *r, struct emp_audit_entry *ret);
/* Offset in the current file just past the last line returned. */
uint64_t emp_audit_reader_offset(const struct emp_audit_reader *r);
/* Lines skipped because they were not audit records. */
uint64_t emp_audit_reader_skipped(const struct emp_audit_reader *r);
void emp_audit_reader_free(struct emp_audit_reader *r);
