/* test_audit_verify.c — emp_audit_verify against tampering: edited, dropped,
 * reordered, malformed, cut and torn lines, forged state files, rotated sets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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
        assert_true(asprintf(&dir, "%s/empyra-auditv-XXXXXX", tmp && *tmp ? tmp : "/tmp") > 0);
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

/* A file as lines; the last may be a fragment without a newline. */
struct lines {
        char *v[64];
        size_t n;
        bool fragment;
};

static void load_lines(const char *dir, const char *name, struct lines *l)
{
        char *p = path_of(dir, name);
        FILE *f = fopen(p, "rb");
        assert_non_null(f);
        memset(l, 0, sizeof(*l));
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, f)) > 0) {
                assert_true(l->n < 64);
                l->fragment = line[n - 1] != '\n';
                if (!l->fragment)
                        line[n - 1] = '\0';
                l->v[l->n++] = strdup(line);
        }
        free(line);
        fclose(f);
        free(p);
}

static void save_lines(const char *dir, const char *name, struct lines *l)
{
        char *p = path_of(dir, name);
        FILE *f = fopen(p, "wb");
        assert_non_null(f);
        for (size_t i = 0; i < l->n; i++)
                fprintf(f, "%s%s", l->v[i], i + 1 == l->n && l->fragment ? "" : "\n");
        fclose(f);
        free(p);
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        l->n = 0;
}

/* Replace the first `find` in line `no` (1-based) of name with `repl`. */
static void edit(const char *dir, const char *name, size_t no, const char *find, const char *repl)
{
        struct lines l;
        load_lines(dir, name, &l);
        assert_true(no >= 1 && no <= l.n);
        char *line = l.v[no - 1];
        char *at = strstr(line, find);
        if (!at)
                fail_msg("'%s' not in line %zu: %s", find, no, line);
        char *out = NULL;
        assert_true(asprintf(&out, "%.*s%s%s", (int)(at - line), line, repl, at + strlen(find)) > 0);
        free(line);
        l.v[no - 1] = out;
        save_lines(dir, name, &l);
}

static void drop_line(const char *dir, const char *name, size_t no)
{
        struct lines l;
        load_lines(dir, name, &l);
        assert_true(no >= 1 && no <= l.n);
        free(l.v[no - 1]);
        memmove(&l.v[no - 1], &l.v[no], (l.n - no) * sizeof(char *));
        l.n--;
        save_lines(dir, name, &l);
}

static void swap_lines(const char *dir, const char *name, size_t a, size_t b)
{
        struct lines l;
        load_lines(dir, name, &l);
        char *t = l.v[a - 1];
        l.v[a - 1] = l.v[b - 1];
        l.v[b - 1] = t;
        save_lines(dir, name, &l);
}

static struct emp_audit_options opts_default = {0};

static void write_log(const char *dir, const struct emp_audit_options *o, int from, int to, bool flush)
{
        struct emp_audit *a = NULL;
        struct emp_error err = {0};
        if (emp_audit_open(dir, o, &a, NULL, &err) < 0)
                fail_msg("open: %s", err.msg);
        static const char *const names[] = {"zero", "one", "two", "three", "four", "five", "six", "seven"};
        for (int i = from; i <= to; i++) {
                char app[64], perm[64];
                snprintf(app, sizeof(app), "org.example.%s", names[i % 8]);
                snprintf(perm, sizeof(perm), "filesystem:/home/u/file%d", i);
                struct emp_audit_record rec = {.app = app,
                                               .instance = "1",
                                               .permission = perm,
                                               .decision = "allow",
                                               .source = "user",
                                               .path = perm + 11};
                if (emp_audit_append(a, &rec, &err) < 0)
                        fail_msg("append: %s", err.msg);
        }
        if (flush)
                assert_int_equal(emp_audit_close(a, &err), 0);
        else
                _exit(0); /* the caller forked: die with the batch unflushed */
}

static void five_lines(const char *dir)
{
        write_log(dir, &opts_default, 1, 5, true);
}

static struct emp_audit_verify_result verify(const char *dir)
{
        struct emp_audit_verify_result res;
        struct emp_error err = {0};
        int r = emp_audit_verify(dir, &res, &err);
        if (r < 0)
                fail_msg("emp_audit_verify: %d %s", r, err.msg);
        print_message("# verify: %s %s:%llu %s\n", emp_audit_status_name(res.status), res.file, (unsigned long long)res.line,
                      res.reason);
        return res;
}

static void expect(const char *dir, enum emp_audit_status status, const char *file, uint64_t line)
{
        struct emp_audit_verify_result res = verify(dir);
        assert_string_equal(emp_audit_status_name(res.status), emp_audit_status_name(status));
        assert_string_equal(res.file, file);
        assert_int_equal(res.line, line);
        assert_true(res.reason[0] != '\0');
}

/* ---- tests ---- */

static void test_ok(void **state)
{
        const char *dir = *state;
        struct emp_audit_verify_result res = verify(dir);
        assert_int_equal(res.status, EMP_AUDIT_OK);
        assert_int_equal(res.lines, 0);
        char *none = path_of(dir, "does-not-exist");
        res = verify(none);
        assert_int_equal(res.status, EMP_AUDIT_OK);
        assert_int_equal(res.files, 0);
        free(none);
        five_lines(dir);
        res = verify(dir);
        assert_int_equal(res.status, EMP_AUDIT_OK);
        assert_int_equal(res.lines, 5);
        assert_int_equal(res.line, 0);
        assert_string_equal(res.reason, "");
}

/* One character of line 2 of 5: line 3 no longer chains from it. */
static void test_edited_line(void **state)
{
        const char *dir = *state;
        five_lines(dir);
        edit(dir, "audit.log", 2, "org.example.two", "org.example.twp");
        expect(dir, EMP_AUDIT_EDITED, "audit.log", 2);
}

static void test_edited_line_to_malformed(void **state)
{
        const char *dir = *state;
        five_lines(dir);
        edit(dir, "audit.log", 2, "\"app\"", "\"app");
        expect(dir, EMP_AUDIT_MALFORMED, "audit.log", 2);
}

/* Edits of the chain's own fields still name the line edited. */
static void test_edited_seq(void **state)
{
        const char *dir = *state;
        five_lines(dir);
        edit(dir, "audit.log", 2, "\"seq\":2", "\"seq\":7");
        expect(dir, EMP_AUDIT_EDITED, "audit.log", 2);
}

static void test_edited_prev_digit(void **state)
{
        const char *dir = *state;
        five_lines(dir);
        struct lines l;
        load_lines(dir, "audit.log", &l);
        char *prev = strstr(l.v[2], "\"prev\":\"") + 8;
        *prev = *prev == '0' ? '1' : '0';
        save_lines(dir, "audit.log", &l);
        expect(dir, EMP_AUDIT_EDITED, "audit.log", 3);
}

/* The last line has no next line: the head catches it. */
static void test_edited_last_line(void **state)
{
        const char *dir = *state;
        five_lines(dir);
        edit(dir, "audit.log", 5, "org.example.five", "org.example.fivf");
        expect(dir, EMP_AUDIT_EDITED, "audit.log", 5);
}

static void test_dropped_line(void **state)
{
        const char *dir = *state;
        five_lines(dir);
        drop_line(dir, "audit.log", 3);
        expect(dir, EMP_AUDIT_DROPPED, "audit.log", 3);
}

static void test_dropped_first_lines(void **state)
{
        const char *dir = *state;
        five_lines(dir);
        drop_line(dir, "audit.log", 1);
        drop_line(dir, "audit.log", 1);
        expect(dir, EMP_AUDIT_DROPPED, "audit.log", 1);
        struct emp_audit_verify_result res = verify(dir);
        assert_non_null(strstr(res.reason, "2 lines (records 1 to 2) are missing"));
}

static void test_swapped_lines(void **state)
{
        const char *dir = *state;
        five_lines(dir);
        swap_lines(dir, "audit.log", 2, 3);
        expect(dir, EMP_AUDIT_REORDERED, "audit.log", 2);
}

static void test_repeated_line(void **state)
{
        const char *dir = *state;
        five_lines(dir);
        struct lines l;
        load_lines(dir, "audit.log", &l);
        memmove(&l.v[3], &l.v[2], 3 * sizeof(char *));
        l.v[2] = strdup(l.v[1]);
        l.n++;
        save_lines(dir, "audit.log", &l);
        expect(dir, EMP_AUDIT_REORDERED, "audit.log", 3);
}

static void test_last_line_moved_first(void **state)
{
        const char *dir = *state;
        five_lines(dir);
        struct lines l;
        load_lines(dir, "audit.log", &l);
        char *last = l.v[4];
        memmove(&l.v[1], &l.v[0], 4 * sizeof(char *));
        l.v[0] = last;
        save_lines(dir, "audit.log", &l);
        expect(dir, EMP_AUDIT_REORDERED, "audit.log", 1);
}

/* Removing whole lines at the end leaves a valid chain: only the head,
 * kept outside the log, shows they are gone. */
static void test_cut_tail(void **state)
{
        const char *dir = *state;
        five_lines(dir);
        drop_line(dir, "audit.log", 5);
        expect(dir, EMP_AUDIT_CUT, "audit.log", 5);
        drop_line(dir, "audit.log", 4);
        expect(dir, EMP_AUDIT_CUT, "audit.log", 4);
        /* Everything gone but the state: still a cut, not "empty". */
        char *p = path_of(dir, "audit.log");
        assert_int_equal(unlink(p), 0);
        expect(dir, EMP_AUDIT_CUT, "audit.log", 1);
        free(p);
}

static void test_torn_last_line(void **state)
{
        const char *dir = *state;
        five_lines(dir);
        char *p = path_of(dir, "audit.log");
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(truncate(p, st.st_size - 30), 0);
        expect(dir, EMP_AUDIT_TORN, "audit.log", 5);
        /* Only the newline missing is torn too. */
        teardown_dir(state);
        setup_dir(state);
        dir = *state;
        five_lines(dir);
        free(p);
        p = path_of(dir, "audit.log");
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(truncate(p, st.st_size - 1), 0);
        expect(dir, EMP_AUDIT_TORN, "audit.log", 5);
        free(p);
}

static void crash_with_lines_pending(const char *dir)
{
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                write_log(dir, &opts_default, 4, 6, false);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Lines after the head that chain are the batch window, not tampering;
 * lines after the head that do not chain are still found. */
static void test_unconfirmed_lines(void **state)
{
        const char *dir = *state;
        write_log(dir, &opts_default, 1, 3, true);
        crash_with_lines_pending(dir);
        struct emp_audit_verify_result res = verify(dir);
        assert_int_equal(res.status, EMP_AUDIT_OK);
        assert_int_equal(res.lines, 6);
        assert_int_equal(res.unconfirmed, 3);
        edit(dir, "audit.log", 5, "org.example.five", "org.example.fivf");
        expect(dir, EMP_AUDIT_EDITED, "audit.log", 5);
}

static void test_head_tampered(void **state)
{
        const char *dir = *state;
        five_lines(dir);
        struct lines saved;
        load_lines(dir, "audit.head", &saved);
        struct lines l;
        load_lines(dir, "audit.head", &l);
        char *h = strstr(l.v[0], "\"hash\":\"") + 8;
        *h = *h == 'a' ? 'b' : 'a';
        save_lines(dir, "audit.head", &l);
        expect(dir, EMP_AUDIT_BAD_STATE, "audit.head", 0);
        /* A head claiming fewer lines, to hide a cut: its MAC fails. */
        save_lines(dir, "audit.head", &saved);
        load_lines(dir, "audit.head", &saved);
        edit(dir, "audit.head", 1, "\"seq\":5", "\"seq\":4");
        expect(dir, EMP_AUDIT_BAD_STATE, "audit.head", 0);
        char *p = path_of(dir, "audit.head");
        assert_int_equal(unlink(p), 0);
        expect(dir, EMP_AUDIT_BAD_STATE, "audit.head", 0);
        free(p);
        /* Restored, all is well again. */
        save_lines(dir, "audit.head", &saved);
        assert_int_equal(verify(dir).status, EMP_AUDIT_OK);
}

/* The documented limit: a head saved earlier and put back with the lines
 * after it cut passes here — empyrad's copy in the journal catches it. */
static void test_head_rollback_is_a_known_limit(void **state)
{
        const char *dir = *state;
        write_log(dir, &opts_default, 1, 3, true);
        struct lines old;
        load_lines(dir, "audit.head", &old);
        write_log(dir, &opts_default, 4, 5, true);
        drop_line(dir, "audit.log", 5);
        drop_line(dir, "audit.log", 4);
        save_lines(dir, "audit.head", &old);
        struct emp_audit_verify_result res = verify(dir);
        assert_int_equal(res.status, EMP_AUDIT_OK);
        assert_int_equal(res.lines, 3);
}

static void test_genesis_and_key_tampered(void **state)
{
        const char *dir = *state;
        five_lines(dir);
        struct lines saved;
        load_lines(dir, "audit.genesis", &saved);
        edit(dir, "audit.genesis", 1, "\"seq\":1", "\"seq\":2");
        expect(dir, EMP_AUDIT_BAD_STATE, "audit.genesis", 0);
        save_lines(dir, "audit.genesis", &saved);
        assert_int_equal(verify(dir).status, EMP_AUDIT_OK);
        /* Another key: nothing it did not write verifies. */
        char *p = path_of(dir, "audit.key");
        FILE *f = fopen(p, "wb");
        fwrite("0123456789abcdef0123456789abcdef", 1, 32, f);
        fclose(f);
        expect(dir, EMP_AUDIT_BAD_STATE, "audit.genesis", 0);
        assert_int_equal(unlink(p), 0);
        expect(dir, EMP_AUDIT_BAD_STATE, "audit.key", 0);
        free(p);
}

static void test_overlong_and_garbage_lines(void **state)
{
        const char *dir = *state;
        five_lines(dir);
        struct lines l;
        load_lines(dir, "audit.log", &l);
        free(l.v[3]);
        l.v[3] = malloc(EMP_AUDIT_LINE_MAX + 100);
        memset(l.v[3], 'x', EMP_AUDIT_LINE_MAX + 99);
        l.v[3][EMP_AUDIT_LINE_MAX + 99] = '\0';
        save_lines(dir, "audit.log", &l);
        expect(dir, EMP_AUDIT_MALFORMED, "audit.log", 4);
        edit(dir, "audit.log", 2, "\"source\":\"user\"", "\"source\":\"user\",\"payload\":\"x\"");
        expect(dir, EMP_AUDIT_MALFORMED, "audit.log", 2);
        struct emp_audit_verify_result res = verify(dir);
        assert_non_null(strstr(res.reason, "unknown field"));
}

static const struct emp_audit_options small = {.max_size = 700, .keep = 3};

static void rotated_set(const char *dir)
{
        write_log(dir, &small, 1, 12, true);
        struct stat st;
        char *p = path_of(dir, "audit.log.3");
        assert_int_equal(stat(p, &st), 0);
        free(p);
        p = path_of(dir, "audit.log.4");
        assert_int_equal(stat(p, &st), -1);
        free(p);
        struct lines l;
        load_lines(dir, "audit.log.1", &l);
        assert_true(l.n >= 2);
        save_lines(dir, "audit.log.1", &l);
        struct emp_audit_verify_result res = verify(dir);
        assert_int_equal(res.status, EMP_AUDIT_OK);
        assert_int_equal(res.files, 4);
}

static void test_rotated_edit(void **state)
{
        const char *dir = *state;
        rotated_set(dir);
        edit(dir, "audit.log.1", 1, "filesystem:/home", "filesystem:/homf");
        expect(dir, EMP_AUDIT_EDITED, "audit.log.1", 1);
}

/* The last line of a rotated file: the next file's first line catches it. */
static void test_rotated_edit_last_line(void **state)
{
        const char *dir = *state;
        rotated_set(dir);
        struct lines l;
        load_lines(dir, "audit.log.2", &l);
        size_t n = l.n;
        save_lines(dir, "audit.log.2", &l);
        edit(dir, "audit.log.2", n, "\"instance\":\"1\"", "\"instance\":\"2\"");
        expect(dir, EMP_AUDIT_EDITED, "audit.log.2", n);
}

static void test_rotated_file_removed(void **state)
{
        const char *dir = *state;
        rotated_set(dir);
        char *p = path_of(dir, "audit.log.2");
        assert_int_equal(unlink(p), 0);
        expect(dir, EMP_AUDIT_DROPPED, "audit.log.1", 1);
        free(p);
        /* The oldest one: the genesis says where the set must begin. */
        teardown_dir(state);
        setup_dir(state);
        dir = *state;
        rotated_set(dir);
        p = path_of(dir, "audit.log.3");
        assert_int_equal(unlink(p), 0);
        expect(dir, EMP_AUDIT_DROPPED, "audit.log.2", 1);
        free(p);
}

static void test_rotated_files_swapped(void **state)
{
        const char *dir = *state;
        rotated_set(dir);
        char *a = path_of(dir, "audit.log.1"), *b = path_of(dir, "audit.log.2"), *t = path_of(dir, "t");
        assert_int_equal(rename(a, t), 0);
        assert_int_equal(rename(b, a), 0);
        assert_int_equal(rename(t, b), 0);
        expect(dir, EMP_AUDIT_REORDERED, "audit.log.2", 1);
        free(a);
        free(b);
        free(t);
}

/* A head put back from before the last rotation cannot hide a cut there:
 * the writer records the head before every rotation. */
static void test_rotated_old_head(void **state)
{
        const char *dir = *state;
        write_log(dir, &small, 1, 10, true);
        struct lines old;
        load_lines(dir, "audit.head", &old);
        write_log(dir, &small, 11, 14, true);
        save_lines(dir, "audit.head", &old);
        expect(dir, EMP_AUDIT_BAD_STATE, "audit.head", 0);
}

static void test_status_names(void **state)
{
        assert_string_equal(emp_audit_status_name(EMP_AUDIT_OK), "ok");
        assert_string_equal(emp_audit_status_name(EMP_AUDIT_BAD_STATE), "bad-state");
        assert_string_equal(emp_audit_status_name((enum emp_audit_status)99), "unknown");
        struct emp_audit_verify_result res = {.status = EMP_AUDIT_CUT};
        assert_int_equal(emp_audit_verify(NULL, &res, NULL), -EINVAL);
        assert_int_equal(res.status, EMP_AUDIT_CUT); /* untouched on failure */
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)
        const struct CMUnitTest tests[] = {
                T(test_ok),
                T(test_edited_line),
                T(test_edited_line_to_malformed),
                T(test_edited_seq),
                T(test_edited_prev_digit),
                T(test_edited_last_line),
                T(test_dropped_line),
                T(test_dropped_first_lines),
                T(test_swapped_lines),
                T(test_repeated_line),
                T(test_last_line_moved_first),
                T(test_cut_tail),
                T(test_torn_last_line),
                T(test_unconfirmed_lines),
                T(test_head_tampered),
                T(test_head_rollback_is_a_known_limit),
                T(test_genesis_and_key_tampered),
                T(test_overlong_and_garbage_lines),
                T(test_rotated_edit),
                T(test_rotated_edit_last_line),
                T(test_rotated_file_removed),
                T(test_rotated_files_swapped),
                T(test_rotated_old_head),
                T(test_status_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
