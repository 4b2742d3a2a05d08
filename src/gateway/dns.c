/* dns.c — parse a DNS query, build its answer. Every length is checked
 * against the bytes received; nothing here trusts a count from the app. */
#include "dns.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#define HEADER 12
#define FLAG_QR 0x8000
#define FLAG_RD 0x0100
#define FLAG_RA 0x0080
#define OPCODE(f) (((f) >> 11) & 0xf)

static uint16_t get16(const uint8_t *p)
{
        return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
}

static int label_char(uint8_t c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A' + 'a';
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')
                return c;
        return -1;
}

int emp_dns_parse_query(const uint8_t *msg, size_t len, struct emp_dns_query *ret)
{
        if (len < HEADER)
                return -EBADMSG;
        uint16_t flags = get16(msg + 2);
        if (flags & FLAG_QR)
                return -EBADMSG; /* a response: never answer those */
        if (OPCODE(flags) != 0)
                return -EOPNOTSUPP;
        if (get16(msg + 4) != 1 || get16(msg + 6) != 0 || get16(msg + 8) != 0)
                return -EINVAL;
        struct emp_dns_query q = {.id = get16(msg), .flags = flags};
        size_t pos = HEADER, out = 0;
        for (;;) {
                if (pos >= len)
                        return -EINVAL;
                uint8_t l = msg[pos++];
                if (l == 0)
                        break;
                if (l > 63 || pos + l > len)
                        return -EINVAL; /* compression pointers included */
                if (out + (out ? 1 : 0) + l >= sizeof(q.name))
                        return -EINVAL;
                if (out)
                        q.name[out++] = '.';
                for (uint8_t i = 0; i < l; i++) {
                        int c = label_char(msg[pos + i]);
                        if (c < 0)
                                return -EINVAL;
                        q.name[out++] = (char)c;
                }
                pos += l;
        }
        q.name[out] = '\0';
        if (pos + 4 > len)
                return -EINVAL;
        q.qtype = get16(msg + pos);
        q.qclass = get16(msg + pos + 2);
        q.question_len = pos + 4 - HEADER;
        *ret = q;
        return 0;
}

int emp_dns_build_answer(const uint8_t *query, const struct emp_dns_query *q, int rcode,
                         const struct emp_addr *addrs, size_t n_addrs, uint32_t ttl, uint8_t *out, size_t size)
{
        if (size > EMP_DNS_MAX_UDP)
                size = EMP_DNS_MAX_UDP;
        if (HEADER + q->question_len > size)
                return -ENOSPC;
        memcpy(out, query, HEADER + q->question_len);
        put16(out + 2, (uint16_t)(FLAG_QR | (q->flags & FLAG_RD) | FLAG_RA | (rcode & 0xf)));
        put16(out + 4, 1);
        put16(out + 8, 0);
        put16(out + 10, 0);
        size_t pos = HEADER + q->question_len;
        uint16_t count = 0;
        int want = q->qtype == EMP_DNS_TYPE_A ? AF_INET : q->qtype == EMP_DNS_TYPE_AAAA ? AF_INET6 : -1;
        for (size_t i = 0; rcode == EMP_DNS_RCODE_NOERROR && i < n_addrs; i++) {
                if (addrs[i].family != want)
                        continue;
                size_t rdlen = want == AF_INET ? 4 : 16;
                if (pos + 12 + rdlen > size)
                        break;
                put16(out + pos, 0xc000 | HEADER); /* the name: a pointer to the question's */
                put16(out + pos + 2, q->qtype);
                put16(out + pos + 4, 1); /* IN */
                put16(out + pos + 6, (uint16_t)(ttl >> 16));
                put16(out + pos + 8, (uint16_t)ttl);
                put16(out + pos + 10, (uint16_t)rdlen);
                memcpy(out + pos + 12, addrs[i].bytes, rdlen);
                pos += 12 + rdlen;
                count++;
        }
        put16(out + 6, count);
        return (int)pos;
}

int emp_dns_build_error(const uint8_t *msg, size_t len, int rcode, uint8_t *out, size_t size)
{
        if (len < HEADER || size < HEADER)
                return -EBADMSG;
        memset(out, 0, HEADER);
        out[0] = msg[0];
        out[1] = msg[1];
        put16(out + 2, (uint16_t)(FLAG_QR | (get16(msg + 2) & FLAG_RD) | FLAG_RA | (rcode & 0xf)));
        return HEADER;
}
