/* broker_link.c — hands the app's seccomp listener to empyrad, and to its
 * successor when it restarts; the launcher's copy never enters the sandbox. */
#include "broker_link.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "gateway/client.h"

void emp_broker_link_init(struct emp_broker_link *l)
{
        const char *a = getenv("EMPYRA_AUTOSTART");
        *l = (struct emp_broker_link){.conn = -1, .listener = -1, .autostart = !(a && strcmp(a, "0") == 0)};
}

void emp_broker_link_free(struct emp_broker_link *l)
{
        if (l->conn >= 0)
                close(l->conn);
        if (l->listener >= 0)
                close(l->listener);
        json_decref(l->attach);
        emp_broker_link_init(l);
}

int emp_broker_link_connect(struct emp_broker_link *l, struct emp_error *err)
{
        int fd = emp_client_connect(l->autostart, err);
        if (fd == -ENOENT && !l->autostart)
                return emp_error_set(err, fd, "no empyrad answers (EMPYRA_AUTOSTART=0 keeps empyra from starting one)");
        if (fd < 0)
                return fd;
        l->conn = fd;
        return 0;
}

static int send_attach(struct emp_broker_link *l, struct emp_error *err)
{
        json_t *reply = NULL;
        _cleanup_free_ char *error = NULL;
        int r = emp_client_call_on(l->conn, "io.empyra.Broker.Attach", json_incref(l->attach), l->listener, &reply,
                                   &error, err);
        if (r < 0)
                return r;
        if (error) {
                const char *msg = json_string_value(json_object_get(reply, "message"));
                emp_error_set(err, -EPROTO, "empyrad refused the app's broker: %s%s%s", error, msg ? ": " : "",
                              msg ? msg : "");
                json_decref(reply);
                return -EPROTO;
        }
        json_decref(reply);
        return 0;
}

int emp_broker_link_attach(struct emp_broker_link *l, int listener, json_t *attach, struct emp_error *err)
{
        l->listener = listener;
        l->attach = attach;
        return send_attach(l, err);
}

void emp_broker_link_lost(struct emp_broker_link *l)
{
        if (l->conn >= 0)
                close(l->conn);
        l->conn = -1;
}

int emp_broker_link_reattach(struct emp_broker_link *l, struct emp_error *err)
{
        int r = emp_broker_link_connect(l, err);
        if (r < 0)
                return r;
        r = send_attach(l, err);
        if (r < 0)
                emp_broker_link_lost(l);
        return r;
}

static int ns_inode(pid_t pid, ino_t *ret)
{
        char path[64];
        struct stat st;
        snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
        if (stat(path, &st) < 0)
                return -errno;
        *ret = st.st_ino;
        return 0;
}

void emp_broker_link_kick(pid_t init_pid)
{
        ino_t ns;
        if (ns_inode(init_pid, &ns) < 0)
                return;
        DIR *d = opendir("/proc");
        if (!d)
                return;
        pid_t pids[4096];
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(d)) && n < ARRAY_SIZE(pids)) {
                char *end;
                long pid = strtol(e->d_name, &end, 10);
                ino_t other;
                if (*end || pid <= 0 || pid == init_pid || ns_inode((pid_t)pid, &other) < 0 || other != ns)
                        continue;
                pids[n++] = (pid_t)pid;
        }
        closedir(d);
        /* Stop them all first, then continue them all: the app sees one pause. */
        for (size_t i = 0; i < n; i++)
                kill(pids[i], SIGSTOP);
        for (size_t i = 0; i < n; i++)
                kill(pids[i], SIGCONT);
}
