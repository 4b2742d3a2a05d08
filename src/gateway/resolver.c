/* resolver.c — the gateway's resolver (DESIGN.md §5, issue #5): the app's
 * resolv.conf names 127.0.0.53 on its own loopback, where a socket of
 * empyrad's listens. Names are looked up in empyrad's (host) namespace and
 * remembered by address, so rules like "allow *.example.com:443" match and
 * the log shows names. One lookup runs in a thread of its own (at most
 * DNS_PARALLEL per app): a slow name never holds up the app's other calls. */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker_internal.h"
#include "common/cleanup.h"
#include "daemon.h"
#include "dns.h"

#define DNS_PARALLEL 8
#define DNS_TTL 60
#define MAX_ADDRS 16

struct lookup {
        struct emp_broker_box *box;
        uint8_t query[EMP_DNS_MAX_UDP];
        size_t len;
        struct emp_dns_query q;
        struct sockaddr_storage peer;
        socklen_t peer_len;
};

static void send_answer(const struct lookup *l, const uint8_t *out, int n)
{
        if (n > 0)
                sendto(l->box->dns_fd, out, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&l->peer,
                       l->peer_len);
}

static void remember(struct emp_broker_box *box, const char *name, const struct emp_addr *addrs, size_t n)
{
        pthread_mutex_lock(&box->d->lock);
        if (!box->names)
                box->names = calloc(EMP_RESOLVED, sizeof(*box->names));
        for (size_t i = 0; box->names && i < n; i++) {
                struct emp_resolved *r = &box->names[box->names_next++ % EMP_RESOLVED];
                r->addr = addrs[i];
                snprintf(r->name, sizeof(r->name), "%s", name);
        }
        pthread_mutex_unlock(&box->d->lock);
}

const char *emp_resolver_name(const struct emp_broker_box *box, const struct emp_addr *addr)
{
        /* Newest first: the name asked for last wins for a shared address. */
        for (unsigned k = 1; box->names && k <= EMP_RESOLVED; k++) {
                const struct emp_resolved *r = &box->names[(box->names_next - k) % EMP_RESOLVED];
                if (r->name[0] && r->addr.family == addr->family && memcmp(r->addr.bytes, addr->bytes, 16) == 0)
                        return r->name;
        }
        return NULL;
}

static void *lookup_thread(void *arg)
{
        struct lookup *l = arg;
        int family = l->q.qtype == EMP_DNS_TYPE_A ? AF_INET : AF_INET6;
        struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM}, *res = NULL;
        int rcode = EMP_DNS_RCODE_NOERROR;
        struct emp_addr addrs[MAX_ADDRS];
        size_t n = 0;
        int gai = getaddrinfo(l->q.name, NULL, &hints, &res);
        if (gai == EAI_NONAME || gai == EAI_NODATA
#ifdef EAI_ADDRFAMILY
            || gai == EAI_ADDRFAMILY
#endif
        )
                rcode = gai == EAI_NONAME ? EMP_DNS_RCODE_NXDOMAIN : EMP_DNS_RCODE_NOERROR;
        else if (gai != 0)
                rcode = EMP_DNS_RCODE_SERVFAIL;
        for (struct addrinfo *ai = res; ai && n < MAX_ADDRS; ai = ai->ai_next) {
                uint16_t port;
                if (emp_addr_from_sockaddr(ai->ai_addr, ai->ai_addrlen, &addrs[n], &port) == 0 &&
                    addrs[n].family == family)
                        n++;
        }
        if (res)
                freeaddrinfo(res);
        if (n)
                remember(l->box, l->q.name, addrs, n);
        uint8_t out[EMP_DNS_MAX_UDP];
        send_answer(l, out, emp_dns_build_answer(l->query, &l->q, rcode, addrs, n, DNS_TTL, out, sizeof(out)));
        __atomic_sub_fetch(&l->box->dns_busy, 1, __ATOMIC_SEQ_CST);
        emp_broker_box_unref(l->box);
        free(l);
        return NULL;
}

/* 198.18.0.0/15 (RFC 2544, benchmarking: never routed) stands in for names
 * behind a SOCKS5 provider: the proxy resolves them. */
bool emp_resolver_is_fake(const struct emp_addr *a)
{
        return a->family == AF_INET && a->bytes[0] == 198 && (a->bytes[1] & 0xfe) == 18;
}

/* The stand-in address for name: the one it already has, or the next. */
static struct emp_addr fake_for(struct emp_broker_box *box, const char *name)
{
        struct emp_addr a = {.family = AF_INET};
        pthread_mutex_lock(&box->d->lock);
        for (size_t i = 0; box->names && i < EMP_RESOLVED; i++)
                if (box->names[i].name[0] && strcmp(box->names[i].name, name) == 0 &&
                    emp_resolver_is_fake(&box->names[i].addr)) {
                        a = box->names[i].addr;
                        pthread_mutex_unlock(&box->d->lock);
                        return a;
                }
        uint32_t n = 1 + box->next_fake++ % ((1u << 17) - 2);
        a.bytes[0] = 198;
        a.bytes[1] = (uint8_t)(18 + (n >> 16));
        a.bytes[2] = (uint8_t)(n >> 8);
        a.bytes[3] = (uint8_t)n;
        pthread_mutex_unlock(&box->d->lock);
        remember(box, name, &a, 1);
        return a;
}

void emp_resolver_serve(struct emp_broker_box *box)
{
        struct lookup *l = calloc(1, sizeof(*l));
        if (!l)
                return;
        l->box = box;
        l->peer_len = sizeof(l->peer);
        ssize_t n = recvfrom(box->dns_fd, l->query, sizeof(l->query), MSG_DONTWAIT, (struct sockaddr *)&l->peer,
                             &l->peer_len);
        uint8_t out[EMP_DNS_MAX_UDP];
        if (n <= 0) {
                free(l);
                return;
        }
        l->len = (size_t)n;
        int r = emp_dns_parse_query(l->query, l->len, &l->q);
        int rcode = r == -EOPNOTSUPP ? EMP_DNS_RCODE_NOTIMP : r == -EINVAL ? EMP_DNS_RCODE_FORMERR : -1;
        if (r == 0 && box->provider_none)
                rcode = EMP_DNS_RCODE_REFUSED;
        else if (r == 0 && box->socks5 && l->q.qclass == 1 && l->q.qtype == EMP_DNS_TYPE_A && l->q.name[0]) {
                /* Remote DNS: the proxy resolves; the app gets a stand-in. */
                struct emp_addr a = fake_for(box, l->q.name);
                send_answer(l, out, emp_dns_build_answer(l->query, &l->q, EMP_DNS_RCODE_NOERROR, &a, 1, DNS_TTL, out,
                                                         sizeof(out)));
                free(l);
                return;
        } else if (r == 0 && box->socks5)
                rcode = EMP_DNS_RCODE_NOERROR; /* AAAA and others: none (IPv4 stand-ins only) */
        else if (r == 0 && (l->q.qclass != 1 || (l->q.qtype != EMP_DNS_TYPE_A && l->q.qtype != EMP_DNS_TYPE_AAAA)))
                rcode = EMP_DNS_RCODE_NOERROR; /* no records of other types: resolvers fall back to A/AAAA */
        else if (r == 0 && __atomic_add_fetch(&box->dns_busy, 1, __ATOMIC_SEQ_CST) > DNS_PARALLEL) {
                __atomic_sub_fetch(&box->dns_busy, 1, __ATOMIC_SEQ_CST);
                rcode = EMP_DNS_RCODE_SERVFAIL;
        }
        if (r == 0 && rcode < 0) {
                pthread_t t;
                pthread_attr_t at;
                pthread_attr_init(&at);
                pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
                pthread_attr_setstacksize(&at, 256 * 1024);
                emp_broker_box_ref(box);
                int e = pthread_create(&t, &at, lookup_thread, l);
                pthread_attr_destroy(&at);
                if (e == 0)
                        return;
                emp_broker_box_unref(box);
                __atomic_sub_fetch(&box->dns_busy, 1, __ATOMIC_SEQ_CST);
                rcode = EMP_DNS_RCODE_SERVFAIL;
        }
        if (r == 0)
                send_answer(l, out, emp_dns_build_answer(l->query, &l->q, rcode, NULL, 0, DNS_TTL, out, sizeof(out)));
        else if (rcode >= 0)
                send_answer(l, out, emp_dns_build_error(l->query, l->len, rcode, out, sizeof(out)));
        free(l);
}
