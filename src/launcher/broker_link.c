/* broker_link.c — hands the app's seccomp listener to empyrad, and to its
 * successor when it restarts; the launcher's copy never enters the sandbox. */
#include "broker_link.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "gateway/client.h"

void emp_broker_link_init(struct emp_broker_link *l)
{
        const char *a = getenv("EMPYRA_AUTOSTART");
        *l = (struct emp_broker_link){.conn = -1, .listener = -1, .dns = -1, .diag = -1, .factory = -1,
                                      .autostart = !(a && strcmp(a, "0") == 0)};
}

void emp_broker_link_free(struct emp_broker_link *l)
{
        if (l->conn >= 0)
                close(l->conn);
        if (l->listener >= 0)
                close(l->listener);
        if (l->dns >= 0)
                close(l->dns);
        if (l->diag >= 0)
                close(l->diag);
        if (l->factory >= 0)
                close(l->factory);
        if (l->factory_pid > 0) {
                kill(l->factory_pid, SIGKILL);
                waitpid(l->factory_pid, NULL, 0);
        }
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
        int fds[4] = {l->listener, l->dns, l->diag, l->factory};
        int r = emp_client_call_on(l->conn, "io.empyra.Broker.Attach", json_incref(l->attach), fds,
                                   l->factory >= 0 ? 4 : l->dns >= 0 ? 3 : 1, &reply, &error, err);
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

int emp_broker_link_attach(struct emp_broker_link *l, int listener, int dns, int diag, int factory,
                           json_t *attach, struct emp_error *err)
{
        l->factory = factory;
        l->listener = listener;
        l->dns = dns;
        l->diag = diag;
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

/* Parent of pid from /proc/PID/stat (readable by anyone, unlike the ns
 * links of a pid 1 that never exec'd in its user namespace). */
static pid_t parent_of(pid_t pid)
{
        char path[64], buf[512];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return -1;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        char *end = strrchr(buf, ')'); /* the name may hold anything */
        int ppid;
        if (!end || sscanf(end + 1, " %*c %d", &ppid) != 1)
                return -1;
        return (pid_t)ppid;
}

void emp_broker_link_kick(pid_t init_pid)
{
        enum { MAX = 8192 };
        static pid_t pids[MAX], parents[MAX];
        static bool in_sandbox[MAX];
        size_t n = 0;
        DIR *d = opendir("/proc");
        if (!d)
                return;
        struct dirent *e;
        while ((e = readdir(d)) && n < MAX) {
                char *end;
                long pid = strtol(e->d_name, &end, 10);
                if (*end || pid <= 0)
                        continue;
                pids[n] = (pid_t)pid;
                parents[n] = parent_of((pid_t)pid);
                in_sandbox[n] = false;
                n++;
        }
        closedir(d);
        /* Everything descending from the sandbox's pid 1 (orphans inside are
         * re-parented to it, so nothing escapes the tree). */
        for (bool grew = true; grew;) {
                grew = false;
                for (size_t i = 0; i < n; i++) {
                        if (in_sandbox[i])
                                continue;
                        bool below = parents[i] == init_pid;
                        for (size_t j = 0; !below && j < n; j++)
                                below = in_sandbox[j] && pids[j] == parents[i];
                        if (below)
                                in_sandbox[i] = grew = true;
                }
        }
        /* Stop them all first, then continue them all: the app sees one pause. */
        for (size_t i = 0; i < n; i++)
                if (in_sandbox[i])
                        kill(pids[i], SIGSTOP);
        for (size_t i = 0; i < n; i++)
                if (in_sandbox[i])
                        kill(pids[i], SIGCONT);
}
