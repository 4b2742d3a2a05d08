/* net_internal.h — what the TCP side of the network gateway (net.c) shares
 * with its UDP side (net_udp.c): reading the app, deciding, the call. */
#pragma once
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "broker_internal.h"

/* Copy len bytes at addr out of the app (process_vm_readv). 0 or -EFAULT. */
int emp_net_read_mem(pid_t pid, uint64_t addr, void *buf, size_t len);
/* Our duplicate of the app's fd, checked against the notification (ID_VALID
 * after the pidfd is known to name the trapped task, any of its threads).
 * The fd, -ESRCH (gone) or -errno. Broker thread only. */
int emp_net_app_socket(struct emp_broker_box *box, const struct seccomp_notif *n, int fd);
/* The same when the socket is of type (SOCK_STREAM, SOCK_DGRAM); else the
 * call is answered (continued, or -ESRCH when gone) and -1 returned. */
int emp_net_app_socket_typed(struct emp_broker_box *box, const struct seccomp_notif *n, int fd, int type);
/* getsockopt of an int; -1 on error. */
int emp_net_sock_int(int fd, int level, int name);
/* Whether the app itself serves addr:port (a listening TCP or bound UDP
 * socket of its own namespace). */
bool emp_net_app_serves(const struct emp_broker_box *box, pid_t pid, int type, const struct emp_addr *addr,
                        uint16_t port);
/* The call for a trapped socket operation (takes sock); NULL when out of
 * memory, the notification answered. */
struct emp_broker_call *emp_net_call_new(struct emp_broker_box *box, const struct seccomp_notif *n,
                                         enum emp_call_kind kind, int fd, int sock,
                                         const struct sockaddr_storage *ss, socklen_t len,
                                         const struct emp_addr *addr, uint16_t port, enum emp_protocol proto);
/* Decide, log and answer the call (or queue it for a prompt). */
void emp_net_decide(struct emp_broker_box *box, struct emp_broker_call *c, const struct emp_addr *addr);
void emp_net_call_free(struct emp_broker_call *c);

/* net_udp.c: a trapped connect of a UDP socket to an IP destination beyond
 * the app's own services (sock taken). */
void emp_net_udp_connect(struct emp_broker_box *box, const struct seccomp_notif *n, int fd, int sock,
                         const struct sockaddr_storage *ss, socklen_t len, const struct emp_addr *addr,
                         uint16_t port);
/* net_udp.c: carry out an allowed UDP call (the decision is made and
 * logged): make the pair, then connect or continue. Answers the call. */
void emp_net_udp_perform(struct emp_broker_call *c);
