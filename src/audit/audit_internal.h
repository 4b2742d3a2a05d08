/* audit_internal.h — what the audit writer, verifier and reader share: file
 * names, the keyed hashes, the MAC'd state files, the line reader and parser. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <jansson.h>

#include "audit.h"

#define AUDIT_LOG "audit.log"
#define AUDIT_KEY "audit.key"
#define AUDIT_GENESIS "audit.genesis"
#define AUDIT_HEAD "audit.head"
#define AUDIT_LOCK "audit.lock"
/* Rotated files are audit.log.1 .. audit.log.AUDIT_INDEX_MAX. */
#define AUDIT_INDEX_MAX 9999
#define AUDIT_HEX_BYTES (2 * EMP_AUDIT_HASH_BYTES)

/* ---- chain.c: key, hashes, state files ---- */

/* Read dir's key: -ENOENT when there is none, -EBADMSG when it is not 32
 * bytes; with require_private, -EPERM unless it is ours and 0600 or tighter. */
int audit_key_load(int dirfd, unsigned char key[EMP_AUDIT_KEY_BYTES], bool require_private);
/* Create the key unless one exists (then load that one): written to a temp
 * file, fsynced and linked into place, so a crash or a racing writer never
 * leaves a short or replaced key. */
int audit_key_create(int dirfd, unsigned char key[EMP_AUDIT_KEY_BYTES]);

void audit_hash_line(const unsigned char *key, const char *line, size_t len, unsigned char out[EMP_AUDIT_HASH_BYTES]);
void audit_hex(const unsigned char *bin, size_t len, char *out); /* out: 2*len+1 */
/* Exactly 2*len lowercase hex digits. */
int audit_unhex(const char *hex, size_t hexlen, unsigned char *out, size_t len);

/* audit.genesis and audit.head hold one chain position: a hash and a seq. */
enum audit_state_kind { AUDIT_STATE_GENESIS, AUDIT_STATE_HEAD };
struct audit_pos {
        uint64_t seq;
        unsigned char hash[EMP_AUDIT_HASH_BYTES];
};
static inline bool audit_pos_equal(const struct audit_pos *a, const struct audit_pos *b)
{
        return a->seq == b->seq && memcmp(a->hash, b->hash, sizeof(a->hash)) == 0;
}
/* -ENOENT when missing; -EBADMSG when malformed or its MAC is not ours. */
int audit_state_read(int dirfd, enum audit_state_kind kind, const unsigned char *key, struct audit_pos *ret);
/* Replace atomically: temp file, fsync, rename, fsync the directory. */
int audit_state_write(int dirfd, enum audit_state_kind kind, const unsigned char *key, const struct audit_pos *pos);
const char *audit_state_name(enum audit_state_kind kind);

/* Write temp, fsync, rename over name, fsync dirfd. */
int audit_replace_file(int dirfd, const char *name, const void *data, size_t len);

/* The log files present, oldest first: rotated indexes descending, then 0
 * for audit.log itself (always listed last, whether it exists or not). */
struct audit_set {
        unsigned *index;
        size_t n;
};
int audit_set_list(int dirfd, struct audit_set *ret);
void audit_set_free(struct audit_set *s);
/* "audit.log" for 0, "audit.log.N" otherwise. */
void audit_file_name(unsigned index, char *buf, size_t size);
#define AUDIT_NAME_MAX 24

/* The first line of a file, parsed: where that file joins the chain.
 * -ENODATA when it has no complete record line, -ENOENT when missing. */
int audit_file_start(int dirfd, unsigned index, struct audit_pos *ret_prev_and_seq);

/* ---- lines.c: reading lines of bounded length ---- */

struct audit_lines {
        int fd;
        char *buf;
        size_t cap, start, end;
        uint64_t offset;  /* file offset of buf[start] */
        bool skipping;    /* inside a line longer than EMP_AUDIT_LINE_MAX */
        uint64_t skipped; /* its bytes so far */
};
struct audit_line {
        const char *data; /* NULL when too_long */
        size_t len;       /* without the newline */
        uint64_t offset;  /* where it starts in the file */
        bool too_long;
};
/* fd is borrowed and read from its current position, which is offset. */
int audit_lines_init(struct audit_lines *l, int fd, uint64_t offset);
void audit_lines_free(struct audit_lines *l);
/* 1: a complete line; 0: none (yet) — audit_lines_pending() bytes of an
 * unfinished line remain, and a later call reads on if the file grew. */
int audit_lines_next(struct audit_lines *l, struct audit_line *ret);
uint64_t audit_lines_pending(const struct audit_lines *l);
/* Offset just past the last complete line returned. */
static inline uint64_t audit_lines_offset(const struct audit_lines *l)
{
        return l->offset - (l->skipping ? l->skipped : 0);
}

/* ---- record.c: records to lines and back ---- */

/* Format rec as one line chained to prev with number seq, newline included.
 * -EINVAL (with a message) for a record that is incomplete or too long. */
int audit_record_format(const struct emp_audit_record *rec, uint64_t seq,
                        const unsigned char prev[EMP_AUDIT_HASH_BYTES], char **ret, size_t *ret_len,
                        struct emp_error *err);

enum audit_field {
        AUDIT_F_TIME,
        AUDIT_F_APP,
        AUDIT_F_INSTANCE,
        AUDIT_F_PERMISSION,
        AUDIT_F_DECISION,
        AUDIT_F_SOURCE,
        AUDIT_F_NAME,
        AUDIT_F_ADDRESS,
        AUDIT_F_PROTOCOL,
        AUDIT_F_PATH,
        AUDIT_F_COUNT_
};
/* A line parsed and checked as a record. */
struct audit_parsed {
        json_t *root;
        uint64_t seq;
        unsigned char prev[EMP_AUDIT_HASH_BYTES];
        const char *field[AUDIT_F_COUNT_]; /* by enum audit_field; NULL when absent */
        char *decoded[AUDIT_F_COUNT_];     /* "<field>_hex" values, decoded; owned */
        uint32_t port;
};
/* 0, or -EBADMSG with why (a static string) in *ret_why. */
int audit_record_parse(const char *line, size_t len, struct audit_parsed *ret, const char **ret_why);
void audit_parsed_free(struct audit_parsed *p);

/* ---- the writer, shared by log.c, recover.c and rotate.c ---- */

struct emp_audit {
        int dirfd;
        int lockfd;
        int fd; /* audit.log, O_APPEND; -1 after a rotation until the next line */
        unsigned char key[EMP_AUDIT_KEY_BYTES];
        struct audit_pos last; /* the last line written: the next line's seq - 1 and prev */
        struct audit_pos head; /* what audit.head says */
        uint64_t size;         /* of audit.log */
        uint64_t max_size;
        unsigned keep;
        int64_t deadline; /* CLOCK_MONOTONIC µs by which to flush; 0: nothing unsynced */
        bool dir_dirty;   /* a file was created: fsync the directory too */
        bool broken;      /* a failed write could not be rolled back */
};

/* recover.c: bring the files into a state the writer can continue from and
 * set a->last and a->head. -EBADMSG (message in err) when that would mean
 * hiding damage. */
int audit_writer_recover(struct emp_audit *a, struct emp_audit_open_info *info, struct emp_error *err);
/* recover.c: move every log and state file into dir/damaged-TIME/. */
int audit_move_aside(struct emp_audit *a, char *ret_name, size_t size, struct emp_error *err);

/* rotate.c */
int audit_rotate(struct emp_audit *a, struct emp_error *err);
/* Remove files wholly before the file starting at genesis (NULL: keep all)
 * and close gaps in the numbering; both are left by an interrupted rotation.
 * *ret_changed tells whether anything was done. */
int audit_rotation_repair(int dirfd, const struct audit_pos *genesis, bool *ret_changed);

int64_t audit_now_usec(void);
/* journal.c: send the head just recorded to the systemd journal, if any. */
void audit_journal_head(const struct audit_pos *head);
