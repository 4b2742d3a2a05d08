/* udp.h — UDP through the network gateway (DESIGN.md §5, architecture.md):
 * per (app socket, allowed destination) a pair of sockets — a peer inside the
 * app's namespace, bound at the destination's address and connected to the
 * app's socket, and a host socket connected to the destination — with one
 * relay thread moving datagrams between them. The app's own socket never
 * leaves its namespace, so what it can reach is exactly the pairs made for
 * it: a send continued after the decision cannot go anywhere new. */
#pragma once
#include <stdbool.h>
#include <sys/socket.h>

struct emp_broker_box;

/* The address the app's UDP socket sends from, as a peer inside the app's
 * namespace sees it, for a datagram to dst: the socket's own address, with a
 * wildcard one replaced by the catch-all route's source (127.0.0.1 / ::1)
 * and IPv4-mapped forms as plain IPv4 when dst is IPv4. Pure; 0 or -EINVAL. */
int emp_udp_app_address(const struct sockaddr *bound, socklen_t bound_len, int dst_family,
                        struct sockaddr_storage *ret, socklen_t *ret_len);
/* Whether box already has the pair (app, dst). */
bool emp_udp_pair_exists(struct emp_broker_box *box, const struct sockaddr *app, const struct sockaddr *dst);
/* The fast path's lookup: whether box has a pair for dst made for the app
 * socket with inode ino (as /proc/PID/fd/N shows it). */
bool emp_udp_pair_exists_ino(struct emp_broker_box *box, unsigned long ino, const struct sockaddr *dst);
/* Make the pair (app, dst) for box, unless it exists: a peer from the box's
 * factory and a host socket connected to dst; ino is the app socket's
 * inode (0: unknown). 0 or -errno. */
int emp_udp_pair_open(struct emp_broker_box *box, const struct sockaddr *app, socklen_t app_len,
                      const struct sockaddr *dst, socklen_t dst_len, unsigned long ino);
/* The box's sandbox ended: close its pairs. */
void emp_udp_box_end(struct emp_broker_box *box);
/* How many pairs box has (tests, Apps.List). */
unsigned emp_udp_pair_count(struct emp_broker_box *box);
/* Daemon exit: close every pair and stop the relay. */
void emp_udp_shutdown(void);
