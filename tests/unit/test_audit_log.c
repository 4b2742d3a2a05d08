/* test_audit_log.c — the audit writer: line format and chain, key and state
 * files, batched fsync, crash recovery, rotation, the reader and follower. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "audit/audit.h"

/* ---- helpers ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(path);
}

static int setup_dir(void **state)
{
        const char *tmp = getenv("TMPDIR");
        char *dir = NULL;
        assert_true(asprintf(&dir, "%s/empyra-audit-XXXXXX", tmp && *tmp ? tmp : "/tmp") > 0);
        assert_non_null(mkdtemp(dir));
        *state = dir;
        return 0;
}

static int teardown_dir(void **state)
{
        nftw(*state, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(*state);
        return 0;
}

static char *path_of(const char *dir, const char *name)
{
        char *p = NULL;
        assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
        return p;
}

static char *slurp(const char *dir, const char *name, size_t *ret_len)
{
        char *p = path_of(dir, name);
        FILE *f = fopen(p, "rb");
        assert_non_null(f);
        char *buf = NULL;
        size_t cap = 0, len = 0, n;
        char chunk[4096];
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
                buf = realloc(buf, cap = len + n + 1);
                memcpy(buf + len, chunk, n);
                len += n;
        }
        fclose(f);
        free(p);
        if (!buf)
                buf = calloc(1, 1);
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        (void)cap;
        return buf;
}

static json_t *load_json(const char *dir, const char *name)
{
        char *text = slurp(dir, name, NULL);
        json_t *o = json_loads(text, 0, NULL);
        assert_non_null(o);
        free(text);
        return o;
}

static void spit(const char *dir, const char *name, const char *data, size_t len)
{
        char *p = path_of(dir, name);
        FILE *f = fopen(p, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        fclose(f);
        free(p);
}

static bool exists(const char *dir, const char *name)
{
        char *p = path_of(dir, name);
        bool r = access(p, F_OK) == 0;
        free(p);
        return r;
}

static off_t file_size(const char *dir, const char *name)
{
        char *p = path_of(dir, name);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        free(p);
        return st.st_size;
}

static struct emp_audit *open_log(const char *dir, const struct emp_audit_options *o, struct emp_audit_open_info *info)
{
        struct emp_audit *a = NULL;
        struct emp_error err = {0};
        int r = emp_audit_open(dir, o, &a, info, &err);
        if (r < 0)
                fail_msg("emp_audit_open: %d %s", r, err.msg);
        return a;
}

static void append(struct emp_audit *a, const char *app, int i)
{
        char perm[64], inst[32];
        snprintf(perm, sizeof(perm), "network:host%d.example.org:443", i);
        snprintf(inst, sizeof(inst), "inst-%d", i % 3);
        struct emp_audit_record rec = {
                .app = app,
                .instance = inst,
                .permission = perm,
                .decision = i % 2 ? "deny" : "allow",
                .source = "user",
                .name = "host.example.org",
                .address = "192.0.2.7",
                .port = 443,
                .protocol = "tcp",
        };
        struct emp_error err = {0};
        int r = emp_audit_append(a, &rec, &err);
        if (r < 0)
                fail_msg("emp_audit_append: %d %s", r, err.msg);
}

static void close_log(struct emp_audit *a)
{
        struct emp_error err = {0};
        int r = emp_audit_close(a, &err);
        if (r < 0)
                fail_msg("emp_audit_close: %d %s", r, err.msg);
}

static struct emp_audit_verify_result verify(const char *dir)
{
        struct emp_audit_verify_result res;
        struct emp_error err = {0};
        int r = emp_audit_verify(dir, &res, &err);
        if (r < 0)
                fail_msg("emp_audit_verify: %d %s", r, err.msg);
        if (res.status != EMP_AUDIT_OK)
                print_message("# verify: %s %s:%llu: %s\n", emp_audit_status_name(res.status), res.file,
                              (unsigned long long)res.line, res.reason);
        return res;
}

static void expect_ok(const char *dir, uint64_t lines)
{
        struct emp_audit_verify_result res = verify(dir);
        assert_int_equal(res.status, EMP_AUDIT_OK);
        assert_int_equal(res.lines, lines);
}

static int64_t mono_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Run fn in a child that dies without flushing or closing: a crash. */
static void crash_after(const char *dir, void (*fn)(const char *dir))
{
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                fn(dir);
                _exit(0);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void n_lines(const char *dir, const char *app, int from, int to)
{
        struct emp_audit *a = open_log(dir, NULL, NULL);
        for (int i = from; i <= to; i++)
                append(a, app, i);
        close_log(a);
}

/* ---- tests ---- */

static void test_append_and_verify(void **state)
{
        const char *dir = *state;
        struct emp_audit_open_info info;
        struct emp_audit *a = open_log(dir, NULL, &info);
        assert_int_equal(info.flags, EMP_AUDIT_OPENED_CREATED);
        for (int i = 1; i <= 5; i++)
                append(a, "org.example.Game", i);
        close_log(a);
        struct emp_audit_verify_result res = verify(dir);
        assert_int_equal(res.status, EMP_AUDIT_OK);
        assert_int_equal(res.lines, 5);
        assert_int_equal(res.files, 1);
        assert_int_equal(res.unconfirmed, 0);
        assert_int_equal(res.line, 0);
        /* Reopening finds nothing to repair and continues the chain. */
        a = open_log(dir, NULL, &info);
        assert_int_equal(info.flags, 0);
        append(a, "org.example.Game", 6);
        close_log(a);
        expect_ok(dir, 6);
}

/* The format, checked independently of the library: prev of line 1 is the
 * genesis, prev of line N+1 the keyed BLAKE2b of line N's bytes. */
static void test_line_format_and_chain(void **state)
{
        const char *dir = *state;
        n_lines(dir, "org.example.Game", 1, 3);
        size_t keylen;
        unsigned char *key = (unsigned char *)slurp(dir, "audit.key", &keylen);
        assert_int_equal(keylen, 32);
        json_t *genesis = load_json(dir, "audit.genesis");
        char *log = slurp(dir, "audit.log", NULL);
        const char *expect_prev = json_string_value(json_object_get(genesis, "hash"));
        char hex[65];
        int n = 0;
        for (char *line = log, *nl; (nl = strchr(line, '\n')); line = nl + 1, n++) {
                json_t *o = json_loadb(line, (size_t)(nl - line), 0, NULL);
                assert_non_null(o);
                assert_int_equal(json_integer_value(json_object_get(o, "seq")), n + 1);
                assert_string_equal(json_string_value(json_object_get(o, "prev")), expect_prev);
                const char *t = json_string_value(json_object_get(o, "time"));
                assert_int_equal(strlen(t), 24); /* 2025-11-28T09:14:03.123Z */
                assert_true(t[10] == 'T' && t[19] == '.' && t[23] == 'Z');
                assert_string_equal(json_string_value(json_object_get(o, "app")), "org.example.Game");
                assert_int_equal(json_integer_value(json_object_get(o, "port")), 443);
                unsigned char h[32];
                crypto_generichash(h, 32, (unsigned char *)line, (size_t)(nl - line), key, 32);
                sodium_bin2hex(hex, sizeof(hex), h, 32);
                expect_prev = hex;
                json_decref(o);
        }
        assert_int_equal(n, 3);
        /* The head records the last line's hash. */
        json_t *head = load_json(dir, "audit.head");
        assert_string_equal(json_string_value(json_object_get(head, "hash")), hex);
        assert_int_equal(json_integer_value(json_object_get(head, "seq")), 3);
        json_decref(head);
        json_decref(genesis);
        free(log);
        free(key);
}

static void test_key_created_private(void **state)
{
        const char *dir = *state;
        char *sub = path_of(dir, "state/empyra");
        n_lines(sub, "a.b", 1, 1);
        char *key = path_of(sub, "audit.key");
        struct stat st;
        assert_int_equal(stat(key, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(st.st_size, 32);
        assert_int_equal(stat(sub, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
        size_t len;
        char *k1 = slurp(sub, "audit.key", &len);
        n_lines(sub, "a.b", 2, 2);
        char *k2 = slurp(sub, "audit.key", &len);
        assert_memory_equal(k1, k2, 32); /* reused, not replaced */
        expect_ok(sub, 2);
        /* A key others can read may have leaked: the writer refuses it. */
        assert_int_equal(chmod(key, 0644), 0);
        struct emp_audit *a = NULL;
        struct emp_error err = {0};
        assert_int_equal(emp_audit_open(sub, NULL, &a, NULL, &err), -EPERM);
        assert_null(a);
        assert_non_null(strstr(err.msg, "audit.key"));
        free(k1);
        free(k2);
        free(key);
        free(sub);
}

static void test_flush_deadline(void **state)
{
        const char *dir = *state;
        struct emp_audit *a = open_log(dir, NULL, NULL);
        assert_int_equal(emp_audit_flush_deadline(a), 0);
        assert_int_equal(emp_audit_flush_timeout_ms(a), -1);
        int64_t before = mono_usec();
        append(a, "a.b", 1);
        int64_t after = mono_usec();
        int64_t deadline = emp_audit_flush_deadline(a);
        assert_true(deadline > before);
        assert_true(deadline <= after + 1000000);
        int t = emp_audit_flush_timeout_ms(a);
        assert_true(t >= 0 && t <= 1000);
        /* More lines in the same batch do not push the deadline out. */
        append(a, "a.b", 2);
        assert_true(emp_audit_flush_deadline(a) == deadline);
        /* Written (visible) but not yet vouched for by the head. */
        struct emp_audit_verify_result res = verify(dir);
        assert_int_equal(res.status, EMP_AUDIT_OK);
        assert_int_equal(res.unconfirmed, 2);
        struct emp_error err = {0};
        assert_int_equal(emp_audit_flush(a, &err), 0);
        assert_int_equal(emp_audit_flush_deadline(a), 0);
        res = verify(dir);
        assert_int_equal(res.unconfirmed, 0);
        assert_int_equal(res.lines, 2);
        /* Nothing pending: flushing is free and changes nothing. */
        assert_int_equal(emp_audit_flush(a, &err), 0);
        close_log(a);
}

static void crash_in_batch(const char *dir)
{
        struct emp_audit *a = open_log(dir, NULL, NULL);
        for (int i = 1; i <= 3; i++)
                append(a, "a.b", i);
        struct emp_error err = {0};
        if (emp_audit_flush(a, &err) < 0)
                _exit(1);
        append(a, "a.b", 4);
        append(a, "a.b", 5);
}

/* A crash inside the batch window leaves valid lines the head does not
 * cover yet: normal; reopening moves the head over them and says so. */
static void test_crash_before_head_update(void **state)
{
        const char *dir = *state;
        crash_after(dir, crash_in_batch);
        struct emp_audit_verify_result res = verify(dir);
        assert_int_equal(res.status, EMP_AUDIT_OK);
        assert_int_equal(res.lines, 5);
        assert_int_equal(res.unconfirmed, 2);
        struct emp_audit_open_info info;
        struct emp_audit *a = open_log(dir, NULL, &info);
        assert_int_equal(info.flags, EMP_AUDIT_OPENED_HEAD_BEHIND);
        assert_int_equal(info.lines_recovered, 2);
        res = verify(dir);
        assert_int_equal(res.unconfirmed, 0);
        append(a, "a.b", 6);
        close_log(a);
        expect_ok(dir, 6);
}

/* Truncated in the middle of the unflushed last line, as a crash mid-write
 * leaves it: verify calls it torn; the writer cuts it and chains on from the
 * last whole line, never from the fragment. */
static void test_reopen_after_torn_write(void **state)
{
        const char *dir = *state;
        crash_after(dir, crash_in_batch);
        off_t size = file_size(dir, "audit.log");
        char *p = path_of(dir, "audit.log");
        assert_int_equal(truncate(p, size - 20), 0);
        struct emp_audit_verify_result res = verify(dir);
        assert_int_equal(res.status, EMP_AUDIT_TORN);
        assert_string_equal(res.file, "audit.log");
        assert_int_equal(res.line, 5);
        struct emp_audit_open_info info;
        struct emp_audit *a = open_log(dir, NULL, &info);
        assert_int_equal(info.flags, EMP_AUDIT_OPENED_HEAD_BEHIND | EMP_AUDIT_OPENED_TORN_TAIL);
        assert_int_equal(info.lines_recovered, 1);
        assert_true(info.bytes_dropped > 0);
        append(a, "a.b", 5);
        close_log(a);
        expect_ok(dir, 5);
        /* Garbage appended after the head (a torn write of a line that was
         * never whole) is cut the same way. */
        int fd = open(p, O_WRONLY | O_APPEND);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "{\"seq\":6,\"ti", 12), 12);
        close(fd);
        a = open_log(dir, NULL, &info);
        assert_int_equal(info.flags, EMP_AUDIT_OPENED_TORN_TAIL);
        assert_int_equal(info.bytes_dropped, 12);
        append(a, "a.b", 6);
        close_log(a);
        expect_ok(dir, 6);
        free(p);
}

/* Damage is not a crash: lines the head vouches for are gone. The writer
 * refuses, touching nothing, unless asked to start over. */
static void test_damaged_log_refused_or_moved_aside(void **state)
{
        const char *dir = *state;
        n_lines(dir, "a.b", 1, 4);
        char *p = path_of(dir, "audit.log");
        off_t size = file_size(dir, "audit.log");
        assert_int_equal(truncate(p, size - 20), 0);
        struct emp_audit *a = NULL;
        struct emp_error err = {0};
        assert_int_equal(emp_audit_open(dir, NULL, &a, NULL, &err), -EBADMSG);
        assert_null(a);
        assert_non_null(strstr(err.msg, "audit.head"));
        assert_int_equal(file_size(dir, "audit.log"), size - 20);

        struct emp_audit_options o = {.restart_damaged = true};
        struct emp_audit_open_info info;
        a = open_log(dir, &o, &info);
        assert_int_equal(info.flags, EMP_AUDIT_OPENED_RESTARTED | EMP_AUDIT_OPENED_CREATED);
        assert_true(strncmp(info.moved_to, "damaged-", 8) == 0);
        assert_non_null(strstr(info.damage, "audit.head"));
        append(a, "a.b", 1);
        close_log(a);
        expect_ok(dir, 1);
        /* The old files, with a link to the key, still verify where they went. */
        char *aside = path_of(dir, info.moved_to);
        struct emp_audit_verify_result res = verify(aside);
        assert_int_equal(res.status, EMP_AUDIT_TORN);
        assert_int_equal(res.line, 4);
        free(aside);
        free(p);
}

static void test_second_writer_busy(void **state)
{
        const char *dir = *state;
        struct emp_audit *a = open_log(dir, NULL, NULL);
        struct emp_audit *b = NULL;
        struct emp_error err = {0};
        assert_int_equal(emp_audit_open(dir, NULL, &b, NULL, &err), -EBUSY);
        assert_null(b);
        close_log(a);
        b = open_log(dir, NULL, NULL);
        close_log(b);
}

/* A write the kernel takes only part of is rolled back, so the next line
 * does not chain onto a fragment. The file size limit makes it happen. */
static void test_failed_write_rolled_back(void **state)
{
        const char *dir = *state;
        struct emp_audit *a = open_log(dir, NULL, NULL);
        append(a, "a.b", 1);
        struct emp_error err = {0};
        assert_int_equal(emp_audit_flush(a, &err), 0);
        off_t size = file_size(dir, "audit.log");
        struct rlimit old, lim;
        assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
        lim = old;
        lim.rlim_cur = (rlim_t)size + 40;
        void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
        struct emp_audit_record rec = {
                .app = "a.b", .instance = "i", .permission = "device:dri", .decision = "allow", .source = "manifest"};
        int r = emp_audit_append(a, &rec, &err);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
        signal(SIGXFSZ, prev);
        assert_int_equal(r, -EFBIG);
        assert_int_equal(file_size(dir, "audit.log"), size);
        append(a, "a.b", 2);
        close_log(a);
        expect_ok(dir, 2);
}

static void test_invalid_record_writes_nothing(void **state)
{
        const char *dir = *state;
        struct emp_audit *a = open_log(dir, NULL, NULL);
        append(a, "a.b", 1);
        struct emp_error err = {0};
        struct emp_audit_record rec = {.instance = "i", .permission = "p", .decision = "allow", .source = "user"};
        assert_int_equal(emp_audit_append(a, &rec, &err), -EINVAL);
        assert_string_equal(err.msg, "audit: record without app");
        rec.app = "a.b";
        rec.port = 70000;
        emp_error_clear(&err);
        assert_int_equal(emp_audit_append(a, &rec, &err), -EINVAL);
        char *big = malloc(EMP_AUDIT_FIELD_MAX + 2);
        memset(big, 'x', EMP_AUDIT_FIELD_MAX + 1);
        big[EMP_AUDIT_FIELD_MAX + 1] = '\0';
        rec.port = 0;
        rec.path = big;
        assert_int_equal(emp_audit_append(a, &rec, NULL), -EINVAL);
        free(big);
        close_log(a);
        expect_ok(dir, 1);
}

/* Secrets are never logged: struct emp_audit_record has no field that could
 * carry file contents or payloads, and a line holds exactly the fields
 * below. The size check trips when someone adds a field, so that they come
 * here and think about what it may carry. */
static void test_no_payload_fields(void **state)
{
        const char *dir = *state;
        assert_int_equal(sizeof(struct emp_audit_record), 9 * sizeof(char *) + sizeof(int64_t) + 8);
        struct emp_audit *a = open_log(dir, NULL, NULL);
        struct emp_audit_record rec = {
                .time_ms = 1764321243123,
                .app = "a.b",
                .instance = "i",
                .permission = "filesystem:/home/u/doc.txt",
                .decision = "allow",
                .source = "prompt",
                .name = "n",
                .address = "::1",
                .port = 1,
                .protocol = "udp",
                .path = "/home/u/doc.txt",
        };
        assert_int_equal(emp_audit_append(a, &rec, NULL), 0);
        close_log(a);
        char *log = slurp(dir, "audit.log", NULL);
        json_t *o = json_loads(log, JSON_DISABLE_EOF_CHECK, NULL);
        assert_non_null(o);
        static const char *const allowed[] = {"seq",  "time",    "app",  "instance", "permission", "decision", "source",
                                              "name", "address", "port", "protocol", "path",       "prev"};
        const char *k;
        json_t *v;
        json_object_foreach(o, k, v)
        {
                bool found = false;
                for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
                        found = found || strcmp(k, allowed[i]) == 0;
                if (!found)
                        fail_msg("unexpected field %s", k);
        }
        assert_int_equal(json_object_size(o), 13);
        assert_string_equal(json_string_value(json_object_get(o, "time")), "2025-11-28T09:14:03.123Z");
        json_decref(o);
        free(log);
}

/* Paths may be any bytes: not-UTF-8 ones go in as hex, losslessly; text
 * is escaped to ASCII so a terminal shows what is there. */
static void test_non_utf8_and_unicode_fields(void **state)
{
        const char *dir = *state;
        struct emp_audit *a = open_log(dir, NULL, NULL);
        struct emp_audit_record rec = {.app = "a.b",
                                       .instance = "i",
                                       .permission = "filesystem:/tmp/\xff\xfe",
                                       .decision = "deny",
                                       .source = "user",
                                       .path = "/tmp/\xff\xfe",
                                       .name = "caf\xc3\xa9.example\xe2\x80\xae"};
        assert_int_equal(emp_audit_append(a, &rec, NULL), 0);
        close_log(a);
        char *log = slurp(dir, "audit.log", NULL);
        assert_non_null(strstr(log, "\"path_hex\":\"2f746d702ffffe\""));
        assert_non_null(strstr(log, "\"permission_hex\":"));
        assert_non_null(strstr(log, "caf\\u00E9.example\\u202E"));
        for (const char *c = log; *c; c++)
                assert_true((unsigned char)*c < 0x80);
        expect_ok(dir, 1);
        struct emp_audit_reader *r = NULL;
        assert_int_equal(emp_audit_reader_open(dir, NULL, 0, &r), 0);
        struct emp_audit_entry e;
        assert_int_equal(emp_audit_reader_next(r, &e), 1);
        assert_string_equal(e.path, "/tmp/\xff\xfe");
        assert_string_equal(e.permission, "filesystem:/tmp/\xff\xfe");
        assert_string_equal(e.name, "caf\xc3\xa9.example\xe2\x80\xae");
        assert_int_equal(e.port, 0);
        assert_null(e.address);
        assert_int_equal(emp_audit_reader_next(r, &e), 0);
        emp_audit_reader_free(r);
        free(log);
}

static int read_all(const char *dir, const char *app, unsigned flags, uint64_t *seqs, int max)
{
        struct emp_audit_reader *r = NULL;
        assert_int_equal(emp_audit_reader_open(dir, app, flags, &r), 0);
        struct emp_audit_entry e;
        int n = 0, got;
        while ((got = emp_audit_reader_next(r, &e)) == 1) {
                assert_true(n < max);
                if (app)
                        assert_string_equal(e.app, app);
                /* --json prints the line as it is in the file. */
                assert_int_equal(e.line[0], '{');
                assert_int_equal(e.line[e.line_len - 1], '}');
                seqs[n++] = e.seq;
        }
        assert_int_equal(got, 0);
        emp_audit_reader_free(r);
        return n;
}

static void test_reader_filters_by_app(void **state)
{
        const char *dir = *state;
        struct emp_audit *a = open_log(dir, NULL, NULL);
        for (int i = 1; i <= 9; i++)
                append(a, i % 3 == 0 ? "org.example.Three" : "org.example.Other", i);
        close_log(a);
        uint64_t seqs[16];
        assert_int_equal(read_all(dir, "org.example.Three", 0, seqs, 16), 3);
        assert_int_equal(seqs[0], 3);
        assert_int_equal(seqs[1], 6);
        assert_int_equal(seqs[2], 9);
        assert_int_equal(read_all(dir, NULL, 0, seqs, 16), 9);
        assert_int_equal(read_all(dir, "org.example.None", 0, seqs, 16), 0);
}

static const struct emp_audit_options small = {.max_size = 1024, .keep = 2};

static void test_rotation_keeps_chain(void **state)
{
        const char *dir = *state;
        struct emp_audit *a = open_log(dir, &small, NULL);
        for (int i = 1; i <= 30; i++)
                append(a, i % 2 ? "org.example.Odd" : "org.example.Even", i);
        close_log(a);
        assert_true(exists(dir, "audit.log.1"));
        assert_true(exists(dir, "audit.log.2"));
        assert_false(exists(dir, "audit.log.3"));
        assert_true(file_size(dir, "audit.log.1") <= 1024);
        struct emp_audit_verify_result res = verify(dir);
        assert_int_equal(res.status, EMP_AUDIT_OK);
        assert_int_equal(res.files, 3);
        /* Reading the whole set gives an unbroken run ending at 30. */
        uint64_t seqs[32];
        int n = read_all(dir, NULL, EMP_AUDIT_READ_ROTATED, seqs, 32);
        assert_int_equal(n, res.lines);
        assert_true(n < 30 && n >= 6);
        for (int i = 0; i < n; i++)
                assert_int_equal(seqs[i], 30 - n + 1 + i);
        int evens = 0;
        for (int i = 0; i < n; i++)
                evens += seqs[i] % 2 == 0;
        assert_int_equal(read_all(dir, "org.example.Even", EMP_AUDIT_READ_ROTATED, seqs, 32), evens);
        /* The genesis moved to the oldest kept line. */
        json_t *g = load_json(dir, "audit.genesis");
        assert_int_equal(json_integer_value(json_object_get(g, "seq")), 30 - n + 1);
        json_decref(g);
        /* Reopening and writing on keeps it verifying. */
        a = open_log(dir, &small, NULL);
        append(a, "org.example.Odd", 31);
        close_log(a);
        assert_int_equal(verify(dir).status, EMP_AUDIT_OK);
}

/* A crash in the middle of a rotation: after the genesis moved but before the
 * oldest file went (a stale file), and in the middle of the renames (a gap
 * in the numbers). Verify passes; the next open finishes the job. */
static void test_rotation_interrupted(void **state)
{
        const char *dir = *state;
        struct emp_audit *a = open_log(dir, &small, NULL);
        for (int i = 1; i <= 20; i++)
                append(a, "a.b", i);
        close_log(a);
        size_t len;
        char *oldest = slurp(dir, "audit.log.2", &len);
        /* Enough lines for the old audit.log.2 to be dropped. */
        a = open_log(dir, &small, NULL);
        int i = 21;
        for (; i <= 26; i++)
                append(a, "a.b", i);
        close_log(a);
        /* The dropped file comes back, older than the genesis. */
        spit(dir, "audit.log.3", oldest, len);
        struct emp_audit_verify_result res = verify(dir);
        assert_int_equal(res.status, EMP_AUDIT_OK);
        assert_int_equal(res.stale_files, 1);
        struct emp_audit_open_info info;
        a = open_log(dir, &small, &info);
        assert_int_equal(info.flags, EMP_AUDIT_OPENED_ROTATION_FINISHED);
        close_log(a);
        assert_false(exists(dir, "audit.log.3"));
        /* A gap: .2 renamed to .3 but .1 not yet to .2. */
        char *from = path_of(dir, "audit.log.2"), *to = path_of(dir, "audit.log.3");
        assert_int_equal(rename(from, to), 0);
        res = verify(dir);
        assert_int_equal(res.status, EMP_AUDIT_OK);
        assert_int_equal(res.stale_files, 0);
        a = open_log(dir, &small, &info);
        assert_int_equal(info.flags, EMP_AUDIT_OPENED_ROTATION_FINISHED);
        append(a, "a.b", i++);
        close_log(a);
        assert_false(exists(dir, "audit.log.3"));
        assert_int_equal(verify(dir).status, EMP_AUDIT_OK);
        /* Renamed to audit.log.1, the new audit.log not made yet: the chain
         * goes on from the end of audit.log.1. */
        struct emp_audit_options keep_more = {.max_size = 1024, .keep = 5};
        free(from);
        free(to);
        from = path_of(dir, "audit.log.2"), to = path_of(dir, "audit.log.3");
        assert_int_equal(rename(from, to), 0);
        free(from);
        free(to);
        from = path_of(dir, "audit.log.1"), to = path_of(dir, "audit.log.2");
        assert_int_equal(rename(from, to), 0);
        free(from);
        free(to);
        from = path_of(dir, "audit.log"), to = path_of(dir, "audit.log.1");
        assert_int_equal(rename(from, to), 0);
        res = verify(dir);
        assert_int_equal(res.status, EMP_AUDIT_OK);
        uint64_t lines = res.lines;
        a = open_log(dir, &keep_more, &info);
        assert_int_equal(info.flags, 0);
        append(a, "a.b", i++);
        close_log(a);
        expect_ok(dir, lines + 1);
        free(from);
        free(to);
        free(oldest);
}

static int follow_all(struct emp_audit_reader *r, uint64_t *seqs, int max)
{
        struct emp_audit_entry e;
        int n = 0, got;
        while ((got = emp_audit_reader_next(r, &e)) == 1) {
                assert_true(n < max);
                seqs[n++] = e.seq;
        }
        assert_int_equal(got, 0);
        return n;
}

static void test_follow(void **state)
{
        const char *dir = *state;
        struct emp_audit *a = open_log(dir, &small, NULL);
        append(a, "a.b", 1);
        append(a, "a.b", 2);
        struct emp_audit_reader *r = NULL;
        assert_int_equal(emp_audit_follow_open(dir, NULL, EMP_AUDIT_OFFSET_END, &r), 0);
        uint64_t seqs[64];
        assert_int_equal(follow_all(r, seqs, 64), 0);
        append(a, "a.b", 3);
        append(a, "a.b", 4);
        assert_int_equal(follow_all(r, seqs, 64), 2);
        assert_int_equal(seqs[0], 3);
        assert_int_equal(seqs[1], 4);
        uint64_t offset = emp_audit_reader_offset(r);
        assert_int_equal(offset, file_size(dir, "audit.log"));
        /* Past several rotations, nothing is lost or repeated. */
        for (int i = 5; i <= 14; i++)
                append(a, "a.b", i);
        assert_int_equal(follow_all(r, seqs, 64), 10);
        for (int i = 0; i < 10; i++)
                assert_int_equal(seqs[i], 5 + i);
        assert_true(exists(dir, "audit.log.1"));
        close_log(a);
        emp_audit_reader_free(r);

        /* A line is returned only once it is whole. */
        size_t len;
        char *log = slurp(dir, "audit.log", &len);
        char *last = log + len - 1;
        while (last > log && last[-1] != '\n')
                last--;
        size_t last_len = (size_t)(log + len - last);
        assert_int_equal(emp_audit_follow_open(dir, NULL, EMP_AUDIT_OFFSET_END, &r), 0);
        char *p = path_of(dir, "audit.log");
        int fd = open(p, O_WRONLY | O_APPEND);
        assert_int_equal(write(fd, last, 10), 10);
        assert_int_equal(follow_all(r, seqs, 64), 0);
        assert_int_equal(write(fd, last + 10, last_len - 10), (ssize_t)(last_len - 10));
        close(fd);
        assert_int_equal(follow_all(r, seqs, 64), 1);
        assert_int_equal(seqs[0], 14);
        emp_audit_reader_free(r);
        /* Resuming from a saved offset. */
        assert_int_equal(emp_audit_follow_open(dir, NULL, (uint64_t)(last - log), &r), 0);
        assert_int_equal(follow_all(r, seqs, 64), 2);
        emp_audit_reader_free(r);
        free(p);
        free(log);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)
        const struct CMUnitTest tests[] = {
                T(test_append_and_verify),
                T(test_line_format_and_chain),
                T(test_key_created_private),
                T(test_flush_deadline),
                T(test_crash_before_head_update),
                T(test_reopen_after_torn_write),
                T(test_damaged_log_refused_or_moved_aside),
                T(test_second_writer_busy),
                T(test_failed_write_rolled_back),
                T(test_invalid_record_writes_nothing),
                T(test_no_payload_fields),
                T(test_non_utf8_and_unicode_fields),
                T(test_reader_filters_by_app),
                T(test_rotation_keeps_chain),
                T(test_rotation_interrupted),
                T(test_follow),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
