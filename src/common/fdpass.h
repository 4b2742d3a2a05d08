/* fdpass.h — one file descriptor over a Unix socket (SCM_RIGHTS). */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/* Send one byte carrying fd. 0 or -errno. */
int emp_fd_send(int sock, int fd);
/* Receive one byte and the fd riding on it (O_CLOEXEC) into *ret_fd:
 * 0, -EPIPE on EOF, -EBADMSG when no fd came, or -errno. */
int emp_fd_recv(int sock, int *ret_fd);
#define EMP_MAX_PASSED_FDS 4
/* recvmsg() up to len bytes into buf; fds riding on them are stored in
 * ret_fds (O_CLOEXEC; entries without one are -1, any beyond
 * EMP_MAX_PASSED_FDS are closed). Returns the byte count (0 on EOF) or -errno. */
ssize_t emp_recv_with_fds(int sock, void *buf, size_t len, int ret_fds[EMP_MAX_PASSED_FDS]);
