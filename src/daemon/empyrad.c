/* empyrad.c — the per-user gateway daemon's entry point: find the runtime
 * directory, serve the control API until SIGTERM. Started on demand by
 * `empyra` (or as a systemd user service). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/daemon.h"
#include "gateway/prompts.h"

int main(int argc, char **argv)
{
        if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "--version") == 0)) {
                printf("empyrad %s: Empyra's per-user gateway daemon (control API on "
                       "$XDG_RUNTIME_DIR/empyra/empyrad.sock)\n",
                       EMPYRAD_VERSION);
                return 0;
        }
        struct emp_daemon d = {.lock_fd = -1, .listen_fd = -1, .epoll_fd = -1, .signal_fd = -1, .wake_fd = -1,
                               .passed_fds = {-1, -1, -1}};
        pthread_mutex_init(&d.lock, NULL);
        d.prompt_timeout_ms = EMP_PROMPT_TIMEOUT_MS;
        /* Test hook: the suite cannot wait 30 s per timeout case. */
        const char *t = getenv("EMPYRA_TEST_PROMPT_TIMEOUT_MS");
        if (t && atoi(t) > 0)
                d.prompt_timeout_ms = atoi(t);
        struct emp_error err = {0};
        emp_policy_store_init(&d.store);
        if (emp_dirs_init(&d.dirs) < 0) {
                fprintf(stderr, "empyrad: cannot find the home and runtime directories\n");
                return 1;
        }
        if (asprintf(&d.socket_path, "%s/empyrad.sock", d.dirs.runtime) < 0 ||
            asprintf(&d.lock_path, "%s/empyrad.lock", d.dirs.runtime) < 0)
                return 1;
        /* The broker never serves Empyra's own files, by name or real path. */
        const char *own[] = {d.dirs.config, d.dirs.state, d.dirs.data, d.dirs.runtime};
        size_t k = 0;
        for (size_t i = 0; i < 4; i++) {
                d.never[k++] = strdup(own[i]);
                char *real = realpath(own[i], NULL);
                if (real)
                        d.never[k++] = real;
        }
        int r = emp_daemon_run(&d, &err);
        if (r < 0)
                fprintf(stderr, "empyrad: %s\n", err.msg);
        if (d.audit)
                emp_audit_close(d.audit, NULL);
        emp_screensaver_free(d.screensaver);
        emp_policy_store_free(&d.store);
        for (size_t i = 0; i < 8 && d.never[i]; i++)
                free(d.never[i]);
        free(d.socket_path);
        free(d.lock_path);
        emp_dirs_free(&d.dirs);
        return r == -EALREADY ? 0 : (r < 0 ? 1 : 0);
}
