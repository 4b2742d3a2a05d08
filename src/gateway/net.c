/* net.c — the network gateway's connect (DESIGN.md §5, §6). The app's
 * network namespace has only its own loopback; a trapped connect is decided
 * here per destination and, when allowed, performed by empyrad on a socket of
 * its own (host) namespace that then takes the app's fd number
 * (SECCOMP_IOCTL_NOTIF_ADDFD with SETFD): the data path afterwards is the
 * kernel's own. Nothing is ever continued for a destination outside the
 * app's namespace, so a swapped address or fd changes nothing. */
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/audit.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <linux/openat2.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>

#include "broker_internal.h"
#include "broker_path.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "daemon.h"
#include "manifest/manifest.h"
#include "net_internal.h"
#include "prompts.h"

/* How long empyrad waits for a blocking connect it performs (the app's
 * thread waits as long, as it would on its own). */
#define CONNECT_TIMEOUT_MS 30000

/* socks5://HOST:PORT: the proxy's address (a name is looked up once, here). */
static int proxy_setup(struct emp_broker_box *box, const char *spec, struct emp_error *err)
{
        char host[300];
        const char *hp = spec + strlen("socks5://");
        const char *colon = strrchr(hp, ':');
        if (!colon || (size_t)(colon - hp) >= sizeof(host))
                return emp_error_set(err, -EINVAL, "bad provider %s", spec);
        memcpy(host, hp, (size_t)(colon - hp));
        host[colon - hp] = '\0';
        char *h = host;
        if (h[0] == '[' && h[strlen(h) - 1] == ']') {
                h[strlen(h) - 1] = '\0';
                h++;
        }
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
        int gai = getaddrinfo(h, colon + 1, &hints, &res);
        if (gai != 0 || !res)
                return emp_error_set(err, -EINVAL, "provider %s: %s", spec, gai_strerror(gai));
        memcpy(&box->proxy, res->ai_addr, res->ai_addrlen);
        box->proxy_len = res->ai_addrlen;
        freeaddrinfo(res);
        box->socks5 = true;
        return 0;
}

/* What the manifest requests now, against what it requested at the app's
 * last gateway launch ($XDG_STATE_HOME/empyra/manifests/ID.json): each
 * newly requested permission becomes a MANIFEST-source "ask" rule in the
 * store, which ties with the manifest's own allow, so the user is asked
 * (DESIGN.md §6). The first launch records the list and asks nothing: the
 * user installed that manifest as it is. Lock held. */
static void manifest_changes(struct emp_broker_box *box, const struct emp_manifest *m)
{
        struct emp_daemon *d = box->d;
        char **now = NULL, **added = NULL;
        struct emp_error e = {0};
        if (emp_policy_manifest_requests(m, &now, &e) < 0)
                return;
        char dir[PATH_MAX], path[PATH_MAX + 320], name[300];
        snprintf(dir, sizeof(dir), "%s/manifests", d->dirs.state);
        snprintf(name, sizeof(name), "%s.json", box->app_id);
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        json_t *old = emp_read_file(path, 1 << 20, &text, &len) == 0 ? json_loadb(text, len, 0, NULL) : NULL;
        if (json_is_array(old)) {
                size_t n = json_array_size(old), i;
                char **before = calloc(n + 1, sizeof(char *));
                json_t *v;
                json_array_foreach(old, i, v) if (before && json_is_string(v)) before[i] = (char *)json_string_value(v);
                struct emp_policy *p = NULL;
                if (before && emp_policy_manifest_changed(before, now, &added, &e) == 0 && added[0] &&
                    emp_policy_store_get(&d->store, box->app_id, &p) == 0) {
                        for (size_t k = 0; added[k]; k++) {
                                struct emp_audit_record rec = {.app = box->app_id, .instance = box->instance,
                                                               .permission = added[k], .decision = "ask",
                                                               .source = "manifest-changed"};
                                if (emp_audit_append(d->audit, &rec, NULL) == 0)
                                        emp_policy_set(p, added[k], EMP_DECISION_ASK, EMP_SOURCE_MANIFEST,
                                                       EMP_SCOPE_ALWAYS, 0, NULL);
                        }
                        emp_policy_store_save(d->dirs.config, &d->store, NULL);
                }
                free(before);
        }
        json_decref(old);
        json_t *list = json_array();
        for (size_t i = 0; now[i]; i++)
                json_array_append_new(list, json_string(now[i]));
        _cleanup_free_ char *out = json_dumps(list, JSON_COMPACT);
        json_decref(list);
        _cleanup_close_ int dfd = -1;
        if (out && emp_mkdir_p(dir, 0700) == 0 && (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
                emp_replace_file_at(dfd, name, out, strlen(out), 0600);
        emp_strv_free(now);
        emp_strv_free(added);
}

int emp_net_box_setup(struct emp_broker_box *box, bool network, const char *provider, char **rules,
                      struct emp_error *err)
{
        box->network = network;
        box->provider_none = provider && strcmp(provider, "none") == 0;
        if (provider && strncmp(provider, "socks5://", 9) == 0) {
                int r = proxy_setup(box, provider, err);
                if (r < 0)
                        return r;
        }
        if (!network)
                return 0;
        struct emp_manifest m;
        emp_manifest_init(&m);
        m.shared = EMP_SHARE_NETWORK;
        m.net_rules = rules; /* borrowed: these only read */
        int r = rules && rules[0] ? emp_policy_add_manifest(&box->manifest, &m, err) : 0;
        if (r == 0)
                manifest_changes(box, &m);
        m.net_rules = NULL;
        emp_manifest_free(&m);
        return r;
}

void emp_net_box_free(struct emp_broker_box *box)
{
        emp_policy_free(&box->manifest);
        free(box->names);
}

/* The host's nameservers (resolv.conf, read once): DNS to them on port 53
 * is how names work until the gateway has a resolver of its own. */
static struct emp_addr nameservers[8];
static size_t n_nameservers;
static pthread_once_t nameservers_once = PTHREAD_ONCE_INIT;

static void load_nameservers(void)
{
        FILE *f = fopen("/etc/resolv.conf", "re");
        char line[256], addr[64];
        while (f && fgets(line, sizeof(line), f) && n_nameservers < ARRAY_SIZE(nameservers))
                if (sscanf(line, " nameserver %63s", addr) == 1 &&
                    emp_addr_parse(addr, &nameservers[n_nameservers]) == 0)
                        n_nameservers++;
        if (f)
                fclose(f);
}

static bool is_nameserver(const struct emp_addr *a, uint16_t port)
{
        pthread_once(&nameservers_once, load_nameservers);
        for (size_t i = 0; port == 53 && i < n_nameservers; i++)
                if (nameservers[i].family == a->family && memcmp(nameservers[i].bytes, a->bytes, 16) == 0)
                        return true;
        return false;
}

static bool app_serves_proc(pid_t pid, int type, uint16_t port);
/* Whether a connection to addr:port would find a socket in the app's
 * namespace: one socket-diagnostics lookup (no dump: the kernel looks the
 * 4-tuple up as if a packet from the same address arrived), through a socket
 * of that namespace. 1 found, 0 not, -errno. */
static int diag_lookup(int diag, const struct emp_addr *addr, int proto, uint16_t port)
{
        struct {
                struct nlmsghdr nlh;
                struct inet_diag_req_v2 r;
        } req = {
                .nlh = {.nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY, .nlmsg_flags = NLM_F_REQUEST},
                .r = {.sdiag_family = (uint8_t)addr->family, .sdiag_protocol = (uint8_t)proto, .idiag_states = ~0u,
                      .id = {.idiag_cookie = {INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE}}},
        };
        /* TCP looks the socket up at src:sport, UDP at dst:dport (the kernel's
         * tcp and udp diag order their lookups differently). */
        bool tcp = proto == IPPROTO_TCP;
        req.r.id.idiag_sport = htons(tcp ? port : 1);
        req.r.id.idiag_dport = htons(tcp ? 1 : port);
        memcpy(req.r.id.idiag_src, addr->bytes, addr->family == AF_INET ? 4 : 16);
        memcpy(req.r.id.idiag_dst, addr->bytes, addr->family == AF_INET ? 4 : 16);
        /* One thread asks at a time (the box's broker thread), but a reply
         * left over from an interrupted lookup must not answer this one. */
        static _Thread_local uint32_t seq;
        req.nlh.nlmsg_seq = ++seq;
        if (send(diag, &req, sizeof(req), 0) != (ssize_t)sizeof(req))
                return -errno;
        char buf[4096] __attribute__((aligned(4)));
        const struct nlmsghdr *h;
        ssize_t n;
        do {
                n = recv(diag, buf, sizeof(buf), 0);
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                h = (const struct nlmsghdr *)buf;
                if (!NLMSG_OK(h, (size_t)n))
                        return -EIO;
        } while (h->nlmsg_seq != req.nlh.nlmsg_seq);
        if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY)
                return 1;
        if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
                int e = ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
                return e == -ENOENT ? 0 : e < 0 ? e : -EIO;
        }
        return -EIO;
}

/* Whether a socket of the app's own namespace listens (TCP) or is bound
 * (UDP) at addr:port: then a loopback connect is the app talking to itself
 * and the kernel alone handles it. Asked of the kernel's socket diagnostics
 * through a socket of that namespace; without one, /proc/PID/net (which
 * walks the host's whole table: milliseconds). */
bool emp_net_app_serves(const struct emp_broker_box *box, pid_t pid, int type, const struct emp_addr *addr,
                       uint16_t port)
{
        if (box->diag_fd >= 0) {
                int proto = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
                int r = diag_lookup(box->diag_fd, addr, proto, port);
                /* (An IPv4 lookup also finds a dual-stack socket on [::].) */
                if (r >= 0)
                        return r > 0;
        }
        return app_serves_proc(pid, type, port);
}

static bool app_serves_proc(pid_t pid, int type, uint16_t port)
{
        static const char *const tcp[] = {"tcp", "tcp6"}, *const udp[] = {"udp", "udp6"};
        const char *const *files = type == SOCK_STREAM ? tcp : udp;
        unsigned want = type == SOCK_STREAM ? 0x0A : 0x07; /* LISTEN / unconnected */
        for (size_t i = 0; i < 2; i++) {
                char path[64], line[512];
                snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid, files[i]);
                FILE *f = fopen(path, "re");
                if (!f)
                        continue;
                bool found = false;
                while (!found && fgets(line, sizeof(line), f)) {
                        unsigned lport, state;
                        if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", &lport, &state) == 2)
                                found = lport == port && state == want;
                }
                fclose(f);
                if (found)
                        return true;
        }
        return false;
}

int emp_net_read_mem(pid_t pid, uint64_t addr, void *buf, size_t len)
{
        struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
        return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

/* A pidfd for the trapped task: n->pid is a thread id, and any thread of an
 * app may trap (a game's network thread), not only the leader. */
static int task_pidfd(pid_t tid, bool *ret_exact)
{
        *ret_exact = true;
        /* A thread that does not lead its group: ENOENT (older kernels
         * said EINVAL). */
        int fd = (int)syscall(SYS_pidfd_open, tid, 0);
        if (fd < 0 && (errno == ENOENT || errno == EINVAL))
                fd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
        if (fd < 0 && (errno == ENOENT || errno == EINVAL)) {
                /* The process's pidfd: it outlives this thread, so it must
                 * not be kept under the thread's id. */
                *ret_exact = false;
                /* The thread group, from /proc/TID/status (kernels before
                 * 6.9, which have no PIDFD_THREAD). */
                long tgid = 0;
                fd = emp_proc_status_field(tid, "Tgid", 10, &tgid) == 0 && tgid > 0
                             ? (int)syscall(SYS_pidfd_open, (pid_t)tgid, 0)
                             : (errno = ESRCH, -1);
        }
        return fd < 0 ? -errno : fd;
}

/* Our duplicate of the app's fd (pidfd_getfd), checked against the
 * notification so a reused pid cannot hand us someone else's socket. The
 * last task's pidfd is kept (broker thread only): a task that has gone
 * makes pidfd_getfd fail, and a fresh pidfd is tried. */
int emp_net_app_socket(struct emp_broker_box *box, const struct seccomp_notif *n, int fd)
{
        bool cached = box->pidfd >= 0 && box->pidfd_tid == (pid_t)n->pid;
        for (int attempt = 0; attempt < 2; attempt++) {
                bool exact = true;
                if (!cached) {
                        int pidfd = task_pidfd((pid_t)n->pid, &exact);
                        if (pidfd < 0)
                                return pidfd;
                        if (box->pidfd >= 0)
                                close(box->pidfd);
                        box->pidfd = pidfd;
                        box->pidfd_tid = (pid_t)n->pid;
                }
                /* The pid named the trapped task when the pidfd was opened
                 * if the notification is still pending now. */
                int dup = emp_broker_id_valid(box->listener, n->id)
                                  ? (int)syscall(SYS_pidfd_getfd, box->pidfd, fd, 0)
                                  : (errno = ESRCH, -1);
                int e = errno;
                if (!exact) {
                        close(box->pidfd);
                        box->pidfd = -1;
                }
                if (dup >= 0)
                        return dup;
                errno = e;
                if (errno != ESRCH || !cached)
                        return -errno;
                cached = false;
        }
        return -ESRCH;
}

int emp_net_app_socket_typed(struct emp_broker_box *box, const struct seccomp_notif *n, int fd, int type)
{
        int sock = emp_net_app_socket(box, n, fd);
        if (sock < 0) {
                emp_broker_reply(box->listener, n->id, sock == -ESRCH ? -ESRCH : 0, sock != -ESRCH);
                return -1;
        }
        if (emp_net_sock_int(sock, SOL_SOCKET, SO_TYPE) != type) {
                close(sock);
                emp_broker_reply(box->listener, n->id, 0, true);
                return -1;
        }
        return sock;
}

int emp_net_sock_int(int fd, int level, int name)
{
        int v = 0;
        socklen_t len = sizeof(v);
        return getsockopt(fd, level, name, &v, &len) < 0 ? -1 : v;
}

/* The options an app sets before connecting that change what it gets. Only
 * TCP sockets are mirrored (UDP keeps the app's own socket), and not their buffer sizes:
 * set explicitly, they switch off the kernel's autotuning, and what the app's
 * socket reports are only its namespace's defaults (16 KiB to send: 0.1% of
 * loopback throughput). */
static void copy_options(int from, int to, int domain, int type)
{
        static const struct {
                int level, name;
        } opts[] = {
                {SOL_SOCKET, SO_KEEPALIVE}, {SOL_SOCKET, SO_REUSEADDR}, {SOL_SOCKET, SO_PRIORITY},
        };
        for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
                int v = emp_net_sock_int(from, opts[i].level, opts[i].name);
                if (v > 0)
                        setsockopt(to, opts[i].level, opts[i].name, &v, sizeof(v));
        }
        if (type == SOCK_STREAM) {
                int v = emp_net_sock_int(from, IPPROTO_TCP, TCP_NODELAY);
                if (v > 0)
                        setsockopt(to, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v));
        }
        if (domain == AF_INET6) {
                int v = emp_net_sock_int(from, IPPROTO_IPV6, IPV6_V6ONLY);
                if (v >= 0)
                        setsockopt(to, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v));
        }
}

/* FD_CLOEXEC of the app's fd, from /proc/PID/fdinfo (the kernel's word):
 * one open, one read (the "flags:" line is the second). */
static unsigned app_fd_cloexec(pid_t pid, int fd)
{
        char path[64], buf[256];
        snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
        int f = open(path, O_RDONLY | O_CLOEXEC);
        if (f < 0)
                return 0;
        ssize_t n = read(f, buf, sizeof(buf) - 1);
        close(f);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        const char *line = strstr(buf, "flags:");
        unsigned flags = 0;
        if (line && sscanf(line, "flags: %o", &flags) != 1)
                flags = 0;
        return flags & O_CLOEXEC;
}

static int io_all(int s, void *buf, size_t len, bool out)
{
        for (size_t done = 0; done < len;) {
                ssize_t n = out ? send(s, (char *)buf + done, len - done, MSG_NOSIGNAL)
                                : recv(s, (char *)buf + done, len - done, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -ECONNRESET;
                done += (size_t)n;
        }
        return 0;
}

/* A SOCKS5 reply code as the errno a direct connect would have given. */
static int socks5_errno(uint8_t rep)
{
        switch (rep) {
        case 2: return -EPERM;        /* not allowed by the proxy's ruleset */
        case 3: return -ENETUNREACH;
        case 4: return -EHOSTUNREACH;
        case 6: return -ETIMEDOUT;    /* TTL expired */
        default: return -ECONNREFUSED;
        }
}

/* Connect to the proxy and ask it (RFC 1928, no authentication) for the
 * destination: by name when the app asked for one, so the proxy resolves it
 * (no DNS leaves from here). Returns the connected socket or -errno. */
static int socks5_connect(const struct emp_broker_box *box, const struct emp_broker_call *c)
{
        int s = socket(box->proxy.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return -errno;
        struct timeval tv = {.tv_sec = CONNECT_TIMEOUT_MS / 1000};
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        uint8_t buf[300];
        size_t n = 0;
        int r = connect(s, (const struct sockaddr *)&box->proxy, box->proxy_len) < 0 ? -ECONNREFUSED : 0;
        if (r == 0 && (r = io_all(s, (uint8_t[]){5, 1, 0}, 3, true)) == 0 && (r = io_all(s, buf, 2, false)) == 0 &&
            (buf[0] != 5 || buf[1] != 0))
                r = -ECONNREFUSED; /* the proxy wants authentication we do not have */
        if (r == 0) {
                buf[n++] = 5;
                buf[n++] = 1;
                buf[n++] = 0;
                const struct sockaddr_in *v4 = (const struct sockaddr_in *)&c->addr;
                const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&c->addr;
                if (c->name[0]) {
                        size_t l = strlen(c->name);
                        buf[n++] = 3;
                        buf[n++] = (uint8_t)l;
                        memcpy(buf + n, c->name, l);
                        n += l;
                } else if (c->addr.ss_family == AF_INET) {
                        buf[n++] = 1;
                        memcpy(buf + n, &v4->sin_addr, 4);
                        n += 4;
                } else {
                        buf[n++] = 4;
                        memcpy(buf + n, &v6->sin6_addr, 16);
                        n += 16;
                }
                buf[n++] = (uint8_t)(c->port >> 8);
                buf[n++] = (uint8_t)c->port;
                r = io_all(s, buf, n, true);
        }
        if (r == 0 && (r = io_all(s, buf, 4, false)) == 0 && (buf[0] != 5 || buf[1] != 0))
                r = buf[0] != 5 ? -ECONNREFUSED : socks5_errno(buf[1]);
        if (r == 0) {
                /* The bound address the proxy reports: read and ignore. */
                size_t rest = buf[3] == 1 ? 4 + 2 : buf[3] == 4 ? 16 + 2 : 0;
                if (buf[3] == 3 && (r = io_all(s, buf, 1, false)) == 0)
                        rest = (size_t)buf[0] + 2;
                if (r == 0 && (rest == 0 || (r = io_all(s, buf, rest, false)) < 0))
                        r = r < 0 ? r : -ECONNREFUSED;
        }
        if (r < 0) {
                close(s);
                return r;
        }
        struct timeval none = {0};
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
        setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof(none));
        return s;
}

/* Put our socket s in place of the app's fd once its connection is
 * established, and answer with connect's result. Only established (or, for
 * a granted port, listening) TCP sockets ever reach the app from here: on
 * those no socket call can change where they lead, so nothing another
 * thread swaps in at the app's fd can escape (see net_connect). A
 * non-blocking connect therefore gets 0 once established, never EINPROGRESS. */
/* A connect again on a socket whose non-blocking connect is under way:
 * 0 once established (which also settles the socket's state, connecting →
 * connected, so a later connect says EISCONN as on any connected socket),
 * -EALREADY while the handshake goes on, or why it failed. */
static int connect_again(const struct emp_broker_call *c, int s)
{
        if (connect(s, (struct sockaddr *)&c->addr, c->addrlen) == 0 || errno == EISCONN)
                return 0;
        return -errno;
}

/* Wait for the connect on s if needed, put s at the app's fd and answer.
 * Takes s: our copy is closed before the answer, so that when the app
 * closes its connection (at once, say) the kernel's work on the last close
 * is the app's, as natively, not done by empyrad after the answer. */
static void finish_connect(struct emp_broker_call *c, int s, int result, bool nonblock)
{
        if (result == -EINPROGRESS || result == -EALREADY) {
                struct pollfd p = {.fd = s, .events = POLLOUT};
                int n = poll(&p, 1, CONNECT_TIMEOUT_MS);
                result = n == 0 ? -ETIMEDOUT : n < 0 ? -errno : connect_again(c, s);
                if (result == -EALREADY)
                        result = -ETIMEDOUT;
        }
        if (result == 0) {
                /* Ours was made O_NONBLOCK; the app's may not be. */
                fcntl(s, F_SETFL, nonblock ? O_NONBLOCK : 0);
                struct seccomp_notif_addfd a = {.id = c->notif_id, .flags = SECCOMP_ADDFD_FLAG_SETFD,
                                                .srcfd = (uint32_t)s, .newfd = (uint32_t)c->app_fd,
                                                .newfd_flags = app_fd_cloexec(c->pid, c->app_fd)};
                if (ioctl(c->box->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a) < 0)
                        result = -errno;
        }
        close(s);
        emp_broker_reply(c->box->listener, c->notif_id, result, false);
}

static bool app_nonblocking(const struct emp_broker_call *c)
{
        int fl = fcntl(c->sock, F_GETFL);
        return fl >= 0 && (fl & O_NONBLOCK);
}

/* Start a direct connect on a socket of ours like the app's (non-blocking,
 * whatever the app's is). Returns connect's result; *ret_sock is the socket
 * (or -1 when it could not be made). */
static int start_connect(const struct emp_broker_call *c, int *ret_sock)
{
        /* Only stream sockets get here (UDP keeps the app's own socket). */
        int domain = emp_net_sock_int(c->sock, SOL_SOCKET, SO_DOMAIN);
        int s = socket(domain, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                       emp_net_sock_int(c->sock, SOL_SOCKET, SO_PROTOCOL));
        *ret_sock = s;
        if (s < 0)
                return -errno;
        copy_options(c->sock, s, domain, SOCK_STREAM);
        return connect(s, (struct sockaddr *)&c->addr, c->addrlen) < 0 ? -errno : 0;
}

static int local_connect(struct emp_broker_call *c);

/* Connect a socket of ours like the app's and put it in place of the app's
 * fd; then answer the call with what connect said. Through a SOCKS5 proxy
 * the handshake is finished first. A local connect (in the app's own
 * namespace) is made on our copy of the app's socket itself. */
static void perform(struct emp_broker_call *c)
{
        if (c->local) {
                emp_broker_reply(c->box->listener, c->notif_id, local_connect(c), false);
                return;
        }
        bool nonblock = app_nonblocking(c);
        int s = TAKE_FD(c->pending_sock);
        if (s >= 0) {
                finish_connect(c, s, -EINPROGRESS, nonblock); /* started by perform_now */
                return;
        }
        if (c->box->socks5) {
                s = socks5_connect(c->box, c);
                if (s < 0) {
                        emp_broker_reply(c->box->listener, c->notif_id, s, false);
                        return;
                }
                copy_options(c->sock, s, emp_net_sock_int(c->sock, SOL_SOCKET, SO_DOMAIN), SOCK_STREAM);
                finish_connect(c, s, 0, nonblock);
                return;
        }
        int result = start_connect(c, &s);
        if (s < 0) {
                emp_broker_reply(c->box->listener, c->notif_id, result, false);
                return;
        }
        finish_connect(c, s, result, nonblock);
}

/* The call, when it needs no waiting: true when answered. A connect still
 * in progress after a millisecond keeps its socket for a thread. */
static bool perform_now(struct emp_broker_call *c)
{
        if (c->local) {
                /* Our copy shares the app's O_NONBLOCK: a blocking one may
                 * wait (a full backlog), so it goes to a thread. */
                if (!app_nonblocking(c))
                        return false;
                perform(c);
                return true;
        }
        bool nonblock = app_nonblocking(c);
        int s = -1;
        int result = start_connect(c, &s);
        if (s < 0) {
                emp_broker_reply(c->box->listener, c->notif_id, result, false);
                return true;
        }
        /* A loopback handshake is usually over when connect returns; LAN
         * ones finish within a millisecond: wait that long here before
         * paying for a thread. */
        if (result == -EINPROGRESS)
                result = connect_again(c, s);
        if (result == -EALREADY) {
                struct pollfd p = {.fd = s, .events = POLLOUT};
                if (poll(&p, 1, 1) != 1) {
                        c->pending_sock = s;
                        return false;
                }
                result = connect_again(c, s);
        }
        finish_connect(c, s, result, nonblock);
        return true;
}

void emp_net_call_free(struct emp_broker_call *c)
{
        if (c->sock >= 0)
                close(c->sock);
        if (c->pending_sock >= 0)
                close(c->pending_sock);
        free(c->host_path);
        emp_broker_box_unref(c->box);
        free(c);
}

static void *perform_thread(void *arg)
{
        struct emp_broker_call *c = arg;
        perform(c);
        emp_net_call_free(c);
        return NULL;
}

/* A blocking connect can take long: it gets a thread of its own so the
 * sandbox's other trapped calls go on meanwhile. Most finish at once
 * (loopback, a refusal): those are tried here first, without a thread. */
static void perform_async(struct emp_broker_call *c)
{
        if (!c->box->socks5 && perform_now(c)) {
                emp_net_call_free(c);
                return;
        }
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&at, 128 * 1024);
        bool threaded = pthread_create(&t, &at, perform_thread, c) == 0;
        pthread_attr_destroy(&at);
        if (!threaded) {
                perform(c);
                emp_net_call_free(c);
        }
}

/* Serve on the host: a socket of ours bound where the app asked (the host's
 * loopback or every interface), in place of the app's fd; its listen()
 * then runs natively on it. */
static void perform_bind(struct emp_broker_call *c)
{
        int domain = emp_net_sock_int(c->sock, SOL_SOCKET, SO_DOMAIN);
        int type = emp_net_sock_int(c->sock, SOL_SOCKET, SO_TYPE);
        int proto = emp_net_sock_int(c->sock, SOL_SOCKET, SO_PROTOCOL);
        int fl = fcntl(c->sock, F_GETFL);
        int result = 0;
        _cleanup_close_ int s = socket(domain, type | SOCK_CLOEXEC | (fl >= 0 && (fl & O_NONBLOCK) ? SOCK_NONBLOCK : 0),
                                       proto);
        if (s < 0)
                result = -errno;
        if (result == 0) {
                copy_options(c->sock, s, domain, type);
                /* Listening before the app holds it: a bound, unconnected TCP
                 * socket of the host's could still be connected anywhere. */
                if (bind(s, (struct sockaddr *)&c->addr, c->addrlen) < 0 || listen(s, SOMAXCONN) < 0)
                        result = -errno;
        }
        if (result == 0) {
                struct seccomp_notif_addfd a = {.id = c->notif_id, .flags = SECCOMP_ADDFD_FLAG_SETFD,
                                                .srcfd = (uint32_t)s, .newfd = (uint32_t)c->app_fd,
                                                .newfd_flags = app_fd_cloexec(c->pid, c->app_fd)};
                if (ioctl(c->box->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a) < 0)
                        result = -errno;
        }
        emp_broker_reply(c->box->listener, c->notif_id, result, false);
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* Whether fd is a socket of empyrad's own network namespace (one the
 * gateway already put in place of the app's): its namespace's cookie
 * (Linux 5.14+) against ours, else the namespace's inode. */
static bool socket_is_ours(int fd)
{
        static uint64_t own_cookie;
        static ino_t own_ino;
        if (!own_cookie) {
                int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                uint64_t c = 0;
                socklen_t len = sizeof(c);
                if (s >= 0 && getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, &c, &len) == 0)
                        __atomic_store_n(&own_cookie, c, __ATOMIC_RELAXED);
                if (s >= 0)
                        close(s);
        }
        uint64_t cookie = 0;
        socklen_t len = sizeof(cookie);
        if (own_cookie && getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) == 0)
                return cookie == own_cookie;
        struct stat st;
        if (!own_ino && stat("/proc/self/ns/net", &st) == 0)
                own_ino = st.st_ino;
        int ns = ioctl(fd, SIOCGSKNS);
        if (ns < 0)
                return false;
        bool ours = fstat(ns, &st) == 0 && st.st_ino == own_ino;
        close(ns);
        return ours;
}

/* Whether a TCP socket of ours is established (or closing after that) or
 * listening: any state but a bare, unconnected one. */
static bool host_socket_connected(int fd)
{
        struct tcp_info ti;
        socklen_t len = sizeof(ti);
        if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
                return false;
        return ti.tcpi_state != TCP_CLOSE;
}

void emp_net_shutdown(struct emp_broker_box *box, const struct seccomp_notif *n, int fd, int how)
{
        int sock = emp_net_app_socket(box, n, fd);
        if (sock < 0) {
                /* Not a socket, or gone: the kernel's own answer. */
                emp_broker_reply(box->listener, n->id, sock == -ESRCH ? -ESRCH : 0, sock != -ESRCH);
                return;
        }
        /* Performed on our copy, never continued (another thread could put
         * a host listener at fd meanwhile). On a host listener, shutting
         * down the read side disconnects it (the kernel's tcp_disconnect):
         * it would be left a bound, unconnected host socket that any
         * connect path could aim anywhere. It listens again at once: the
         * app's waiting accept() calls are woken as natively, and the
         * socket stays a listener. */
        int r = shutdown(sock, how) < 0 ? -errno : 0;
        if (r == 0 && (how == SHUT_RD || how == SHUT_RDWR) && socket_is_ours(sock) &&
            !host_socket_connected(sock) && listen(sock, SOMAXCONN) < 0)
                r = -errno;
        close(sock);
        emp_broker_reply(box->listener, n->id, r, false);
}

void emp_net_call_finish(struct emp_daemon *d, struct emp_broker_call *call, bool allow)
{
        (void)d;
        if (allow && emp_broker_id_valid(call->box->listener, call->notif_id)) {
                if (call->kind == EMP_CALL_BIND) {
                        perform_bind(call);
                        emp_net_call_free(call);
                        return;
                }
                if (call->kind == EMP_CALL_UDP_CONNECT || call->kind == EMP_CALL_UDP_SEND) {
                        emp_net_udp_perform(call);
                        emp_net_call_free(call);
                        return;
                }
                perform_async(call);
                return;
        }
        emp_broker_reply(call->box->listener, call->notif_id, -EPERM, false);
        emp_net_call_free(call);
}

static int audit_connect(struct emp_daemon *d, const struct emp_broker_box *box, const char *perm,
                         const char *decision, const char *source, const char *name, const char *addr,
                         uint16_t port, enum emp_protocol proto)
{
        struct emp_audit_record rec = {.app = box->app_id, .instance = box->instance, .permission = perm,
                                       .decision = decision, .source = source, .name = name, .address = addr,
                                       .port = port, .protocol = proto == EMP_PROTOCOL_UDP ? "udp" : "tcp"};
        return emp_audit_append(d->audit, &rec, NULL);
}

/* The user's rules and the manifest's, together (lock held). */
static int decide(struct emp_daemon *d, const struct emp_broker_box *box, const struct emp_request *req,
                  struct emp_verdict *v)
{
        struct emp_policy all;
        emp_policy_init(&all);
        all.shared_network = true;
        const struct emp_policy *user = emp_policy_store_find(&d->store, box->app_id);
        int r = 0;
        for (size_t i = 0; r == 0 && user && i < user->n_rules; i++)
                r = emp_policy_append(&all, &user->rules[i]);
        for (size_t i = 0; r == 0 && i < box->manifest.n_rules; i++)
                r = emp_policy_append(&all, &box->manifest.rules[i]);
        if (r == 0)
                r = emp_policy_decide(&all, req, time(NULL), v);
        /* Only the decision and source are used: rule pointers die here. */
        v->rule = NULL;
        emp_policy_free(&all);
        return r;
}

static bool addr_any(const struct emp_addr *a)
{
        static const uint8_t zero[16];
        return memcmp(a->bytes, zero, a->family == AF_INET ? 4 : 16) == 0;
}

void emp_net_bind(struct emp_broker_box *box, const struct seccomp_notif *n, int fd, uint64_t addr_ptr,
                  uint64_t addrlen)
{
        struct emp_daemon *d = box->d;
        struct sockaddr_storage ss = {0};
        struct emp_addr addr;
        uint16_t port;
        /* Anything but a TCP bind to the loopback or every interface is the
         * app's own business, in its own namespace (UDP client ports, Unix
         * sockets, other addresses that do not exist there). */
        if (addrlen < sizeof(sa_family_t) || addrlen > sizeof(ss) ||
            emp_net_read_mem((pid_t)n->pid, addr_ptr, &ss, (size_t)addrlen) < 0 ||
            (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) ||
            emp_addr_from_sockaddr((struct sockaddr *)&ss, (socklen_t)addrlen, &addr, &port) < 0 ||
            (!addr_any(&addr) && emp_addr_classify(&addr) != EMP_NET_LOOPBACK)) {
                emp_broker_reply(box->listener, n->id, 0, true);
                return;
        }
        int sock = emp_net_app_socket_typed(box, n, fd, SOCK_STREAM);
        if (sock < 0)
                return;
        char text[INET6_ADDRSTRLEN], perm[64];
        emp_addr_format(&addr, text, sizeof(text));
        snprintf(perm, sizeof(perm), "network:listen:%u", port);
        struct emp_request req = {.kind = EMP_REQUEST_LISTEN, .port = port, .protocol = EMP_PROTOCOL_TCP};
        struct emp_verdict v = {0};
        pthread_mutex_lock(&d->lock);
        int r = box->provider_none ? -EPERM : decide(d, box, &req, &v);
        /* Serving on its own loopback needs nobody's permission: only a rule
         * that grants the port moves it to the host's. */
        if (!addr_any(&addr) && (r < 0 || v.decision != EMP_DECISION_ALLOW || v.source == EMP_SOURCE_DEFAULT)) {
                pthread_mutex_unlock(&d->lock);
                close(sock);
                emp_broker_reply(box->listener, n->id, 0, true);
                return;
        }
        if (r < 0)
                v.decision = EMP_DECISION_DENY;
        const char *source = r == -EPERM ? "provider-none" : r < 0 ? "invalid" : emp_source_str(v.source);
        struct emp_broker_call *c = calloc(1, sizeof(*c));
        if (!c || !(c->host_path = strdup(perm + strlen("network:")))) {
                pthread_mutex_unlock(&d->lock);
                free(c);
                close(sock);
                emp_broker_reply(box->listener, n->id, -ENOMEM, false);
                return;
        }
        c->kind = EMP_CALL_BIND;
        c->pending_sock = -1;
        c->box = box;
        c->notif_id = n->id;
        c->pid = (pid_t)n->pid;
        c->app_fd = fd;
        c->sock = sock;
        memcpy(&c->addr, &ss, sizeof(ss));
        c->addrlen = (socklen_t)addrlen;
        c->protocol = EMP_PROTOCOL_TCP;
        snprintf(c->addr_text, sizeof(c->addr_text), "%s", text);
        c->port = port;
        emp_broker_box_ref(box);
        if (v.decision == EMP_DECISION_ASK) {
                if (emp_prompts_add(d, c, perm) < 0)
                        emp_net_call_finish(d, c, false);
                pthread_mutex_unlock(&d->lock);
                return;
        }
        bool allow = v.decision == EMP_DECISION_ALLOW;
        if (audit_connect(d, box, perm, allow ? "allow" : "deny", source, NULL, text, port, EMP_PROTOCOL_TCP) < 0)
                allow = false;
        pthread_mutex_unlock(&d->lock);
        emp_net_call_finish(d, c, allow);
}

/* The call for a trapped socket operation and its destination, named as the
 * app asked for it (the resolver's name, else the address). NULL: out of
 * memory, answered and sock closed. */
struct emp_broker_call *emp_net_call_new(struct emp_broker_box *box, const struct seccomp_notif *n,
                                        enum emp_call_kind kind, int fd, int sock, const struct sockaddr_storage *ss,
                                        socklen_t len, const struct emp_addr *addr, uint16_t port,
                                        enum emp_protocol proto)
{
        struct emp_broker_call *c = calloc(1, sizeof(*c));
        if (!c) {
                close(sock);
                emp_broker_reply(box->listener, n->id, -ENOMEM, false);
                return NULL;
        }
        *c = (struct emp_broker_call){.kind = kind, .box = box, .notif_id = n->id, .pid = (pid_t)n->pid,
                                      .app_fd = fd, .sock = sock, .addrlen = len, .protocol = proto, .port = port,
                                      .pending_sock = -1};
        memcpy(&c->addr, ss, sizeof(*ss));
        emp_addr_format(addr, c->addr_text, sizeof(c->addr_text));
        pthread_mutex_lock(&box->d->lock);
        const char *known = emp_resolver_name(box, addr);
        if (known)
                snprintf(c->name, sizeof(c->name), "%s", known);
        pthread_mutex_unlock(&box->d->lock);
        /* Asked for by name: the prompt and an "always" answer speak of the name. */
        bool v6 = addr->family == AF_INET6;
        if (c->name[0] ? asprintf(&c->host_path, "%s:%u", c->name, port) < 0
                       : asprintf(&c->host_path, "%s%s%s:%u", v6 ? "[" : "", c->addr_text, v6 ? "]" : "", port) < 0)
                c->host_path = NULL;
        emp_broker_box_ref(box);
        if (!c->host_path) {
                emp_broker_reply(box->listener, n->id, -ENOMEM, false);
                emp_net_call_free(c);
                return NULL;
        }
        return c;
}

/* Decide a connect or send (provider, resolver, rules, defaults), log it,
 * and answer, or queue it for a prompt. */
void emp_net_decide(struct emp_broker_box *box, struct emp_broker_call *c, const struct emp_addr *addr)
{
        struct emp_daemon *d = box->d;
        const char *name = c->name[0] ? c->name : NULL;
        char perm[320];
        snprintf(perm, sizeof(perm), "network:%s", c->host_path);
        struct emp_request req = {.kind = EMP_REQUEST_CONNECT, .name = name, .addr = *addr, .port = c->port,
                                  .protocol = c->protocol};
        struct emp_verdict v = {0};
        const char *source;
        pthread_mutex_lock(&d->lock);
        if (box->provider_none) {
                v.decision = EMP_DECISION_DENY;
                source = "provider-none";
        } else if (box->socks5 && c->protocol == EMP_PROTOCOL_UDP) {
                v.decision = EMP_DECISION_DENY; /* SOCKS5 CONNECT carries TCP only */
                source = "provider-socks5-no-udp";
        } else if (box->socks5 && emp_resolver_is_fake(addr) && !name) {
                v.decision = EMP_DECISION_DENY; /* a stand-in address nobody asked for */
                source = "provider-socks5-unknown-name";
        } else if (!box->socks5 && is_nameserver(addr, c->port)) {
                v.decision = EMP_DECISION_ALLOW;
                source = "resolver";
        } else if (decide(d, box, &req, &v) < 0) {
                v.decision = EMP_DECISION_DENY;
                source = "invalid";
        } else {
                source = emp_source_str(v.source);
        }
        if (v.decision == EMP_DECISION_ASK) {
                if (emp_prompts_add(d, c, perm) < 0) {
                        audit_connect(d, box, perm, "deny", "prompt-failed", name, c->addr_text, c->port, c->protocol);
                        emp_net_call_finish(d, c, false);
                }
                pthread_mutex_unlock(&d->lock);
                return;
        }
        bool allow = v.decision == EMP_DECISION_ALLOW;
        /* Every connect is a line of its own; a UDP decision, which a
         * datagram loop may ask for thousands of times (a denied one is
         * asked again by every send), once per running app. */
        bool logged = c->protocol == EMP_PROTOCOL_UDP && emp_audit_seen(box, perm, allow, source);
        if (!logged &&
            audit_connect(d, box, perm, allow ? "allow" : "deny", source, name, c->addr_text, c->port, c->protocol) < 0)
                allow = false; /* not logged, not done */
        pthread_mutex_unlock(&d->lock);
        emp_net_call_finish(d, c, allow);
}

/* A connect in the app's own namespace, made on our copy of its socket with
 * our copy of the address (never continued: the kernel would read both
 * again, after another thread may have changed them). A Unix socket path is
 * resolved inside the app's root, then reached through /proc/self/fd. */
static int local_connect(struct emp_broker_call *c)
{
        struct sockaddr_un *un = (struct sockaddr_un *)&c->addr;
        if (c->addr.ss_family != AF_UNIX || c->addrlen <= offsetof(struct sockaddr_un, sun_path) ||
            un->sun_path[0] == '\0')
                return connect(c->sock, (struct sockaddr *)&c->addr, c->addrlen) < 0 ? -errno : 0;
        char path[sizeof(un->sun_path) + 1] = "", base[PATH_MAX], view[PATH_MAX];
        memcpy(path, un->sun_path, c->addrlen - offsetof(struct sockaddr_un, sun_path));
        if (path[0] != '/') {
                char link[64];
                snprintf(link, sizeof(link), "/proc/%d/cwd", (int)c->pid);
                ssize_t n = readlink(link, base, sizeof(base) - 1);
                if (n <= 0)
                        return -ENOENT;
                base[n] = '\0';
        }
        if (emp_broker_join(base, path, view, sizeof(view)) < 0)
                return -ENAMETOOLONG;
        int root = emp_broker_root(c->box, c->pid);
        if (root < 0)
                return root;
        struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
        _cleanup_close_ int target = (int)syscall(SYS_openat2, root, view, &how, sizeof(how));
        if (target < 0)
                return -errno;
        struct sockaddr_un via = {.sun_family = AF_UNIX};
        snprintf(via.sun_path, sizeof(via.sun_path), "/proc/self/fd/%d", target);
        return connect(c->sock, (struct sockaddr *)&via, sizeof(via)) < 0 ? -errno : 0;
}

static void connect_local(struct emp_broker_box *box, const struct seccomp_notif *n, int fd, int sock,
                          const struct sockaddr_storage *ss, socklen_t len)
{
        struct emp_broker_call *c = calloc(1, sizeof(*c));
        if (!c) {
                close(sock);
                emp_broker_reply(box->listener, n->id, -ENOMEM, false);
                return;
        }
        *c = (struct emp_broker_call){.kind = EMP_CALL_CONNECT, .box = box, .notif_id = n->id, .pid = (pid_t)n->pid,
                                      .app_fd = fd, .sock = sock, .addrlen = len, .pending_sock = -1, .local = true};
        memcpy(&c->addr, ss, sizeof(*ss));
        emp_broker_box_ref(box);
        perform_async(c);
}

/* Every trapped connect is performed by empyrad, none continued: on a new
 * host socket when the gateway allows the destination, else on our copy of
 * the app's own socket (its loopback, Unix sockets of its view). The only
 * host sockets an app ever holds are established or listening TCP ones, so
 * a connect on one (which another thread may swap in at any fd, at any
 * time) cannot lead anywhere new; disconnecting one (AF_UNSPEC) is refused. */
void emp_net_connect(struct emp_broker_box *box, const struct seccomp_notif *n, int fd, uint64_t addr_ptr,
                     uint64_t addrlen)
{
        struct sockaddr_storage ss = {0};
        if (addrlen > sizeof(ss)) {
                emp_broker_reply(box->listener, n->id, -EINVAL, false);
                return;
        }
        if (addrlen && emp_net_read_mem((pid_t)n->pid, addr_ptr, &ss, (size_t)addrlen) < 0) {
                emp_broker_reply(box->listener, n->id, -EFAULT, false);
                return;
        }
        int sock = emp_net_app_socket(box, n, fd);
        if (sock < 0) {
                emp_broker_reply(box->listener, n->id, sock, false);
                return;
        }
        /* A socket of the host's that the gateway put in place is never
         * connected by empyrad: an established one says EISCONN, as
         * natively; one that is not connected (it should not exist: see
         * emp_net_shutdown) is refused. Disconnecting one (AF_UNSPEC) too. */
        if (socket_is_ours(sock)) {
                int r = addrlen < sizeof(sa_family_t) || ss.ss_family == AF_UNSPEC ? -EOPNOTSUPP
                        : host_socket_connected(sock)                                ? -EISCONN
                                                                                     : -EPERM;
                close(sock);
                emp_broker_reply(box->listener, n->id, r, false);
                return;
        }
        struct emp_addr addr;
        uint16_t port;
        bool inet = addrlen >= sizeof(sa_family_t) && (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) &&
                    emp_addr_from_sockaddr((struct sockaddr *)&ss, (socklen_t)addrlen, &addr, &port) == 0;
        int type = emp_net_sock_int(sock, SOL_SOCKET, SO_TYPE);
        /* Not an IP destination, or the app talking to itself: its own
         * namespace answers. */
        if (!inet ||
            (emp_addr_classify(&addr) == EMP_NET_LOOPBACK && emp_net_app_serves(box, (pid_t)n->pid, type, &addr, port))) {
                connect_local(box, n, fd, sock, &ss, (socklen_t)addrlen);
                return;
        }
        if (type == SOCK_DGRAM) {
                emp_net_udp_connect(box, n, fd, sock, &ss, (socklen_t)addrlen, &addr, port);
                return;
        }
        if (type != SOCK_STREAM) {
                close(sock);
                emp_broker_reply(box->listener, n->id, -EPERM, false);
                return;
        }
        struct emp_broker_call *c = emp_net_call_new(box, n, EMP_CALL_CONNECT, fd, sock, &ss, (socklen_t)addrlen, &addr, port,
                                             EMP_PROTOCOL_TCP);
        if (c)
                emp_net_decide(box, c, &addr);
}

