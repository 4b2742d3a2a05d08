/* test_launcher_pure.c — the launcher's pure helpers: id maps, subordinate
 * id parsing, cgroup path parsing and weights, Landlock rights per ABI,
 * directory creation that refuses symlinks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "launcher/cgroup.h"
#include "launcher/focus.h"
#include "launcher/idmap.h"
#include "launcher/landlock.h"
#include "launcher/subid.h"

static void test_idmap_single(void **state)
{
        struct emp_idmap ids = {.host_uid = 1000, .host_gid = 1001, .app_uid = 1000, .app_gid = 1001};
        char buf[256];
        assert_int_equal(emp_idmap_format(&ids, 0, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "1000 1000 1\n");
        assert_int_equal(emp_idmap_format(&ids, 1, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "1001 1001 1\n");
}

static void test_idmap_root_is_identity(void **state)
{
        struct emp_idmap ids = {.host_root = true, .app_uid = 0x70000000u, .app_gid = 0x70000000u};
        char buf[256];
        assert_int_equal(emp_idmap_format(&ids, 0, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "0 0 4294967295\n");
}

static void test_idmap_subid_covers_0_to_65535(void **state)
{
        struct emp_idmap ids = {.host_uid = 1000, .host_gid = 1000, .subid = true, .subuid_start = 100000,
                                .subuid_count = 65536, .subgid_start = 200000, .subgid_count = 65536};
        char buf[256];
        assert_int_equal(emp_idmap_format(&ids, 0, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "1000 1000 1\n0 100000 1000\n1001 101000 64535\n");
        assert_int_equal(emp_idmap_format(&ids, 1, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "1000 1000 1\n0 200000 1000\n1001 201000 64535\n");
}

static void test_subid_parse(void **state)
{
        uint32_t s = 0, c = 0;
        const char *text = "bob:100000:65536\nalice:165536:65536\n1002:231072:65536\nshort:300000:10\n";
        assert_int_equal(emp_subid_parse(text, "alice", 1001, &s, &c), 0);
        assert_int_equal(s, 165536);
        assert_int_equal(c, 65536);
        assert_int_equal(emp_subid_parse(text, "carol", 1002, &s, &c), 0); /* by uid */
        assert_int_equal(s, 231072);
        assert_int_equal(emp_subid_parse(text, "short", 5, &s, &c), -ENOENT); /* too small */
        assert_int_equal(emp_subid_parse("garbage\n::\nx:y:z\n", "x", 9, &s, &c), -ENOENT);
}

static void test_cgroup_own_path(void **state)
{
        const char *pc = "9:name=systemd:/\n4:memory:/process_api/abc\n1:cpu,cpuacct:/x\n0::/user.slice/s\n";
        char *p = NULL;
        assert_int_equal(emp_cgroup_own_path(pc, "memory", &p), 0);
        assert_string_equal(p, "/process_api/abc");
        free(p);
        assert_int_equal(emp_cgroup_own_path(pc, "cpuacct", &p), 0);
        assert_string_equal(p, "/x");
        free(p);
        assert_int_equal(emp_cgroup_own_path(pc, NULL, &p), 0);
        assert_string_equal(p, "/user.slice/s");
        free(p);
        assert_int_equal(emp_cgroup_own_path(pc, "pids", &p), -ENOENT);
        assert_int_equal(emp_cgroup_own_path(pc, "cpu,", &p), -ENOENT);
}

static void test_cgroup_weight_to_shares(void **state)
{
        assert_int_equal(emp_cgroup_weight_to_shares(100), 1024);
        assert_int_equal(emp_cgroup_weight_to_shares(1), 10);
        assert_int_equal(emp_cgroup_weight_to_shares(10000), 102400);
}

static void test_landlock_rights_per_abi(void **state)
{
        /* ABI 1: no REFER, no TRUNCATE; ABI 3 adds TRUNCATE; ABI 5 IOCTL_DEV. */
        uint64_t h1 = emp_landlock_handled(1), h3 = emp_landlock_handled(3), h5 = emp_landlock_handled(5);
        assert_false(h1 & LANDLOCK_ACCESS_FS_REFER);
        assert_true(emp_landlock_handled(2) & LANDLOCK_ACCESS_FS_REFER);
        assert_false(h1 & (1ULL << 14));
        assert_true(h3 & (1ULL << 14));
        assert_false(h3 & (1ULL << 15));
        assert_true(h5 & (1ULL << 15));
        assert_int_equal(emp_landlock_handled(0), 0);
        /* Granted rights are always within the handled set. */
        for (int abi = 1; abi <= 7; abi++)
                for (int k = EMP_LL_RO; k <= EMP_LL_LIST; k++)
                        for (int dir = 0; dir < 2; dir++)
                                assert_int_equal(emp_landlock_rights(abi, k, dir) & ~emp_landlock_handled(abi), 0);
        /* Read-only never writes; a file rule never carries directory rights. */
        assert_false(emp_landlock_rights(7, EMP_LL_RO, true) & LANDLOCK_ACCESS_FS_WRITE_FILE);
        assert_false(emp_landlock_rights(7, EMP_LL_RW, false) & LANDLOCK_ACCESS_FS_MAKE_REG);
        assert_true(emp_landlock_rights(7, EMP_LL_DEV, false) & (1ULL << 15));
}

static void test_mkdir_beneath_refuses_symlinks(void **state)
{
        char dir[] = "/tmp/empyra-mkb-XXXXXX";
        assert_non_null(mkdtemp(dir));
        int base = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(base >= 0);
        int fd = -1;
        assert_int_equal(emp_mkdir_beneath(base, "a/b/c", 0700, &fd), 0);
        assert_true(fd >= 0);
        close(fd);
        char link[256];
        snprintf(link, sizeof(link), "%s/evil", dir);
        assert_int_equal(symlink("/tmp", link), 0);
        fd = -1;
        assert_int_equal(emp_mkdir_beneath(base, "evil/x", 0700, &fd), -ELOOP);
        assert_int_equal(fd, -1); /* untouched on failure */
        assert_int_equal(emp_mkdir_beneath(base, "../escape", 0700, &fd), -EINVAL);
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
        close(base);
}

static void test_read_file_limits(void **state)
{
        char path[] = "/tmp/empyra-rf-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "0123456789", 10), 10);
        close(fd);
        char *buf = NULL;
        size_t len = 0;
        assert_int_equal(emp_read_file(path, 10, &buf, &len), 0); /* exactly max */
        assert_int_equal(len, 10);
        assert_string_equal(buf, "0123456789");
        free(buf);
        buf = (char *)1;
        assert_int_equal(emp_read_file(path, 9, &buf, &len), -EFBIG);
        assert_ptr_equal(buf, (char *)1); /* untouched on failure */
        unlink(path);
        /* proc files report size 0: read until EOF anyway */
        assert_int_equal(emp_read_file("/proc/self/status", 1 << 20, &buf, &len), 0);
        assert_true(len > 100 && strstr(buf, "Name:") == buf);
        free(buf);
        assert_int_equal(emp_read_file("/nonexistent/x", 10, &buf, &len), -ENOENT);
}

static void test_focus_weights(void **state)
{
        struct emp_focus_app game = {.app_id = "org.x.Game", .base_weight = 100};
        struct emp_focus_app hog = {.app_id = "org.x.Hog", .base_weight = 50};
        assert_int_equal(emp_focus_cpu_weight(NULL, &game), 100);
        assert_int_equal(emp_focus_cpu_weight(NULL, &hog), 50); /* its own --cpu-weight back */
        assert_int_equal(emp_focus_cpu_weight("org.x.Game", &game), EMP_FOCUS_WEIGHT_HIGH);
        assert_int_equal(emp_focus_cpu_weight("org.x.Game", &hog), EMP_FOCUS_WEIGHT_LOW);
}

static void write_entry(const char *dir, const char *name, const char *text)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/running/%s", dir, name);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

/* The registry names cgroups to write to: entries pointing outside
 * /sys/fs/cgroup, or of launchers that are gone, are never used. */
static void test_focus_registry_rejects_bad_entries(void **state)
{
        char dir[] = "/tmp/empyra-focus-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char sub[512];
        snprintf(sub, sizeof(sub), "%s/running", dir);
        assert_int_equal(mkdir(sub, 0700), 0);
        char text[512];
        snprintf(text, sizeof(text), "app=org.x.Evil\npid=%ld\nweight=100\ncpu=/etc\nv2=0\nparent=\n", (long)getpid());
        write_entry(dir, "org.x.Evil.1", text);
        snprintf(text, sizeof(text), "app=org.x.Up\npid=%ld\nweight=100\ncpu=/sys/fs/cgroup/../../etc\nv2=0\nparent=\n",
                 (long)getpid());
        write_entry(dir, "org.x.Up.2", text);
        write_entry(dir, "org.x.Dead.3", "app=org.x.Dead\npid=999999999\nweight=100\ncpu=/sys/fs/cgroup/empyra/x\nv2=1\nparent=\n");
        write_entry(dir, "org.x.Junk.4", "garbage");
        struct emp_focus_app *apps = NULL;
        size_t n = 99;
        assert_int_equal(emp_focus_list(dir, &apps, &n), 0);
        assert_int_equal(n, 0);
        emp_focus_list_free(apps, n);
        char dead[512];
        snprintf(dead, sizeof(dead), "%s/running/org.x.Dead.3", dir);
        assert_int_not_equal(access(dead, F_OK), 0); /* a dead launcher's entry is dropped */
        struct emp_error err = {0};
        assert_int_equal(emp_focus_set(dir, "org.x.Evil", NULL, &err), -ESRCH);
        char *focused = (char *)1;
        assert_int_equal(emp_focus_get(dir, &focused), 0);
        assert_null(focused);
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_idmap_single),
                cmocka_unit_test(test_idmap_root_is_identity),
                cmocka_unit_test(test_idmap_subid_covers_0_to_65535),
                cmocka_unit_test(test_subid_parse),
                cmocka_unit_test(test_cgroup_own_path),
                cmocka_unit_test(test_cgroup_weight_to_shares),
                cmocka_unit_test(test_landlock_rights_per_abi),
                cmocka_unit_test(test_mkdir_beneath_refuses_symlinks),
                cmocka_unit_test(test_read_file_limits),
                cmocka_unit_test(test_focus_weights),
                cmocka_unit_test(test_focus_registry_rejects_bad_entries),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
