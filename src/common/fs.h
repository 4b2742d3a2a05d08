/* fs.h — small file helpers used by the launcher: whole-file read/write,
 * directory creation that never follows symlinks. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/* Write all of data to fd, retrying short writes and EINTR. 0 or -errno. */
int emp_write_all(int fd, const void *data, size_t len);
/* Write data to dirfd/name (created with mode, truncated). 0 or -errno. */
int emp_write_file_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode);
/* Replace dirfd/name atomically: write .name.XXXXXX (mode), fsync, rename,
 * fsync dirfd. A crash leaves the old or the new file, never a torn one. */
int emp_replace_file_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode);
/* Write a string into an existing file (cgroup knobs, /proc files). */
int emp_write_string(const char *path, const char *s);
/* Read up to max bytes of a file into a NUL-terminated buffer *ret. */
int emp_read_file(const char *path, size_t max, char **ret, size_t *ret_len);
/* One numeric field ("Tgid", "PPid", "Umask") of /proc/PID/status, in base
 * (0: as strtol decides). 0 or -errno (-ENOENT when the field is missing);
 * *ret untouched on failure. */
int emp_proc_status_field(pid_t pid, const char *field, int base, long *ret);
/* Create every component of the relative path `rel` beneath dirfd, refusing
 * symlinks and ".." (openat2 RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH), and return
 * an O_DIRECTORY fd of the last component in *ret_fd. */
int emp_mkdir_beneath(int dirfd, const char *rel, mode_t mode, int *ret_fd);
/* mkdir -p for an absolute path we own (host side, trusted locations). */
int emp_mkdir_p(const char *path, mode_t mode);
/* openat2 wrapper (Debian 12's glibc has no wrapper). */
int emp_openat2(int dirfd, const char *path, int flags, unsigned long long resolve);
