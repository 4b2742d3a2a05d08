/* udp.c — the gateway's UDP pairs and their relay thread (see udp.h). The
 * relay is one thread for the whole daemon: an epoll set over every pair's
 * two sockets, batches of datagrams moved with recvmmsg/sendmmsg. Pairs are
 * only ever freed by the relay thread (or at shutdown), at the end of a
 * batch, so an event it already holds never points at freed memory. */
#include "udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "broker_internal.h"
#include "common/cleanup.h"
#include "common/udp_peer.h"

/* A box keeps at most this many pairs; a new one past it replaces the one
 * idle longest (an app cycling through ports cannot grow the daemon). */
#define PAIRS_PER_BOX 1024
#define BATCH 32
#define DATAGRAM_MAX 65536

struct pair {
        struct emp_broker_box *box; /* NULL once closed */
        int peer, host;
        struct sockaddr_storage app, dst;
        socklen_t app_len, dst_len;
        uint64_t used; /* monotonic seconds of the last datagram */
        unsigned long ino; /* the app socket's inode, or 0 */
        struct pair *next;
};

static struct {
        pthread_rwlock_t lock;
        pthread_once_t once;
        int epfd, wake;
        bool running, stopping;
        pthread_t thread;
        struct pair *pairs;     /* open */
        struct pair *graveyard; /* closed, freed by the relay after its batch */
} relay = {.lock = PTHREAD_RWLOCK_INITIALIZER, .once = PTHREAD_ONCE_INIT, .epfd = -1, .wake = -1};

static uint64_t now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec;
}

int emp_udp_app_address(const struct sockaddr *bound, socklen_t bound_len, int dst_family,
                        struct sockaddr_storage *ret, socklen_t *ret_len)
{
        struct sockaddr_storage out = {0};
        socklen_t len;
        if (bound->sa_family == AF_INET && bound_len >= sizeof(struct sockaddr_in) && dst_family == AF_INET) {
                struct sockaddr_in a = *(const struct sockaddr_in *)bound;
                if (a.sin_addr.s_addr == htonl(INADDR_ANY))
                        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                memcpy(&out, &a, sizeof(a));
                len = sizeof(a);
        } else if (bound->sa_family == AF_INET6 && bound_len >= sizeof(struct sockaddr_in6)) {
                const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)bound;
                bool mapped = IN6_IS_ADDR_V4MAPPED(&b->sin6_addr);
                if (dst_family == AF_INET) {
                        /* A dual-stack socket sending to an IPv4 destination
                         * speaks IPv4 from the mapped address (or 127.0.0.1). */
                        if (!mapped && !IN6_IS_ADDR_UNSPECIFIED(&b->sin6_addr))
                                return -EINVAL;
                        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = b->sin6_port,
                                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
                        if (mapped)
                                memcpy(&a.sin_addr, &b->sin6_addr.s6_addr[12], 4);
                        if (a.sin_addr.s_addr == htonl(INADDR_ANY))
                                a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                        memcpy(&out, &a, sizeof(a));
                        len = sizeof(a);
                } else if (dst_family == AF_INET6 && !mapped) {
                        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = b->sin6_port,
                                                 .sin6_addr = b->sin6_addr, .sin6_scope_id = b->sin6_scope_id};
                        if (IN6_IS_ADDR_UNSPECIFIED(&a.sin6_addr))
                                a.sin6_addr = in6addr_loopback;
                        memcpy(&out, &a, sizeof(a));
                        len = sizeof(a);
                } else {
                        return -EINVAL;
                }
        } else {
                return -EINVAL;
        }
        if (((struct sockaddr_in *)&out)->sin_port == 0)
                return -EINVAL; /* not bound: no datagram can come from it yet */
        *ret = out;
        *ret_len = len;
        return 0;
}

/* Lock held. */
static struct pair *find(struct emp_broker_box *box, const struct sockaddr *app, const struct sockaddr *dst)
{
        for (struct pair *p = relay.pairs; p; p = p->next)
                if (p->box == box && emp_udp_same_endpoint((struct sockaddr *)&p->app, app) &&
                    emp_udp_same_endpoint((struct sockaddr *)&p->dst, dst))
                        return p;
        return NULL;
}

/* Unlink p, close its sockets, leave it for the relay to free (lock held). */
static void pair_close(struct pair *p)
{
        for (struct pair **pp = &relay.pairs; *pp; pp = &(*pp)->next)
                if (*pp == p) {
                        *pp = p->next;
                        break;
                }
        epoll_ctl(relay.epfd, EPOLL_CTL_DEL, p->peer, NULL);
        epoll_ctl(relay.epfd, EPOLL_CTL_DEL, p->host, NULL);
        close(p->peer);
        close(p->host);
        p->box = NULL;
        p->next = relay.graveyard;
        relay.graveyard = p;
}

/* Move what is waiting on from to to, a batch at a time (lock held, shared; both
 * non-blocking). Returns -errno from the receiving side, else 0. */
static int move(struct pair *p, int from, int to, struct mmsghdr *msgs, struct iovec *iov, char *buf)
{
        for (int rounds = 0; rounds < 8; rounds++) {
                for (size_t i = 0; i < BATCH; i++) {
                        iov[i] = (struct iovec){buf + i * DATAGRAM_MAX, DATAGRAM_MAX};
                        msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
                }
                int n = recvmmsg(from, msgs, BATCH, MSG_DONTWAIT, NULL);
                if (n <= 0)
                        return n < 0 && errno != EAGAIN && errno != EINTR ? -errno : 0;
                p->used = now_s();
                for (int i = 0; i < n; i++) {
                        iov[i].iov_len = msgs[i].msg_len;
                        msgs[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
                }
                /* UDP semantics: what the other side cannot take now is dropped. */
                for (int sent = 0; sent < n;) {
                        int m = sendmmsg(to, msgs + sent, (unsigned)(n - sent), MSG_DONTWAIT);
                        if (m <= 0) {
                                if (m < 0 && errno == EINTR)
                                        continue;
                                sent++; /* skip the one refused (ECONNREFUSED, EMSGSIZE, full) */
                                continue;
                        }
                        sent += m;
                }
                if (n < BATCH)
                        return 0;
        }
        return 0;
}

static void *relay_main(void *arg)
{
        (void)arg;
        struct mmsghdr *msgs = calloc(BATCH, sizeof(*msgs));
        struct iovec *iov = calloc(BATCH, sizeof(*iov));
        char *buf = malloc((size_t)BATCH * DATAGRAM_MAX);
        struct epoll_event ev[64];
        while (msgs && iov && buf) {
                int n = epoll_wait(relay.epfd, ev, 64, -1);
                if (n < 0 && errno != EINTR)
                        break;
                /* Moving holds the lock shared: the broker threads' lookups go
                 * on meanwhile; opening and closing pairs take it alone. */
                pthread_rwlock_rdlock(&relay.lock);
                bool stop = relay.stopping;
                struct pair *gone[64];
                size_t n_gone = 0;
                for (int i = 0; !stop && i < n; i++) {
                        uint64_t tag = ev[i].data.u64;
                        if (tag == 0) {
                                uint64_t v;
                                if (read(relay.wake, &v, sizeof(v)) < 0) {
                                        /* nothing pending: another wake took it */
                                }
                                continue;
                        }
                        struct pair *p = (struct pair *)(uintptr_t)(tag & ~(uint64_t)1);
                        if (!p->box)
                                continue; /* closed after the wait returned */
                        bool from_app = tag & 1;
                        int r = from_app ? move(p, p->peer, p->host, msgs, iov, buf)
                                         : move(p, p->host, p->peer, msgs, iov, buf);
                        /* The app's socket is gone (the peer's sends were
                         * refused): nothing can use this pair again. */
                        if (r == -ECONNREFUSED && from_app)
                                gone[n_gone++] = p;
                }
                pthread_rwlock_unlock(&relay.lock);
                if (n_gone || __atomic_load_n(&relay.graveyard, __ATOMIC_ACQUIRE) || stop) {
                        pthread_rwlock_wrlock(&relay.lock);
                        for (size_t i = 0; i < n_gone; i++)
                                if (gone[i]->box)
                                        pair_close(gone[i]);
                        while (relay.graveyard) {
                                struct pair *p = relay.graveyard;
                                relay.graveyard = p->next;
                                free(p);
                        }
                        pthread_rwlock_unlock(&relay.lock);
                }
                if (stop)
                        break;
        }
        free(msgs);
        free(iov);
        free(buf);
        /* Ended (shutdown, or a failure): no pair may be made for nobody to
         * relay. */
        pthread_rwlock_wrlock(&relay.lock);
        relay.running = false;
        pthread_rwlock_unlock(&relay.lock);
        return NULL;
}

static void relay_init(void)
{
        relay.epfd = epoll_create1(EPOLL_CLOEXEC);
        relay.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        struct epoll_event e = {.events = EPOLLIN, .data.u64 = 0};
        if (relay.epfd < 0 || relay.wake < 0 || epoll_ctl(relay.epfd, EPOLL_CTL_ADD, relay.wake, &e) < 0)
                return;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setstacksize(&at, 128 * 1024);
        pthread_rwlock_wrlock(&relay.lock);
        relay.running = true; /* before the thread can end and say otherwise */
        if (pthread_create(&relay.thread, &at, relay_main, NULL) != 0) {
                relay.running = false;
                relay.thread = 0;
        }
        pthread_rwlock_unlock(&relay.lock);
        pthread_attr_destroy(&at);
}

bool emp_udp_pair_exists(struct emp_broker_box *box, const struct sockaddr *app, const struct sockaddr *dst)
{
        pthread_rwlock_rdlock(&relay.lock);
        bool found = find(box, app, dst) != NULL;
        pthread_rwlock_unlock(&relay.lock);
        return found;
}

/* The box's pair idle longest, when it has PAIRS_PER_BOX (lock held). */
static struct pair *evictable(struct emp_broker_box *box)
{
        unsigned count = 0;
        struct pair *oldest = NULL;
        for (struct pair *p = relay.pairs; p; p = p->next)
                if (p->box == box) {
                        count++;
                        if (!oldest || p->used < oldest->used)
                                oldest = p;
                }
        return count >= PAIRS_PER_BOX ? oldest : NULL;
}

bool emp_udp_pair_exists_ino(struct emp_broker_box *box, unsigned long ino, const struct sockaddr *dst)
{
        bool found = false;
        pthread_rwlock_rdlock(&relay.lock);
        for (struct pair *p = relay.pairs; p && !found; p = p->next)
                found = p->box == box && p->ino == ino && ino && emp_udp_same_endpoint((struct sockaddr *)&p->dst, dst);
        pthread_rwlock_unlock(&relay.lock);
        return found;
}

int emp_udp_pair_open(struct emp_broker_box *box, const struct sockaddr *app, socklen_t app_len,
                      const struct sockaddr *dst, socklen_t dst_len, unsigned long ino)
{
        pthread_once(&relay.once, relay_init);
        pthread_rwlock_rdlock(&relay.lock);
        bool running = relay.running && !relay.stopping;
        pthread_rwlock_unlock(&relay.lock);
        if (!running)
                return -ENETUNREACH;
        if (emp_udp_pair_exists(box, app, dst))
                return 0;
        /* The peer sits where the app sends to and talks only with the app's
         * socket: other sockets of the app reach nothing through it. */
        /* One request at a time per factory: the broker thread and a
         * prompt's answer may both ask. */
        static pthread_mutex_t factory_lock = PTHREAD_MUTEX_INITIALIZER;
        pthread_mutex_lock(&factory_lock);
        _cleanup_close_ int peer = box->factory_fd < 0 ? -ENOTCONN
                                                       : emp_udp_peer_request(box->factory_fd, dst, dst_len, app,
                                                                              app_len);
        if (peer == -ETIMEDOUT || peer == -EPIPE) {
                close(box->factory_fd); /* out of step or gone: no more peers for this box */
                box->factory_fd = -1;
        }
        pthread_mutex_unlock(&factory_lock);
        if (peer < 0)
                return peer;
        _cleanup_close_ int host = socket(dst->sa_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (host < 0)
                return -errno;
        if (connect(host, dst, dst_len) < 0)
                return -errno;
        struct pair *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        *p = (struct pair){.box = box, .peer = peer, .host = host, .app_len = app_len, .dst_len = dst_len,
                           .used = now_s(), .ino = ino};
        memcpy(&p->app, app, app_len);
        memcpy(&p->dst, dst, dst_len);
        pthread_rwlock_wrlock(&relay.lock);
        if (find(box, app, dst)) {
                /* Made meanwhile (a prompt's answer and the broker thread). */
                pthread_rwlock_unlock(&relay.lock);
                free(p);
                return 0;
        }
        struct pair *old = evictable(box);
        if (old)
                pair_close(old);
        struct epoll_event from_app = {.events = EPOLLIN, .data.u64 = (uint64_t)(uintptr_t)p | 1};
        struct epoll_event from_host = {.events = EPOLLIN, .data.u64 = (uint64_t)(uintptr_t)p};
        int r = 0;
        if (epoll_ctl(relay.epfd, EPOLL_CTL_ADD, peer, &from_app) < 0 ||
            epoll_ctl(relay.epfd, EPOLL_CTL_ADD, host, &from_host) < 0) {
                r = -errno;
                epoll_ctl(relay.epfd, EPOLL_CTL_DEL, peer, NULL);
                /* The relay may hold an event for it already: only it frees. */
                p->box = NULL;
                p->next = relay.graveyard;
                relay.graveyard = p;
        } else {
                p->next = relay.pairs;
                relay.pairs = p;
                TAKE_FD(peer);
                TAKE_FD(host);
        }
        pthread_rwlock_unlock(&relay.lock);
        return r;
}

void emp_udp_box_end(struct emp_broker_box *box)
{
        pthread_rwlock_wrlock(&relay.lock);
        for (struct pair *p = relay.pairs, *next; p; p = next) {
                next = p->next;
                if (p->box == box)
                        pair_close(p);
        }
        pthread_rwlock_unlock(&relay.lock);
}

unsigned emp_udp_pair_count(struct emp_broker_box *box)
{
        unsigned n = 0;
        pthread_rwlock_rdlock(&relay.lock);
        for (struct pair *p = relay.pairs; p; p = p->next)
                n += p->box == box;
        pthread_rwlock_unlock(&relay.lock);
        return n;
}

void emp_udp_shutdown(void)
{
        pthread_rwlock_wrlock(&relay.lock);
        while (relay.pairs)
                pair_close(relay.pairs);
        relay.stopping = true;
        bool started = relay.thread != 0;
        pthread_rwlock_unlock(&relay.lock);
        if (started) {
                uint64_t one = 1;
                if (write(relay.wake, &one, sizeof(one)) < 0) {
                        /* an eventfd write only fails on overflow: it is awake */
                }
                pthread_join(relay.thread, NULL);
                relay.thread = 0;
        }
        while (relay.graveyard) {
                struct pair *p = relay.graveyard;
                relay.graveyard = p->next;
                free(p);
        }
}
