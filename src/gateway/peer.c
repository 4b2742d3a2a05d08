/* peer.c — control connections are accepted only from the owning user in
 * the daemon's own user namespace (DESIGN.md §9): a sandboxed app runs as the
 * same uid, so the namespace check is what keeps it out. */
#include "peer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5; Debian 12's headers lack it */
#endif

pid_t emp_pidfd_pid(int pidfd)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
        _cleanup_free_ char *text = NULL;
        if (emp_read_file(path, 4096, &text, NULL) < 0)
                return -1;
        const char *p = strstr(text, "\nPid:");
        return p ? (pid_t)strtol(p + 5, NULL, 10) : -1;
}

static int same_userns(pid_t pid)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%ld/ns/user", (long)pid);
        struct stat theirs, ours;
        if (stat(path, &theirs) < 0 || stat("/proc/self/ns/user", &ours) < 0)
                return -errno;
        return theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino ? 0 : -EPERM;
}

int emp_peer_check(int fd, struct emp_error *err)
{
        struct ucred cred;
        socklen_t len = sizeof(cred);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return emp_error_errno(err, -errno, "peer credentials");
        if (cred.uid != getuid())
                return emp_error_set(err, -EPERM, "peer uid %u is not this daemon's user", (unsigned)cred.uid);
        if (cred.pid <= 0)
                return emp_error_set(err, -EPERM, "peer is in a pid namespace this daemon cannot see");
        int r = same_userns(cred.pid);
        if (r < 0)
                return emp_error_set(err, -EPERM, "peer pid %ld is in another user namespace", (long)cred.pid);
        /* The pid may have been reused since connect(); a pidfd pins it. */
        int pidfd = -1;
        len = sizeof(pidfd);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 && pidfd >= 0) {
                pid_t now = emp_pidfd_pid(pidfd);
                close(pidfd);
                if (now != cred.pid)
                        return emp_error_set(err, -EPERM, "peer exited while connecting");
        }
        return 0;
}
