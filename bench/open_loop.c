/* open_loop.c — time open+close of one path, for bench/broker.
 *
 *   open_loop [-c] PATH [CALLS [BATCHES [WARM]]]
 *
 * Each call is a raw openat(AT_FDCWD, PATH, O_RDONLY|O_CLOEXEC) followed by
 * close(). WARM untimed calls (default 200), then BATCHES (default 20)
 * batches of CALLS/BATCHES calls each (CALLS default 20000), every batch timed
 * with CLOCK_MONOTONIC. -c first creates PATH (mode 0644) if it is missing,
 * e.g. in the sandbox's own /tmp.
 *
 * Prints one line: "median_ns min_ns max_ns calls batches" where the figures
 * are ns per open+close of the median, fastest and slowest batch. Exit status
 * 1 if any open failed (the error is printed to stderr), 2 on bad usage.
 * Built with cc -O2 -static so it runs in a sandbox without libraries. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int one(const char *path)
{
        long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        syscall(SYS_close, fd);
        return 0;
}

static int cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
        int create = 0;
        if (argc > 1 && strcmp(argv[1], "-c") == 0) {
                create = 1;
                argv++;
                argc--;
        }
        if (argc < 2 || argc > 5) {
                fprintf(stderr, "usage: open_loop [-c] PATH [CALLS [BATCHES [WARM]]]\n");
                return 2;
        }
        const char *path = argv[1];
        long calls = argc > 2 ? atol(argv[2]) : 20000;
        long batches = argc > 3 ? atol(argv[3]) : 20;
        long warm = argc > 4 ? atol(argv[4]) : 200;
        if (calls < 1 || batches < 1 || batches > calls || warm < 0) {
                fprintf(stderr, "open_loop: bad numbers\n");
                return 2;
        }
        if (create) {
                int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                if (fd < 0) {
                        fprintf(stderr, "open_loop: creating %s: %s\n", path, strerror(errno));
                        return 1;
                }
                close(fd);
        }
        for (long i = 0; i < warm; i++) {
                int r = one(path);
                if (r < 0) {
                        fprintf(stderr, "open_loop: %s: %s\n", path, strerror(-r));
                        return 1;
                }
        }
        long per = calls / batches;
        double *ns = calloc((size_t)batches, sizeof(*ns));
        if (!ns)
                return 1;
        for (long b = 0; b < batches; b++) {
                long long t0 = now_ns();
                for (long i = 0; i < per; i++) {
                        int r = one(path);
                        if (r < 0) {
                                fprintf(stderr, "open_loop: %s: %s\n", path, strerror(-r));
                                return 1;
                        }
                }
                ns[b] = (double)(now_ns() - t0) / (double)per;
        }
        qsort(ns, (size_t)batches, sizeof(*ns), cmp);
        double med = batches % 2 ? ns[batches / 2] : (ns[batches / 2 - 1] + ns[batches / 2]) / 2;
        printf("%.0f %.0f %.0f %ld %ld\n", med, ns[0], ns[batches - 1], per * batches, batches);
        return 0;
}
