/* test_cli_flags.c — `empyra run` permission flags applied with
 * emp_manifest_apply_flag: effects, ordering against the manifest, "--FLAG=VALUE: why". */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "manifest/manifest.h"

static int flag(struct emp_manifest *m, const char *name, const char *value)
{
        struct emp_error err = { 0 };
        int r = emp_manifest_apply_flag(m, name, value, &err);
        if (r < 0)
                print_message("--%s=%s: %s\n", name, value, err.msg);
        return r;
}

static void expect_flag_error(const char *name, const char *value, const char *msg)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        int r = emp_manifest_apply_flag(&m, name, value, &err);
        if (r == 0 || strcmp(err.msg, msg) != 0)
                fail_msg("expected: %s\n     got: %s (%d)", msg, err.msg, r);
        assert_int_equal(err.code, r);
        emp_manifest_free(&m);
}

static void test_bit_flags(void **state)
{
        struct emp_manifest m;
        emp_manifest_init(&m);
        assert_int_equal(flag(&m, "share", "network"), 0);
        assert_int_equal(flag(&m, "socket", "wayland"), 0);
        assert_int_equal(flag(&m, "socket", "pulseaudio"), 0);
        assert_int_equal(flag(&m, "device", "dri"), 0);
        assert_int_equal(flag(&m, "allow", "multiarch"), 0);
        assert_int_equal(m.shared, EMP_SHARE_NETWORK);
        assert_int_equal(m.sockets, EMP_SOCKET_WAYLAND | EMP_SOCKET_PULSEAUDIO);
        assert_int_equal(m.devices, EMP_DEVICE_DRI);
        assert_int_equal(m.features, EMP_FEATURE_MULTIARCH);

        assert_int_equal(flag(&m, "unshare", "network"), 0);
        assert_int_equal(flag(&m, "nosocket", "pulseaudio"), 0);
        assert_int_equal(flag(&m, "nodevice", "kvm"), 0);
        assert_int_equal(flag(&m, "disallow", "devel"), 0);
        assert_int_equal(emp_bits(m.shared, m.noshared), 0);
        assert_int_equal(emp_bits(m.sockets, m.nosockets), EMP_SOCKET_WAYLAND);
        assert_int_equal(m.nodevices, EMP_DEVICE_KVM);
        assert_int_equal(m.nofeatures, EMP_FEATURE_DEVEL);
        emp_manifest_free(&m);
}

static void test_flags_after_manifest(void **state)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        const char text[] = "[Context]\nshared=network;\nsockets=!x11;wayland\n";
        emp_manifest_init(&m);
        assert_int_equal(emp_manifest_load_data(&m, "app.ini", text, strlen(text), &err), 0);

        /* The command line is a later source: it may revoke a grant ... */
        assert_int_equal(flag(&m, "unshare", "network"), 0);
        assert_int_equal(emp_bits(m.shared, m.noshared), 0);
        /* ... and lift a revocation, flag by flag in order. */
        assert_int_equal(flag(&m, "socket", "x11"), 0);
        assert_int_equal(emp_bits(m.sockets, m.nosockets), EMP_SOCKET_WAYLAND | EMP_SOCKET_X11);
        assert_int_equal(flag(&m, "share", "network"), 0);
        assert_int_equal(emp_bits(m.shared, m.noshared), EMP_SHARE_NETWORK);
        assert_int_equal(flag(&m, "nosocket", "wayland"), 0);
        assert_int_equal(emp_bits(m.sockets, m.nosockets), EMP_SOCKET_X11);
        emp_manifest_free(&m);
}

static void test_filesystem_flags(void **state)
{
        struct emp_manifest m;
        emp_manifest_init(&m);
        assert_int_equal(flag(&m, "filesystem", "~/Games:ro"), 0);
        assert_int_equal(flag(&m, "filesystem", "xdg-download"), 0);
        assert_int_equal(flag(&m, "nofilesystem", "home"), 0);
        assert_int_equal(m.n_filesystems, 3);
        assert_string_equal(m.filesystems[0].spec, "~/Games");
        assert_int_equal(m.filesystems[0].access, EMP_FS_RO);
        assert_false(m.filesystems[0].negated);
        assert_string_equal(m.filesystems[1].spec, "xdg-download");
        assert_int_equal(m.filesystems[1].access, EMP_FS_RW);
        assert_string_equal(m.filesystems[2].spec, "home");
        assert_true(m.filesystems[2].negated);
        emp_manifest_free(&m);

        expect_flag_error("filesystem", "!home",
                          "--filesystem=!home: '!' is not allowed here (use --nofilesystem)");
        expect_flag_error("nofilesystem", "!home",
                          "--nofilesystem=!home: '!' is not allowed here");
        expect_flag_error("nofilesystem", "home:ro",
                          "--nofilesystem=home:ro: a revoked location takes no :ro/:rw/:create");
        expect_flag_error("filesystem", "~/../x",
                          "--filesystem=~/../x: bad location '~/../x': '..' is not allowed in a "
                          "location");
        expect_flag_error("filesystem", "Games",
                          "--filesystem=Games: bad location 'Games': relative path (start it with "
                          "/ or ~/)");
        expect_flag_error("filesystem", "~/x:wr",
                          "--filesystem=~/x:wr: unknown suffix ':wr' (use :ro, :rw or :create)");
        expect_flag_error("filesystem", "", "--filesystem=: bad location '': empty location");
}

static void test_env_persist_resources(void **state)
{
        struct emp_manifest m;
        emp_manifest_init(&m);
        assert_int_equal(flag(&m, "env", "A=1"), 0);
        assert_int_equal(flag(&m, "env", "B="), 0);
        assert_int_equal(flag(&m, "env", "A=x=y"), 0);
        assert_string_equal(m.env[0], "A=x=y"); /* a later value replaces the earlier one */
        assert_string_equal(m.env[1], "B=");
        assert_null(m.env[2]);

        assert_int_equal(flag(&m, "persist", ".example"), 0);
        assert_string_equal(m.persistent[0], ".example");

        assert_int_equal(flag(&m, "memory", "4G"), 0);
        assert_int_equal(m.memory_max, 4ull << 30);
        assert_int_equal(flag(&m, "pids", "100"), 0);
        assert_int_equal(m.pids_max, 100);
        assert_int_equal(flag(&m, "cpu-weight", "50"), 0);
        assert_int_equal(m.cpu_weight, 50);
        assert_int_equal(flag(&m, "files", "brokered"), 0);
        assert_true(m.has_files);
        assert_int_equal(m.files, EMP_FILES_BROKERED);
        assert_int_equal(flag(&m, "files", "static"), 0);
        assert_int_equal(m.files, EMP_FILES_STATIC);
        emp_manifest_free(&m);
}

static void test_flag_errors(void **state)
{
        expect_flag_error("socket", "wayland2", "--socket=wayland2: unknown socket 'wayland2'");
        expect_flag_error("socket", "!x11", "--socket=!x11: '!' is not allowed here (use --nosocket)");
        expect_flag_error("share", "!network",
                          "--share=!network: '!' is not allowed here (use --unshare)");
        expect_flag_error("nodevice", "!dri", "--nodevice=!dri: '!' is not allowed here");
        expect_flag_error("allow", "nesting", "--allow=nesting: unknown feature 'nesting'");
        expect_flag_error("env", "NOEQUALS",
                          "--env=NOEQUALS: expected NAME=VALUE, NAME made of [A-Za-z0-9_] not "
                          "starting with a digit");
        expect_flag_error("env", "1A=b",
                          "--env=1A=b: expected NAME=VALUE, NAME made of [A-Za-z0-9_] not "
                          "starting with a digit");
        expect_flag_error("env", "=b",
                          "--env==b: expected NAME=VALUE, NAME made of [A-Za-z0-9_] not "
                          "starting with a digit");
        expect_flag_error("persist", "/abs",
                          "--persist=/abs: bad persistent path '/abs': must be relative to the "
                          "home directory (e.g. .example)");
        expect_flag_error("memory", "0", "--memory=0: size must be greater than 0");
        expect_flag_error("memory", "lots",
                          "--memory=lots: bad size 'lots' (use e.g. 4G, 512M, 1024K or bytes)");
        expect_flag_error("pids", "0", "--pids=0: '0' is out of range (1..4194304)");
        expect_flag_error("cpu-weight", "10001",
                          "--cpu-weight=10001: '10001' is out of range (1..10000)");
        expect_flag_error("files", "magic",
                          "--files=magic: unknown files mode 'magic' (use static or brokered)");
        /* --app is the CLI's own flag, not a permission. */
        expect_flag_error("app", "org.a.b", "--app=org.a.b: unknown permission flag");
        expect_flag_error("sockets", "x11", "--sockets=x11: unknown permission flag");
        expect_flag_error("socket", "a\nb", "--socket=a?b: unknown socket 'a?b'");
}

static void test_flag_error_leaves_manifest(void **state)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        assert_int_equal(flag(&m, "socket", "x11"), 0);
        assert_int_equal(flag(&m, "filesystem", "home"), 0);
        assert_int_equal(emp_manifest_apply_flag(&m, "socket", "nope", &err), -EINVAL);
        assert_int_equal(emp_manifest_apply_flag(&m, "filesystem", "../x", &err), -EINVAL);
        assert_int_equal(m.sockets, EMP_SOCKET_X11);
        assert_int_equal(m.nosockets, 0);
        assert_int_equal(m.n_filesystems, 1);
        assert_int_equal(emp_manifest_apply_flag(&m, NULL, "x", &err), -EINVAL);
        assert_int_equal(emp_manifest_apply_flag(&m, "socket", NULL, &err), -EINVAL);
        emp_manifest_free(&m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bit_flags),
                cmocka_unit_test(test_flags_after_manifest),
                cmocka_unit_test(test_filesystem_flags),
                cmocka_unit_test(test_env_persist_resources),
                cmocka_unit_test(test_flag_errors),
                cmocka_unit_test(test_flag_error_leaves_manifest),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
