/* server.c — empyrad's event loop: one listening Unix socket, one signalfd,
 * and at most EMP_DAEMON_MAX_CLIENTS control connections, all in one epoll.
 * A misbehaving client loses its own connection, never the daemon. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api.h"
#include "broker.h"
#include "common/cleanup.h"
#include "common/fdpass.h"
#include "common/fs.h"
#include "daemon.h"
#include "launcher/focus.h"
#include "methods.h"
#include "peer.h"
#include "prompts.h"

struct emp_client {
        int fd;
        bool watcher; /* answers prompts: gets them as they come */
        struct emp_api_reader reader;
        struct emp_client *next;
};
#define client emp_client

static int open_lock(struct emp_daemon *d, struct emp_error *err)
{
        d->lock_fd = open(d->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (d->lock_fd < 0)
                return emp_error_errno(err, -errno, "opening %s", d->lock_path);
        if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0)
                return emp_error_set(err, errno == EWOULDBLOCK ? -EALREADY : -errno,
                                     "another empyrad already runs for this user (%s is locked)", d->lock_path);
        return 0;
}

static int open_listener(struct emp_daemon *d, struct emp_error *err)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(d->socket_path) >= sizeof(sa.sun_path))
                return emp_error_set(err, -ENAMETOOLONG, "socket path %s is too long", d->socket_path);
        strcpy(sa.sun_path, d->socket_path);
        d->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (d->listen_fd < 0)
                return emp_error_errno(err, -errno, "socket");
        /* We hold the lock, so a socket file left there is a dead daemon's. */
        unlink(d->socket_path);
        mode_t old = umask(0077);
        int r = bind(d->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
        umask(old);
        if (r < 0)
                return emp_error_errno(err, -errno, "binding %s", d->socket_path);
        if (listen(d->listen_fd, 64) < 0)
                return emp_error_errno(err, -errno, "listen");
        return 0;
}

static int epoll_add(int ep, int fd, void *ptr)
{
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = ptr};
        return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void client_close(struct emp_daemon *d, struct client *c)
{
        epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        for (struct client **pp = &d->clients; *pp; pp = &(*pp)->next)
                if (*pp == c) {
                        *pp = c->next;
                        break;
                }
        if (c->watcher)
                d->n_watchers--;
        free(c);
        d->n_clients--;
}

/* Replies are small; a client that does not read them within a second
 * loses its connection (SO_SNDTIMEO) instead of blocking the daemon. */
static int client_send(struct client *c, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

struct dispatch_ctx {
        struct emp_daemon *d;
        struct client *c;
};

void emp_server_broadcast(struct emp_daemon *d, json_t *event)
{
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        if (emp_api_event(event, &out, &len) < 0)
                return;
        for (struct client *c = d->clients; c; c = c->next)
                if (c->watcher)
                        client_send(c, out, len); /* a UI too slow to read loses its prompts, not us */
}

void emp_daemon_wake(struct emp_daemon *d)
{
        uint64_t one = 1;
        if (write(d->wake_fd, &one, sizeof(one)) < 0) {
                /* only fails when the counter is full: the loop is awake anyway */
        }
}

/* Prompts.Watch: this connection answers prompts from now on; it gets the
 * pending ones now and each new one as it comes. */
static void start_watching(struct emp_daemon *d, struct client *c, char **out, size_t *out_len)
{
        if (!c->watcher) {
                c->watcher = true;
                d->n_watchers++;
        }
        emp_api_event(json_pack("{s:o}", "prompts", emp_prompts_list(d)), out, out_len);
}

static int handle_message(const char *msg, size_t len, void *ctx_)
{
        struct dispatch_ctx *ctx = ctx_;
        struct emp_api_request req = {0};
        struct emp_error err = {0};
        _cleanup_free_ char *out = NULL;
        size_t out_len = 0;
        if (emp_api_parse_request(msg, len, &req, &err) < 0) {
                emp_api_error(EMP_API_ERR_INVALID, err.msg, &out, &out_len);
        } else if (strcmp(req.method, "io.empyra.Prompts.Watch") == 0) {
                start_watching(ctx->d, ctx->c, &out, &out_len);
                emp_api_request_free(&req);
        } else {
                struct emp_method_result res = {0};
                emp_methods_dispatch(ctx->d, req.method, req.params, &res);
                if (res.error)
                        emp_api_error(res.error, res.message, &out, &out_len);
                else
                        emp_api_reply(res.reply, &out, &out_len);
                emp_api_request_free(&req);
        }
        return out ? client_send(ctx->c, out, out_len) : -ENOMEM;
}

static void client_readable(struct emp_daemon *d, struct client *c)
{
        char buf[16384];
        int passed[EMP_MAX_PASSED_FDS];
        ssize_t n = emp_recv_with_fds(c->fd, buf, sizeof(buf), passed);
        if (n == -EAGAIN || n == -EINTR)
                return;
        struct dispatch_ctx ctx = {d, c};
        /* fds are for the message they came with (Broker.Attach); unclaimed, they are closed. */
        for (size_t i = 0; i < EMP_MAX_PASSED_FDS; i++)
                d->passed_fds[i] = passed[i];
        int r = n > 0 ? emp_api_reader_feed(&c->reader, buf, (size_t)n, handle_message, &ctx) : -1;
        for (size_t i = 0; i < EMP_MAX_PASSED_FDS; i++) {
                if (d->passed_fds[i] >= 0)
                        close(d->passed_fds[i]);
                d->passed_fds[i] = -1;
        }
        if (n <= 0 || r < 0) {
                if (n > 0 && c->reader.len >= EMP_API_MAX_MESSAGE) {
                        _cleanup_free_ char *out = NULL;
                        size_t len = 0;
                        if (emp_api_error(EMP_API_ERR_INVALID, "message too long", &out, &len) == 0)
                                client_send(c, out, len);
                }
                client_close(d, c);
        }
}

static void accept_client(struct emp_daemon *d)
{
        int fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
                return;
        struct emp_error err = {0};
        if (d->n_clients >= EMP_DAEMON_MAX_CLIENTS || emp_peer_check(fd, &err) < 0) {
                _cleanup_free_ char *out = NULL;
                size_t len = 0;
                if (emp_api_error(EMP_API_ERR_DENIED, err.msg[0] ? err.msg : "too many connections", &out, &len) == 0)
                        send(fd, out, len, MSG_NOSIGNAL | MSG_DONTWAIT);
                close(fd);
                return;
        }
        struct timeval tv = {.tv_sec = 1};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        struct client *c = calloc(1, sizeof(*c));
        if (!c) {
                close(fd);
                return;
        }
        c->fd = fd;
        if (epoll_add(d->epoll_fd, fd, c) < 0) {
                close(fd);
                free(c);
                return;
        }
        c->next = d->clients;
        d->clients = c;
        d->n_clients++;
}

/* The policy store and the audit log, opened once the lock is ours. A
 * corrupt store or a damaged log is reported and set aside, never fatal:
 * the daemon must come up to answer the apps. */
static int open_state(struct emp_daemon *d, struct emp_error *err)
{
        struct emp_error e = {0};
        int r = emp_policy_store_load(d->dirs.config, &d->store, &e);
        if (r != 0)
                fprintf(stderr, "empyrad: policy store %s/%s: %s%s\n", d->dirs.config, EMP_POLICY_STORE_FILE, e.msg,
                        r > 0 ? " (using the last good copy)" : " (running on the defaults)");
        r = emp_mkdir_p(d->dirs.state, 0700);
        if (r < 0)
                return emp_error_errno(err, r, "creating %s", d->dirs.state);
        struct emp_audit_options opts = {.restart_damaged = true};
        struct emp_audit_open_info info = {0};
        emp_error_clear(&e);
        r = emp_audit_open(d->dirs.state, &opts, &d->audit, &info, &e);
        if (r < 0)
                return emp_error_set(err, r, "audit log in %s: %s", d->dirs.state, e.msg);
        if (info.moved_to[0])
                fprintf(stderr, "empyrad: the audit log was damaged (%s); it was moved to %s/%s and a new one "
                                "started\n",
                        info.damage, d->dirs.state, info.moved_to);
        return 0;
}

int emp_daemon_run(struct emp_daemon *d, struct emp_error *err)
{
        int r;
        if ((r = emp_dirs_ensure_runtime(&d->dirs)) < 0)
                return emp_error_errno(err, r, "runtime directory %s", d->dirs.runtime);
        if ((r = open_lock(d, err)) < 0 || (r = open_state(d, err)) < 0 || (r = open_listener(d, err)) < 0)
                return r;
        /* Focus state outlives the daemon (files): take up its extras again. */
        d->screensaver = emp_screensaver_new();
        char *focused = NULL;
        if (emp_focus_get(d->dirs.runtime, &focused) == 0 && focused)
                emp_screensaver_sync(d->screensaver, focused);
        free(focused);
        signal(SIGXFSZ, SIG_IGN); /* a full disk fails a write; it must not kill us */
        /* Each brokered app holds a connection, a listener and a root fd here. */
        struct rlimit nofile;
        if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
                nofile.rlim_cur = nofile.rlim_max;
                setrlimit(RLIMIT_NOFILE, &nofile);
        }
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        sigprocmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);
        d->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        d->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        d->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (d->signal_fd < 0 || d->epoll_fd < 0 || d->wake_fd < 0)
                return emp_error_errno(err, -errno, "event loop setup");
        if ((r = epoll_add(d->epoll_fd, d->listen_fd, &d->listen_fd)) < 0 ||
            (r = epoll_add(d->epoll_fd, d->signal_fd, &d->signal_fd)) < 0 ||
            (r = epoll_add(d->epoll_fd, d->wake_fd, &d->wake_fd)) < 0)
                return emp_error_errno(err, r, "event loop setup");
        int prompt_timeout = -1;
        while (!d->stopping) {
                struct epoll_event ev[16];
                /* Audit lines become durable within a second (batched fsync);
                 * prompts end at their deadline. */
                pthread_mutex_lock(&d->lock);
                int timeout = emp_audit_flush_timeout_ms(d->audit);
                pthread_mutex_unlock(&d->lock);
                if (prompt_timeout >= 0 && (timeout < 0 || prompt_timeout < timeout))
                        timeout = prompt_timeout;
                int n = epoll_wait(d->epoll_fd, ev, 16, timeout);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return emp_error_errno(err, -errno, "epoll_wait");
                pthread_mutex_lock(&d->lock);
                if (emp_audit_flush_timeout_ms(d->audit) == 0)
                        emp_audit_flush(d->audit, NULL);
                for (int i = 0; i < n; i++) {
                        if (ev[i].data.ptr == &d->listen_fd) {
                                accept_client(d);
                        } else if (ev[i].data.ptr == &d->signal_fd) {
                                d->stopping = true;
                        } else if (ev[i].data.ptr == &d->wake_fd) {
                                uint64_t v;
                                if (read(d->wake_fd, &v, sizeof(v)) < 0) {
                                        /* EAGAIN: a spurious wake-up */
                                }
                        } else {
                                client_readable(d, ev[i].data.ptr);
                        }
                }
                emp_broker_reap(d);
                prompt_timeout = emp_prompts_tick(d);
                pthread_mutex_unlock(&d->lock);
        }
        /* Clean shutdown: the socket goes first so clients start a new one;
         * launchers hand their listeners to it. Pending prompts end as deny. */
        unlink(d->socket_path);
        pthread_mutex_lock(&d->lock);
        emp_prompts_deny_all(d);
        pthread_mutex_unlock(&d->lock);
        emp_broker_stop_all(d);
        while (d->clients)
                client_close(d, d->clients);
        return emp_audit_close(TAKE_PTR(d->audit), err);
}
