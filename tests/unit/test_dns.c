/* test_dns.c — the gateway resolver's DNS parsing and answers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <sys/socket.h>

#include "gateway/dns.h"

/* A query for NAME (dotted) of type qtype, id 0x1234, RD set. */
static size_t make_query(const char *name, uint16_t qtype, uint8_t *out)
{
        uint8_t hdr[12] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
        memcpy(out, hdr, 12);
        size_t pos = 12;
        const char *p = name;
        while (*p) {
                const char *dot = strchr(p, '.');
                size_t l = dot ? (size_t)(dot - p) : strlen(p);
                out[pos++] = (uint8_t)l;
                memcpy(out + pos, p, l);
                pos += l;
                p += l + (dot ? 1 : 0);
        }
        out[pos++] = 0;
        out[pos++] = (uint8_t)(qtype >> 8);
        out[pos++] = (uint8_t)qtype;
        out[pos++] = 0;
        out[pos++] = 1;
        return pos;
}

static void test_parse(void **state)
{
        (void)state;
        uint8_t m[512];
        size_t n = make_query("WWW.Example.com", EMP_DNS_TYPE_A, m);
        struct emp_dns_query q;
        assert_int_equal(emp_dns_parse_query(m, n, &q), 0);
        assert_string_equal(q.name, "www.example.com");
        assert_int_equal(q.id, 0x1234);
        assert_int_equal(q.qtype, EMP_DNS_TYPE_A);
        assert_int_equal(q.qclass, 1);
        assert_int_equal(q.question_len, n - 12);
}

static void test_refused(void **state)
{
        (void)state;
        uint8_t m[512];
        struct emp_dns_query q;
        size_t n = make_query("a.b", EMP_DNS_TYPE_A, m);
        assert_int_equal(emp_dns_parse_query(m, 11, &q), -EBADMSG); /* short header */
        assert_int_equal(emp_dns_parse_query(m, n - 1, &q), -EINVAL);  /* cut question */
        m[2] |= 0x80;                                                  /* a response */
        assert_int_equal(emp_dns_parse_query(m, n, &q), -EBADMSG);
        m[2] = 0x01 | (2 << 3); /* opcode 2 */
        assert_int_equal(emp_dns_parse_query(m, n, &q), -EOPNOTSUPP);
        n = make_query("a.b", EMP_DNS_TYPE_A, m);
        m[5] = 2; /* two questions */
        assert_int_equal(emp_dns_parse_query(m, n, &q), -EINVAL);
        n = make_query("a.b", EMP_DNS_TYPE_A, m);
        m[12] = 0xc0; /* a compression pointer in a query */
        assert_int_equal(emp_dns_parse_query(m, n, &q), -EINVAL);
        n = make_query("bad\x1b.name", EMP_DNS_TYPE_A, m);
        assert_int_equal(emp_dns_parse_query(m, n, &q), -EINVAL);
}

static void test_answer(void **state)
{
        (void)state;
        uint8_t m[512], out[512];
        size_t n = make_query("example.com", EMP_DNS_TYPE_A, m);
        struct emp_dns_query q;
        assert_int_equal(emp_dns_parse_query(m, n, &q), 0);
        struct emp_addr a[3] = {{.family = AF_INET, .bytes = {192, 0, 2, 1}},
                                {.family = AF_INET6, .bytes = {0x20, 0x01, 0x0d, 0xb8}},
                                {.family = AF_INET, .bytes = {192, 0, 2, 2}}};
        int len = emp_dns_build_answer(m, &q, EMP_DNS_RCODE_NOERROR, a, 3, 60, out, sizeof(out));
        assert_int_equal(len, (int)n + 2 * 16);
        assert_int_equal(out[0], 0x12);
        assert_int_equal(out[2] & 0x80, 0x80); /* QR */
        assert_int_equal(out[2] & 0x01, 0x01); /* RD echoed */
        assert_int_equal(out[3] & 0x0f, 0);
        assert_int_equal(out[7], 2); /* two A records: the AAAA is not of the query's type */
        assert_memory_equal(out + n + 12, a[0].bytes, 4);
        assert_memory_equal(out + n + 16 + 12, a[2].bytes, 4);
        len = emp_dns_build_answer(m, &q, EMP_DNS_RCODE_NXDOMAIN, a, 3, 60, out, sizeof(out));
        assert_int_equal(len, (int)n);
        assert_int_equal(out[3] & 0x0f, EMP_DNS_RCODE_NXDOMAIN);
        assert_int_equal(out[7], 0);
}

static void test_error(void **state)
{
        (void)state;
        uint8_t m[12] = {0xab, 0xcd, 0x01, 0}, out[64];
        assert_int_equal(emp_dns_build_error(m, sizeof(m), EMP_DNS_RCODE_FORMERR, out, sizeof(out)), 12);
        assert_int_equal(out[0], 0xab);
        assert_int_equal(out[3] & 0x0f, EMP_DNS_RCODE_FORMERR);
        assert_int_equal(emp_dns_build_error(m, 5, EMP_DNS_RCODE_FORMERR, out, sizeof(out)), -EBADMSG);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_answer),
                cmocka_unit_test(test_error),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
