/* test_env.c — the app's environment: ungranted sockets and identity leaks
 * removed, grants and user additions applied. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/strv.h"
#include "launcher/env.h"

static char *host[] = {
        "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "TERM=xterm", "HOME=/home/alice", "USER=alice",
        "LOGNAME=alice", "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus",
        "SSH_AUTH_SOCK=/tmp/ssh-x/agent", "DISPLAY=:0", "XAUTHORITY=/home/alice/.Xauthority",
        "WAYLAND_DISPLAY=wayland-0", "SUDO_USER=alice", "XDG_SESSION_ID=3", "LD_PRELOAD=/home/alice/x.so",
        "XDG_RUNTIME_DIR=/run/user/1000", "PWD=/home/alice/src", NULL,
};

static const char *get(char **env, const char *key)
{
        long i = emp_env_find(env, key);
        return i < 0 ? NULL : strchr(env[i], '=') + 1;
}

static void test_nothing_granted(void **state)
{
        struct emp_env_input in = {.host = host, .home = "/home/user", .user = "user",
                                   .runtime_dir = "/run/user/1000"};
        char **env = NULL;
        assert_int_equal(emp_env_build(&in, &env), 0);
        const char *gone[] = {"DBUS_SESSION_BUS_ADDRESS", "SSH_AUTH_SOCK", "DISPLAY", "XAUTHORITY",
                              "WAYLAND_DISPLAY", "SUDO_USER", "XDG_SESSION_ID", "LD_PRELOAD", "PWD"};
        for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
                assert_null(get(env, gone[i]));
        assert_string_equal(get(env, "HOME"), "/home/user");
        assert_string_equal(get(env, "USER"), "user");
        assert_string_equal(get(env, "LOGNAME"), "user");
        assert_string_equal(get(env, "LANG"), "C.UTF-8");
        assert_string_equal(get(env, "TERM"), "xterm");
        assert_string_equal(get(env, "XDG_RUNTIME_DIR"), "/run/user/1000");
        assert_string_equal(get(env, "container"), "empyra");
        emp_strv_free(env);
}

static void test_grants_and_user_env(void **state)
{
        char *grant[] = {"WAYLAND_DISPLAY=wayland-0", NULL};
        char *user[] = {"FOO=bar", "LANG=de_DE.UTF-8", NULL};
        struct emp_env_input in = {.host = host, .sockets = EMP_SOCKET_WAYLAND, .home = "/home/user",
                                   .user = "user", .runtime_dir = "/run/user/1000", .grant_env = grant,
                                   .user_env = user};
        char **env = NULL;
        assert_int_equal(emp_env_build(&in, &env), 0);
        assert_string_equal(get(env, "WAYLAND_DISPLAY"), "wayland-0");
        assert_null(get(env, "DISPLAY"));
        assert_string_equal(get(env, "FOO"), "bar");
        assert_string_equal(get(env, "LANG"), "de_DE.UTF-8"); /* user additions win */
        emp_strv_free(env);
}

static void test_host_identity_keeps_names(void **state)
{
        struct emp_env_input in = {.host = host, .identity = EMP_IDENTITY_HOST, .home = "/home/alice",
                                   .user = "user", .runtime_dir = "/run/user/1000"};
        char **env = NULL;
        assert_int_equal(emp_env_build(&in, &env), 0);
        assert_string_equal(get(env, "USER"), "alice");
        assert_null(get(env, "SSH_AUTH_SOCK"));
        emp_strv_free(env);
}

static void test_empty_host_env(void **state)
{
        char *none[] = {NULL};
        struct emp_env_input in = {.host = none, .home = "/home/user", .user = "user", .runtime_dir = "/run/user/1"};
        char **env = NULL;
        assert_int_equal(emp_env_build(&in, &env), 0);
        assert_non_null(get(env, "PATH"));
        emp_strv_free(env);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_nothing_granted),
                cmocka_unit_test(test_grants_and_user_env),
                cmocka_unit_test(test_host_identity_keeps_names),
                cmocka_unit_test(test_empty_host_env),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
