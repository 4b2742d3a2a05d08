/* net_udp.c — UDP through the network gateway: a trapped send with a
 * destination, or a UDP connect, is decided here; an allowed destination
 * gets its pair (udp.c) and the call then goes on in the app's own
 * namespace, where the catch-all local route delivers it to the pair's peer.
 * A send is continued: whatever another thread changes meanwhile (the
 * address, the fd), the kernel can only deliver to peers of destinations
 * already allowed for this app, and every socket the app holds that can
 * send to an address lives in its namespace (host sockets it holds are
 * established or listening TCP ones, which ignore a send's address). */
#include <errno.h>
#include <linux/audit.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "net_internal.h"
#include "udp.h"

/* A send's destinations looked at per call: sendmmsg batches rarely name
 * more than one; each new one is decided (the first per call, see below). */
#define NAMES_MAX 8
#define MMSG_MAX 1024 /* the kernel's UIO_MAXIOV: it sends no more per call */

struct name {
        struct sockaddr_storage ss;
        socklen_t len;
};

/* msg: a msghdr's msg_namelen, which the kernel clamps to the size of a
 * sockaddr_storage; otherwise sendto's, which it refuses when larger. Only
 * the low 32 bits count (the kernel reads an int). */
static int read_name(pid_t pid, uint64_t ptr, uint64_t len64, bool msg, struct name *out)
{
        uint32_t len = (uint32_t)len64;
        if (msg && len > sizeof(out->ss))
                len = sizeof(out->ss);
        if (!ptr || len < sizeof(sa_family_t) || len > sizeof(out->ss))
                return 0; /* none, or one the kernel refuses by itself */
        memset(out, 0, sizeof(*out));
        if (emp_net_read_mem(pid, ptr, &out->ss, (size_t)len) < 0)
                return 0; /* the kernel says EFAULT itself */
        out->len = (socklen_t)len;
        return out->ss.ss_family == AF_INET || out->ss.ss_family == AF_INET6;
}

/* The IP destinations a trapped sendto/sendmsg/sendmmsg names (up to max,
 * distinct or not), decoded per the caller's ABI. */
static size_t send_names(const struct seccomp_notif *n, struct name *out, size_t max)
{
        pid_t pid = (pid_t)n->pid;
        const __u64 *a = n->data.args;
        bool i386 = n->data.arch == AUDIT_ARCH_I386;
        int nr = n->data.nr;
        if (nr == (i386 ? 369 : 44)) /* sendto(fd, buf, len, flags, addr, addrlen) */
                return read_name(pid, a[4], a[5], false, out) ? 1 : 0;
        bool mmsg = nr == (i386 ? 345 : 307);
        /* struct msghdr: name pointer then its length; an mmsghdr adds a
         * length word (x86_64: 56 + 8 bytes; i386: 28 + 4). */
        size_t hdr = i386 ? 28 : 56, stride = mmsg ? (i386 ? 32 : 64) : hdr;
        size_t count = mmsg ? (a[2] < MMSG_MAX ? (size_t)a[2] : MMSG_MAX) : 1;
        size_t found = 0;
        for (size_t i = 0; i < count && found < max; i++) {
                unsigned char h[56];
                if (emp_net_read_mem(pid, a[1] + i * stride, h, hdr) < 0)
                        break;
                uint64_t ptr, len;
                if (i386) {
                        uint32_t p32, l32;
                        memcpy(&p32, h, 4);
                        memcpy(&l32, h + 4, 4);
                        ptr = p32;
                        len = l32;
                } else {
                        uint32_t l32;
                        memcpy(&ptr, h, 8);
                        memcpy(&l32, h + 8, 4);
                        len = l32;
                }
                found += (size_t)read_name(pid, ptr, len, true, &out[found]);
        }
        return found;
}

/* The destination as the host sees it: IPv4-mapped IPv6 as IPv4. */
static int host_destination(const struct sockaddr_storage *ss, socklen_t len, struct sockaddr_storage *ret,
                            socklen_t *ret_len, struct emp_addr *ret_addr, uint16_t *ret_port)
{
        struct emp_addr a;
        uint16_t port;
        if (emp_addr_from_sockaddr((const struct sockaddr *)ss, len, &a, &port) < 0)
                return -EINVAL;
        emp_addr_normalize(&a);
        struct sockaddr_storage out = {0};
        if (a.family == AF_INET) {
                struct sockaddr_in *in = (struct sockaddr_in *)&out;
                in->sin_family = AF_INET;
                in->sin_port = htons(port);
                memcpy(&in->sin_addr, a.bytes, 4);
                *ret_len = sizeof(*in);
        } else {
                struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out;
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons(port);
                memcpy(&in6->sin6_addr, a.bytes, 16);
                /* A scope is an interface of the app's namespace: meaningless
                 * in empyrad's, so none is carried (a link-local destination
                 * then fails to connect rather than pick some interface). */
                in6->sin6_scope_id = 0;
                *ret_len = sizeof(*in6);
        }
        *ret = out;
        if (ret_addr)
                *ret_addr = a;
        if (ret_port)
                *ret_port = port;
        return 0;
}

/* Where the app's socket sends from, toward a destination of dst_family;
 * with bind, an unbound socket is first bound to its family's wildcard and
 * port 0 — what its first send would do. */
static int app_address(int sock, int dst_family, bool bind_unbound, struct sockaddr_storage *ret,
                       socklen_t *ret_len)
{
        struct sockaddr_storage b;
        socklen_t blen = sizeof(b);
        if (getsockname(sock, (struct sockaddr *)&b, &blen) < 0)
                return -errno;
        int r = emp_udp_app_address((struct sockaddr *)&b, blen, dst_family, ret, ret_len);
        if (r == 0 || !bind_unbound || ((struct sockaddr_in *)&b)->sin_port != 0)
                return r;
        struct sockaddr_storage any = {.ss_family = b.ss_family};
        socklen_t any_len = b.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
        blen = sizeof(b);
        if (bind(sock, (struct sockaddr *)&any, any_len) < 0 || getsockname(sock, (struct sockaddr *)&b, &blen) < 0)
                return -errno;
        return emp_udp_app_address((struct sockaddr *)&b, blen, dst_family, ret, ret_len);
}

void emp_net_udp_perform(struct emp_broker_call *c)
{
        struct sockaddr_storage dst, app;
        socklen_t dst_len = 0, app_len = 0;
        int r = host_destination(&c->addr, c->addrlen, &dst, &dst_len, NULL, NULL);
        if (r == 0)
                r = app_address(c->sock, dst.ss_family, true, &app, &app_len);
        struct stat st;
        unsigned long ino = fstat(c->sock, &st) == 0 ? (unsigned long)st.st_ino : 0;
        if (r == 0)
                r = emp_udp_pair_open(c->box, (struct sockaddr *)&app, app_len, (struct sockaddr *)&dst, dst_len,
                                      ino);
        if (r == -ENOTCONN)
                r = -ENETUNREACH; /* the namespace's factory is gone */
        if (c->kind == EMP_CALL_UDP_CONNECT) {
                /* On our copy, with our copy of the address: never continued. */
                if (r == 0 && connect(c->sock, (struct sockaddr *)&c->addr, c->addrlen) < 0)
                        r = -errno;
                emp_broker_reply(c->box->listener, c->notif_id, r, false);
                return;
        }
        emp_broker_reply(c->box->listener, c->notif_id, r, r == 0);
}

void emp_net_udp_connect(struct emp_broker_box *box, const struct seccomp_notif *n, int fd, int sock,
                         const struct sockaddr_storage *ss, socklen_t len, const struct emp_addr *addr,
                         uint16_t port)
{
        struct emp_broker_call *c = emp_net_call_new(box, n, EMP_CALL_UDP_CONNECT, fd, sock, ss, len, addr, port,
                                                     EMP_PROTOCOL_UDP);
        if (c)
                emp_net_decide(box, c, addr);
}

/* Whether a datagram from sock to this destination needs a decision: not
 * for the app's own services, not when the pair exists. */
static bool needs_decision(struct emp_broker_box *box, const struct seccomp_notif *n, int sock,
                           const struct name *nm, struct emp_addr *ret_addr, uint16_t *ret_port)
{
        struct sockaddr_storage dst, app;
        socklen_t dst_len, app_len;
        if (host_destination(&nm->ss, nm->len, &dst, &dst_len, ret_addr, ret_port) < 0)
                return false;
        if (emp_addr_classify(ret_addr) == EMP_NET_LOOPBACK &&
            emp_net_app_serves(box, (pid_t)n->pid, SOCK_DGRAM, ret_addr, *ret_port))
                return false;
        if (app_address(sock, dst.ss_family, false, &app, &app_len) < 0)
                return true; /* unbound: no pair can exist yet */
        return !emp_udp_pair_exists(box, (struct sockaddr *)&app, (struct sockaddr *)&dst);
}

static bool fast_path(struct emp_broker_box *box, const struct seccomp_notif *n, int fd, const struct name *nm)
{
        struct sockaddr_storage dst;
        socklen_t dst_len;
        if (host_destination(&nm->ss, nm->len, &dst, &dst_len, NULL, NULL) < 0)
                return false;
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)n->pid, fd);
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
                return false;
        return emp_udp_pair_exists_ino(box, (unsigned long)st.st_ino, (struct sockaddr *)&dst);
}

/* A send naming destinations. Each destination new to this socket is
 * decided before the send goes on; a sendmmsg naming several new ones gets
 * the first decided, the others then go nowhere (as to an unreachable host)
 * until a later send names them again. */
/* The send's flags (a register: what the kernel will use). */
static unsigned send_flags(const struct seccomp_notif *n)
{
        bool i386 = n->data.arch == AUDIT_ARCH_I386;
        int nr = n->data.nr;
        bool msg = nr == (i386 ? 370 : 46);
        return (unsigned)n->data.args[msg ? 2 : 3];
}

void emp_net_send(struct emp_broker_box *box, const struct seccomp_notif *n)
{
        /* TCP Fast Open connects in the send: never through the gateway
         * (a connect is decided, and performed, only by connect). */
        if (send_flags(n) & MSG_FASTOPEN) {
                emp_broker_reply(box->listener, n->id, -EOPNOTSUPP, false);
                return;
        }
        struct name names[NAMES_MAX];
        size_t count = send_names(n, names, NAMES_MAX);
        if (count == 0) {
                emp_broker_reply(box->listener, n->id, 0, true);
                return;
        }
        int fd = (int)n->data.args[0];
        /* The fast path: one name, whose pair exists for the socket now at
         * fd (by its inode, one stat): continued at once. A socket swapped in
         * meanwhile has no pair, and the send goes nowhere. */
        if (count == 1 && fast_path(box, n, fd, &names[0])) {
                emp_broker_reply(box->listener, n->id, 0, true);
                return;
        }
        /* Only datagram sockets send to an address: a connected stream
         * socket ignores it, and the gateway puts none but TCP ones of the
         * host's in the app. */
        int sock = emp_net_app_socket_typed(box, n, fd, SOCK_DGRAM);
        if (sock < 0)
                return;
        for (size_t i = 0; i < count; i++) {
                struct emp_addr addr;
                uint16_t port;
                if (!needs_decision(box, n, sock, &names[i], &addr, &port))
                        continue;
                struct emp_broker_call *c = emp_net_call_new(box, n, EMP_CALL_UDP_SEND, fd, sock, &names[i].ss,
                                                             names[i].len, &addr, port, EMP_PROTOCOL_UDP);
                if (c)
                        emp_net_decide(box, c, &addr);
                return;
        }
        close(sock);
        emp_broker_reply(box->listener, n->id, 0, true);
}
