/* fs.c — file helpers for the launcher; directory creation under
 * app-writable trees goes through openat2 so planted symlinks never redirect. */
#include "fs.h"

#include <errno.h>
#include <sys/random.h>
#include <stdio.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

int emp_openat2(int dirfd, const char *path, int flags, unsigned long long resolve)
{
        struct open_how how = {.flags = (unsigned long long)flags | O_CLOEXEC, .resolve = resolve};
        long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        return fd < 0 ? -errno : (int)fd;
}

int emp_write_all(int fd, const void *data, size_t len)
{
        const char *p = data;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int emp_write_file_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
        _cleanup_close_ int fd =
                openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        return emp_write_all(fd, data, len);
}

/* A fresh temporary beside name: ".NAME.XXXXXX", opened O_EXCL (two
 * writers never share one). */
static int open_temp(int dfd, const char *name, mode_t mode, char *tmp, size_t size)
{
        static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
        for (int attempt = 0; attempt < 100; attempt++) {
                unsigned char rnd[6];
                if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
                        return -errno ?: -EIO;
                int n = snprintf(tmp, size, ".%s.", name);
                if (n < 0 || (size_t)n + sizeof(rnd) + 1 > size)
                        return -ENAMETOOLONG;
                for (size_t i = 0; i < sizeof(rnd); i++)
                        tmp[n + (int)i] = chars[rnd[i] % (sizeof(chars) - 1)];
                tmp[n + (int)sizeof(rnd)] = '\0';
                int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
                if (fd >= 0 || errno != EEXIST)
                        return fd >= 0 ? fd : -errno;
        }
        return -EEXIST;
}

int emp_replace_file_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
        char tmp[PATH_MAX];
        int fd = open_temp(dirfd, name, mode, tmp, sizeof(tmp));
        if (fd < 0)
                return fd;
        int r = emp_write_all(fd, data, len);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
                r = -errno;
        if (r < 0) {
                unlinkat(dirfd, tmp, 0);
                return r;
        }
        return fsync(dirfd) < 0 ? -errno : 0;
}

int emp_write_string(const char *path, const char *s)
{
        /* O_TRUNC is a no-op on kernel knobs and keeps plain files exact. */
        _cleanup_close_ int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* Kernel knobs take one write; a short write is an error there. */
        ssize_t n = write(fd, s, strlen(s));
        if (n < 0)
                return -errno;
        return (size_t)n == strlen(s) ? 0 : -EIO;
}

/* Read until EOF or max bytes, growing the buffer from an initial guess
 * (the file's size when it says; proc files say 0). */
int emp_read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct stat st;
        size_t cap = 4096;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
                cap = (size_t)st.st_size + 1;
        if (cap > max + 1)
                cap = max + 1;
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        size_t len = 0;
        for (;;) {
                if (len == cap) {
                        if (cap == max + 1)
                                return -EFBIG;
                        size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
                        char *nb = realloc(buf, ncap);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                        cap = ncap;
                }
                ssize_t n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        if (len == cap) { /* exactly full: room for the NUL */
                if (cap == max + 1)
                        return -EFBIG;
                char *nb = realloc(buf, cap + 1);
                if (!nb)
                        return -ENOMEM;
                buf = nb;
        }
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

int emp_mkdir_beneath(int dirfd, const char *rel, mode_t mode, int *ret_fd)
{
        _cleanup_free_ char *copy = strdup(rel);
        if (!copy)
                return -ENOMEM;
        _cleanup_close_ int cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
        if (cur < 0)
                return -errno;
        char *save = NULL;
        for (char *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
                if (strcmp(part, ".") == 0)
                        continue;
                if (strcmp(part, "..") == 0)
                        return -EINVAL;
                if (mkdirat(cur, part, mode) < 0 && errno != EEXIST)
                        return -errno;
                int next = emp_openat2(cur, part, O_RDONLY | O_DIRECTORY,
                                       RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
                if (next < 0)
                        return next == -ELOOP ? -ELOOP : next;
                close(cur);
                cur = next;
        }
        *ret_fd = TAKE_FD(cur);
        return 0;
}

int emp_mkdir_p(const char *path, mode_t mode)
{
        /* Usually everything exists already: one syscall, not one per level. */
        if (mkdir(path, mode) == 0 || errno == EEXIST)
                return 0;
        if (errno != ENOENT)
                return -errno;
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int emp_proc_status_field(pid_t pid, const char *field, int base, long *ret)
{
        char path[64], key[40];
        snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
        if (snprintf(key, sizeof(key), "\n%s:", field) >= (int)sizeof(key))
                return -EINVAL;
        _cleanup_free_ char *st = NULL;
        int r = emp_read_file(path, 64 * 1024, &st, NULL);
        if (r < 0)
                return r;
        const char *at = strstr(st, key);
        if (!at)
                return -ENOENT;
        char *end;
        errno = 0;
        long v = strtol(at + strlen(key), &end, base);
        if (errno || end == at + strlen(key))
                return -EBADMSG;
        *ret = v;
        return 0;
}
