/* broker.c — answers the trapped opens of brokered sandboxes. A path the app
 * can reach in its own view is continued (the mount view and Landlock are
 * the whole policy for it); one that is not there but names a host file is
 * decided by policy, opened here beneath its grant and injected. The path is
 * copied once and every decision is made on that copy. */
#include "broker.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "broker_internal.h"
#include "udp.h"
#include "broker_path.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "daemon.h"
#include "prompts.h"

/* Kernel 6.6; Debian 12's headers lack them (NOTES.md). */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/* One trapped open, decoded. */
struct open_args {
        int dirfd;
        uint64_t path_addr;
        int flags;
        mode_t mode;
};

static int decode(const struct seccomp_notif *n, struct open_args *ret)
{
        int nr = n->data.nr;
        const __u64 *a = n->data.args;
        enum { OPEN, OPENAT, CREAT, CONNECT, BIND, SEND, SHUTDOWN, SOCKETCALL } op;
        if (n->data.arch == AUDIT_ARCH_X86_64)
                op = nr == 2 ? OPEN : nr == 257 ? OPENAT : nr == 85 ? CREAT : nr == 42 ? CONNECT : nr == 49 ? BIND
                   : nr == 44 || nr == 46 || nr == 307 ? SEND : nr == 48 ? SHUTDOWN : -1;
        else if (n->data.arch == AUDIT_ARCH_I386)
                op = nr == 5 ? OPEN : nr == 295 ? OPENAT : nr == 8 ? CREAT : nr == 362 ? CONNECT : nr == 361 ? BIND
                   : nr == 369 || nr == 370 || nr == 345 ? SEND : nr == 373 ? SHUTDOWN : nr == 102 ? SOCKETCALL : -1;
        else
                return -ENOSYS;
        switch ((int)op) {
        case OPEN: *ret = (struct open_args){AT_FDCWD, a[0], (int)a[1], (mode_t)a[2]}; return 0;
        case OPENAT: *ret = (struct open_args){(int)a[0], a[1], (int)a[2], (mode_t)a[3]}; return 0;
        case CREAT: *ret = (struct open_args){AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, (mode_t)a[1]}; return 0;
        case CONNECT: return 1;
        case BIND: return 2;
        case SEND: return 3;
        case SHUTDOWN: return 4;
        case SOCKETCALL: return 5;
        default: return -ENOSYS;
        }
}

/* Copy the NUL-terminated path out of the app once, a page at a time (a
 * read across an unmapped page fails as a whole). */
static int read_path(pid_t pid, uint64_t addr, char *buf, size_t size)
{
        size_t got = 0;
        while (got < size) {
                size_t chunk = 4096 - ((addr + got) & 4095);
                if (chunk > size - got)
                        chunk = size - got;
                struct iovec local = {buf + got, chunk}, remote = {(void *)(uintptr_t)(addr + got), chunk};
                ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
                if (n <= 0)
                        return -EFAULT;
                if (memchr(buf + got, '\0', (size_t)n))
                        return 0;
                got += (size_t)n;
        }
        return -ENAMETOOLONG;
}

bool emp_broker_id_valid(int listener, uint64_t id)
{
        return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

void emp_broker_reply_value(int listener, uint64_t id, int64_t val)
{
        struct seccomp_notif_resp r = {.id = id, .val = val};
        ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &r);
}

void emp_broker_reply(int listener, uint64_t id, int error, bool cont)
{
        struct seccomp_notif_resp r = {.id = id, .error = cont ? 0 : error,
                                       .flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0};
        ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &r);
}

static int openat2_fd(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
        struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};
        int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        return fd < 0 ? -errno : fd;
}

/* Whether the kernel alone should answer: the path resolves in the app's own
 * view (or fails there for a reason other than absence), or it creates a
 * file whose parent is in the view. */
static bool in_view(const struct emp_broker_box *box, const char *view, int flags)
{
        uint64_t resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        int fd = openat2_fd(box->root_fd, view, O_PATH | O_CLOEXEC | (flags & O_NOFOLLOW), 0, resolve);
        if (fd >= 0) {
                close(fd);
                return true;
        }
        if (fd != -ENOENT)
                return true;
        if (!(flags & O_CREAT))
                return false;
        char parent[PATH_MAX];
        snprintf(parent, sizeof(parent), "%s", view);
        char *slash = strrchr(parent, '/');
        if (!slash)
                return true;
        slash[slash == parent ? 1 : 0] = '\0';
        fd = openat2_fd(box->root_fd, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, resolve);
        if (fd >= 0)
                close(fd);
        return fd >= 0;
}

/* Where a relative path starts, as the kernel says (never the app). */
static int view_base(pid_t pid, int dirfd, char *buf, size_t size)
{
        char link[64];
        if (dirfd == AT_FDCWD)
                snprintf(link, sizeof(link), "/proc/%d/cwd", (int)pid);
        else
                snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, dirfd);
        ssize_t n = readlink(link, buf, size - 1);
        if (n <= 0 || buf[0] != '/')
                return -ENOENT;
        buf[n] = '\0';
        return 0;
}

static int app_umask(pid_t pid)
{
        long mask = 022;
        emp_proc_status_field(pid, "Umask", 8, &mask);
        return (int)(mask & 0777);
}

/* Open host_path beneath grant (a directory: any file under it, symlinks
 * staying beneath) or as the grant itself (NULL or equal: that one file,
 * no symlinks). Only regular files come back; never O_PATH or directories. */
static int open_beneath(const char *grant, const char *host_path, int flags, mode_t mode, int *ret_fd)
{
        if (flags & (O_PATH | O_DIRECTORY))
                return -EACCES;
        /* O_NONBLOCK until the type is known: opening a FIFO (or a device)
         * must not hold the broker. */
        uint64_t oflags = (uint64_t)(flags & ~O_CLOEXEC) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
        if (!(flags & O_CREAT))
                mode = 0;
        _cleanup_close_ int dirfd = -1;
        const char *rel;
        uint64_t resolve;
        if (!grant || strcmp(grant, host_path) == 0) {
                char dir[PATH_MAX];
                snprintf(dir, sizeof(dir), "%s", host_path);
                char *slash = strrchr(dir, '/');
                if (!slash || !slash[1])
                        return -EACCES;
                rel = host_path + (slash - dir) + 1;
                slash[slash == dir ? 1 : 0] = '\0';
                dirfd = openat2_fd(AT_FDCWD, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE_NO_SYMLINKS);
                resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
        } else {
                size_t gl = strlen(grant);
                if (strncmp(host_path, grant, gl) != 0 || (host_path[gl] != '/' && strcmp(grant, "/") != 0))
                        return -EACCES;
                rel = host_path + gl + (strcmp(grant, "/") != 0);
                dirfd = openat2_fd(AT_FDCWD, grant, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE_NO_SYMLINKS);
                resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
        }
        if (dirfd < 0)
                return dirfd == -ENOENT ? -ENOENT : -EACCES;
        int fd = openat2_fd(dirfd, rel, oflags, mode, resolve);
        if (fd == -EXDEV || fd == -ELOOP)
                fd = -EACCES; /* it tried to leave the grant */
        if (fd < 0)
                return fd;
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return -EACCES;
        }
        if (!(flags & O_NONBLOCK))
                fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        *ret_fd = fd;
        return 0;
}

/* 0, or <0 when the line could not be written: then nothing is allowed. */
static int audit_file(struct emp_daemon *d, const struct emp_broker_box *box, const char *perm,
                      const char *decision, const char *source, const char *path)
{
        struct emp_audit_record rec = {.app = box->app_id, .instance = box->instance, .permission = perm,
                                       .decision = decision, .source = source, .path = path};
        return emp_audit_append(d->audit, &rec, NULL);
}

static char *file_permission(const char *host_path, enum emp_file_access access)
{
        char *s = NULL;
        if (asprintf(&s, "filesystem:%s%s", host_path, access == EMP_ACCESS_READ ? ":ro" : "") < 0)
                return NULL;
        return s;
}


void emp_broker_call_finish(struct emp_daemon *d, struct emp_broker_call *call, bool allow, const char *grant)
{
        if (call->kind != EMP_CALL_OPEN) {
                emp_net_call_finish(d, call, allow);
                return;
        }
        struct emp_broker_box *box = call->box;
        int err = -EACCES;
        if (allow && emp_broker_id_valid(box->listener, call->notif_id)) {
                int fd = -1;
                /* The umask matters only when a file is created. */
                mode_t mode = (call->flags & O_CREAT) ? call->mode & 07777 & ~(mode_t)app_umask(call->pid) : 0;
                err = open_beneath(grant, call->host_path, call->flags, mode, &fd);
                if (err == 0) {
                        struct seccomp_notif_addfd a = {.id = call->notif_id, .flags = SECCOMP_ADDFD_FLAG_SEND,
                                                        .srcfd = (uint32_t)fd,
                                                        .newfd_flags = (uint32_t)(call->flags & O_CLOEXEC)};
                        if (ioctl(box->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a) < 0)
                                err = -errno;
                        close(fd);
                        if (err == 0)
                                goto done;
                }
        }
        emp_broker_reply(box->listener, call->notif_id, err, false);
done:
        (void)d;
        free(call->host_path);
        free(call);
        emp_broker_box_unref(box);
}

const char *emp_broker_call_app(const struct emp_broker_call *call) { return call->box->app_id; }
const char *emp_broker_call_instance(const struct emp_broker_call *call) { return call->box->instance; }

/* A host file: decide, then answer now or queue a prompt. */
static void host_file(struct emp_broker_box *box, const struct seccomp_notif *n, const struct open_args *a,
                      const char *host_path)
{
        struct emp_daemon *d = box->d;
        bool write = (a->flags & O_ACCMODE) != O_RDONLY || (a->flags & (O_TRUNC | O_CREAT));
        enum emp_file_access access = write ? EMP_ACCESS_WRITE : EMP_ACCESS_READ;
        _cleanup_free_ char *perm = file_permission(host_path, access);
        struct emp_broker_call *call = calloc(1, sizeof(*call));
        if (!perm || !call || !(call->host_path = strdup(host_path))) {
                free(call);
                emp_broker_reply(box->listener, n->id, -ENOMEM, false);
                return;
        }
        call->kind = EMP_CALL_OPEN;
        call->notif_id = n->id;
        call->pid = (pid_t)n->pid;
        call->flags = a->flags;
        call->mode = a->mode;
        call->access = access;
        call->box = box;

        emp_broker_box_ref(box);
        pthread_mutex_lock(&d->lock);
        struct emp_policy empty;
        emp_policy_init(&empty);
        const struct emp_policy *p = emp_policy_store_find(&d->store, box->app_id);
        struct emp_request req = {.kind = EMP_REQUEST_FILE, .path = host_path, .access = access};
        struct emp_verdict v = {0};
        /* A path no permission can name (control characters, invalid
         * UTF-8) cannot be asked about either: denied. */
        const char *source = "unnameable";
        if (emp_policy_decide(p ? p : &empty, &req, time(NULL), &v) < 0)
                v.decision = EMP_DECISION_DENY;
        else
                source = emp_source_str(v.source);
        _cleanup_free_ char *grant = v.rule && v.decision == EMP_DECISION_ALLOW ? strdup(v.rule->perm.path) : NULL;
        /* Ask only about what exists (or may be created): nobody is asked
         * about a typo. Allowed or denied, the open itself tells. */
        struct stat st;
        if (v.decision == EMP_DECISION_ASK && stat(host_path, &st) < 0 && !(a->flags & O_CREAT)) {
                pthread_mutex_unlock(&d->lock);
                emp_broker_reply(box->listener, n->id, 0, true); /* the kernel says ENOENT */
                free(call->host_path);
                free(call);
                emp_broker_box_unref(box);
                return;
        }
        if (v.decision == EMP_DECISION_ASK) {
                if (emp_prompts_add(d, call, perm) < 0) {
                        audit_file(d, box, perm, "deny", "prompt-failed", host_path);
                        emp_broker_call_finish(d, call, false, NULL);
                }
                pthread_mutex_unlock(&d->lock);
                return;
        }
        bool allow = v.decision == EMP_DECISION_ALLOW;
        /* A decision that could not be logged does not take effect. The same
         * decision for the same file is logged once per running instance. */
        if (!emp_audit_seen(box, perm, allow, source) &&
            audit_file(d, box, perm, allow ? "allow" : "deny", source, host_path) < 0)
                allow = false;
        pthread_mutex_unlock(&d->lock);
        /* The open happens outside the lock: a slow disk stalls only this app. */
        emp_broker_call_finish(d, call, allow, allow ? (grant ? grant : host_path) : NULL);
}

/* Paths recently found in the app's own view (libraries, configs opened over
 * and over). A hit skips the resolution; a stale hit can only mean the
 * kernel answers natively (ENOENT), never that a host file is served. */
static uint32_t view_hash(const char *s)
{
        uint32_t h = 2166136261u; /* FNV-1a */
        for (; *s; s++)
                h = (h ^ (uint8_t)*s) * 16777619u;
        return h;
}

static bool view_cached(const struct emp_broker_box *box, const char *view)
{
        const char *e = box->view_cache[view_hash(view) % EMP_VIEW_CACHE];
        return e && strcmp(e, view) == 0;
}

static void view_remember(struct emp_broker_box *box, const char *view)
{
        char **slot = &box->view_cache[view_hash(view) % EMP_VIEW_CACHE];
        if (*slot && strcmp(*slot, view) == 0)
                return;
        char *copy = strdup(view);
        if (!copy)
                return;
        free(*slot);
        *slot = copy;
}

static int open_root(struct emp_broker_box *box, const struct seccomp_notif *n)
{
        char root[64];
        snprintf(root, sizeof(root), "/proc/%u/root", n->pid);
        int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* Still the caller's pid, so still its root (not a reused pid's). */
        if (!emp_broker_id_valid(box->listener, n->id)) {
                close(fd);
                return -ESRCH;
        }
        /* The broker thread and connect threads may race to set it: one wins. */
        int expected = -1;
        if (!__atomic_compare_exchange_n(&box->root_fd, &expected, fd, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
                close(fd);
        return 0;
}

int emp_broker_root(struct emp_broker_box *box, pid_t pid)
{
        int fd = __atomic_load_n(&box->root_fd, __ATOMIC_SEQ_CST);
        if (fd >= 0)
                return fd;
        char root[64];
        snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
        fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int expected = -1;
        if (!__atomic_compare_exchange_n(&box->root_fd, &expected, fd, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
                close(fd);
                return expected;
        }
        return fd;
}

/* i386's multiplexed socketcall(call, args): the calls the gateway decides
 * are decoded (their arguments, in memory, copied once) and handled as the
 * direct syscalls; the others are continued. A copy of the notification
 * carries the decoded arguments; its id is the trapped call's. */
static void socketcall(struct emp_broker_box *box, const struct seccomp_notif *n)
{
        enum { SYS_BIND_ = 2, SYS_CONNECT_ = 3, SYS_SENDTO_ = 11, SYS_SHUTDOWN_ = 13, SYS_SENDMSG_ = 16,
               SYS_SENDMMSG_ = 20 };
        int call = (int)n->data.args[0];
        size_t count = call == SYS_BIND_ || call == SYS_CONNECT_ || call == SYS_SENDMSG_ ? 3
                       : call == SYS_SENDTO_                                             ? 6
                       : call == SYS_SHUTDOWN_                                           ? 2
                       : call == SYS_SENDMMSG_                                           ? 4
                                                                                         : 0;
        uint32_t a[6] = {0};
        struct iovec local = {a, count * sizeof(uint32_t)},
                     remote = {(void *)(uintptr_t)n->data.args[1], count * sizeof(uint32_t)};
        if (count == 0 ||
            process_vm_readv((pid_t)n->pid, &local, 1, &remote, 1, 0) != (ssize_t)(count * sizeof(uint32_t))) {
                emp_broker_reply(box->listener, n->id, 0, true); /* not ours, or EFAULT natively */
                return;
        }
        struct seccomp_notif m = *n;
        for (size_t i = 0; i < 6; i++)
                m.data.args[i] = a[i];
        switch (call) {
        case SYS_CONNECT_:
                emp_net_connect(box, &m, (int)a[0], a[1], a[2]);
                return;
        case SYS_BIND_:
                emp_net_bind(box, &m, (int)a[0], a[1], a[2]);
                return;
        case SYS_SHUTDOWN_:
                emp_net_shutdown(box, &m, (int)a[0], (int)a[1]);
                return;
        default:
                m.data.nr = call == SYS_SENDTO_ ? 369 : call == SYS_SENDMSG_ ? 370 : 345;
                emp_net_send(box, &m);
                return;
        }
}

static void handle(struct emp_broker_box *box, const struct seccomp_notif *n)
{
        struct open_args a;
        int kind = decode(n, &a);
        if (kind < 0) {
                emp_broker_reply(box->listener, n->id, -ENOSYS, false);
                return;
        }
        if (kind == 1) {
                emp_net_connect(box, n, (int)n->data.args[0], n->data.args[1], n->data.args[2]);
                return;
        }
        if (kind == 2) {
                emp_net_bind(box, n, (int)n->data.args[0], n->data.args[1], n->data.args[2]);
                return;
        }
        if (kind == 3) {
                emp_net_send(box, n);
                return;
        }
        if (kind == 4) {
                emp_net_shutdown(box, n, (int)n->data.args[0], (int)n->data.args[1]);
                return;
        }
        if (kind == 5) {
                socketcall(box, n);
                return;
        }

        char path[PATH_MAX], base[PATH_MAX], view[PATH_MAX], host[PATH_MAX];
        /* Unreadable or too long: the kernel gives the same error natively. */
        if (read_path((pid_t)n->pid, a.path_addr, path, sizeof(path)) < 0 || !path[0]) {
                emp_broker_reply(box->listener, n->id, 0, true);
                return;
        }
        /* What follows reads the caller's cwd and root by pid: valid only while
         * the notification lives, which host_file() checks (ID_VALID) before
         * anything is acted on; a continued call acts on nothing of ours. */
        if (box->root_fd < 0 && open_root(box, n) < 0) {
                emp_broker_reply(box->listener, n->id, 0, true);
                return;
        }
        if (path[0] != '/' && view_base((pid_t)n->pid, a.dirfd, base, sizeof(base)) < 0) {
                emp_broker_reply(box->listener, n->id, 0, true);
                return;
        }
        if (emp_broker_join(base, path, view, sizeof(view)) < 0 || view_cached(box, view) ||
            in_view(box, view, a.flags)) {
                view_remember(box, view);
                emp_broker_reply(box->listener, n->id, 0, true);
                return;
        }
        struct emp_broker_map map = {box->home_inside, box->home_host, (const char *const *)box->d->never};
        if (emp_broker_host_path(view, &map, host, sizeof(host)) < 0) {
                emp_broker_reply(box->listener, n->id, 0, true);
                return;
        }
        host_file(box, n, &a, host);
}

static void *box_thread(void *arg)
{
        struct emp_broker_box *box = arg;
        struct seccomp_notif_sizes sizes = {0};
        if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
                sizes.seccomp_notif = sizeof(struct seccomp_notif);
        size_t size = sizes.seccomp_notif > sizeof(struct seccomp_notif) ? sizes.seccomp_notif
                                                                          : sizeof(struct seccomp_notif);
        struct seccomp_notif *n = malloc(size);
        for (; n;) {
                struct pollfd p[3] = {{.fd = box->listener, .events = POLLIN},
                                      {.fd = box->stop_fd, .events = POLLIN},
                                      {.fd = box->dns_fd, .events = POLLIN}};
                if (poll(p, 3, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[1].revents)
                        break;
                if (p[2].revents & POLLIN)
                        emp_resolver_serve(box);
                if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
                        continue;
                if ((p[0].revents & (POLLHUP | POLLERR)) && !(p[0].revents & POLLIN))
                        break; /* every process of the sandbox is gone */
                memset(n, 0, size);
                if (ioctl(box->listener, SECCOMP_IOCTL_NOTIF_RECV, n) < 0) {
                        if (errno == EINTR || errno == ENOENT)
                                continue;
                        break;
                }
                handle(box, n);
        }
        free(n);
        emp_udp_box_end(box);
        pthread_mutex_lock(&box->d->lock);
        box->done = true;
        pthread_mutex_unlock(&box->d->lock);
        emp_daemon_wake(box->d);
        return NULL;
}

static void box_free(struct emp_broker_box *box)
{
        if (box->listener >= 0)
                close(box->listener);
        if (box->root_fd >= 0)
                close(box->root_fd);
        if (box->stop_fd >= 0)
                close(box->stop_fd);
        if (box->dns_fd >= 0)
                close(box->dns_fd);
        if (box->diag_fd >= 0)
                close(box->diag_fd);
        emp_udp_box_end(box);
        if (box->factory_fd >= 0)
                close(box->factory_fd);
        if (box->pidfd >= 0)
                close(box->pidfd);
        for (size_t i = 0; i < EMP_VIEW_CACHE; i++)
                free(box->view_cache[i]);
        emp_audit_seen_free(box);
        free(box->app_id);
        free(box->instance);
        free(box->home_inside);
        free(box->home_host);
        emp_net_box_free(box);
        free(box);
}

void emp_broker_box_unref(struct emp_broker_box *box)
{
        __atomic_sub_fetch(&box->refs, 1, __ATOMIC_SEQ_CST);
}

int emp_broker_attach(struct emp_daemon *d, int listener, const struct emp_broker_attach *info,
                      struct emp_error *err)
{
        struct emp_broker_box *box = calloc(1, sizeof(*box));
        if (!box) {
                close(listener);
                if (info->dns_fd >= 0)
                        close(info->dns_fd);
                if (info->diag_fd >= 0)
                        close(info->diag_fd);
                if (info->factory_fd >= 0)
                        close(info->factory_fd);
                return emp_error_set(err, -ENOMEM, "out of memory");
        }
        box->d = d;
        box->listener = listener;
        box->root_fd = -1;
        box->stop_fd = -1;
        box->dns_fd = info->dns_fd;
        box->diag_fd = info->diag_fd;
        box->factory_fd = info->factory_fd;
        box->pidfd = -1;
        box->init_pid = info->init_pid;
        char home_real[PATH_MAX];
        const char *home_host = realpath(info->home_host, home_real) ? home_real : info->home_host;
        box->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        box->app_id = strdup(info->app_id);
        box->instance = strdup(info->instance);
        box->home_inside = strdup(info->home_inside);
        box->home_host = strdup(home_host);
        emp_policy_init(&box->manifest);
        int r = emp_net_box_setup(box, info->network, info->provider, info->net_rules, err);
        if (r < 0) {
                box_free(box);
                return r;
        }
        if (box->stop_fd < 0 || !box->app_id || !box->instance || !box->home_inside || !box->home_host)
                r = emp_error_set(err, -ENOMEM, "out of memory");
        if (r < 0) {
                box_free(box);
                return r;
        }
        /* Wake the broker on the app's CPU (kernel 6.6+; older ones refuse). */
        ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setstacksize(&at, 256 * 1024);
        box->refs = 1;
        r = pthread_create(&box->thread, &at, box_thread, box);
        pthread_attr_destroy(&at);
        if (r != 0) {
                box_free(box);
                return emp_error_errno(err, -r, "starting a broker thread");
        }
        box->started = true;
        box->next = d->boxes;
        d->boxes = box;
        return 0;
}

static bool instance_running(struct emp_daemon *d, const char *app_id)
{
        for (struct emp_broker_box *b = d->boxes; b; b = b->next)
                if (!b->done && strcmp(b->app_id, app_id) == 0)
                        return true;
        return false;
}

void emp_broker_reap(struct emp_daemon *d)
{
        for (struct emp_broker_box **pp = &d->boxes; *pp;) {
                struct emp_broker_box *box = *pp;
                if (!box->done || __atomic_load_n(&box->refs, __ATOMIC_SEQ_CST) > 1) {
                        pp = &box->next;
                        continue;
                }
                *pp = box->next;
                pthread_join(box->thread, NULL);
                /* "Until the app exits": the last instance of the app is gone. */
                struct emp_policy *p = emp_policy_store_find(&d->store, box->app_id);
                if (p && !instance_running(d, box->app_id) && emp_policy_drop_scope(p, EMP_SCOPE_UNTIL_EXIT) > 0)
                        emp_policy_store_save(d->dirs.config, &d->store, NULL);
                box_free(box);
        }
}

void emp_broker_stop_all(struct emp_daemon *d)
{
        for (struct emp_broker_box *b = d->boxes; b; b = b->next) {
                uint64_t one = 1;
                if (write(b->stop_fd, &one, sizeof(one)) < 0) {
                        /* an eventfd write only fails on overflow */
                }
        }
        while (d->boxes) {
                struct emp_broker_box *box = d->boxes;
                d->boxes = box->next;
                pthread_join(box->thread, NULL);
                /* Lookups and blocking connects finishing in threads of their
                 * own still hold the box: give them a moment (bounded). */
                for (int i = 0; i < 200 && __atomic_load_n(&box->refs, __ATOMIC_SEQ_CST) > 1; i++)
                        usleep(10000);
                if (__atomic_load_n(&box->refs, __ATOMIC_SEQ_CST) > 1)
                        continue; /* exiting anyway: leave it to the exit rather than free it under them */
                box_free(box);
        }
        emp_udp_shutdown();
}

size_t emp_broker_count(struct emp_daemon *d)
{
        size_t n = 0;
        for (struct emp_broker_box *b = d->boxes; b; b = b->next)
                n += !b->done;
        return n;
}

json_t *emp_broker_list(struct emp_daemon *d)
{
        json_t *arr = json_array();
        for (struct emp_broker_box *b = d->boxes; b; b = b->next)
                if (!b->done)
                        json_array_append_new(arr, json_pack("{s:s, s:s, s:i}", "app", b->app_id, "instance",
                                                             b->instance, "pid", (int)b->init_pid));
        return arr;
}

bool emp_audit_seen(struct emp_broker_box *box, const char *perm, bool allow, const char *source)
{
        char key[4400];
        snprintf(key, sizeof(key), "%c%s %s", allow ? '+' : '-', source, perm);
        char **slot = &box->audit_seen[view_hash(key) % EMP_AUDIT_SEEN];
        if (*slot && strcmp(*slot, key) == 0)
                return true;
        free(*slot);
        *slot = strdup(key);
        return false;
}

void emp_audit_seen_free(struct emp_broker_box *box)
{
        for (size_t i = 0; i < EMP_AUDIT_SEEN; i++)
                free(box->audit_seen[i]);
}
