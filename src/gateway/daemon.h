/* daemon.h — empyrad's state shared by the server loop and the methods. */
#pragma once
#include <stdbool.h>

#include "audit/audit.h"
#include "common/error.h"
#include "common/xdg.h"
#include "policy/store.h"
#include "screensaver.h"

struct emp_daemon {
        struct emp_dirs dirs;
        char *socket_path;
        char *lock_path;
        int lock_fd;
        int listen_fd;
        int epoll_fd;
        int signal_fd;
        unsigned n_clients;
        bool stopping;
        struct emp_policy_store store; /* every app's user rules (policy.json) */
        struct emp_audit *audit;        /* the audit log writer */
        struct emp_screensaver *screensaver; /* focus's inhibition, held here */
};

#define EMPYRAD_VERSION "0.1.0"
#define EMP_DAEMON_MAX_CLIENTS 64

/* Take the lock, bind the socket, run until SIGTERM/SIGINT. 0 or -errno. */
int emp_daemon_run(struct emp_daemon *d, struct emp_error *err);
