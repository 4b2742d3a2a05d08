/* udp_peer.c — both ends of the socket factory of an app's network
 * namespace (see udp_peer.h). The serving end trusts only empyrad, but still
 * checks every request's size and families before acting on it. */
#include "udp_peer.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fdpass.h"

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

static bool len_fits(int family, uint32_t len)
{
        return family == AF_INET ? len == sizeof(struct sockaddr_in) : len == sizeof(struct sockaddr_in6);
}

static int make_peer(const struct emp_udp_peer_request *q)
{
        int family = q->local.ss_family;
        if ((family != AF_INET && family != AF_INET6) || q->remote.ss_family != family ||
            !len_fits(family, q->local_len) || !len_fits(family, q->remote_len))
                return -EINVAL;
        _cleanup_close_ int s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (s < 0)
                return -errno;
        /* The destination is no address of this namespace's: bind anyway
         * (its catch-all local route delivers there). */
        int one = 1;
        if ((family == AF_INET ? setsockopt(s, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one))
                               : setsockopt(s, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one))) < 0)
                return -errno;
        if (family == AF_INET6 && setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
                return -errno;
        /* Several app sockets may talk to one destination: each gets a peer
         * at the same address, told apart by whom it is connected to (the
         * kernel delivers to the connected socket that matches best). */
        if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                return -errno;
        if (bind(s, (const struct sockaddr *)&q->local, q->local_len) < 0 ||
            connect(s, (const struct sockaddr *)&q->remote, q->remote_len) < 0)
                return -errno;
        return TAKE_FD(s);
}

int emp_udp_peer_serve(int sock)
{
        for (;;) {
                struct emp_udp_peer_request q;
                ssize_t n = recv(sock, &q, sizeof(q), 0);
                if (n == 0)
                        return 0;
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                int32_t result = n == (ssize_t)sizeof(q) ? make_peer(&q) : -EBADMSG;
                if (result >= 0) {
                        int fd = result;
                        /* The result rides on the fd's byte: 'f' is success. */
                        int r = emp_fd_send(sock, fd);
                        close(fd);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (send(sock, &result, sizeof(result), MSG_NOSIGNAL) < 0)
                        return -errno;
        }
}

bool emp_udp_same_endpoint(const struct sockaddr *x, const struct sockaddr *y)
{
        if (x->sa_family != y->sa_family || (x->sa_family != AF_INET && x->sa_family != AF_INET6))
                return false;
        if (x->sa_family == AF_INET) {
                const struct sockaddr_in *a = (const void *)x, *b = (const void *)y;
                return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
        }
        const struct sockaddr_in6 *a = (const void *)x, *b = (const void *)y;
        return a->sin6_port == b->sin6_port && memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) == 0;
}

/* Whether fd is the peer q asked for: a reply left over from a request of
 * an earlier empyrad (one that died waiting) must not answer this one. */
static bool is_peer(int fd, const struct emp_udp_peer_request *q)
{
        struct sockaddr_storage a, b;
        socklen_t al = sizeof(a), bl = sizeof(b);
        if (getsockname(fd, (struct sockaddr *)&a, &al) < 0 || getpeername(fd, (struct sockaddr *)&b, &bl) < 0)
                return false;
        return emp_udp_same_endpoint((struct sockaddr *)&a, (const struct sockaddr *)&q->local) &&
               emp_udp_same_endpoint((struct sockaddr *)&b, (const struct sockaddr *)&q->remote);
}

int emp_udp_peer_request(int sock, const struct sockaddr *local, socklen_t local_len,
                         const struct sockaddr *remote, socklen_t remote_len)
{
        struct emp_udp_peer_request q = {.local_len = local_len, .remote_len = remote_len};
        if (local_len > sizeof(q.local) || remote_len > sizeof(q.remote))
                return -EINVAL;
        memcpy(&q.local, local, local_len);
        memcpy(&q.remote, remote, remote_len);
        /* Answers nobody waited for (an earlier empyrad's) are dropped. */
        for (;;) {
                int stale[EMP_MAX_PASSED_FDS];
                char junk[8];
                struct pollfd p = {.fd = sock, .events = POLLIN};
                if (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN) || emp_recv_with_fds(sock, junk, sizeof(junk), stale) <= 0)
                        break;
                for (size_t i = 0; i < EMP_MAX_PASSED_FDS; i++)
                        if (stale[i] >= 0)
                                close(stale[i]);
        }
        if (send(sock, &q, sizeof(q), MSG_NOSIGNAL) != (ssize_t)sizeof(q))
                return -errno;
        struct pollfd p = {.fd = sock, .events = POLLIN};
        int n;
        do
                n = poll(&p, 1, 1000);
        while (n < 0 && errno == EINTR);
        if (n <= 0)
                return n == 0 ? -ETIMEDOUT : -errno;
        union {
                int32_t result;
                char byte;
        } reply = {0};
        int fds[EMP_MAX_PASSED_FDS];
        ssize_t got = emp_recv_with_fds(sock, &reply, sizeof(reply), fds);
        if (got < 0)
                return (int)got;
        for (size_t i = 1; i < EMP_MAX_PASSED_FDS; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        if (got == 1 && reply.byte == 'f' && fds[0] >= 0) {
                if (is_peer(fds[0], &q))
                        return fds[0];
                close(fds[0]);
                return -EPROTO; /* someone else's answer: out of step */
        }
        if (fds[0] >= 0)
                close(fds[0]);
        if (got == 0)
                return -EPIPE;
        return got == (ssize_t)sizeof(reply.result) && reply.result < 0 ? reply.result : -EBADMSG;
}
