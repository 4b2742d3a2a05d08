/* broker_link.h — the launcher's side of the seccomp hand-over (DESIGN.md §1):
 * it keeps a duplicate of the app's listener outside the sandbox, gives it to
 * empyrad, and gives it again to an empyrad that restarted. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"

/* No empyrad for this long ends the app: trapped calls never wait forever. */
#define EMP_BROKER_ORPHAN_SECONDS 10

struct emp_broker_link {
        int conn;         /* control connection to empyrad; -1 while lost */
        int listener;     /* our duplicate of the app's seccomp listener */
        int dns;          /* the resolver socket in the app's namespace, or -1 */
        int diag;         /* a NETLINK_SOCK_DIAG socket in the app's namespace, or -1 */
        int factory;      /* the UDP peer factory's socket (netns.h), or -1 */
        pid_t factory_pid; /* its process, killed with the link; 0 for none */
        json_t *attach;   /* io.empyra.Broker.Attach parameters, sent again on re-attach */
        bool autostart;   /* start empyrad when none answers (EMPYRA_AUTOSTART=0: no) */
};

void emp_broker_link_init(struct emp_broker_link *l);
void emp_broker_link_free(struct emp_broker_link *l);
/* Connect (starting empyrad unless autostart is off) before the app exists,
 * so the daemon's start-up overlaps building the sandbox. */
int emp_broker_link_connect(struct emp_broker_link *l, struct emp_error *err);
/* Hand the listener, the resolver socket, the socket-diagnostics socket and
 * the UDP peer factory's socket (-1 for none; all taken) to empyrad with the
 * attach parameters (taken). */
int emp_broker_link_attach(struct emp_broker_link *l, int listener, int dns, int diag, int factory,
                           json_t *attach, struct emp_error *err);
/* The connection broke (empyrad died): forget it. */
void emp_broker_link_lost(struct emp_broker_link *l);
/* One attempt to reach an empyrad and hand it the listener again. */
int emp_broker_link_reattach(struct emp_broker_link *l, struct emp_error *err);
/* Make the sandbox's calls that the lost empyrad had taken but not answered
 * trap again, so the new one sees them: SIGSTOP + SIGCONT to every
 * descendant of the sandbox's pid 1 (a stop restarts an interrupted call). */
void emp_broker_link_kick(pid_t init_pid);
