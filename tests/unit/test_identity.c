/* test_identity.c — the anonymous identity: machine-id/boot_id format,
 * stability per app, difference between apps, key persistence, passwd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher/identity.h"

static const uint8_t key_a[EMP_IDENTITY_KEY_LEN] = {1, 2, 3};
static const uint8_t key_b[EMP_IDENTITY_KEY_LEN] = {9, 9, 9};

static void test_machine_id_format_and_stability(void **state)
{
        char a[33], b[33], c[33], d[33];
        emp_identity_machine_id(key_a, "org.example.One", a);
        emp_identity_machine_id(key_a, "org.example.One", b);
        emp_identity_machine_id(key_a, "org.example.Two", c);
        emp_identity_machine_id(key_b, "org.example.One", d);
        assert_int_equal(strlen(a), 32);
        for (size_t i = 0; i < 32; i++)
                assert_true(isxdigit((unsigned char)a[i]) && !isupper((unsigned char)a[i]));
        assert_string_equal(a, b);
        assert_string_not_equal(a, c);
        assert_string_not_equal(a, d); /* another user's key: unlinkable */
}

static void test_boot_id_depends_on_app_and_boot(void **state)
{
        char a[37], b[37], c[37];
        emp_identity_boot_id(key_a, "org.example.One", "boot-1", a);
        emp_identity_boot_id(key_a, "org.example.Two", "boot-1", b);
        emp_identity_boot_id(key_a, "org.example.One", "boot-2", c);
        assert_int_equal(strlen(a), 36);
        assert_true(a[8] == '-' && a[13] == '-' && a[18] == '-' && a[23] == '-');
        assert_int_equal(a[14], '4'); /* UUID v4 shape, like the kernel's */
        assert_string_not_equal(a, b);
        assert_string_not_equal(a, c);
}

static void test_field_boundaries_are_unambiguous(void **state)
{
        char a[37], b[37];
        emp_identity_boot_id(key_a, "ab", "c", a);
        emp_identity_boot_id(key_a, "a", "bc", b);
        assert_string_not_equal(a, b);
}

static void test_key_created_once_and_private(void **state)
{
        char dir[] = "/tmp/empyra-idkey-XXXXXX";
        assert_non_null(mkdtemp(dir));
        uint8_t k1[EMP_IDENTITY_KEY_LEN], k2[EMP_IDENTITY_KEY_LEN];
        assert_int_equal(emp_identity_key_load(dir, k1), 0);
        assert_int_equal(emp_identity_key_load(dir, k2), 0);
        assert_memory_equal(k1, k2, sizeof(k1));
        char path[256];
        snprintf(path, sizeof(path), "%s/identity.key", dir);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_int_equal(st.st_size, EMP_IDENTITY_KEY_LEN);
        unlink(path);
        rmdir(dir);
}

static void test_truncated_key_is_an_error(void **state)
{
        char dir[] = "/tmp/empyra-idkey-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char path[256];
        snprintf(path, sizeof(path), "%s/identity.key", dir);
        FILE *f = fopen(path, "w");
        fputs("short", f);
        fclose(f);
        uint8_t k[EMP_IDENTITY_KEY_LEN];
        assert_int_not_equal(emp_identity_key_load(dir, k), 0);
        unlink(path);
        rmdir(dir);
}

static void test_passwd_and_group(void **state)
{
        char *p = emp_identity_passwd("user", 1000, 1000, "/home/user", "/bin/bash");
        assert_non_null(p);
        assert_non_null(strstr(p, "user:x:1000:1000:user:/home/user:/bin/bash\n"));
        assert_non_null(strstr(p, "root:x:0:0:"));
        free(p);
        char *g = emp_identity_group("user", 1000);
        assert_non_null(strstr(g, "user:x:1000:\n"));
        free(g);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_machine_id_format_and_stability),
                cmocka_unit_test(test_boot_id_depends_on_app_and_boot),
                cmocka_unit_test(test_field_boundaries_are_unambiguous),
                cmocka_unit_test(test_key_created_once_and_private),
                cmocka_unit_test(test_truncated_key_is_an_error),
                cmocka_unit_test(test_passwd_and_group),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
