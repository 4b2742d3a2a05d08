/* launchtime.c — the benchmarks' timing helper: runs one or more commands
 * round-robin, N times each, and prints one line per timed launch.
 *
 *   launchtime [-n N] [-w W] [-q] -- CMD [ARG...] [::: CMD [ARG...]]...
 *
 * Commands are separated by a lone ":::". Every iteration runs each command
 * once; the starting command rotates with the iteration, so no command always
 * runs first (or always right after the same other one). W untimed warm-up
 * rounds come first. Each launch is posix_spawnp + wait4, timed with
 * CLOCK_MONOTONIC from just before the spawn to just after the reap.
 *
 * Output, one line per timed launch (stdout):
 *   CMD_INDEX ITERATION MICROSECONDS MAXRSS_KIB EXIT_STATUS USER_US SYS_US
 * MAXRSS_KIB is ru_maxrss from wait4() for the direct child (for a launcher,
 * the launcher itself; the kernel folds in the peak of any descendants it
 * reaped, so it is an upper bound of the launcher's own peak). EXIT_STATUS is
 * the exit code, or 128+N for death by signal N. USER_US and SYS_US are the
 * CPU times of the child and the descendants it reaped (wait4's rusage).
 *
 * The children's stdout goes to /dev/null (stdout is the data stream); stderr
 * is inherited so a failing launcher says why. Results are printed after the
 * last launch. Exit status: 0 when every launch exited 0, 1 when some did not
 * (a failing warm-up stops at once), 2 on a usage or system error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct cmd {
        char **argv;
};

static long tv_us(struct timeval tv)
{
        return (long)tv.tv_sec * 1000000L + (long)tv.tv_usec;
}

/* out: wall-clock µs, ru_maxrss KiB, exit status, user µs, system µs */
static int run_once(const struct cmd *c, const posix_spawn_file_actions_t *fa, long out[5])
{
        struct timespec t0, t1;
        struct rusage ru;
        pid_t pid;
        int st, r;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = posix_spawnp(&pid, c->argv[0], fa, NULL, c->argv, environ);
        if (r != 0) {
                fprintf(stderr, "launchtime: cannot run %s: %s\n", c->argv[0], strerror(r));
                return -1;
        }
        while (wait4(pid, &st, 0, &ru) < 0) {
                if (errno != EINTR) {
                        perror("launchtime: wait4");
                        return -1;
                }
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        out[0] = (long)((t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000L);
        out[1] = ru.ru_maxrss;
        out[2] = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
        out[3] = tv_us(ru.ru_utime);
        out[4] = tv_us(ru.ru_stime);
        return 0;
}

static void usage(void)
{
        fprintf(stderr, "usage: launchtime [-n N] [-w W] -- CMD [ARG...] [::: CMD [ARG...]]...\n");
        exit(2);
}

int main(int argc, char **argv)
{
        long n = 300, warm = 5;
        int opt;
        while ((opt = getopt(argc, argv, "+n:w:")) != -1) {
                switch (opt) {
                case 'n':
                        n = strtol(optarg, NULL, 10);
                        break;
                case 'w':
                        warm = strtol(optarg, NULL, 10);
                        break;
                default:
                        usage();
                }
        }
        if (n < 1 || warm < 0 || optind >= argc)
                usage();

        /* Split the remaining arguments at ":::" (in place). */
        struct cmd *cmds = calloc((size_t)argc, sizeof(*cmds));
        if (!cmds)
                return 2;
        int ncmd = 0;
        char **start = &argv[optind];
        for (int i = optind; i <= argc; i++) {
                if (i == argc || strcmp(argv[i], ":::") == 0) {
                        if (&argv[i] == start)
                                usage();
                        cmds[ncmd++].argv = start;
                        if (i < argc)
                                argv[i] = NULL;
                        start = &argv[i + 1];
                }
        }

        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);

        /* Results are buffered and printed at the end so writing them does
         * not interleave with (and perturb) the launches. */
        size_t total = (size_t)n * (size_t)ncmd;
        enum { W = 7 };
        long *res = calloc(total * W, sizeof(long));
        if (!res)
                return 2;
        int failed = 0;
        size_t k = 0;
        for (long it = -warm; it < n; it++) {
                for (int j = 0; j < ncmd; j++) {
                        int ci = (int)(((it % ncmd) + ncmd + j) % ncmd);
                        long o[5];
                        if (run_once(&cmds[ci], &fa, o) < 0)
                                return 2;
                        int st = (int)o[2];
                        if (st != 0) {
                                failed = 1;
                                if (it < 0) {
                                        fprintf(stderr, "launchtime: warm-up of command %d (%s) exited %d\n", ci,
                                                cmds[ci].argv[0], st);
                                        return 1;
                                }
                        }
                        if (it < 0)
                                continue;
                        long *row = &res[k++ * W];
                        row[0] = ci;
                        row[1] = it;
                        memcpy(&row[2], o, sizeof(o));
                }
        }
        for (size_t i = 0; i < k; i++)
                printf("%ld %ld %ld %ld %ld %ld %ld\n", res[i * W], res[i * W + 1], res[i * W + 2],
                       res[i * W + 3], res[i * W + 4], res[i * W + 5], res[i * W + 6]);
        return failed;
}
