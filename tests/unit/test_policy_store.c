/* test_policy_store.c — policy.json: round trips, atomic replacement with
 * the last good copy kept, recovery from corrupt or oversize files, and a
 * strict schema with messages that say where. Each test has its own temp dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "manifest/manifest.h"
#include "policy/store.h"

#define NOW ((time_t)1700000000)

/* --- helpers ---------------------------------------------------------------------- */

static int setup(void **state)
{
        char tmpl[] = "/tmp/test-policy-store.XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        *state = strdup(tmpl);
        return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(path);
}

static int teardown(void **state)
{
        nftw(*state, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(*state);
        return 0;
}

static char *path_in(const char *dir, const char *name)
{
        char *p = NULL;
        assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
        return p;
}

static void write_text(const char *dir, const char *name, const char *data, size_t len)
{
        char *p = path_in(dir, name);
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
        free(p);
}

/* The file's text, or NULL when it does not exist. */
static char *read_text(const char *dir, const char *name)
{
        char *p = path_in(dir, name), *data = NULL;
        int r = emp_read_file(p, 64u << 20, &data, NULL);
        free(p);
        if (r == -ENOENT)
                return NULL;
        assert_int_equal(r, 0);
        return data;
}

static void set(struct emp_policy_store *s, const char *app, const char *perm, enum emp_decision d,
                enum emp_source src, enum emp_scope scope, time_t expires)
{
        struct emp_policy *p = NULL;
        struct emp_error err = { 0 };
        assert_int_equal(emp_policy_store_get(s, app, &p), 0);
        if (emp_policy_set(p, perm, d, src, scope, expires, &err) != 0)
                fail_msg("%s: %s", perm, err.msg);
}

static char *format(const struct emp_policy_store *s)
{
        char *text = NULL;
        struct emp_error err = { 0 };
        if (emp_policy_store_format(s, &text, NULL, &err) != 0)
                fail_msg("format: %s", err.msg);
        return text;
}

/* A store with one rule per app: "version N" tells saves apart. */
static char *save_version(const char *dir, int n)
{
        struct emp_policy_store s;
        struct emp_error err = { 0 };
        char perm[64];
        emp_policy_store_init(&s);
        snprintf(perm, sizeof(perm), "network:listen:%d", n);
        set(&s, "org.example.Game", perm, EMP_DECISION_ALLOW, EMP_SOURCE_USER, EMP_SCOPE_ALWAYS, 0);
        if (emp_policy_store_save(dir, &s, &err) != 0)
                fail_msg("save: %s", err.msg);
        char *text = format(&s);
        emp_policy_store_free(&s);
        return text;
}

static void expect_loaded(const struct emp_policy_store *s, const char *text)
{
        char *got = format(s);
        assert_string_equal(got, text);
        free(got);
}

static bool printable(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
                        return false;
        return true;
}

/* --- round trip and atomic replacement ------------------------------------------- */

static void test_round_trip(void **state)
{
        const char *dir = *state;
        struct emp_policy_store s, back;
        struct emp_error err = { 0 };
        emp_policy_store_init(&s);
        set(&s, "org.example.Game", "network:*.example.com:443", EMP_DECISION_ALLOW, EMP_SOURCE_USER,
            EMP_SCOPE_ALWAYS, 0);
        set(&s, "org.example.Game", "filesystem:/home/u/Caf\xc3\xa9 \"quoted\":ro", EMP_DECISION_ASK,
            EMP_SOURCE_USER, EMP_SCOPE_HOUR, NOW + 3600);
        set(&s, "org.example.Game", "network:lan", EMP_DECISION_DENY, EMP_SOURCE_MANIFEST, EMP_SCOPE_ALWAYS, 0);
        set(&s, "com.example.Browser", "network:[fd00::]/8:*", EMP_DECISION_DENY, EMP_SOURCE_USER,
            EMP_SCOPE_UNTIL_EXIT, 0);
        set(&s, "com.example.Empty", "device:dri", EMP_DECISION_ALLOW, EMP_SOURCE_USER, EMP_SCOPE_ALWAYS, 0);
        emp_policy_remove(emp_policy_store_find(&s, "com.example.Empty"), NULL, EMP_SOURCE_USER);

        char *text = format(&s);
        /* Apps in id order, the empty one left out, expiry only on "1h". */
        assert_true(strstr(text, "com.example.Browser") < strstr(text, "org.example.Game"));
        assert_null(strstr(text, "com.example.Empty"));
        assert_non_null(strstr(text, "\"expires\": 1700003600"));
        assert_int_equal(text[strlen(text) - 1], '\n');

        assert_int_equal(emp_policy_store_save(dir, &s, &err), 0);
        char *on_disk = read_text(dir, "policy.json");
        assert_string_equal(on_disk, text);
        assert_null(read_text(dir, "policy.json.good")); /* nothing before it */

        struct stat st;
        char *p = path_in(dir, "policy.json");
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        free(p);

        assert_int_equal(emp_policy_store_load(dir, &back, &err), 0);
        assert_int_equal(err.code, 0);
        expect_loaded(&back, text);
        struct emp_policy *game = emp_policy_store_find(&back, "org.example.Game");
        assert_non_null(game);
        assert_int_equal(game->n_rules, 3);
        assert_int_equal(game->rules[1].scope, EMP_SCOPE_HOUR);
        assert_int_equal(game->rules[1].expires, NOW + 3600);
        assert_string_equal(game->rules[1].perm.path, "/home/u/Caf\xc3\xa9 \"quoted\"");
        assert_false(game->shared_network); /* never stored */
        assert_null(emp_policy_store_find(&back, "org.example.Other"));

        /* What was loaded decides like what was saved. */
        struct emp_request req = { .kind = EMP_REQUEST_CONNECT, .name = "cdn.example.com", .port = 443,
                                   .protocol = EMP_PROTOCOL_TCP };
        struct emp_verdict v;
        assert_int_equal(emp_policy_decide(game, &req, NOW, &v), 0);
        assert_int_equal(v.decision, EMP_DECISION_ALLOW);
        assert_int_equal(v.source, EMP_SOURCE_USER);

        /* No stray temporaries left behind by a successful save. */
        DIR *d = opendir(dir);
        struct dirent *e;
        while ((e = readdir(d)))
                if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                        fail_msg("left behind: %s", e->d_name);
        closedir(d);

        free(on_disk);
        free(text);
        emp_policy_store_free(&s);
        emp_policy_store_free(&back);
}

static void test_replace_keeps_good(void **state)
{
        const char *dir = *state;
        char *a = save_version(dir, 1);
        char *b = save_version(dir, 2);
        char *cur = read_text(dir, "policy.json"), *good = read_text(dir, "policy.json.good");
        assert_string_equal(cur, b);
        assert_string_equal(good, a);
        free(cur);
        free(good);

        char *c = save_version(dir, 3);
        cur = read_text(dir, "policy.json");
        good = read_text(dir, "policy.json.good");
        assert_string_equal(cur, c);
        assert_string_equal(good, b);
        assert_null(read_text(dir, "policy.json.corrupt"));
        free(cur);
        free(good);
        free(a);
        free(b);
        free(c);
}

/* Saving creates the directory (0700) when it is missing. */
static void test_save_creates_dir(void **state)
{
        char *dir = path_in(*state, "config/empyra");
        char *text = save_version(dir, 1);
        char *cur = read_text(dir, "policy.json");
        assert_string_equal(cur, text);
        struct stat st;
        assert_int_equal(stat(dir, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0700);
        free(cur);
        free(text);
        free(dir);
}

/* A crash after the temp file was written but before the rename leaves a
 * stray ".policy.json.XXXXXX"; policy.json is the old one, whole. */
static void test_crash_before_rename(void **state)
{
        const char *dir = *state;
        struct emp_policy_store s;
        struct emp_error err = { 0 };
        char *a = save_version(dir, 1);
        char *b = save_version(dir, 2);
        write_text(dir, ".policy.json.k3x9qz", b, strlen(b) / 2); /* half written */
        write_text(dir, ".policy.json.good.a1b2c3", "{", 1);
        assert_int_equal(emp_policy_store_load(dir, &s, &err), 0);
        expect_loaded(&s, b);
        emp_policy_store_free(&s);

        /* And the next save goes through regardless. */
        char *c = save_version(dir, 3);
        assert_int_equal(emp_policy_store_load(dir, &s, &err), 0);
        expect_loaded(&s, c);
        emp_policy_store_free(&s);
        free(a);
        free(b);
        free(c);
}

/* --- recovery ---------------------------------------------------------------------- */

static void test_corrupt_falls_back_to_good(void **state)
{
        const char *dir = *state;
        struct emp_policy_store s;
        struct emp_error err = { 0 };
        char *a = save_version(dir, 1);
        char *b = save_version(dir, 2); /* .good = a */
        write_text(dir, "policy.json", "{\"version\": 1, \"apps\": {", 24);

        s.n_apps = 99;
        assert_int_equal(emp_policy_store_load(dir, &s, &err), EMP_POLICY_STORE_RECOVERED);
        expect_loaded(&s, a);
        assert_int_equal(err.code, -EINVAL);
        assert_non_null(strstr(err.msg, "/policy.json: line 1"));
        assert_non_null(strstr(err.msg, "policy.json.good"));
        emp_policy_store_free(&s);

        /* Valid JSON, wrong schema: the message says where. */
        const char *bad = "{\"version\": 1, \"apps\": {\"org.example.Game\": [\n"
                          "  {\"permission\": \"network:*.example.com\", \"decision\": \"allow\",\n"
                          "   \"scope\": \"always\", \"source\": \"user\"}]}}\n";
        write_text(dir, "policy.json", bad, strlen(bad));
        emp_error_clear(&err);
        assert_int_equal(emp_policy_store_load(dir, &s, &err), EMP_POLICY_STORE_RECOVERED);
        expect_loaded(&s, a);
        assert_non_null(strstr(err.msg, "apps[\"org.example.Game\"][0].permission: bad permission "
                                        "'network:*.example.com'"));
        emp_policy_store_free(&s);

        /* Saving over the corrupt file keeps it aside and .good intact. */
        char *c = save_version(dir, 3);
        char *good = read_text(dir, "policy.json.good"), *corrupt = read_text(dir, "policy.json.corrupt");
        assert_string_equal(good, a);
        assert_string_equal(corrupt, bad);
        free(good);
        free(corrupt);
        free(a);
        free(b);
        free(c);
}

static void test_both_corrupt(void **state)
{
        const char *dir = *state;
        struct emp_policy_store s;
        struct emp_error err = { 0 };
        write_text(dir, "policy.json", "garbage", 7);
        write_text(dir, "policy.json.good", "{\"version\": 7, \"apps\": {}}", 26);
        s.n_apps = 99;
        int r = emp_policy_store_load(dir, &s, &err);
        assert_true(r < 0);
        assert_int_equal(r, err.code);
        assert_int_equal(s.n_apps, 0); /* an empty store: the defaults apply */
        assert_null(s.apps);
        assert_non_null(strstr(err.msg, "/policy.json: line 1"));
        assert_non_null(strstr(err.msg, "/policy.json.good: version 7 not supported"));
        emp_policy_store_free(&s);

        /* Corrupt and no .good at all. */
        char *good = path_in(dir, "policy.json.good");
        unlink(good);
        free(good);
        emp_error_clear(&err);
        assert_true(emp_policy_store_load(dir, &s, &err) < 0);
        assert_int_equal(s.n_apps, 0);
        assert_non_null(strstr(err.msg, "no policy.json.good"));
        emp_policy_store_free(&s);

        /* policy.json a directory: unreadable is as bad as corrupt. */
        char *p = path_in(dir, "policy.json");
        unlink(p);
        assert_int_equal(mkdir(p, 0700), 0);
        emp_error_clear(&err);
        assert_true(emp_policy_store_load(dir, &s, &err) < 0);
        assert_non_null(strstr(err.msg, "/policy.json: "));
        emp_policy_store_free(&s);
        rmdir(p);
        free(p);
}

static void test_missing(void **state)
{
        const char *dir = *state;
        struct emp_policy_store s;
        struct emp_error err = { 0 };
        assert_int_equal(emp_policy_store_load(dir, &s, &err), 0);
        assert_int_equal(s.n_apps, 0);
        emp_policy_store_free(&s);
        char *nodir = path_in(dir, "does/not/exist");
        assert_int_equal(emp_policy_store_load(nodir, &s, &err), 0);
        assert_int_equal(s.n_apps, 0);
        free(nodir);
        /* A deleted policy.json means "start over", even with a .good beside it. */
        char *a = save_version(dir, 1);
        free(save_version(dir, 2));
        char *p = path_in(dir, "policy.json");
        unlink(p);
        free(p);
        assert_int_equal(emp_policy_store_load(dir, &s, &err), 0);
        assert_int_equal(s.n_apps, 0);
        assert_int_equal(err.code, 0);
        free(a);
        assert_int_equal(emp_policy_store_load(NULL, &s, &err), -EINVAL);
}

static void test_oversize(void **state)
{
        const char *dir = *state;
        struct emp_policy_store s;
        struct emp_error err = { 0 };
        const char *head = "{\"version\": 1, \"apps\": {}}";
        size_t n = EMP_POLICY_STORE_MAX;
        char *big = malloc(n + 2);
        /* Exactly 4 MiB of valid JSON (padded with spaces) is fine... */
        memset(big, ' ', n + 1);
        memcpy(big, head, strlen(head));
        big[n + 1] = '\0';
        write_text(dir, "policy.json", big, n);
        assert_int_equal(emp_policy_store_load(dir, &s, &err), 0);
        emp_policy_store_free(&s);
        assert_int_equal(emp_policy_store_parse(big, n, &s, &err), 0);
        emp_policy_store_free(&s);
        /* ...one byte more is refused, before parsing. */
        char *a = save_version(dir, 1); /* the 4 MiB file becomes .good */
        write_text(dir, "policy.json", big, n + 1);
        emp_error_clear(&err);
        assert_int_equal(emp_policy_store_load(dir, &s, &err), EMP_POLICY_STORE_RECOVERED);
        assert_int_equal(err.code, -EFBIG);
        assert_non_null(strstr(err.msg, "too large"));
        assert_int_equal(s.n_apps, 0); /* the (empty) 4 MiB .good */
        emp_policy_store_free(&s);
        emp_error_clear(&err);
        s.n_apps = 99;
        assert_int_equal(emp_policy_store_parse(big, n + 1, &s, &err), -EFBIG);
        assert_int_equal(s.n_apps, 99);
        /* Saving over an oversize file does not copy it anywhere. */
        char *b = save_version(dir, 2);
        char *cur = read_text(dir, "policy.json"), *corrupt = read_text(dir, "policy.json.corrupt");
        assert_string_equal(cur, b);
        assert_null(corrupt);
        free(cur);
        free(a);
        free(b);
        free(big);
}

/* --- the schema -------------------------------------------------------------------- */

#define RULE(perm, extra) "{\"permission\": \"" perm "\", \"decision\": \"allow\", \"scope\": \"always\", " \
                          "\"source\": \"user\"" extra "}"
#define STORE(rules) "{\"version\": 1, \"apps\": {\"org.example.Game\": [" rules "]}}"

static const struct {
        const char *text;
        const char *msg; /* a substring of the message */
} bad_stores[] = {
        { "", "line 1" },
        { "   ", "line 1" },
        { "[]", "not a JSON object" },
        { "null", "line 1" }, /* jansson wants an object or array on top */
        { "{\"version\": 1}", "apps: missing" },
        { "{\"apps\": {}}", "version: missing" },
        { "{\"version\": 2, \"apps\": {}}", "version 2 not supported" },
        { "{\"version\": \"1\", \"apps\": {}}", "version: missing or not an integer" },
        { "{\"version\": 1.0, \"apps\": {}}", "version: missing or not an integer" },
        { "{\"version\": 1, \"apps\": {}, \"comment\": 1}", "top level: unknown key \"comment\"" },
        { "{\"version\": 1, \"apps\": []}", "apps: missing or not an object" },
        { "{\"version\": 1, \"version\": 1, \"apps\": {}}", "duplicate" },
        { "{\"version\": 1, \"apps\": {}} x", "line 1" },
        { "{\"version\": 1, \"apps\": {\"bad id\": []}}", "bad app id \"bad id\"" },
        { "{\"version\": 1, \"apps\": {\"Game\": []}}", "bad app id" },
        { "{\"version\": 1, \"apps\": {\"org.1example.Game\": []}}", "bad app id" },
        { "{\"version\": 1, \"apps\": {\"org.example.Game\": [], \"org.example.Game\": []}}", "duplicate" },
        { "{\"version\": 1, \"apps\": {\"org.example.Game\": {}}}", "apps[\"org.example.Game\"]: not a list of rules" },
        { STORE("1"), "apps[\"org.example.Game\"][0]: not an object" },
        { STORE(RULE("device:dri", "") ", 7"), "apps[\"org.example.Game\"][1]: not an object" },
        { STORE("{\"decision\": \"allow\", \"scope\": \"always\", \"source\": \"user\"}"),
          "[0].permission: missing or not a string" },
        { STORE(RULE("device:gpu", "")), "[0].permission: bad permission 'device:gpu': unknown device" },
        { STORE(RULE("filesystem:relative", "")), "[0].permission: bad permission" },
        { STORE("{\"permission\": 5, \"decision\": \"allow\", \"scope\": \"always\", \"source\": \"user\"}"),
          "[0].permission: missing or not a string" },
        { STORE("{\"permission\": \"device:dri\", \"decision\": \"maybe\", \"scope\": \"always\", "
                "\"source\": \"user\"}"),
          "[0].decision: missing or not one of allow, deny, ask" },
        { STORE("{\"permission\": \"device:dri\", \"scope\": \"always\", \"source\": \"user\"}"), "[0].decision" },
        { STORE("{\"permission\": \"device:dri\", \"decision\": \"allow\", \"scope\": \"once\", "
                "\"source\": \"user\"}"),
          "[0].scope: missing or not one of until-exit, 1h, always" },
        { STORE("{\"permission\": \"device:dri\", \"decision\": \"allow\", \"scope\": \"forever\", "
                "\"source\": \"user\"}"),
          "[0].scope" },
        { STORE("{\"permission\": \"device:dri\", \"decision\": \"allow\", \"scope\": \"always\", "
                "\"source\": \"default\"}"),
          "[0].source: missing or not one of user, manifest" },
        { STORE("{\"permission\": \"device:dri\", \"decision\": \"allow\", \"scope\": \"1h\", "
                "\"source\": \"user\"}"),
          "[0].expires: required for scope \"1h\"" },
        { STORE("{\"permission\": \"device:dri\", \"decision\": \"allow\", \"scope\": \"1h\", "
                "\"source\": \"user\", \"expires\": 0}"),
          "[0].expires: required" },
        { STORE(RULE("device:dri", ", \"expires\": 5")), "[0].expires: only scope \"1h\" expires" },
        { STORE(RULE("device:dri", ", \"expires\": -5")), "[0].expires: not a time" },
        { STORE(RULE("device:dri", ", \"expires\": \"5\"")), "[0].expires: not a time" },
        { STORE(RULE("device:dri", ", \"expires\": 5.5")), "[0].expires: not a time" },
        { STORE(RULE("device:dri", ", \"comment\": \"hi\"")), "[0]: unknown key \"comment\"" },
        { STORE(RULE("device:dri", ", \"decision\": \"deny\"")), "duplicate" },
        { STORE(RULE("filesystem:/a\\u0000b", "")), "line 1" },   /* NUL in a string */
        { STORE(RULE("filesystem:/a\\u001bb", "")), "bad permission" }, /* ESC */
        { STORE(RULE("filesystem:/a\xff", "")), "line 1" },         /* not UTF-8 */
};

static void test_bad_schema(void **state)
{
        for (size_t i = 0; i < sizeof(bad_stores) / sizeof(bad_stores[0]); i++) {
                struct emp_policy_store s = { .n_apps = 99 };
                struct emp_error err = { 0 };
                const char *t = bad_stores[i].text;
                int r = emp_policy_store_parse(t, strlen(t), &s, &err);
                if (r != -EINVAL || !strstr(err.msg, bad_stores[i].msg))
                        fail_msg("%s\nexpected -EINVAL and \"%s\", got %d: %s", t, bad_stores[i].msg, r, err.msg);
                assert_int_equal(s.n_apps, 99); /* untouched */
                assert_int_equal(err.code, r);
                if (!printable(err.msg))
                        fail_msg("unprintable message for %s: %s", t, err.msg);
        }
}

static void test_bad_bytes(void **state)
{
        struct emp_policy_store s = { .n_apps = 99 };
        struct emp_error err = { 0 };
        /* A NUL byte in the text itself. */
        static const char nul[] = "{\"version\": 1,\0 \"apps\": {}}";
        assert_int_equal(emp_policy_store_parse(nul, sizeof(nul) - 1, &s, &err), -EINVAL);
        /* Deep nesting is refused, not recursed into until the stack ends. */
        size_t depth = 100000;
        char *deep = malloc(2 * depth + 1);
        memset(deep, '[', depth);
        memset(deep + depth, ']', depth);
        deep[2 * depth] = '\0';
        emp_error_clear(&err);
        assert_int_equal(emp_policy_store_parse(deep, 2 * depth, &s, &err), -EINVAL);
        free(deep);
        /* Terminal escapes inside a value do not reach the message. */
        static const char esc[] = STORE(RULE("\\u001b]0;pwned\\u0007device:x", ""));
        emp_error_clear(&err);
        assert_int_equal(emp_policy_store_parse(esc, strlen(esc), &s, &err), -EINVAL);
        assert_true(printable(err.msg));
        static const char escid[] = "{\"version\": 1, \"apps\": {\"\\u001b[2Jorg.x\": []}}";
        emp_error_clear(&err);
        assert_int_equal(emp_policy_store_parse(escid, strlen(escid), &s, &err), -EINVAL);
        assert_true(printable(err.msg));
        assert_int_equal(emp_policy_store_parse(NULL, 5, &s, NULL), -EINVAL);
        assert_int_equal(s.n_apps, 99);
}

static void test_good_variants(void **state)
{
        static const char *const good[] = {
                "{\"version\": 1, \"apps\": {}}",
                "{\"apps\": {}, \"version\": 1}",
                "{\"version\": 1, \"apps\": {\"org.example.Game\": []}}",
                STORE(RULE("device:dri", ", \"expires\": null")),
                STORE(RULE("device:dri", ", \"expires\": 0")),
                STORE("{\"source\": \"manifest\", \"scope\": \"1h\", \"expires\": 1700003600, "
                      "\"decision\": \"ask\", \"permission\": \"network:Example.COM:00443\"}"),
                STORE(RULE("device:dri", "") "," RULE("device:dri", "")), /* duplicates are kept */
        };
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                struct emp_policy_store s, again;
                struct emp_error err = { 0 };
                if (emp_policy_store_parse(good[i], strlen(good[i]), &s, &err) != 0)
                        fail_msg("%s: %s", good[i], err.msg);
                /* What it formats to parses back to the same. */
                char *t1 = format(&s);
                assert_int_equal(emp_policy_store_parse(t1, strlen(t1), &again, &err), 0);
                char *t2 = format(&again);
                assert_string_equal(t1, t2);
                free(t1);
                free(t2);
                emp_policy_store_free(&s);
                emp_policy_store_free(&again);
        }
        /* Canonical names are what gets written back. */
        struct emp_policy_store s;
        assert_int_equal(emp_policy_store_parse(good[5], strlen(good[5]), &s, NULL), 0);
        char *t = format(&s);
        assert_non_null(strstr(t, "\"network:example.com:443\""));
        free(t);
        emp_policy_store_free(&s);
}

static void test_format_refuses(void **state)
{
        const char *dir = *state;
        struct emp_policy_store s;
        struct emp_policy *p;
        struct emp_error err = { 0 };
        char *text = (char *)"untouched";
        emp_policy_store_init(&s);
        /* An answer for one request is never stored. */
        set(&s, "org.example.Game", "device:dri", EMP_DECISION_ALLOW, EMP_SOURCE_USER, EMP_SCOPE_ONCE, 0);
        assert_int_equal(emp_policy_store_format(&s, &text, NULL, &err), -EINVAL);
        assert_string_equal(text, "untouched");
        assert_non_null(strstr(err.msg, "apps[\"org.example.Game\"][0]"));
        emp_error_clear(&err);
        assert_int_equal(emp_policy_store_save(dir, &s, &err), -EINVAL);
        assert_null(read_text(dir, "policy.json"));
        emp_policy_store_free(&s);

        /* Invalid ids are refused by get and by format. */
        emp_policy_store_init(&s);
        assert_int_equal(emp_policy_store_get(&s, "not-reverse-dns", &p), -EINVAL);
        assert_int_equal(emp_policy_store_get(&s, NULL, &p), -EINVAL);
        assert_int_equal(emp_policy_store_get(&s, "org.example.Game", &p), 0);
        free(p->app_id);
        p->app_id = strdup("bad id");
        set(&s, "bad id", "device:dri", EMP_DECISION_ALLOW, EMP_SOURCE_USER, EMP_SCOPE_ALWAYS, 0);
        emp_error_clear(&err);
        assert_int_equal(emp_policy_store_format(&s, &text, NULL, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "bad app id"));
        emp_policy_store_free(&s);
        assert_int_equal(emp_policy_store_save(NULL, &s, &err), -EINVAL);
}

/* get() hands out pointers that survive later additions. */
static void test_many_apps(void **state)
{
        struct emp_policy_store s;
        struct emp_policy *first = NULL, *p = NULL;
        emp_policy_store_init(&s);
        assert_int_equal(emp_policy_store_get(&s, "org.example.App0", &first), 0);
        for (int i = 1; i < 200; i++) {
                char id[64];
                snprintf(id, sizeof(id), "org.example.App%d", i);
                assert_int_equal(emp_policy_store_get(&s, id, &p), 0);
                assert_int_equal(emp_policy_set(p, "socket:wayland", EMP_DECISION_ALLOW, EMP_SOURCE_USER,
                                                EMP_SCOPE_ALWAYS, 0, NULL),
                                 0);
        }
        assert_ptr_equal(emp_policy_store_find(&s, "org.example.App0"), first);
        assert_int_equal(emp_policy_store_get(&s, "org.example.App7", &p), 0);
        assert_ptr_equal(p, emp_policy_store_find(&s, "org.example.App7"));
        assert_int_equal(s.n_apps, 200);
        char *text = format(&s);
        struct emp_policy_store back;
        assert_int_equal(emp_policy_store_parse(text, strlen(text), &back, NULL), 0);
        assert_int_equal(back.n_apps, 199); /* App0 has no rules */
        free(text);
        emp_policy_store_free(&back);
        emp_policy_store_free(&s);
}

/* The store's copy of the app id rule agrees with the manifest's. */
static void test_app_ids_agree(void **state)
{
        static const char *const ids[] = {
                "org.example.Game", "com.valvesoftware.Steam", "local.my-tool", "a.b", "org.example.Game_2",
                "org", "", ".org.x", "org..x", "org.x.", "org.1x", "org.x y", "org.x/y", "org.ex\xc3\xa4mple",
                "org.example.-x", "1org.x",
        };
        for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
                if (emp_policy_app_id_valid(ids[i]) != emp_app_id_valid(ids[i]))
                        fail_msg("'%s': store says %d, manifest %d", ids[i], emp_policy_app_id_valid(ids[i]),
                                 emp_app_id_valid(ids[i]));
        char longid[300];
        memset(longid, 'a', sizeof(longid) - 1);
        longid[sizeof(longid) - 1] = '\0';
        longid[5] = '.';
        assert_false(emp_policy_app_id_valid(longid));
        assert_false(emp_app_id_valid(longid));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_round_trip),
                T(test_replace_keeps_good),
                T(test_save_creates_dir),
                T(test_crash_before_rename),
                T(test_corrupt_falls_back_to_good),
                T(test_both_corrupt),
                T(test_missing),
                T(test_oversize),
                T(test_bad_schema),
                T(test_bad_bytes),
                T(test_good_variants),
                T(test_format_refuses),
                T(test_many_apps),
                T(test_app_ids_agree),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
