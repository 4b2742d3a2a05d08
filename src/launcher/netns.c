/* netns.c — the app's network namespace (see netns.h): loopback up, the
 * catch-all local routes over rtnetlink, and the UDP peer factory. */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/udp_peer.h"

static int loopback_up(struct emp_error *err)
{
        _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return emp_error_errno(err, -errno, "network namespace: socket");
        struct ifreq ifr = {0};
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                return emp_error_errno(err, -errno, "network namespace: reading lo");
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                return emp_error_errno(err, -errno, "network namespace: bringing lo up");
        return 0;
}

static void put_attr(struct nlmsghdr *h, unsigned short type, const void *data, size_t len)
{
        struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
        a->rta_type = type;
        a->rta_len = (unsigned short)RTA_LENGTH(len);
        memcpy(RTA_DATA(a), data, len);
        h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* "local 0.0.0.0/0 dev lo table local src 127.0.0.1" (or ::/0, ::1). */
static int add_local_route(int nl, int family, unsigned ifindex, uint32_t seq)
{
        struct {
                struct nlmsghdr h;
                struct rtmsg r;
                char attrs[64];
        } req = {
                .h = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)), .nlmsg_type = RTM_NEWROUTE,
                      .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, .nlmsg_seq = seq},
                .r = {.rtm_family = (unsigned char)family, .rtm_table = RT_TABLE_LOCAL, .rtm_protocol = RTPROT_BOOT,
                      .rtm_scope = RT_SCOPE_HOST, .rtm_type = RTN_LOCAL},
        };
        put_attr(&req.h, RTA_OIF, &ifindex, sizeof(ifindex));
        if (family == AF_INET) {
                struct in_addr src = {htonl(INADDR_LOOPBACK)};
                put_attr(&req.h, RTA_PREFSRC, &src, sizeof(src));
        } else {
                put_attr(&req.h, RTA_PREFSRC, &in6addr_loopback, sizeof(in6addr_loopback));
        }
        if (send(nl, &req, req.h.nlmsg_len, 0) != (ssize_t)req.h.nlmsg_len)
                return -errno;
        char buf[512] __attribute__((aligned(4)));
        ssize_t n = recv(nl, buf, sizeof(buf), 0);
        if (n < 0)
                return -errno;
        const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
        if (!NLMSG_OK(h, (size_t)n) || h->nlmsg_type != NLMSG_ERROR ||
            h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
                return -EIO;
        return ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
}

int emp_netns_setup(bool gateway, struct emp_error *err)
{
        int r = loopback_up(err);
        if (r < 0 || !gateway)
                return r;
        unsigned lo = if_nametoindex("lo");
        if (!lo)
                return emp_error_errno(err, -errno, "network namespace: no lo");
        _cleanup_close_ int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (nl < 0)
                return emp_error_errno(err, -errno, "network gateway: a routing socket");
        if ((r = add_local_route(nl, AF_INET, lo, 1)) < 0)
                return emp_error_errno(err, r, "network gateway: the catch-all local route (IPv4)");
        /* A kernel without IPv6 has no IPv6 to route. */
        if ((r = add_local_route(nl, AF_INET6, lo, 2)) < 0 && r != -EAFNOSUPPORT)
                return emp_error_errno(err, r, "network gateway: the catch-all local route (IPv6)");
        return 0;
}

static int open_ns(pid_t pid, const char *name)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
        return open(path, O_RDONLY | O_CLOEXEC);
}

__attribute__((noreturn)) static void factory_main(pid_t parent, int userns, int netns, int sock)
{
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
                _exit(1);
        /* Out of the terminal's process group: a ^C or ^Z meant for the app
         * must not end the factory (UDP to new destinations would stop). */
        if (setsid() < 0)
                _exit(1);
        /* Entering the app's user namespace (its owner may) gives the
         * capabilities there that binding a peer to a low port needs;
         * nothing of the app can see or trace this process (another pid
         * namespace, not dumpable). */
        if (setns(userns, CLONE_NEWUSER) < 0 || setns(netns, CLONE_NEWNET) < 0 ||
            prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                _exit(1);
        if (dup3(sock, 3, O_CLOEXEC) < 0 && sock != 3)
                _exit(1);
        syscall(SYS_close_range, 4u, ~0u, 0u);
        if (send(3, "r", 1, MSG_NOSIGNAL) != 1)
                _exit(1);
        _exit(emp_udp_peer_serve(3) < 0 ? 1 : 0);
}

int emp_netns_factory_start(pid_t child, int *ret_sock, pid_t *ret_pid, struct emp_error *err)
{
        _cleanup_close_ int userns = open_ns(child, "user");
        _cleanup_close_ int netns = open_ns(child, "net");
        if (userns < 0 || netns < 0)
                return emp_error_errno(err, -errno, "network gateway: opening the app's namespaces");
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
                return emp_error_errno(err, -errno, "network gateway: socketpair");
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid == 0) {
                close(sp[0]);
                factory_main(parent, userns, netns, sp[1]);
        }
        close(sp[1]);
        if (pid < 0) {
                close(sp[0]);
                return emp_error_errno(err, -errno, "network gateway: starting the socket factory");
        }
        /* Ready once inside both namespaces; anything else is a launch
         * failure, never a sandbox whose UDP silently goes nowhere. */
        struct pollfd p = {.fd = sp[0], .events = POLLIN};
        char ready = 0;
        if (poll(&p, 1, 5000) != 1 || recv(sp[0], &ready, 1, 0) != 1 || ready != 'r') {
                close(sp[0]);
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return emp_error_set(err, -ECHILD, "network gateway: the socket factory could not enter the app's "
                                                   "user and network namespaces");
        }
        *ret_sock = sp[0];
        *ret_pid = pid;
        return 0;
}
