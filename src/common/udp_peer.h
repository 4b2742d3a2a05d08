/* udp_peer.h — the socket factory of an app's network namespace: a tiny
 * process of the launcher's, entered into the app's user and network
 * namespaces, that makes exactly one kind of socket for empyrad — a UDP peer
 * bound where the app sends (IP_FREEBIND) and connected to the app's socket. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* One request, exact size: local is where the peer is bound (the
 * destination the app sends to), remote where it is connected (the app's
 * socket). Both AF_INET or both AF_INET6. */
struct emp_udp_peer_request {
        uint32_t local_len, remote_len;
        struct sockaddr_storage local, remote;
};

/* Serve requests on sock until EOF (the factory process's whole life):
 * each gets an int32 (0 or -errno) and, on 0, the peer socket (SCM_RIGHTS).
 * Returns 0 at EOF or -errno. */
int emp_udp_peer_serve(int sock);
/* Ask the factory on sock for a peer. The socket (non-blocking, O_CLOEXEC)
 * or -errno; -ETIMEDOUT when the factory does not answer within a second. */
int emp_udp_peer_request(int sock, const struct sockaddr *local, socklen_t local_len,
                         const struct sockaddr *remote, socklen_t remote_len);
/* Whether two IPv4 or IPv6 addresses name the same address and port (the
 * rest of the sockaddr, flow and scope, does not count). */
bool emp_udp_same_endpoint(const struct sockaddr *a, const struct sockaddr *b);
