/* dns.h — the little DNS the gateway's resolver speaks (RFC 1035): parse one
 * standard query for one name, build the answer with A/AAAA records. Pure:
 * bytes in, bytes out; the fuzzed entry point for what apps send it. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "policy/permission.h"

#define EMP_DNS_TYPE_A 1
#define EMP_DNS_TYPE_AAAA 28
#define EMP_DNS_RCODE_NOERROR 0
#define EMP_DNS_RCODE_FORMERR 1
#define EMP_DNS_RCODE_SERVFAIL 2
#define EMP_DNS_RCODE_NXDOMAIN 3
#define EMP_DNS_RCODE_NOTIMP 4
#define EMP_DNS_RCODE_REFUSED 5
#define EMP_DNS_MAX_UDP 512

struct emp_dns_query {
        uint16_t id;
        uint16_t flags;       /* as received (RD is echoed) */
        char name[254];       /* lower-case, no trailing dot; "" for the root */
        uint16_t qtype, qclass;
        size_t question_len;  /* bytes of the question section, copied into answers */
};

/* One standard query (QR=0, OPCODE 0, QDCOUNT 1; answer/authority records
 * refused, additional ones — EDNS — ignored). Labels are letters, digits,
 * '-', '_'; no compression pointers in a query. 0, or -EBADMSG (nothing
 * sensible to answer), -EINVAL (answer FORMERR), -EOPNOTSUPP (NOTIMP). */
int emp_dns_parse_query(const uint8_t *msg, size_t len, struct emp_dns_query *ret);
/* The answer to q (whose message is query) with rcode and the addresses of
 * the query's type (others are skipped), TTL ttl, into out (at most
 * EMP_DNS_MAX_UDP bytes: records that do not fit are left out and TC is not
 * set — the app got some). Returns the length, or -ENOSPC. */
int emp_dns_build_answer(const uint8_t *query, const struct emp_dns_query *q, int rcode,
                         const struct emp_addr *addrs, size_t n_addrs, uint32_t ttl, uint8_t *out, size_t size);
/* A minimal error answer from only the header of msg (FORMERR, NOTIMP),
 * or -EBADMSG when even the header is missing. */
int emp_dns_build_error(const uint8_t *msg, size_t len, int rcode, uint8_t *out, size_t size);
