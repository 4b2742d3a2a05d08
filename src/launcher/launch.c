/* launch.c — the launcher's two sides: outside, it creates the namespaces,
 * maps ids, places the sandbox in its cgroup, forwards signals and reports
 * the exit status; inside (the child, pid 1), it builds the view, drops every
 * privilege, applies Landlock and seccomp, and becomes init. */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker_link.h"
#include "caps.h"
#include "cgroup.h"
#include "focus.h"
#include "gateway/client.h"
#include "common/cleanup.h"
#include "common/fdpass.h"
#include "idmap.h"
#include "init.h"
#include "landlock.h"
#include "mount.h"
#include "netns.h"
#include "sandbox.h"
#include "seccomp.h"

/* Fixed fds in the child: the go pipe, the status pipe and (brokered mode)
 * the socket the seccomp listener leaves by. */
enum { CHILD_GO_FD = 3, CHILD_STATUS_FD = 4, CHILD_BROKER_FD = 5 };

static int resolver_socket(struct emp_error *err)
{
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(53), .sin_addr.s_addr = htonl(0x7f000035)};
        if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
                int e = -errno;
                if (s >= 0)
                        close(s);
                return emp_error_errno(err, e, "network gateway: binding the resolver on 127.0.0.53:53");
        }
        return s;
}

static int child_harden(struct emp_sandbox *sb, struct emp_error *err)
{
        int r;
        if ((sb->ns_flags & CLONE_NEWNET) && (r = emp_netns_setup(sb->network, err)) < 0)
                return r;
        if (sethostname(sb->hostname, strlen(sb->hostname)) < 0)
                return emp_error_errno(err, -errno, "uts namespace: setting the hostname");
        if (chdir(sb->cwd_inside) < 0 && chdir(sb->home_inside) < 0 && chdir("/") < 0)
                return emp_error_errno(err, -errno, "chdir");
        /* The ruleset's paths are opened while we may still reach them all
         * (a granted directory need not be readable by the app's uid). */
        _cleanup_close_ int ruleset = -1;
        if (!(sb->weakened & EMP_WEAK_LANDLOCK)) {
                struct emp_ll_rule *rules = NULL;
                size_t n_rules = 0;
                if ((r = emp_mount_landlock_rules(sb, &rules, &n_rules)) < 0)
                        return r;
                r = emp_landlock_prepare(rules, n_rules, &ruleset, err);
                free(rules);
                if (r < 0)
                        return r;
        }
        /* The gateway's resolver listens on the app's own loopback
         * (resolv.conf says 127.0.0.53): bound here, while binding port 53
         * is still allowed, and handed to empyrad with the listener. */
        int dns = -1, diag = -1;
        if (sb->network && (dns = resolver_socket(err)) < 0)
                return dns;
        /* And a socket-diagnostics socket of the app's namespace: empyrad
         * asks it whether the app itself listens where it connects (AF_NETLINK
         * is refused to the app; this one exists before the filter). */
        if (sb->network && (diag = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) < 0) {
                close(dns);
                return emp_error_errno(err, -errno, "network gateway: a socket-diagnostics socket");
        }
        r = emp_caps_drop_and_switch(sb->ids.app_uid, sb->ids.app_gid, sb->ids.host_root, err);
        if (r == 0 && ruleset >= 0)
                r = emp_landlock_enforce(TAKE_FD(ruleset), err);
        bool gateway = sb->brokered || sb->network;
        /* The resolver's and the diagnostics sockets leave now, while
         * sendmsg does not trap yet. */
        if (r == 0 && dns >= 0 && ((r = emp_fd_send(CHILD_BROKER_FD, dns)) < 0 ||
                                   (r = emp_fd_send(CHILD_BROKER_FD, diag)) < 0))
                emp_error_errno(err, r, "network gateway: handing the resolver's sockets to the launcher");
        if (dns >= 0)
                close(dns);
        if (diag >= 0)
                close(diag);
        if (r < 0)
                return r;
        /* pid 1 is not the app: the app must not be able to ptrace it. With
         * the gateway it stays dumpable (the uid switch made it not) until
         * the launcher has taken the listener; nothing of the app runs yet. */
        if (prctl(PR_SET_DUMPABLE, gateway ? 1 : 0, 0, 0, 0) < 0)
                return emp_error_errno(err, -errno, "prctl(PR_SET_DUMPABLE)");
        if (!gateway)
                return emp_seccomp_install(sb->seccomp_variant, NULL, err);
        /* The listener is not sent (a sendmsg would trap to the listener
         * itself): its number is, and the launcher takes it with
         * pidfd_getfd, then says so; nothing in the sandbox keeps it. */
        int listener = -1;
        if ((r = emp_seccomp_install(sb->seccomp_variant, &listener, err)) < 0)
                return r;
        char ack = 0;
        if (write(CHILD_BROKER_FD, &listener, sizeof(listener)) != (ssize_t)sizeof(listener) ||
            read(CHILD_BROKER_FD, &ack, 1) != 1 || ack != 'k')
                r = emp_error_errno(err, -EPIPE, "seccomp: handing the listener to the launcher");
        close(listener);
        close(CHILD_BROKER_FD);
        if (r == 0 && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                r = emp_error_errno(err, -errno, "prctl(PR_SET_DUMPABLE)");
        return r;
}

__attribute__((noreturn)) static void child_main(struct emp_sandbox *sb)
{
        struct emp_error err = {0};
        char go;
        /* EOF: the launcher failed (and said why) or died. */
        if (read(CHILD_GO_FD, &go, 1) != 1)
                _exit(125);
        close(CHILD_GO_FD);
        int r = 0;
        if (unshare(CLONE_NEWCGROUP) < 0)
                r = emp_error_errno(&err, -errno, "cgroup namespace");
        if (r == 0)
                r = emp_mount_prepare(sb, &err);
        if (r == 0)
                r = emp_mount_build(sb, &err);
        if (r == 0)
                r = child_harden(sb, &err);
        if (r < 0) {
                fprintf(stderr, "empyra: %s\n", err.msg[0] ? err.msg : strerror(-r));
                _exit(125);
        }
        emp_init_run(sb->argv, sb->envp, CHILD_STATUS_FD);
}

/* Child side of clone(): move the pipe ends to fixed low numbers and close everything else the launcher inherited (the
 * user's shell may have passed any fd) before doing any work. */
__attribute__((noreturn)) static void child_start(struct emp_sandbox *sb, int go_rd, int status_wr, int broker_wr)
{
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
                _exit(125);
        /* Copies above the two fixed numbers first, in case the pipe ends
         * already sit on them. */
        int parked_go = fcntl(go_rd, F_DUPFD_CLOEXEC, CHILD_STATUS_FD + 1);
        int parked_status = fcntl(status_wr, F_DUPFD_CLOEXEC, CHILD_STATUS_FD + 1);
        int parked_broker = broker_wr >= 0 ? fcntl(broker_wr, F_DUPFD_CLOEXEC, CHILD_BROKER_FD + 1) : -1;
        if (parked_go < 0 || parked_status < 0 || dup3(parked_go, CHILD_GO_FD, O_CLOEXEC) < 0 ||
            dup3(parked_status, CHILD_STATUS_FD, O_CLOEXEC) < 0)
                _exit(125);
        if (broker_wr >= 0 && (parked_broker < 0 || dup3(parked_broker, CHILD_BROKER_FD, O_CLOEXEC) < 0))
                _exit(125);
        int next = (broker_wr >= 0 ? CHILD_BROKER_FD : CHILD_STATUS_FD) + 1;
        syscall(SYS_close_range, (unsigned)next, ~0u, 0u);
        child_main(sb);
}

static int exit_code(int st)
{
        if (WIFEXITED(st))
                return WEXITSTATUS(st);
        if (WIFSIGNALED(st))
                return 128 + WTERMSIG(st);
        return 125;
}

/* Every app gets a cpu cgroup where Empyra may make one (focus needs it);
 * only limits that were asked for, or --focus, make its absence an error. */
static int setup_cgroup(struct emp_sandbox *sb, struct emp_error *err)
{
        const struct emp_manifest *m = sb->manifest;
        struct emp_cgroup_limits lim = {m->memory_max, m->pids_max, m->cpu_weight, .cpu = true};
        bool limits = lim.memory_max || lim.pids_max || lim.cpu_weight;
        struct emp_error first = {0};
        int r = emp_cgroup_create(sb->app_id, &lim, &sb->cgroup, &first);
        if (r < 0 && sb->focus)
                return emp_error_set(err, r, "focus: the app needs a cgroup of its own: %s", first.msg);
        if (r < 0 && !limits) {
                emp_sandbox_note(sb, "no cgroup of its own, so focus cannot apply: %s", first.msg);
                return 0;
        }
        if (r < 0) {
                /* The limits alone may still be possible without a cpu cgroup. */
                lim.cpu = false;
                r = emp_cgroup_create(sb->app_id, &lim, &sb->cgroup, err);
        }
        if (r < 0 && (sb->allow_weaker & EMP_WEAK_CGROUP)) {
                fprintf(stderr, "empyra: warning: running WITHOUT resource limits (--allow-weaker=cgroup): %s\n",
                        err->msg);
                emp_error_clear(err);
                sb->weakened |= EMP_WEAK_CGROUP;
                return 0;
        }
        return r;
}

/* Register the app so `empyra focus` can find its cgroup, then take focus
 * (--focus) or the weight the current focus gives it. */
static int join_focus(struct emp_sandbox *sb, struct emp_error *err)
{
        uint32_t base = sb->manifest->cpu_weight ? sb->manifest->cpu_weight : EMP_CPU_WEIGHT_DEFAULT;
        int r = emp_focus_register(sb->dirs.runtime, sb->app_id, base, sb->cgroup, &sb->focus_entry);
        if (r == -ENOENT && !sb->focus)
                return 0; /* limits without a cpu cgroup: nothing to focus */
        if (r < 0)
                return emp_error_errno(err, r, "focus: registering the app in %s", sb->dirs.runtime);
        if (sb->focus) {
                r = emp_focus_set(sb->dirs.runtime, sb->app_id, NULL, err);
                if (r == 0)
                        emp_client_focus_sync(true, NULL);
                return r;
        }
        /* Nothing focused: the new cgroup already has its own weight. */
        _cleanup_free_ char *focused = NULL;
        if (emp_focus_get(sb->dirs.runtime, &focused) < 0 || !focused)
                return 0;
        return emp_focus_apply(sb->dirs.runtime, NULL, err);
}

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* empyrad went away: trapped calls wait (killably) until a new one takes the
 * listener; after EMP_BROKER_ORPHAN_SECONDS without one the app ends. Returns
 * the poll timeout to use next. */
static int broker_watch(struct emp_broker_link *link, pid_t child, int64_t *lost_at)
{
        if (link->conn >= 0)
                return -1;
        struct emp_error err = {0};
        if (emp_broker_link_reattach(link, &err) == 0) {
                fprintf(stderr, "empyra: a new empyrad took over the app's broker\n");
                emp_broker_link_kick(child);
                *lost_at = 0;
                return -1;
        }
        if (now_ms() - *lost_at >= EMP_BROKER_ORPHAN_SECONDS * 1000) {
                fprintf(stderr, "empyra: no empyrad answered for %d s (%s): ending the app, whose trapped calls "
                                "would otherwise wait forever\n",
                        EMP_BROKER_ORPHAN_SECONDS, err.msg);
                kill(child, SIGKILL);
                *lost_at = INT64_MAX / 2; /* said once; now wait for the exit */
                return -1;
        }
        return 250;
}

static int supervise(pid_t child, int status_rd, struct emp_broker_link *link)
{
        sigset_t set;
        emp_forward_sigset(&set);
        sigaddset(&set, SIGCHLD);
        _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
        int64_t lost_at = 0;
        int timeout = -1;
        for (;;) {
                int st;
                pid_t p = waitpid(child, &st, WNOHANG);
                if (p == child) {
                        int app_status;
                        ssize_t n = read(status_rd, &app_status, sizeof(app_status));
                        if (n == (ssize_t)sizeof(app_status))
                                return exit_code(app_status);
                        /* pid 1 died before reporting: setup failed (it said why). */
                        if (WIFSIGNALED(st))
                                fprintf(stderr, "empyra: sandbox init killed by signal %d\n", WTERMSIG(st));
                        return 125;
                }
                struct pollfd pfd[2] = {{.fd = sfd, .events = POLLIN}, {.fd = link ? link->conn : -1, .events = POLLIN}};
                int n = poll(pfd, 2, timeout);
                if (n < 0 && errno != EINTR)
                        return perror("empyra: poll"), 125;
                if (n > 0 && (pfd[0].revents & POLLIN)) {
                        struct signalfd_siginfo si;
                        if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) && si.ssi_signo != SIGCHLD &&
                            si.ssi_code != SI_KERNEL)
                                kill(child, (int)si.ssi_signo);
                }
                /* empyrad never writes unasked: readable means it closed. */
                if (n > 0 && pfd[1].revents) {
                        fprintf(stderr, "empyra: empyrad went away; the app's trapped calls wait for a new one\n");
                        emp_broker_link_lost(link);
                        lost_at = now_ms();
                }
                if (link && lost_at && lost_at < INT64_MAX / 2)
                        timeout = broker_watch(link, child, &lost_at);
        }
}

/* Wait until the sandbox's pid 1 sends something on fd. A signal we would
 * forward (Ctrl-C, a kill) meanwhile ends the sandbox instead: setup that
 * never finishes must not make the launcher unkillable. */
static int wait_for_child_fd(int fd, pid_t child)
{
        sigset_t set;
        emp_forward_sigset(&set);
        _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
        for (;;) {
                struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (p[0].revents)
                        return 0;
                struct signalfd_siginfo si;
                if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                        fprintf(stderr, "empyra: signal %u before the sandbox was ready: ending it\n", si.ssi_signo);
                        kill(child, SIGKILL);
                        return -ECHILD;
                }
        }
}

/* The sandbox's pid 1 writes the number of its seccomp listener; we take
 * it (pidfd_getfd: pid 1 is our child and still dumpable) and say so. */
static int take_listener(int broker_rd, pid_t child, int *ret_listener, struct emp_error *err)
{
        int number = -1;
        ssize_t n = read(broker_rd, &number, sizeof(number));
        if (n == 0)
                return -ECHILD; /* setup failed inside; the child said why */
        if (n != (ssize_t)sizeof(number) || number < 0)
                return emp_error_errno(err, n < 0 ? -errno : -EBADMSG, "seccomp: reading the listener's number");
        _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
        int listener = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, number, 0);
        if (listener < 0)
                return emp_error_errno(err, -errno, "seccomp: taking the listener from the sandbox's pid 1 (pidfd_getfd)");
        if (write(broker_rd, "k", 1) != 1) {
                close(listener);
                return emp_error_errno(err, -errno, "seccomp: the sandbox's pid 1 is gone");
        }
        *ret_listener = listener;
        return 0;
}

/* Brokered mode: take the listener from the sandbox's pid 1 and give it to
 * empyrad; the link keeps our duplicate. */
static int broker_attach(struct emp_sandbox *sb, struct emp_broker_link *link, int broker_rd, pid_t child,
                         int factory, struct emp_error *err)
{
        int listener = -1, dns = -1, diag = -1;
        int r = wait_for_child_fd(broker_rd, child);
        if (r == 0 && sb->network && ((r = emp_fd_recv(broker_rd, &dns)) < 0 || (r = emp_fd_recv(broker_rd, &diag)) < 0))
                r = r == -EPIPE ? -ECHILD : emp_error_errno(err, r, "receiving the resolver socket");
        if (r == 0)
                r = take_listener(broker_rd, child, &listener, err);
        if (r < 0) {
                if (factory >= 0)
                        close(factory);
                if (dns >= 0)
                        close(dns);
                if (diag >= 0)
                        close(diag);
                return r;
        }
        char instance[32];
        snprintf(instance, sizeof(instance), "%d", (int)getpid());
        json_t *rules = json_array();
        for (size_t i = 0; sb->manifest->net_rules && sb->manifest->net_rules[i]; i++)
                json_array_append_new(rules, json_string(sb->manifest->net_rules[i]));
        const char *provider = sb->manifest->net_provider ? sb->manifest->net_provider : "direct";
        json_t *attach = json_pack("{s:s, s:s, s:i, s:s, s:s, s:b, s:b, s:b, s:o, s:s}", "app", sb->app_id, "instance",
                                   instance, "pid", (int)child, "home_inside", sb->home_inside, "home_host",
                                   sb->dirs.home, "anonymous", sb->identity == EMP_IDENTITY_ANONYMOUS, "files",
                                   sb->brokered, "network", sb->network, "net_rules", rules, "provider", provider);
        if (!attach) {
                close(listener);
                if (dns >= 0)
                        close(dns);
                if (diag >= 0)
                        close(diag);
                if (factory >= 0)
                        close(factory);
                return emp_error_set(err, -ENOMEM, "out of memory");
        }
        return emp_broker_link_attach(link, listener, dns, diag, factory, attach, err);
}

int emp_sandbox_run(struct emp_sandbox *sb)
{
        struct emp_error err = {0};
        if (setup_cgroup(sb, &err) < 0) {
                fprintf(stderr, "empyra: %s\n", err.msg);
                return 125;
        }
        if (sb->weakened & EMP_WEAK_LANDLOCK)
                fprintf(stderr, "empyra: warning: running WITHOUT Landlock (--allow-weaker=landlock): this kernel "
                                "has none; the mount view alone limits file access\n");
        if (sb->verbose)
                emp_sandbox_print(sb, stderr);
        struct emp_broker_link link;
        emp_broker_link_init(&link);
        int broker[2] = {-1, -1};
        bool gateway = sb->brokered || sb->network;
        const char *why = sb->brokered ? "files=brokered" : "shared=network";
        if (gateway) {
                if (emp_broker_link_connect(&link, &err) < 0) {
                        fprintf(stderr, "empyra: %s: %s\n", why, err.msg);
                        return 125;
                }
                if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, broker) < 0) {
                        emp_broker_link_free(&link);
                        return perror("empyra: socketpair"), 125;
                }
        }
        int go[2], status[2];
        if (pipe2(go, O_CLOEXEC) < 0)
                return perror("empyra: pipe"), 125;
        if (pipe2(status, O_CLOEXEC) < 0) {
                close(go[0]);
                close(go[1]);
                return perror("empyra: pipe"), 125;
        }
        sigset_t set, old;
        emp_forward_sigset(&set);
        sigaddset(&set, SIGCHLD);
        sigprocmask(SIG_BLOCK, &set, &old);

        pid_t child = (pid_t)syscall(SYS_clone, (unsigned long)sb->ns_flags | SIGCHLD, NULL, NULL, NULL, NULL);
        if (child == 0)
                child_start(sb, go[0], status[1], broker[1]);
        close(go[0]);
        close(status[1]);
        if (broker[1] >= 0)
                close(broker[1]);
        int code = 125;
        if (child < 0) {
                int e = errno;
                fprintf(stderr, "empyra: creating namespaces: %s%s\n", strerror(e),
                        e == EPERM || e == ENOSPC
                                ? " (unprivileged user namespaces may be disabled: check "
                                  "kernel.unprivileged_userns_clone, user.max_user_namespaces or AppArmor's "
                                  "userns restriction)"
                                : "");
                goto out;
        }
        int r = emp_idmap_write(&sb->ids, child, &err);
        if (r == 0 && sb->cgroup)
                r = emp_cgroup_attach(sb->cgroup, child, &err);
        if (r == 0 && sb->cgroup)
                r = join_focus(sb, &err);
        /* The UDP peer factory enters the app's namespaces now, while pid 1
         * (waiting for "go") is still dumpable: an unprivileged launcher may
         * open its /proc/PID/ns only until it drops that. */
        int factory = -1;
        if (r == 0 && sb->network)
                r = emp_netns_factory_start(child, &factory, &link.factory_pid, &err);
        if (r < 0) {
                fprintf(stderr, "empyra: %s\n", err.msg);
                close(go[1]);
                go[1] = -1;
                kill(child, SIGKILL);
                waitpid(child, NULL, 0);
                goto out;
        }
        if (write(go[1], "g", 1) != 1) {
                if (factory >= 0)
                        close(factory);
                kill(child, SIGKILL);
                waitpid(child, NULL, 0);
                goto out;
        }
        close(go[1]);
        go[1] = -1;
        if (gateway && (r = broker_attach(sb, &link, broker[0], child, factory, &err)) < 0) {
                if (r != -ECHILD) {
                        fprintf(stderr, "empyra: %s: %s\n", why, err.msg);
                        kill(child, SIGKILL);
                }
                waitpid(child, NULL, 0);
                goto out;
        }
        code = supervise(child, status[0], gateway ? &link : NULL);
out:
        if (sb->focus_entry) {
                emp_focus_unregister(sb->focus_entry);
                if (emp_focus_app_exit(sb->dirs.runtime, sb->app_id, getpid()))
                        emp_client_focus_sync(false, NULL); /* release a held inhibition */
        }
        if (go[1] >= 0)
                close(go[1]);
        close(status[0]);
        if (broker[0] >= 0)
                close(broker[0]);
        emp_broker_link_free(&link);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return code;
}
