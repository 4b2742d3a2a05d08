/* fdpass.h — one file descriptor over a Unix socket (SCM_RIGHTS). */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/* Send one byte carrying fd. 0 or -errno. */
int emp_fd_send(int sock, int fd);
/* Receive one byte and the fd riding on it (O_CLOEXEC) into *ret_fd:
 * 0, -EPIPE on EOF, -EBADMSG when no fd came, or -errno. */
int emp_fd_recv(int sock, int *ret_fd);
/* recvmsg() up to len bytes into buf; an fd riding on them is stored in
 * *ret_fd (O_CLOEXEC; any further ones are closed), else *ret_fd is -1.
 * Returns the byte count (0 on EOF) or -errno. */
ssize_t emp_recv_with_fd(int sock, void *buf, size_t len, int *ret_fd);
