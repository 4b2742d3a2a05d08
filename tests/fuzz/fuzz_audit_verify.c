/* fuzz_audit_verify.c — libFuzzer target: any bytes as audit.log (with a fixed
 * key, genesis and head) give a verdict from emp_audit_verify, never a crash or a leak.
 *
 * The first input byte picks the setting, the rest is the log:
 *   bit 0  audit.head records the last complete line (else: the genesis)
 *   bit 1  the log is split at its first '\f' into audit.log.1 and audit.log
 *   bit 2  then open the writer too: recovery must never break a log that
 *          verified, and what it keeps must verify after one more line
 *   bits 3-7  the seq audit.head records (bit 0 set)
 * Seeds: build with -DAUDIT_FUZZ_SEEDS and without -fsanitize=fuzzer, run
 * with a directory (tests/fuzz/corpus_audit) to write valid chains there. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/audit_internal.h"

static const unsigned char fuzz_key[EMP_AUDIT_KEY_BYTES] = "empyra-fuzz-key-0123456789abcdef";
static const struct audit_pos fuzz_genesis = {
        .seq = 1,
        .hash = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32},
};

enum { MODE_HEAD_AT_LAST = 1, MODE_ROTATED = 2, MODE_WRITER = 4 };

static void check(bool ok)
{
        if (!ok)
                __builtin_trap();
}

static void write_file(int dirfd, const char *name, const void *data, size_t len)
{
        int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        check(fd >= 0);
        check(len == 0 || write(fd, data, len) == (ssize_t)len);
        close(fd);
}

/* The hash of the last complete line in data, if any. */
static bool last_line_hash(const uint8_t *data, size_t size, unsigned char out[EMP_AUDIT_HASH_BYTES])
{
        const uint8_t *end = data + size;
        while (end > data && end[-1] != '\n')
                end--;
        if (end == data)
                return false;
        const uint8_t *start = end - 1;
        while (start > data && start[-1] != '\n')
                start--;
        audit_hash_line(fuzz_key, (const char *)start, (size_t)(end - 1 - start), out);
        return true;
}

static size_t count_newlines(const uint8_t *data, size_t size)
{
        size_t n = 0;
        for (size_t i = 0; i < size; i++)
                n += data[i] == '\n';
        return n;
}

static char fuzz_path[64];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(path);
}

static void remove_fuzz_dir(void)
{
        nftw(fuzz_path, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory per process, refilled for every input; /dev/shm when
 * there is one, since the writer fsyncs. */
static int fuzz_dir(char **ret_path)
{
        static char *path = fuzz_path;
        static int fd = -1;
        if (fd < 0) {
                snprintf(path, sizeof(fuzz_path), "%s/empyra-fuzz-audit-XXXXXX",
                         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
                check(mkdtemp(path) != NULL);
                atexit(remove_fuzz_dir);
                fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                check(fd >= 0);
        }
        *ret_path = path;
        return fd;
}

static void prepare(int dirfd, uint8_t mode, const uint8_t *log, size_t size)
{
        const uint8_t *cut = (mode & MODE_ROTATED) ? memchr(log, '\f', size) : NULL;
        unlinkat(dirfd, "audit.log.1", 0);
        unlinkat(dirfd, "audit.log", 0);
        if (cut) {
                write_file(dirfd, "audit.log.1", log, (size_t)(cut - log));
                size -= (size_t)(cut + 1 - log);
                log = cut + 1;
        }
        write_file(dirfd, "audit.log", log, size);
        write_file(dirfd, "audit.key", fuzz_key, sizeof(fuzz_key));
        struct audit_pos head = {.seq = 0};
        memcpy(head.hash, fuzz_genesis.hash, sizeof(head.hash));
        if ((mode & MODE_HEAD_AT_LAST) && last_line_hash(log, size, head.hash))
                head.seq = mode >> 3;
        check(audit_state_write(dirfd, AUDIT_STATE_GENESIS, fuzz_key, &fuzz_genesis) == 0);
        check(audit_state_write(dirfd, AUDIT_STATE_HEAD, fuzz_key, &head) == 0);
}

static struct emp_audit_verify_result verify(const char *path)
{
        struct emp_audit_verify_result res;
        struct emp_error err = {0};
        check(emp_audit_verify(path, &res, &err) == 0);
        check((unsigned)res.status <= EMP_AUDIT_BAD_STATE);
        if (res.status == EMP_AUDIT_OK) {
                check(res.line == 0 && res.reason[0] == '\0');
        } else {
                check(res.reason[0] != '\0' && res.file[0] != '\0');
                check(res.status == EMP_AUDIT_BAD_STATE || res.line >= 1);
        }
        return res;
}

/* The reader sees at most every line, and, on a good log, exactly the
 * verified ones in order. */
static void read_back(const char *path, const struct emp_audit_verify_result *res, size_t newlines)
{
        struct emp_audit_reader *r = NULL;
        check(emp_audit_reader_open(path, NULL, EMP_AUDIT_READ_ROTATED, &r) == 0);
        struct emp_audit_entry e;
        uint64_t n = 0;
        int got;
        while ((got = emp_audit_reader_next(r, &e)) == 1) {
                check(e.app && e.time && e.line && e.line_len > 0);
                if (res->status == EMP_AUDIT_OK && res->stale_files == 0)
                        check(e.seq == fuzz_genesis.seq + n);
                n++;
        }
        check(got == 0);
        check(n <= newlines);
        if (res->status == EMP_AUDIT_OK && res->stale_files == 0)
                check(n == res->lines);
        emp_audit_reader_free(r);
}

/* Recovery keeps a good log whole; whatever it accepts, it continues. */
static void writer(const char *path, const struct emp_audit_verify_result *before)
{
        struct emp_audit *a = NULL;
        struct emp_audit_open_info info;
        struct emp_error err = {0};
        int r = emp_audit_open(path, NULL, &a, &info, &err);
        if (before->status == EMP_AUDIT_OK)
                check(r == 0 && !(info.flags & EMP_AUDIT_OPENED_TORN_TAIL));
        if (r < 0) {
                check(r == -EBADMSG && err.msg[0]);
                return;
        }
        struct emp_audit_record rec = {
                .app = "a.b", .instance = "1", .permission = "device:dri", .decision = "deny", .source = "default"};
        check(emp_audit_append(a, &rec, &err) == 0);
        check(emp_audit_close(a, &err) == 0);
        struct emp_audit_verify_result after = verify(path);
        if (before->status == EMP_AUDIT_OK) {
                check(after.status == EMP_AUDIT_OK && after.lines == before->lines + 1);
                check(after.unconfirmed == 0);
        }
        /* What recovery leaves ends in a whole line the head vouches for
         * (damage inside rotated files is evidence: it stays, verify names it). */
        check(after.status != EMP_AUDIT_CUT);
        check(after.status != EMP_AUDIT_TORN || strcmp(after.file, "audit.log") != 0);
}

#ifndef AUDIT_FUZZ_SEEDS
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        char *path;
        int dirfd = fuzz_dir(&path);
        uint8_t mode = data[0];
        prepare(dirfd, mode, data + 1, size - 1);
        struct emp_audit_verify_result res = verify(path);
        /* FUZZ_AUDIT_VERBOSE=1 ./fuzz_audit corpus/file: what a seed tests. */
        static int verbose = -1;
        if (verbose < 0)
                verbose = getenv("FUZZ_AUDIT_VERBOSE") != NULL;
        if (verbose)
                fprintf(stderr, "mode %#x: %s %s:%llu %s\n", mode, emp_audit_status_name(res.status), res.file,
                        (unsigned long long)res.line, res.reason);
        read_back(path, &res, count_newlines(data + 1, size - 1));
        if (mode & MODE_WRITER)
                writer(path, &res);
        return 0;
}
#else
/* Seeds: valid chains under the fixed key and genesis, and a few broken. */
static size_t chain(char *out, size_t cap, int from, int to, const struct audit_pos *start, bool hex_path)
{
        struct audit_pos pos = *start;
        size_t len = 0;
        for (int i = from; i <= to; i++) {
                char *line;
                size_t n;
                char perm[64];
                snprintf(perm, sizeof(perm), "network:host%d.example.org:443", i);
                struct emp_audit_record rec = {.time_ms = 1764321243123 + i,
                                               .app = i % 2 ? "org.example.A" : "b.c",
                                               .instance = "7",
                                               .permission = perm,
                                               .decision = "allow",
                                               .source = "user",
                                               .name = "host.example.org",
                                               .port = 443,
                                               .protocol = "tcp",
                                               .path = hex_path ? "/tmp/\xff" : NULL};
                if (audit_record_format(&rec, pos.seq + 1, pos.hash, &line, &n, NULL) < 0 || len + n > cap)
                        exit(1);
                memcpy(out + len, line, n);
                audit_hash_line(fuzz_key, line, n - 1, pos.hash);
                pos.seq++;
                len += n;
                free(line);
        }
        return len;
}

static void seed(const char *dir, const char *name, uint8_t mode, const char *log, size_t len)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "wb");
        if (!f || fputc(mode, f) == EOF || fwrite(log, 1, len, f) != len || fclose(f) != 0)
                exit(1);
}

int main(int argc, char **argv)
{
        if (argc != 2)
                return 2;
        static char buf[8192], tmp[8192];
        struct audit_pos g = fuzz_genesis;
        g.seq = 0; /* chain() numbers from pos.seq + 1 */
        size_t n = chain(buf, sizeof(buf), 1, 3, &g, false);
        seed(argv[1], "valid-head-at-genesis", 0, buf, n);
        seed(argv[1], "valid-head-at-last", 3 << 3 | MODE_HEAD_AT_LAST, buf, n);
        seed(argv[1], "valid-writer", 3 << 3 | MODE_HEAD_AT_LAST | MODE_WRITER, buf, n);
        seed(argv[1], "torn-writer", 2 << 3 | MODE_HEAD_AT_LAST | MODE_WRITER, buf, n - 10);
        seed(argv[1], "cut", 5 << 3 | MODE_HEAD_AT_LAST, buf, n);
        /* Lines 2 and 3 swapped. */
        char *l2 = memchr(buf, '\n', n) + 1, *l3 = memchr(l2, '\n', (size_t)(buf + n - l2)) + 1;
        size_t pre = (size_t)(l2 - buf), len2 = (size_t)(l3 - l2), len3 = n - (size_t)(l3 - buf);
        memcpy(tmp, buf, pre);
        memcpy(tmp + pre, l3, len3);
        memcpy(tmp + pre + len3, l2, len2);
        seed(argv[1], "swapped", 0, tmp, n);
        n = chain(buf, sizeof(buf), 1, 2, &g, true);
        seed(argv[1], "hex-path", 2 << 3 | MODE_HEAD_AT_LAST | MODE_WRITER, buf, n);
        /* Rotated: two lines in audit.log.1, two in audit.log. */
        n = chain(buf, sizeof(buf), 1, 4, &g, false);
        char *third = memchr(memchr(buf, '\n', n) + 1, '\n', n) + 1;
        size_t first = (size_t)(third - buf);
        memcpy(tmp, buf, first);
        tmp[first] = '\f';
        memcpy(tmp + first + 1, third, n - first);
        seed(argv[1], "rotated", 4 << 3 | MODE_HEAD_AT_LAST | MODE_ROTATED | MODE_WRITER, tmp, n + 1);
        return 0;
}
#endif
