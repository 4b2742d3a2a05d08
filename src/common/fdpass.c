/* fdpass.c — SCM_RIGHTS in both directions; every fd that arrives unasked
 * is closed so a peer cannot make us leak descriptors. */
#include "fdpass.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 4

int emp_fd_send(int sock, int fd)
{
        char byte = 'f';
        struct iovec iov = {.iov_base = &byte, .iov_len = 1};
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        memset(&u, 0, sizeof(u));
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        ssize_t n;
        do
                n = sendmsg(sock, &mh, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        return n == 1 ? 0 : -errno;
}

ssize_t emp_recv_with_fds(int sock, void *buf, size_t len, int ret_fds[EMP_MAX_PASSED_FDS])
{
        struct iovec iov = {.iov_base = buf, .iov_len = len};
        union {
                char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
        ssize_t n;
        do
                n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        size_t kept = 0;
        for (size_t i = 0; i < EMP_MAX_PASSED_FDS; i++)
                ret_fds[i] = -1;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < count; i++) {
                        int fd;
                        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        if (kept < EMP_MAX_PASSED_FDS)
                                ret_fds[kept++] = fd;
                        else
                                close(fd);
                }
        }
        return n;
}

int emp_fd_recv(int sock, int *ret_fd)
{
        char byte;
        int fds[EMP_MAX_PASSED_FDS];
        ssize_t n = emp_recv_with_fds(sock, &byte, 1, fds);
        if (n < 0)
                return (int)n;
        for (size_t i = 1; i < EMP_MAX_PASSED_FDS; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        if (n == 0) {
                if (fds[0] >= 0)
                        close(fds[0]);
                return -EPIPE;
        }
        if (fds[0] < 0)
                return -EBADMSG;
        *ret_fd = fds[0];
        return 0;
}
