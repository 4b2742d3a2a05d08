/* test_integrity_verify.c — per-app keys, the signed envelope and the
 * verifier: signature, nonce, freshness; one changed byte is rejected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "integrity/integrity.h"

static const uint8_t secret_a[32] = {1};
static const uint8_t secret_b[32] = {2};
static uint8_t nonce[32] = {7, 7, 7};
#define NOW 1700000000

static char *signed_report(const char *app, int64_t issued_at, const char *status)
{
        char body[512];
        snprintf(body, sizeof(body),
                 "{\"assurance\":\"self_asserted\",\"issued_at\":%lld,\"nonce\":\"0707070000000000000000000000000000"
                 "000000000000000000000000000000\",\"subject\":{\"app_id\":\"%s\",\"manifest_sha256\":\"ab\"},"
                 "\"v\":1,\"verdict\":{\"platform\":\"fail\",\"process\":\"%s\",\"reasons\":[\"x\"],\"status\":\"%s\"}}",
                 (long long)issued_at, app, status, status);
        uint8_t pk[32], sk[64];
        emp_integrity_app_keypair(secret_a, app, pk, sk);
        char *out = NULL;
        assert_int_equal(emp_integrity_sign(body, sk, pk, NULL, &out), 0);
        return out;
}

static void pk_of(const uint8_t *secret, const char *app, uint8_t pk[32])
{
        uint8_t sk[64];
        emp_integrity_app_keypair(secret, app, pk, sk);
}

static void test_keys_per_app_and_machine(void **state)
{
        uint8_t a1[32], a2[32], b[32], other[32];
        pk_of(secret_a, "org.example.One", a1);
        pk_of(secret_a, "org.example.One", a2);
        pk_of(secret_a, "org.example.Two", b);
        pk_of(secret_b, "org.example.One", other);
        assert_memory_equal(a1, a2, 32);
        assert_memory_not_equal(a1, b, 32);     /* two apps: unlinkable keys */
        assert_memory_not_equal(a1, other, 32); /* two machines */
}

static void test_good_report_verifies(void **state)
{
        char *text = signed_report("org.example.One", NOW - 5, "pass");
        uint8_t pk[32];
        pk_of(secret_a, "org.example.One", pk);
        struct emp_verify_result r;
        assert_int_equal(emp_integrity_verify(text, strlen(text), pk, nonce, NOW, 300, NULL, &r), 0);
        assert_true(r.authentic);
        assert_string_equal(r.status, "pass");
        assert_string_equal(r.app_id, "org.example.One");
        assert_int_equal(r.age, 5);
        emp_verify_result_free(&r);
        free(text);
}

static void expect_rejected(const char *text, const uint8_t pk[32], const uint8_t *n, int64_t now, const char *why)
{
        struct emp_verify_result r;
        assert_int_equal(emp_integrity_verify(text, strlen(text), pk, n, now, 300, NULL, &r), 0);
        assert_false(r.authentic);
        bool found = false;
        for (size_t i = 0; r.lines && r.lines[i]; i++)
                found |= strstr(r.lines[i], why) != NULL;
        if (!found)
                fail_msg("no line with '%s'", why);
        emp_verify_result_free(&r);
}

static void test_rejections(void **state)
{
        char *text = signed_report("org.example.One", NOW, "pass");
        uint8_t pk[32], wrong[32];
        pk_of(secret_a, "org.example.One", pk);
        pk_of(secret_a, "org.example.Two", wrong);
        uint8_t other_nonce[32] = {8};
        expect_rejected(text, pk, other_nonce, NOW, "nonce: MISMATCH");
        expect_rejected(text, wrong, nonce, NOW, "signature: BAD");
        expect_rejected(text, pk, nonce, NOW + 301, "freshness: STALE");
        expect_rejected(text, pk, nonce, NOW - 120, "in the future");
        expect_rejected("{", pk, nonce, NOW, "format");
        expect_rejected("[]", pk, nonce, NOW, "format");
        /* Every single byte of the body changed: rejected (or unparseable). */
        char *body = strstr(text, "\"body\":\"") + 8;
        char *end = strstr(body, "\",\"format\"");
        for (char *c = body; c < end; c++) {
                char keep = *c;
                *c = *c == 'a' ? 'b' : 'a';
                struct emp_verify_result r;
                assert_int_equal(emp_integrity_verify(text, strlen(text), pk, nonce, NOW, 300, NULL, &r), 0);
                assert_false(r.authentic);
                emp_verify_result_free(&r);
                *c = keep;
        }
        free(text);
}

static void test_not_passing_is_authentic(void **state)
{
        char *text = signed_report("org.example.One", NOW, "fail");
        uint8_t pk[32];
        pk_of(secret_a, "org.example.One", pk);
        struct emp_verify_result r;
        assert_int_equal(emp_integrity_verify(text, strlen(text), pk, nonce, NOW, 300, NULL, &r), 0);
        assert_true(r.authentic);
        assert_string_equal(r.status, "fail");
        emp_verify_result_free(&r);
        free(text);
}

static char *signed_with_assurance(const char *assurance, const char *tpm_json)
{
        char body[512];
        snprintf(body, sizeof(body),
                 "{\"assurance\":\"%s\",\"issued_at\":%d,\"nonce\":\"0707070000000000000000000000000000"
                 "000000000000000000000000000000\",\"subject\":{\"app_id\":\"a.b\"},\"v\":1,"
                 "\"verdict\":{\"platform\":\"pass\",\"process\":\"pass\",\"reasons\":[],\"status\":\"pass\"}}",
                 assurance, NOW);
        uint8_t pk[32], sk[64];
        emp_integrity_app_keypair(secret_a, "a.b", pk, sk);
        char *out = NULL;
        assert_int_equal(emp_integrity_sign(body, sk, pk, tpm_json ? json_loads(tpm_json, 0, NULL) : NULL, &out), 0);
        return out;
}

static void test_tpm_claims_checked(void **state)
{
        uint8_t pk[32];
        pk_of(secret_a, "a.b", pk);
        const char *ak = "4a7be3b474e684f9b50b06975424f7d77a0dd88231d1c7da376eca6839d79f52"
                         "c33b30399c1bf4d2eb310bb322c3e4a08d9820c248da8b3ed89780a87fd9eb42";
        /* A self-asserted report where the verifier pinned a TPM key: a downgrade. */
        char *text = signed_with_assurance("self_asserted", NULL);
        struct emp_verify_result r;
        assert_int_equal(emp_integrity_verify(text, strlen(text), pk, nonce, NOW, 300, ak, &r), 0);
        assert_false(r.authentic);
        emp_verify_result_free(&r);
        free(text);
        /* tpm_anchored without a quote, or with a malformed one. */
        text = signed_with_assurance("tpm_anchored", NULL);
        expect_rejected(text, pk, nonce, NOW, "no TPM quote");
        free(text);
        text = signed_with_assurance("tpm_anchored", "{\"ak\":\"00\",\"quoted\":\"ff54\"}");
        expect_rejected(text, pk, nonce, NOW, "malformed TPM section");
        free(text);
        char quote[512];
        snprintf(quote, sizeof(quote),
                 "{\"ak\":\"%s\",\"sig_r\":\"%064d\",\"sig_s\":\"%064d\",\"quoted\":\"ff54434780170000\","
                 "\"pcrs\":{}}", ak, 1, 2);
        text = signed_with_assurance("tpm_anchored", quote);
        expect_rejected(text, pk, nonce, NOW, "not a TPM-generated quote");
        free(text);
}

static void test_secret_created_once_private(void **state)
{
        char dir[] = "/tmp/empyra-integ-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char sub[64], path[96];
        snprintf(sub, sizeof(sub), "%s/state", dir);
        snprintf(path, sizeof(path), "%s/secret", sub);
        uint8_t s1[32], s2[32];
        struct emp_error err = {0};
        assert_int_equal(emp_integrity_secret_load(sub, s1, &err), 0);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_int_equal(emp_integrity_secret_load(sub, s2, &err), 0);
        assert_memory_equal(s1, s2, 32);
        chmod(path, 0644);
        assert_int_equal(emp_integrity_secret_load(sub, s2, &err), -EPERM);
        unlink(path);
        rmdir(sub);
        rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_keys_per_app_and_machine),
                cmocka_unit_test(test_good_report_verifies),
                cmocka_unit_test(test_rejections),
                cmocka_unit_test(test_not_passing_is_authentic),
                cmocka_unit_test(test_secret_created_once_private),
                cmocka_unit_test(test_tpm_claims_checked),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
