/* test_integrity_report.c — the pure judging of integrity facts: a check
 * passes only on evidence, each tamper fails and is named, anything unread
 * is unknown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "integrity/integrity.h"

#define HASH_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HASH_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static const uint8_t nonce[32] = {1, 2, 3};
static const uint8_t rid[16] = {9};

struct world {
        struct emp_subject_facts s;
        struct emp_platform_facts p;
        struct emp_listed_file listed[2];
        struct emp_mapped_file files[3];
        struct emp_proc_facts procs[2];
        size_t maps0[2], maps1[1];
        json_t *report;
};

/* Two processes; the caller (pid 2) runs /game (listed, matching) and maps
 * /lib.so (listed, matching) and libc (unlisted). A good platform. */
static void world_init(struct world *w)
{
        json_decref(w->report);
        memset(w, 0, sizeof(*w));
        w->listed[0] = (struct emp_listed_file){.path = "/game", .dev = 1, .ino = 10};
        strcpy(w->listed[0].sha256, HASH_A);
        w->listed[1] = (struct emp_listed_file){.path = "/lib.so", .dev = 1, .ino = 11};
        strcpy(w->listed[1].sha256, HASH_B);
        w->files[0] = (struct emp_mapped_file){.path = "/game", .dev = 1, .ino = 10};
        strcpy(w->files[0].sha256, HASH_A);
        w->files[1] = (struct emp_mapped_file){.path = "/lib.so", .dev = 1, .ino = 11};
        strcpy(w->files[1].sha256, HASH_B);
        w->files[2] = (struct emp_mapped_file){.path = "/usr/lib/libc.so.6", .dev = 2, .ino = 20, .root_only = true};
        strcpy(w->files[2].sha256, HASH_C);
        for (int i = 0; i < 2; i++) {
                struct emp_proc_facts *p = &w->procs[i];
                p->pid = i + 1;
                snprintf(p->comm, sizeof(p->comm), i ? "game" : "init");
                p->n_threads = 1;
                p->seccomp_mode = 2;
                p->no_new_privs = 1;
                p->exe = i ? 0 : 2;
        }
        w->maps0[0] = 2;
        w->procs[0].maps = w->maps0;
        w->procs[0].n_maps = 1;
        w->maps1[0] = 1;
        w->procs[1].maps = w->maps1;
        w->procs[1].n_maps = 1;
        w->s.app_id = "org.example.Game";
        strcpy(w->s.manifest_sha256, HASH_C);
        w->s.listed = w->listed;
        w->s.n_listed = 2;
        w->s.procs = w->procs;
        w->s.n_procs = 2;
        w->s.caller = 2;
        w->s.files = w->files;
        w->s.n_files = 3;
        w->p.taint = 0;
        snprintf(w->p.lockdown, sizeof(w->p.lockdown), "integrity");
        w->p.sig_enforce = 1;
        w->p.secure_boot = 1;
        w->p.kexec_disabled = 1;
        w->p.iommu_groups = 2;
        w->p.yama_scope = 2;
        w->p.hypervisor = 0;
}

static json_t *build(struct world *w)
{
        json_decref(w->report);
        w->report = emp_integrity_build(&w->s, &w->p, nonce, rid, 1700000000, "self_asserted");
        assert_non_null(w->report);
        return w->report;
}

static const char *verdict(struct world *w, const char *which)
{
        return json_string_value(json_object_get(json_object_get(build(w), "verdict"), which));
}

static bool reason_has(struct world *w, const char *needle)
{
        json_t *reasons = json_object_get(json_object_get(w->report, "verdict"), "reasons");
        size_t i;
        json_t *v;
        json_array_foreach(reasons, i, v) if (strstr(json_string_value(v), needle)) return true;
        return false;
}

static void test_clean_world_passes(void **state)
{
        struct world w = {0};
        world_init(&w);
        assert_string_equal(verdict(&w, "status"), "pass");
        assert_string_equal(verdict(&w, "process"), "pass");
        assert_string_equal(verdict(&w, "platform"), "pass");
        json_t *subject = json_object_get(w.report, "subject");
        assert_string_equal(json_string_value(json_object_get(subject, "executable_sha256")), HASH_A);
        assert_string_equal(json_string_value(json_object_get(subject, "manifest_sha256")), HASH_C);
        assert_string_equal(json_string_value(json_object_get(w.report, "nonce")),
                            "0102030000000000000000000000000000000000000000000000000000000000");
        json_decref(w.report);
}

static void test_nothing_known_is_unknown_never_pass(void **state)
{
        struct world w = {0};
        world_init(&w);
        for (int i = 0; i < 2; i++) {
                w.procs[i].status_err = -EACCES;
                w.procs[i].ns_err = -EACCES;
                w.procs[i].environ_err = -EACCES;
                w.procs[i].maps_err = -EACCES;
                w.procs[i].exe_err = -EACCES;
        }
        w.p = (struct emp_platform_facts){.taint_err = -ENOENT, .modules_err = -ENOENT, .lockdown_err = -ENOENT,
                                          .sig_enforce_err = -ENOENT, .secure_boot_err = -ENOENT,
                                          .kexec_err = -ENOENT, .iommu_err = -ENOENT, .yama_err = -ENOENT,
                                          .hypervisor_err = -ENOENT};
        assert_string_equal(verdict(&w, "process"), "unknown");
        assert_string_equal(verdict(&w, "platform"), "unknown");
        assert_string_equal(verdict(&w, "status"), "unknown");
        json_decref(w.report);
}

static void test_each_tamper_fails_and_is_named(void **state)
{
        struct world w = {0};
        world_init(&w);
        w.procs[1].tracer = 77;
        assert_string_equal(verdict(&w, "process"), "fail");
        assert_true(reason_has(&w, "pid 2 (game): tracer: fail: traced (TracerPid 77)"));

        world_init(&w);
        w.procs[0].ld_preload = "/tmp/evil.so";
        assert_string_equal(verdict(&w, "process"), "fail");
        assert_true(reason_has(&w, "pid 1 (init): preload: fail: LD_PRELOAD=/tmp/evil.so"));

        world_init(&w);
        w.s.ld_so_preload = 1;
        assert_string_equal(verdict(&w, "process"), "fail");
        assert_true(reason_has(&w, "/etc/ld.so.preload present"));

        world_init(&w);
        w.procs[1].n_anon_exec = 1;
        w.procs[1].first_bad_map = "7f00-7f01 r-xp 00000000 00:00 0";
        assert_string_equal(verdict(&w, "process"), "fail");
        assert_true(reason_has(&w, "mappings: fail: 1 anonymous executable"));

        world_init(&w);
        w.procs[1].n_write_exec = 1;
        assert_string_equal(verdict(&w, "process"), "fail");
        assert_true(reason_has(&w, "1 writable+executable"));

        world_init(&w);
        strcpy(w.files[1].sha256, HASH_C); /* /lib.so changed on disk */
        assert_string_equal(verdict(&w, "process"), "fail");
        assert_true(reason_has(&w, "mapped_files: fail: 1 mapped file(s) differ from the manifest's sha256, e.g. /lib.so"));

        world_init(&w);
        w.procs[0].seccomp_mode = 0;
        w.procs[0].cap_eff = 1;
        w.procs[0].pidns_host = true;
        assert_string_equal(verdict(&w, "process"), "fail");
        assert_true(reason_has(&w, "seccomp mode 0"));
        assert_true(reason_has(&w, "capabilities"));
        assert_true(reason_has(&w, "shares the host's"));
        json_decref(w.report);
}

static void test_unlisted_user_code_fails(void **state)
{
        struct world w = {0};
        world_init(&w);
        static bool exec1[1] = {true};
        w.files[1].root_only = false;
        strcpy(w.files[1].sha256, HASH_C); /* /lib.so: not the listed content... */
        w.files[1].ino = 77;               /* ... nor the listed inode: unlisted */
        w.procs[1].maps_exec = exec1;
        assert_string_equal(verdict(&w, "process"), "fail");
        assert_true(reason_has(&w, "1 executable file(s) a user could change are not in the manifest, e.g. /lib.so"));
        /* Mapped read-only (data), or a system file: reported, not judged. */
        exec1[0] = false;
        assert_string_equal(verdict(&w, "process"), "pass");
        exec1[0] = true;
        w.files[1].root_only = true;
        assert_string_equal(verdict(&w, "process"), "pass");
        json_decref(w.report);
}

static void test_caller_executable_must_be_listed(void **state)
{
        struct world w = {0};
        world_init(&w);
        w.procs[1].exe = 2; /* the caller runs libc's file: not listed */
        assert_string_equal(verdict(&w, "process"), "fail");
        assert_true(reason_has(&w, "executable: fail"));

        world_init(&w);
        w.s.n_listed = 0;
        assert_string_equal(verdict(&w, "process"), "unknown");
        assert_true(reason_has(&w, "the manifest lists no files"));

        /* Same content elsewhere (a copy of the game): accepted by content. */
        world_init(&w);
        w.files[0].ino = 99;
        assert_string_equal(verdict(&w, "process"), "pass");
        json_t *files = json_object_get(json_object_get(w.report, "process"), "files");
        assert_string_equal(json_string_value(json_object_get(json_array_get(files, 0), "manifest")),
                            "listed_content");
        assert_string_equal(json_string_value(json_object_get(json_array_get(files, 2), "manifest")), "unlisted");
        json_decref(w.report);
}

static void test_mapped_device_is_listed_not_unknown(void **state)
{
        struct world w = {0};
        world_init(&w);
        w.files[2] = (struct emp_mapped_file){.path = "/dev/dri/renderD128", .dev = 5, .ino = 50, .device = true};
        assert_string_equal(verdict(&w, "process"), "pass");
        json_t *f = json_array_get(json_object_get(json_object_get(w.report, "process"), "files"), 2);
        assert_string_equal(json_string_value(json_object_get(f, "manifest")), "device");
        assert_true(json_is_null(json_object_get(f, "sha256")));
        json_decref(w.report);
}

static void test_bounds_make_unknown(void **state)
{
        struct world w = {0};
        world_init(&w);
        w.s.procs_truncated = true;
        assert_string_equal(verdict(&w, "process"), "unknown");
        world_init(&w);
        w.s.hash_budget_hit = true;
        assert_string_equal(verdict(&w, "process"), "unknown");
        world_init(&w);
        w.files[2].err = -EFBIG;
        assert_string_equal(verdict(&w, "process"), "unknown");
        json_decref(w.report);
}

static void test_platform_facts(void **state)
{
        struct world w = {0};
        world_init(&w);
        w.p.taint = (1u << 0) | (1u << 12);
        assert_string_equal(verdict(&w, "platform"), "fail");
        assert_true(reason_has(&w, "P proprietary module, O out-of-tree module"));
        world_init(&w);
        snprintf(w.p.lockdown, sizeof(w.p.lockdown), "none");
        w.p.mod_unsigned = 1;
        w.p.hypervisor = 1;
        snprintf(w.p.hypervisor_kind, sizeof(w.p.hypervisor_kind), "xen");
        assert_string_equal(verdict(&w, "platform"), "fail");
        assert_string_equal(verdict(&w, "process"), "pass");
        assert_string_equal(verdict(&w, "status"), "fail");
        assert_true(reason_has(&w, "lockdown mode none"));
        assert_true(reason_has(&w, "1 unsigned"));
        assert_true(reason_has(&w, "hypervisor: xen"));
        json_decref(w.report);
}

static void test_hash_cache_only_for_root_owned_unwritable_files(void **state)
{
        struct stat st = {.st_mode = S_IFREG | 0644, .st_uid = 0, .st_dev = 1, .st_ino = 2, .st_size = 10};
        assert_true(emp_hash_cacheable(&st, 0xEF53));
        assert_false(emp_hash_cacheable(&st, 0x65735546)); /* FUSE: the user's daemon says what it likes */
        st.st_uid = 1000;
        assert_false(emp_hash_cacheable(&st, 0xEF53)); /* a user's file: hashed every time */
        st.st_uid = 0;
        st.st_mode = S_IFREG | 0664; /* group-writable (or an ACL mask with w) */
        assert_false(emp_hash_cacheable(&st, 0xEF53));
        st.st_mode = S_IFREG | 0646;
        assert_false(emp_hash_cacheable(&st, 0xEF53));
        st.st_mode = S_IFREG | 0644;

        struct emp_hash_cache *c = emp_hash_cache_new(2);
        char out[65];
        assert_false(emp_hash_cache_get(c, &st, out));
        emp_hash_cache_put(c, &st, HASH_A);
        assert_true(emp_hash_cache_get(c, &st, out));
        assert_string_equal(out, HASH_A);
        struct stat changed = st;
        changed.st_ctim.tv_nsec = 1; /* any write moves ctime */
        assert_false(emp_hash_cache_get(c, &changed, out));
        emp_hash_cache_put(c, &changed, HASH_B); /* replaces the stale entry */
        assert_false(emp_hash_cache_get(c, &st, out));
        struct stat other = st, third = st;
        other.st_ino = 3;
        third.st_ino = 4;
        emp_hash_cache_put(c, &other, HASH_C);
        assert_true(emp_hash_cache_get(c, &other, out)); /* newer use than 'changed' */
        emp_hash_cache_put(c, &third, HASH_A);          /* full: the least recently used goes */
        assert_false(emp_hash_cache_get(c, &changed, out));
        assert_true(emp_hash_cache_get(c, &other, out));
        assert_true(emp_hash_cache_get(c, &third, out));
        emp_hash_cache_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_clean_world_passes),
                cmocka_unit_test(test_nothing_known_is_unknown_never_pass),
                cmocka_unit_test(test_each_tamper_fails_and_is_named),
                cmocka_unit_test(test_caller_executable_must_be_listed),
                cmocka_unit_test(test_unlisted_user_code_fails),
                cmocka_unit_test(test_bounds_make_unknown),
                cmocka_unit_test(test_mapped_device_is_listed_not_unknown),
                cmocka_unit_test(test_platform_facts),
                cmocka_unit_test(test_hash_cache_only_for_root_owned_unwritable_files),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
