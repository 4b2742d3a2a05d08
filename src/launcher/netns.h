/* netns.h — the app's network namespace: its loopback, the catch-all local
 * routes the gateway's UDP peers rely on, and the socket factory process
 * that makes those peers there for empyrad (DESIGN.md §5, architecture.md). */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"

/* Inside the new namespace, still privileged: bring lo up; with the gateway
 * (shared=network) also route every address locally (0.0.0.0/0 and ::/0,
 * type local, source 127.0.0.1 / ::1), so a UDP datagram to any destination
 * is delivered inside the namespace — to a peer empyrad made for an allowed
 * destination, or to nobody. 0 or -errno with err set. */
int emp_netns_setup(bool gateway, struct emp_error *err);

/* Outside: fork the factory, entered into the user and network namespaces
 * of pid child. *ret_sock is empyrad's end (SOCK_SEQPACKET), *ret_pid the
 * process (it dies with the launcher). 0 or -errno with err set. */
int emp_netns_factory_start(pid_t child, int *ret_sock, pid_t *ret_pid, struct emp_error *err);
