/* test_broker_path.c — which host file an app's path stands for in brokered
 * mode, and which it never may. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "gateway/broker_path.h"

static const char *const never[] = {"/home/alice/.config/empyra", "/run/user/1000/empyra", NULL};
static const struct emp_broker_map anon = {"/home/user", "/home/alice", never};
static const struct emp_broker_map host_identity = {"/home/alice", "/home/alice", never};

static const char *map(const struct emp_broker_map *m, const char *view)
{
        static char buf[4096];
        int r = emp_broker_host_path(view, m, buf, sizeof(buf));
        return r == 0 ? buf : r == -ENOENT ? "ENOENT" : "ERR";
}

static void test_home_maps_to_the_users_home(void **state)
{
        (void)state;
        assert_string_equal(map(&anon, "/home/user/Documents/a.txt"), "/home/alice/Documents/a.txt");
        assert_string_equal(map(&anon, "/home/user"), "/home/alice");
        assert_string_equal(map(&host_identity, "/home/alice/x"), "/home/alice/x");
        /* Only a whole component matches the home. */
        assert_string_equal(map(&anon, "/home/username/x"), "/home/username/x");
}

static void test_other_paths_are_host_paths(void **state)
{
        (void)state;
        assert_string_equal(map(&anon, "/srv/data/f"), "/srv/data/f");
        assert_string_equal(map(&anon, "/tmp/x"), "/tmp/x");
}

static void test_normalised(void **state)
{
        (void)state;
        assert_string_equal(map(&anon, "//srv///data/./f/"), "/srv/data/f");
        assert_string_equal(map(&anon, "/home/user/./a//b"), "/home/alice/a/b");
}

static void test_refused(void **state)
{
        (void)state;
        assert_string_equal(map(&anon, "relative/path"), "ENOENT");
        assert_string_equal(map(&anon, "/srv/../etc/shadow"), "ENOENT");
        assert_string_equal(map(&anon, "/home/user/.."), "ENOENT");
        assert_string_equal(map(&anon, "/"), "ENOENT");
        assert_string_equal(map(&anon, "/proc/1/environ"), "ENOENT");
        assert_string_equal(map(&anon, "/sys/kernel"), "ENOENT");
        assert_string_equal(map(&anon, "/dev/sda"), "ENOENT");
        assert_string_equal(map(&anon, "/run/user/1000/bus"), "ENOENT");
        /* Empyra's own files, whether named through the app's home or not. */
        assert_string_equal(map(&anon, "/home/user/.config/empyra/policy.json"), "ENOENT");
        assert_string_equal(map(&anon, "/home/alice/.config/empyra"), "ENOENT");
        assert_string_equal(map(&anon, "/home/user/.config/empyra-not/x"), "/home/alice/.config/empyra-not/x");
}

static void test_join(void **state)
{
        (void)state;
        char buf[64];
        assert_int_equal(emp_broker_join("/home/user", "a/b", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/home/user/a/b");
        assert_int_equal(emp_broker_join("/", "a", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/a");
        assert_int_equal(emp_broker_join("/x", "/abs", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/abs");
        char longp[100];
        memset(longp, 'a', sizeof(longp) - 1);
        longp[sizeof(longp) - 1] = '\0';
        assert_int_equal(emp_broker_join("/x", longp, buf, sizeof(buf)), -ENAMETOOLONG);
}

static void test_too_long(void **state)
{
        (void)state;
        char buf[16];
        assert_int_equal(emp_broker_host_path("/home/user/0123456789", &anon, buf, sizeof(buf)), -ENAMETOOLONG);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_home_maps_to_the_users_home),
                cmocka_unit_test(test_other_paths_are_host_paths),
                cmocka_unit_test(test_normalised),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_join),
                cmocka_unit_test(test_too_long),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
