/* client.c — the CLI side of the control API: connect, start empyrad when
 * nothing answers, send one request, read one NUL-framed reply. */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "common/cleanup.h"
#include "common/fdpass.h"
#include "common/xdg.h"

extern char **environ;

static int try_connect(const char *path)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int e = -errno;
                close(fd);
                return e;
        }
        return fd;
}

/* empyrad lives next to the empyra binary (build/ or the install prefix). */
static int spawn_daemon(const char *log_path, struct emp_error *err)
{
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 16);
        if (n < 0)
                return emp_error_errno(err, -errno, "finding empyrad");
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        strcpy(slash + 1, "empyrad");
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t at;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        /* The daemon outlives this command: it must hold none of the
         * caller's descriptors (a shell's $(...) would wait on them). */
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        posix_spawn_file_actions_addclosefrom_np(&fa, 3);
        posix_spawnattr_init(&at);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID);
        char *argv[] = {self, NULL};
        pid_t pid;
        int r = posix_spawn(&pid, self, &fa, &at, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&at);
        if (r != 0)
                return emp_error_errno(err, -r, "starting %s", self);
        return 0;
}

int emp_client_connect(bool start, struct emp_error *err)
{
        struct emp_dirs dirs;
        if (emp_dirs_init(&dirs) < 0)
                return emp_error_set(err, -ENOENT, "cannot find the runtime directory");
        char path[PATH_MAX], log_path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/empyrad.sock", dirs.runtime);
        snprintf(log_path, sizeof(log_path), "%s/empyrad.log", dirs.runtime);
        int fd = try_connect(path);
        if (fd >= 0 || (fd != -ENOENT && fd != -ECONNREFUSED) || !start) {
                emp_dirs_free(&dirs);
                if (fd < 0 && !start)
                        return -ENOENT;
                return fd >= 0 ? fd : emp_error_errno(err, fd, "connecting to %s", path);
        }
        /* First use: the runtime dir (and so the daemon's log) may not exist. */
        int r = emp_dirs_ensure_runtime(&dirs);
        if (r < 0) {
                emp_error_errno(err, r, "runtime directory %s", dirs.runtime);
                emp_dirs_free(&dirs);
                return r;
        }
        emp_dirs_free(&dirs);
        r = spawn_daemon(log_path, err);
        if (r < 0)
                return r;
        for (int i = 0; i < 200; i++) { /* up to 2 s for it to bind */
                nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
                if ((fd = try_connect(path)) >= 0)
                        return fd;
        }
        return emp_error_errno(err, fd, "empyrad did not start (socket %s)", path);
}

int emp_client_read_message(int fd, json_t **ret, struct emp_error *err)
{
        _cleanup_free_ char *buf = malloc(EMP_API_MAX_MESSAGE + 1);
        size_t len = 0;
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len > EMP_API_MAX_MESSAGE)
                        return emp_error_set(err, -EMSGSIZE, "empyrad's reply is too long");
                ssize_t n = read(fd, buf + len, EMP_API_MAX_MESSAGE + 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return emp_error_set(err, -EPIPE, "empyrad closed the connection");
                char *nul = memchr(buf + len, '\0', (size_t)n);
                len += (size_t)n;
                if (nul) {
                        json_error_t jerr;
                        json_t *o = json_loadb(buf, (size_t)(nul - buf), 0, &jerr);
                        if (!json_is_object(o)) {
                                json_decref(o);
                                return emp_error_set(err, -EBADMSG, "empyrad's reply is not a JSON object");
                        }
                        *ret = o;
                        return 0;
                }
        }
}

/* One message, with the fds (n_fds, at most EMP_MAX_PASSED_FDS) riding on its first byte. */
static int send_message(int fd, const char *msg, size_t len, const int *fds, size_t n_fds)
{
        struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
        union {
                char buf[CMSG_SPACE(EMP_MAX_PASSED_FDS * sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        if (n_fds > EMP_MAX_PASSED_FDS)
                return -EINVAL;
        if (n_fds > 0) {
                memset(&u, 0, sizeof(u));
                mh.msg_control = u.buf;
                mh.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
                memcpy(CMSG_DATA(c), fds, n_fds * sizeof(int));
        }
        while (iov.iov_len > 0) {
                ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                iov.iov_base = (char *)iov.iov_base + n;
                iov.iov_len -= (size_t)n;
                mh.msg_control = NULL; /* the fds went with the first part */
                mh.msg_controllen = 0;
        }
        return 0;
}

int emp_client_call_on(int fd, const char *method, json_t *params, const int *fds, size_t n_fds,
                       json_t **ret_reply, char **ret_error, struct emp_error *err)
{
        _cleanup_free_ char *msg = NULL;
        size_t len = 0;
        int r = emp_api_format_request(method, params, &msg, &len);
        if (r < 0)
                return r;
        if ((r = send_message(fd, msg, len, fds, n_fds)) < 0)
                return emp_error_errno(err, r, "sending to empyrad");
        json_t *o = NULL;
        if ((r = emp_client_read_message(fd, &o, err)) < 0)
                return r;
        json_t *e = json_object_get(o, "error");
        json_t *p = json_object_get(o, "parameters");
        *ret_error = json_is_string(e) ? strdup(json_string_value(e)) : NULL;
        *ret_reply = p ? json_incref(p) : json_object();
        json_decref(o);
        return 0;
}

static int client_call(bool start, const char *method, json_t *params, json_t **ret_reply, char **ret_error,
                       struct emp_error *err)
{
        _cleanup_close_ int fd = emp_client_connect(start, err);
        if (fd < 0) {
                json_decref(params);
                return fd;
        }
        return emp_client_call_on(fd, method, params, NULL, 0, ret_reply, ret_error, err);
}

int emp_client_call(const char *method, json_t *params, json_t **ret_reply, char **ret_error, struct emp_error *err)
{
        return client_call(true, method, params, ret_reply, ret_error, err);
}

int emp_client_call_running(const char *method, json_t *params, json_t **ret_reply, char **ret_error,
                            struct emp_error *err)
{
        return client_call(false, method, params, ret_reply, ret_error, err);
}

void emp_client_focus_sync(bool start, FILE *report)
{
        /* Taking an inhibition needs a session bus; releasing one goes to
         * whichever empyrad holds it. */
        if (start && !getenv("DBUS_SESSION_BUS_ADDRESS")) {
                if (report)
                        fprintf(report, "not applied: screensaver inhibit (no session bus: "
                                        "DBUS_SESSION_BUS_ADDRESS is not set)\n");
                return;
        }
        json_t *reply = NULL;
        char *error = NULL;
        struct emp_error err = {0};
        int r = start ? emp_client_call("io.empyra.Focus.Sync", json_object(), &reply, &error, &err)
                      : emp_client_call_running("io.empyra.Focus.Sync", json_object(), &reply, &error, &err);
        if (r < 0) {
                if (report && r != -ENOENT)
                        fprintf(report, "not applied: screensaver inhibit (%s)\n", err.msg);
                return;
        }
        const char *keys[] = {"applied", "not_applied"};
        for (size_t k = 0; k < 2 && report; k++) {
                size_t i;
                json_t *v;
                json_array_foreach(json_object_get(reply, keys[k]), i, v)
                {
                        const char *line = json_string_value(v);
                        if (line && strstr(line, "screensaver"))
                                fprintf(report, "%s%s\n", k ? "not applied: " : "", line);
                }
        }
        free(error);
        json_decref(reply);
}
