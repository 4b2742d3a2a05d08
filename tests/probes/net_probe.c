/* net_probe.c — runs inside a sandbox and tries the network the way apps do:
 * TCP and UDP to a destination, non-blocking connect, the app's own
 * loopback, refused families, and racing threads that rewrite the address
 * or swap the fd while a connect is trapped. Servers answer with their name,
 * so the output says who was reached. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *ename(int e)
{
        switch (e) {
        case EPERM: return "EPERM";
        case EACCES: return "EACCES";
        case ENETUNREACH: return "ENETUNREACH";
        case ECONNREFUSED: return "ECONNREFUSED";
        case EAFNOSUPPORT: return "EAFNOSUPPORT";
        case EINPROGRESS: return "EINPROGRESS";
        case ETIMEDOUT: return "ETIMEDOUT";
        case EINVAL: return "EINVAL";
        case EHOSTUNREACH: return "EHOSTUNREACH";
        case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
        case EOPNOTSUPP: return "EOPNOTSUPP";
        case EISCONN: return "EISCONN";
        default: return "E?";
        }
}

static socklen_t make_addr(const char *host, int port, struct sockaddr_storage *ss)
{
        memset(ss, 0, sizeof(*ss));
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        struct sockaddr_in6 *b = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET, host, &a->sin_addr) == 1) {
                a->sin_family = AF_INET;
                a->sin_port = htons((uint16_t)port);
                return sizeof(*a);
        }
        if (inet_pton(AF_INET6, host, &b->sin6_addr) == 1) {
                b->sin6_family = AF_INET6;
                b->sin6_port = htons((uint16_t)port);
                return sizeof(*b);
        }
        fprintf(stderr, "bad address %s\n", host);
        exit(2);
}

/* Send "ping\n", print the first line of the answer. */
static int exchange(int s)
{
        char buf[128];
        if (send(s, "ping\n", 5, 0) != 5) {
                printf("err:send:%s\n", ename(errno));
                return 1;
        }
        ssize_t n = recv(s, buf, sizeof(buf) - 1, 0);
        if (n <= 0) {
                printf("err:recv:%s\n", n < 0 ? ename(errno) : "EOF");
                return 1;
        }
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        printf("ok:%s\n", buf);
        return 0;
}

static int do_connect(const char *host, int port, int type, int family, bool nonblock)
{
        struct sockaddr_storage ss;
        socklen_t len = make_addr(host, port, &ss);
        int s = socket(family ? family : ss.ss_family, type | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
        if (s < 0) {
                printf("err:socket:%s\n", ename(errno));
                return 0;
        }
        if (connect(s, (struct sockaddr *)&ss, len) < 0) {
                if (!(nonblock && errno == EINPROGRESS)) {
                        printf("err:%s\n", ename(errno));
                        return 0;
                }
                printf("inprogress\n");
                struct pollfd p = {.fd = s, .events = POLLOUT};
                poll(&p, 1, 10000);
                int soerr = 0;
                socklen_t sl = sizeof(soerr);
                getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &sl);
                if (soerr) {
                        printf("err:%s\n", ename(soerr));
                        return 0;
                }
        } else if (nonblock) {
                printf("immediate\n");
        }
        fcntl(s, F_SETFL, fcntl(s, F_GETFL) & ~O_NONBLOCK);
        exchange(s);
        close(s);
        return 0;
}

static int do_own_loopback(void)
{
        int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(a);
        if (bind(srv, (struct sockaddr *)&a, len) < 0 || listen(srv, 4) < 0 ||
            getsockname(srv, (struct sockaddr *)&a, &len) < 0) {
                printf("err:listen:%s\n", ename(errno));
                return 0;
        }
        int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(c, (struct sockaddr *)&a, len) < 0) {
                printf("err:%s\n", ename(errno));
                return 0;
        }
        int s = accept(srv, NULL, NULL);
        write(s, "self\n", 5);
        char buf[16] = {0};
        ssize_t n = read(c, buf, sizeof(buf) - 1);
        printf(n > 0 && strncmp(buf, "self", 4) == 0 ? "ok:self\n" : "err:read\n");
        return 0;
}

static int do_families(void)
{
        static const struct {
                int family;
                const char *name;
        } f[] = {{AF_PACKET, "packet"}, {AF_NETLINK, "netlink"}, {40 /* AF_VSOCK */, "vsock"}};
        for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
                int s = socket(f[i].family, SOCK_RAW | SOCK_CLOEXEC, 0);
                if (s < 0 && f[i].family == 40)
                        s = socket(f[i].family, SOCK_STREAM | SOCK_CLOEXEC, 0);
                printf("%s=%s\n", f[i].name, s >= 0 ? "ok" : ename(errno));
                if (s >= 0)
                        close(s);
        }
        return 0;
}

/* N datagrams with sendto() on an unconnected socket, each answered. */
static int do_udp_to(const char *host, int port, int n)
{
        struct sockaddr_storage ss;
        socklen_t len = make_addr(host, port, &ss);
        int s = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct timeval tv = {.tv_sec = 3};
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        char name[64] = "", buf[64];
        int answered = 0;
        for (int i = 0; i < n; i++) {
                if (sendto(s, "ping\n", 5, 0, (struct sockaddr *)&ss, len) != 5) {
                        printf("err:%s\n", ename(errno));
                        return 0;
                }
                ssize_t r = recv(s, buf, sizeof(buf) - 1, 0);
                if (r <= 0)
                        continue;
                buf[r] = '\0';
                buf[strcspn(buf, "\n")] = '\0';
                snprintf(name, sizeof(name), "%s", buf);
                answered++;
        }
        printf("ok:%s x%d\n", name, answered);
        return 0;
}

/* sendmsg() on a Unix socket, passing an fd: untouched by the gateway. */
static int do_unix_msg(void)
{
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0) {
                printf("err:%s\n", ename(errno));
                return 0;
        }
        int pass = dup(1);
        char cbuf[CMSG_SPACE(sizeof(int))] = {0};
        struct iovec iov = {"fd", 2};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pass, sizeof(int));
        if (sendmsg(sv[0], &mh, 0) != 2) {
                printf("err:%s\n", ename(errno));
                return 0;
        }
        char data[8];
        struct iovec riov = {data, sizeof(data)};
        char rbuf[CMSG_SPACE(sizeof(int))];
        struct msghdr rh = {.msg_iov = &riov, .msg_iovlen = 1, .msg_control = rbuf, .msg_controllen = sizeof(rbuf)};
        ssize_t r = recvmsg(sv[1], &rh, 0);
        struct cmsghdr *rc = CMSG_FIRSTHDR(&rh);
        printf(r == 2 && rc && rc->cmsg_type == SCM_RIGHTS ? "ok:fd passed\n" : "err:recvmsg\n");
        return 0;
}

/* Connect to A, then try to re-aim the same socket: disconnect (AF_UNSPEC)
 * and connect to B. Prints each step's outcome. */
static int do_reaim(const char *a, int port, const char *b)
{
        struct sockaddr_storage sa, sb;
        socklen_t la = make_addr(a, port, &sa), lb = make_addr(b, port, &sb);
        int s = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        printf("first=%s\n", connect(s, (struct sockaddr *)&sa, la) == 0 ? "ok" : ename(errno));
        struct sockaddr unspec = {.sa_family = AF_UNSPEC};
        printf("unspec=%s\n", connect(s, &unspec, sizeof(unspec)) == 0 ? "ok" : ename(errno));
        printf("second=%s\n", connect(s, (struct sockaddr *)&sb, lb) == 0 ? "ok" : ename(errno));
        return 0;
}

/* A TCP socket listening on HOST:PORT, or -1 (and "err:..." printed). */
static int listen_on(const char *host, int port)
{
        struct sockaddr_storage ss;
        socklen_t len = make_addr(host, port, &ss);
        int s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(s, (struct sockaddr *)&ss, len) < 0 || listen(s, 4) < 0) {
                printf("err:%s\n", ename(errno));
                return -1;
        }
        return s;
}

/* Bind and listen on HOST:PORT, answer one connection with "app", exit. */
static int do_serve(const char *host, int port)
{
        int s = listen_on(host, port);
        if (s < 0)
                return 0;
        printf("listening\n");
        int c = accept(s, NULL, NULL);
        if (c < 0) {
                printf("err:accept:%s\n", ename(errno));
                return 0;
        }
        write(c, "app\n", 4);
        printf("served\n");
        close(c);
        return 0;
}

/* --- races ----------------------------------------------------------------- */
static struct sockaddr_storage race_addr, race_a, race_b;
static socklen_t race_len;
static volatile int race_stop, race_fd = -1;

static void *flip_addr(void *arg)
{
        (void)arg;
        for (unsigned i = 0; !race_stop; i++) {
                const unsigned char *src = (const unsigned char *)(i % 2 ? &race_b : &race_a);
                unsigned char *dst = (unsigned char *)&race_addr;
                for (size_t k = 0; k < race_len; k++) /* byte by byte: torn mixtures too */
                        dst[k] = src[k];
        }
        return NULL;
}

static void *swap_fd(void *arg)
{
        (void)arg;
        int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        while (!race_stop) {
                int fd = race_fd;
                if (fd >= 0)
                        dup2(udp, fd);
        }
        close(udp);
        return NULL;
}

/* N connects through a buffer another thread rewrites between A and B (and,
 * with swap, an fd another thread keeps replacing): prints who answered. */
static int do_race(const char *a, const char *b, int port, int n, bool swap)
{
        race_len = make_addr(a, port, &race_a);
        make_addr(b, port, &race_b);
        race_addr = race_a;
        pthread_t t1, t2;
        pthread_create(&t1, NULL, flip_addr, NULL);
        if (swap)
                pthread_create(&t2, NULL, swap_fd, NULL);
        int answers_a = 0, answers_b = 0, failed = 0;
        char name_a[64] = "", name_b[64] = "";
        for (int i = 0; i < n; i++) {
                int s = socket(race_a.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
                race_fd = s;
                int r = connect(s, (struct sockaddr *)&race_addr, race_len);
                race_fd = -1;
                char buf[64] = {0};
                struct timeval tv = {.tv_sec = 2};
                setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                if (r == 0 && send(s, "ping\n", 5, MSG_NOSIGNAL) == 5 && recv(s, buf, sizeof(buf) - 1, 0) > 0) {
                        buf[strcspn(buf, "\n")] = '\0';
                        if (!name_a[0] || strcmp(buf, name_a) == 0) {
                                snprintf(name_a, sizeof(name_a), "%s", buf);
                                answers_a++;
                        } else {
                                snprintf(name_b, sizeof(name_b), "%s", buf);
                                answers_b++;
                        }
                } else {
                        failed++;
                }
                close(s);
        }
        race_stop = 1;
        pthread_join(t1, NULL);
        if (swap)
                pthread_join(t2, NULL);
        printf("answered %s=%d %s=%d failed=%d\n", name_a[0] ? name_a : "-", answers_a, name_b[0] ? name_b : "-",
               answers_b, failed);
        return 0;
}

static void print_from(const struct sockaddr_storage *from)
{
        char text[INET6_ADDRSTRLEN] = "?";
        int port = 0;
        if (from->ss_family == AF_INET) {
                inet_ntop(AF_INET, &((const struct sockaddr_in *)from)->sin_addr, text, sizeof(text));
                port = ntohs(((const struct sockaddr_in *)from)->sin_port);
        } else if (from->ss_family == AF_INET6) {
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)from)->sin6_addr, text, sizeof(text));
                port = ntohs(((const struct sockaddr_in6 *)from)->sin6_port);
        }
        printf("from=%s:%d\n", text, port);
}

/* One datagram with sendmsg() naming HOST:PORT (batch > 1: sendmmsg of that
 * many), on a socket of family (0: the address's); prints the answers and
 * where the first came from. */
static int do_udp_msg(const char *host, int port, int family, int batch, int at_fd)
{
        struct sockaddr_storage ss;
        socklen_t len = make_addr(host, port, &ss);
        int s = socket(family ? family : ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (at_fd >= 0 && s != at_fd) {
                if (dup3(s, at_fd, O_CLOEXEC) < 0) {
                        printf("err:dup3:%s\n", ename(errno));
                        return 0;
                }
                close(s);
                s = at_fd;
        }
        struct timeval tv = {.tv_sec = 3};
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        struct iovec iov = {"ping\n", 5};
        struct mmsghdr m[4];
        if (batch < 1 || batch > 4)
                batch = 1;
        for (int i = 0; i < batch; i++)
                m[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &ss, .msg_namelen = len, .msg_iov = &iov,
                                                    .msg_iovlen = 1}};
        int sent = batch == 1 ? (sendmsg(s, &m[0].msg_hdr, 0) == 5 ? 1 : -1) : sendmmsg(s, m, (unsigned)batch, 0);
        if (sent < 0) {
                printf("err:%s\n", ename(errno));
                return 0;
        }
        int answered = 0;
        char name[64] = "";
        struct sockaddr_storage from = {0};
        for (int i = 0; i < sent; i++) {
                char buf[64];
                struct sockaddr_storage f;
                socklen_t fl = sizeof(f);
                ssize_t r = recvfrom(s, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&f, &fl);
                if (r <= 0)
                        break;
                buf[r] = '\0';
                buf[strcspn(buf, "\n")] = '\0';
                snprintf(name, sizeof(name), "%s", buf);
                if (!answered)
                        from = f;
                answered++;
        }
        printf("ok:%s x%d\n", name, answered);
        if (answered)
                print_from(&from);
        return 0;
}

/* Connected UDP: connect, then report the peer the kernel holds. */
static int do_udp_peer(const char *host, int port, int family)
{
        struct sockaddr_storage ss, peer = {0};
        socklen_t len = make_addr(host, port, &ss), pl = sizeof(peer);
        int s = socket(family ? family : ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct timeval tv = {.tv_sec = 3};
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (connect(s, (struct sockaddr *)&ss, len) < 0) {
                printf("err:%s\n", ename(errno));
                return 0;
        }
        getpeername(s, (struct sockaddr *)&peer, &pl);
        exchange(s);
        print_from(&peer);
        return 0;
}


/* N unconnected sends through a buffer another thread rewrites between A
 * and B; prints which servers answered within a second after. */
static int do_race_udp(const char *a, const char *b, int port, int n)
{
        race_len = make_addr(a, port, &race_a);
        make_addr(b, port, &race_b);
        race_addr = race_a;
        int s = socket(race_a.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        pthread_t t;
        pthread_create(&t, NULL, flip_addr, NULL);
        int refused = 0;
        for (int i = 0; i < n; i++)
                if (sendto(s, "ping\n", 5, 0, (struct sockaddr *)&race_addr, race_len) < 0)
                        refused++;
        race_stop = 1;
        pthread_join(t, NULL);
        struct timeval tv = {.tv_sec = 1};
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        char names[2][64] = {"", ""};
        int counts[2] = {0, 0};
        char buf[64];
        ssize_t r;
        while ((r = recv(s, buf, sizeof(buf) - 1, 0)) > 0) {
                buf[r] = '\0';
                buf[strcspn(buf, "\n")] = '\0';
                int k = !names[0][0] || strcmp(names[0], buf) == 0 ? 0 : 1;
                snprintf(names[k], sizeof(names[k]), "%s", buf);
                counts[k]++;
        }
        printf("answered %s=%s refused=%s\n", names[0][0] ? names[0] : "-", counts[0] ? "some" : "0",
               refused ? "some" : "0");
        if (names[1][0])
                printf("ALSO answered %s=%d\n", names[1], counts[1]);
        return 0;
}

/* The same connect (and exchange) from a thread other than the main one:
 * the gateway must find the socket through the thread's id. */
struct thread_call {
        const char *host;
        int port, type;
};

static void *connect_thread(void *arg)
{
        struct thread_call *t = arg;
        do_connect(t->host, t->port, t->type, 0, false);
        return NULL;
}

static int do_thread(const char *host, int port, int type)
{
        struct thread_call t = {host, port, type};
        pthread_t th;
        if (pthread_create(&th, NULL, connect_thread, &t) != 0) {
                printf("err:pthread\n");
                return 0;
        }
        pthread_join(th, NULL);
        return 0;
}

/* Serve on HOST:PORT, shut the listener's read side down, then try to aim
 * it at D:DPORT (connect, TCP Fast Open); prints each step and whether it
 * still listens. */
static int do_listen_escape(const char *host, int port, const char *dhost, int dport)
{
        struct sockaddr_storage ds;
        socklen_t dlen = make_addr(dhost, dport, &ds);
        int s = listen_on(host, port);
        if (s < 0)
                return 0;
        printf("shutdown=%s\n", shutdown(s, SHUT_RD) == 0 ? "ok" : ename(errno));
        printf("connect=%s\n", connect(s, (struct sockaddr *)&ds, dlen) == 0 ? "ok" : ename(errno));
        printf("fastopen=%s\n",
               sendto(s, "x\n", 2, MSG_FASTOPEN, (struct sockaddr *)&ds, dlen) >= 0 ? "ok" : ename(errno));
        int acc = 0;
        socklen_t al = sizeof(acc);
        getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &acc, &al);
        printf("listening=%s\n", acc ? "yes" : "no");
        return 0;
}

int main(int argc, char **argv)
{
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (argc == 4 && strcmp(argv[1], "tcp") == 0)
                return do_connect(argv[2], atoi(argv[3]), SOCK_STREAM, 0, false);
        if (argc == 4 && strcmp(argv[1], "tcp6") == 0)
                return do_connect(argv[2], atoi(argv[3]), SOCK_STREAM, AF_INET6, false);
        if (argc == 4 && strcmp(argv[1], "tcp-nonblock") == 0)
                return do_connect(argv[2], atoi(argv[3]), SOCK_STREAM, 0, true);
        if (argc == 4 && strcmp(argv[1], "udp") == 0)
                return do_connect(argv[2], atoi(argv[3]), SOCK_DGRAM, 0, false);
        if (argc == 5 && strcmp(argv[1], "udp-to") == 0)
                return do_udp_to(argv[2], atoi(argv[3]), atoi(argv[4]));
        if (argc == 6 && strcmp(argv[1], "listen-escape") == 0)
                return do_listen_escape(argv[2], atoi(argv[3]), argv[4], atoi(argv[5]));
        if (argc == 4 && strcmp(argv[1], "tcp-thread") == 0)
                return do_thread(argv[2], atoi(argv[3]), SOCK_STREAM);
        if (argc == 4 && strcmp(argv[1], "udp-thread") == 0)
                return do_thread(argv[2], atoi(argv[3]), SOCK_DGRAM);
        if (argc == 4 && strcmp(argv[1], "udp6") == 0)
                return do_udp_peer(argv[2], atoi(argv[3]), AF_INET6);
        if (argc == 4 && strcmp(argv[1], "udp-peer") == 0)
                return do_udp_peer(argv[2], atoi(argv[3]), 0);
        if (argc == 4 && strcmp(argv[1], "udp-msg") == 0)
                return do_udp_msg(argv[2], atoi(argv[3]), 0, 1, -1);
        if (argc == 5 && strcmp(argv[1], "udp-msg-at") == 0)
                return do_udp_msg(argv[3], atoi(argv[4]), 0, 1, atoi(argv[2]));
        if (argc == 4 && strcmp(argv[1], "udp6-msg") == 0)
                return do_udp_msg(argv[2], atoi(argv[3]), AF_INET6, 1, -1);
        if (argc == 4 && strcmp(argv[1], "udp-mmsg") == 0)
                return do_udp_msg(argv[2], atoi(argv[3]), 0, 3, -1);
        if (argc == 6 && strcmp(argv[1], "race-udp") == 0)
                return do_race_udp(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
        if (argc == 5 && strcmp(argv[1], "reaim") == 0)
                return do_reaim(argv[2], atoi(argv[3]), argv[4]);
        if (argc == 2 && strcmp(argv[1], "unix-msg") == 0)
                return do_unix_msg();
        if (argc == 4 && strcmp(argv[1], "serve") == 0)
                return do_serve(argv[2], atoi(argv[3]));
        if (argc == 2 && strcmp(argv[1], "own-loopback") == 0)
                return do_own_loopback();
        if (argc == 2 && strcmp(argv[1], "families") == 0)
                return do_families();
        if (argc == 6 && strcmp(argv[1], "race-addr") == 0)
                return do_race(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]), false);
        if (argc == 6 && strcmp(argv[1], "race-swap") == 0)
                return do_race(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]), true);
        fprintf(stderr, "usage: net_probe tcp|tcp6|tcp-nonblock|udp HOST PORT | own-loopback | families |\n"
                        "       tcp-thread|udp-thread|udp6|udp-peer|udp-msg|udp6-msg|udp-mmsg HOST PORT | udp-msg-at FD HOST PORT |\n"
                        "       race-addr|race-swap|race-udp A B PORT N\n");
        return 2;
}
