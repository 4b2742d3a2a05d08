/* daemon.h — empyrad's state shared by the server loop and the methods. */
#pragma once
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "audit/audit.h"
#include "common/error.h"
#include "common/fdpass.h"
#include "common/xdg.h"
#include "policy/store.h"
#include "screensaver.h"

struct emp_broker_box; /* broker.h */
struct emp_prompt;     /* prompts.h */
struct emp_client;     /* server.c */

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

        /* Broker threads and the event loop share the store, the audit log,
         * the prompt queue and the box list: all under this lock. */
        pthread_mutex_t lock;
        int wake_fd; /* eventfd: a broker thread queued a prompt or finished */
        struct emp_client *clients; /* server.c's control connections */
        struct emp_broker_box *boxes;
        struct emp_prompt *prompts;
        uint64_t next_prompt_id;
        unsigned n_watchers; /* connections answering prompts (Prompts.Watch) */
        int prompt_timeout_ms; /* EMP_PROMPT_TIMEOUT_MS; tests shorten it */
        /* The fds that came with the message being dispatched (SCM_RIGHTS);
         * a method that keeps one sets it to -1, else the loop closes it. */
        int passed_fds[EMP_MAX_PASSED_FDS];
        /* Host prefixes the broker never serves: Empyra's own directories. */
        char *never[9];
};

#define EMPYRAD_VERSION "0.1.0"
/* Every brokered app keeps one connection open (its launcher's). */
#define EMP_DAEMON_MAX_CLIENTS 1024

/* Take the lock, bind the socket, run until SIGTERM/SIGINT. 0 or -errno. */
int emp_daemon_run(struct emp_daemon *d, struct emp_error *err);

/* server.c: send event (stolen) to every connection watching prompts, as a
 * reply with "continues": true. Called with d->lock held. */
void emp_server_broadcast(struct emp_daemon *d, json_t *event);
/* Wake the event loop from a broker thread. */
void emp_daemon_wake(struct emp_daemon *d);
