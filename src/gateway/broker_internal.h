/* broker_internal.h — what the file broker (broker.c) and the network
 * gateway (net.c) share: the per-sandbox state and the notification helpers. */
#pragma once
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "broker.h"
#include "policy/policy.h"

struct emp_broker_box {
        struct emp_daemon *d;
        char *app_id;
        char *instance;
        pid_t init_pid;
        int listener;
        /* The app's "/", from /proc/PID/root of its first trapped caller:
         * pid 1 is not ptrace-readable by an unprivileged empyrad (it never
         * exec'd inside the user namespace), the app's processes are. */
        int root_fd;
        char *home_inside;
        char *home_host;
        int stop_fd;
        pthread_t thread;
        bool started, done;
        unsigned refs; /* the thread + waiting calls (atomic) */
        /* Network gateway (shared=network). */
        bool network;
        bool provider_none;         /* provider=none: every connection refused */
        bool socks5;                /* provider=socks5://: every TCP connection through the proxy */
        struct sockaddr_storage proxy;
        socklen_t proxy_len;
        uint32_t next_fake;         /* socks5: the resolver's next address in 198.18.0.0/15 */
        struct emp_policy manifest; /* [Empyra Network] rules=, source MANIFEST */
        int dns_fd;                 /* the resolver's socket in the app's namespace, or -1 */
        int diag_fd;                /* socket diagnostics of the app's namespace, or -1 */
        int factory_fd;             /* the UDP peer factory of the app's namespace, or -1 (udp.c) */
        int pidfd;                  /* the last trapped task's pidfd, or -1 (broker thread, net.c) */
        pid_t pidfd_tid;
        unsigned dns_busy;          /* lookups running (atomic) */
        /* Names the resolver answered, by address, so a connect is decided
         * (and logged) by the name the app asked for. Under d->lock. */
        struct emp_resolved {
                struct emp_addr addr;
                char name[254];
        } *names; /* EMP_RESOLVED entries, allocated at the first answer */
#define EMP_RESOLVED 256
        unsigned names_next;
        /* Broker thread only: paths recently found in the app's own view. */
#define EMP_VIEW_CACHE 256
        char *view_cache[EMP_VIEW_CACHE];
        /* Decisions already in the audit log for this instance (d->lock). */
#define EMP_AUDIT_SEEN 512
        char *audit_seen[EMP_AUDIT_SEEN];
        struct emp_broker_box *next;
};

void emp_broker_reply(int listener, uint64_t id, int error, bool cont);
/* Answer with a return value (a byte count). */
void emp_broker_reply_value(int listener, uint64_t id, int64_t val);
bool emp_broker_id_valid(int listener, uint64_t id);
static inline void emp_broker_box_ref(struct emp_broker_box *box)
{
        __atomic_add_fetch(&box->refs, 1, __ATOMIC_SEQ_CST);
}
/* The box stays on the list until reaped; this only counts. */
void emp_broker_box_unref(struct emp_broker_box *box);

/* Whether this (permission, decision, source) was already logged for the
 * box's instance; remembers it if not (d->lock held). Repeats of one
 * decision by one running app are logged once: a loop cannot flush the log. */
bool emp_audit_seen(struct emp_broker_box *box, const char *perm, bool allow, const char *source);
void emp_audit_seen_free(struct emp_broker_box *box);

/* net.c: a trapped connect(fd, addr, len) (args as the kernel passed them). */
void emp_net_connect(struct emp_broker_box *box, const struct seccomp_notif *n, int fd, uint64_t addr,
                     uint64_t addrlen);
/* net.c: a trapped shutdown(fd, how), performed on our copy of the socket
 * (a host listener stays one). */
void emp_net_shutdown(struct emp_broker_box *box, const struct seccomp_notif *n, int fd, int how);
/* net.c: a trapped sendto, sendmsg or sendmmsg (the notification's own
 * arguments are decoded there). */
void emp_net_send(struct emp_broker_box *box, const struct seccomp_notif *n);
/* The app's root directory (O_PATH), opened from /proc/PID/root of a caller
 * the first time; owned by the box. -errno when it cannot be opened. */
int emp_broker_root(struct emp_broker_box *box, pid_t pid);
/* net.c: a trapped bind(fd, addr, len). */
void emp_net_bind(struct emp_broker_box *box, const struct seccomp_notif *n, int fd, uint64_t addr,
                  uint64_t addrlen);
/* net.c: answer a connect or bind that waited for a prompt (lock held). */
void emp_net_call_finish(struct emp_daemon *d, struct emp_broker_call *call, bool allow);
/* net.c: the box's network settings from Broker.Attach. 0 or -errno. */
int emp_net_box_setup(struct emp_broker_box *box, bool network, const char *provider, char **rules,
                      struct emp_error *err);
void emp_net_box_free(struct emp_broker_box *box);

/* resolver.c: answer one query waiting on box->dns_fd (broker thread). */
void emp_resolver_serve(struct emp_broker_box *box);
/* The name the resolver gave addr to this app, or NULL (d->lock held). */
const char *emp_resolver_name(const struct emp_broker_box *box, const struct emp_addr *addr);
/* Whether addr is one of the resolver's stand-in addresses (socks5). */
bool emp_resolver_is_fake(const struct emp_addr *addr);
