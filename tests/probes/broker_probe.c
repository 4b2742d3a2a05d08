/* broker_probe.c — runs inside a brokered sandbox and tries what the file
 * broker must get right: plain reads and writes of host files, what an
 * injected fd lets *at() reach, O_PATH, and races on the path buffer. Files
 * whose first line starts with SECRET must never be read. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *ename(int e)
{
        switch (e) {
        case ENOENT: return "ENOENT";
        case EACCES: return "EACCES";
        case EPERM: return "EPERM";
        case ENOTDIR: return "ENOTDIR";
        case ENOSYS: return "ENOSYS";
        case EXDEV: return "EXDEV";
        case ELOOP: return "ELOOP";
        case EISDIR: return "EISDIR";
        default: return "E?";
        }
}

/* First line of fd, or "" */
static void first_line(int fd, char *buf, size_t size)
{
        ssize_t n = pread(fd, buf, size - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
}

/* Open path, read its first line into buf, close: -1 when it cannot be opened. */
static int open_first_line(const char *path, char *buf, size_t size)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        first_line(fd, buf, size);
        close(fd);
        return 0;
}

static int do_read(const char *path)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                printf("err:%s\n", ename(errno));
                return 0;
        }
        char buf[256];
        first_line(fd, buf, sizeof(buf));
        printf("ok:%s\n", buf);
        close(fd);
        return 0;
}

static int do_write(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
                printf("err:%s\n", ename(errno));
                return 0;
        }
        ssize_t n = write(fd, text, strlen(text));
        printf(n == (ssize_t)strlen(text) ? "ok\n" : "err:short\n");
        close(fd);
        return 0;
}

static void result(const char *what, int r)
{
        printf("%s=%s\n", what, r >= 0 ? "ok" : ename(errno));
        if (r >= 0)
                close(r);
}

static int do_at_escape(const char *path)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                printf("open=%s\n", ename(errno));
                return 0;
        }
        struct stat st;
        fstat(fd, &st);
        printf("type=%s\n", S_ISREG(st.st_mode) ? "reg" : S_ISDIR(st.st_mode) ? "dir" : "other");
        result("dotdot", openat(fd, "..", O_RDONLY));
        result("sibling", openat(fd, "../secret", O_RDONLY));
        result("fchdir", fchdir(fd) == 0 ? dup(0) : -1);
        close(fd);
        return 0;
}

static int do_opath(const char *path)
{
        result("opath", open(path, O_PATH | O_CLOEXEC));
        result("directory", open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        return 0;
}

/* --- racing the path buffer: one thread opens, another rewrites the path --- */
static char race_buf[4096];
static const char *race_paths[3];
static volatile int race_stop;

static void *flipper(void *arg)
{
        (void)arg;
        for (unsigned i = 0; !race_stop; i++) {
                const char *p = race_paths[i % 3];
                /* Byte by byte, so the opener also sees torn mixtures. */
                for (size_t k = 0; p[k]; k++)
                        race_buf[k] = p[k];
                race_buf[strlen(p)] = '\0';
        }
        return NULL;
}

static int do_race_buffer(const char *a, const char *b, const char *c, int n)
{
        race_paths[0] = a;
        race_paths[1] = b;
        race_paths[2] = c;
        snprintf(race_buf, sizeof(race_buf), "%s", a);
        pthread_t t;
        pthread_create(&t, NULL, flipper, NULL);
        int secret = 0, opened = 0, failed = 0;
        for (int i = 0; i < n; i++) {
                char buf[256];
                if (open_first_line(race_buf, buf, sizeof(buf)) < 0) {
                        failed++;
                        continue;
                }
                secret += strncmp(buf, "SECRET", 6) == 0;
                opened++;
        }
        race_stop = 1;
        pthread_join(t, NULL);
        printf("secret=%d opened=%d failed=%d\n", secret, opened, failed);
        return 0;
}

static int do_loop_read(const char *path, int n)
{
        int secret = 0, granted = 0, failed = 0;
        for (int i = 0; i < n; i++) {
                char buf[256];
                if (open_first_line(path, buf, sizeof(buf)) < 0) {
                        failed++;
                        continue;
                }
                secret += strncmp(buf, "SECRET", 6) == 0;
                granted += strncmp(buf, "GRANTED", 7) == 0;
        }
        printf("secret=%d granted=%d failed=%d\n", secret, granted, failed);
        return 0;
}

int main(int argc, char **argv)
{
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (argc == 3 && strcmp(argv[1], "read") == 0)
                return do_read(argv[2]);
        if (argc == 4 && strcmp(argv[1], "write") == 0)
                return do_write(argv[2], argv[3]);
        if (argc == 3 && strcmp(argv[1], "at-escape") == 0)
                return do_at_escape(argv[2]);
        if (argc == 3 && strcmp(argv[1], "opath") == 0)
                return do_opath(argv[2]);
        if (argc == 6 && strcmp(argv[1], "race-buffer") == 0)
                return do_race_buffer(argv[2], argv[3], argv[4], atoi(argv[5]));
        if (argc == 4 && strcmp(argv[1], "loop-read") == 0)
                return do_loop_read(argv[2], atoi(argv[3]));
        fprintf(stderr, "usage: broker_probe read|write|at-escape|opath|race-buffer|loop-read ...\n");
        return 2;
}
