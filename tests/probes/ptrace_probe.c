/* ptrace_probe.c — run inside a sandbox by the integration tests.
 *
 *   ptrace_probe          trace a child of our own: it asks to be traced
 *                         (PTRACE_TRACEME) and stops itself; we read its
 *                         registers (PTRACE_GETREGS/GETREGSET, PEEKUSER) and
 *                         memory (PEEKDATA), then let it run to its end.
 *                         Prints "ok" and exits 0 when all of that works.
 *   ptrace_probe --pid1   PTRACE_ATTACH to pid 1 (the sandbox's init, which
 *                         is not the app's) must fail. Prints "ok pid1 ..."
 *                         and exits 0 when it does.
 * Anything else prints "not ok ..." lines and exits 1. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child's copy of this is read back through PTRACE_PEEKDATA. */
static volatile long magic = 0x656d70797261L; /* "empyra" */

static int failures;

static void fail(const char *what, int err)
{
        failures++;
        printf("not ok %s: %s\n", what, err ? strerror(err) : "unexpected result");
}

static int trace_child(void)
{
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
                fail("fork", errno);
                return 1;
        }
        if (pid == 0) {
                if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
                        _exit(3);
                raise(SIGSTOP);
                _exit(magic == 0x656d70797261L ? 0 : 4);
        }
        int st = 0;
        if (waitpid(pid, &st, 0) != pid) {
                fail("waitpid", errno);
                return 1;
        }
        if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP) {
                printf("not ok child did not stop under the tracer (status %#x%s)\n", st,
                       WIFEXITED(st) && WEXITSTATUS(st) == 3 ? ": PTRACE_TRACEME failed" : "");
                return 1;
        }

        struct user_regs_struct regs;
        memset(&regs, 0, sizeof(regs));
        struct iovec iov = {.iov_base = &regs, .iov_len = sizeof(regs)};
        errno = 0;
        if (ptrace(PTRACE_GETREGSET, pid, (void *)(uintptr_t)NT_PRSTATUS, &iov) < 0)
                fail("PTRACE_GETREGSET", errno);
#if defined(__x86_64__)
        struct user_regs_struct regs2;
        if (ptrace(PTRACE_GETREGS, pid, NULL, &regs2) < 0)
                fail("PTRACE_GETREGS", errno);
        else if (regs2.rip != regs.rip || regs2.rsp != regs.rsp)
                fail("PTRACE_GETREGS agrees with GETREGSET", 0);
        errno = 0;
        long rsp = ptrace(PTRACE_PEEKUSER, pid, (void *)offsetof(struct user, regs.rsp), NULL);
        if (errno)
                fail("PTRACE_PEEKUSER", errno);
        else if ((unsigned long long)rsp != regs.rsp)
                fail("PTRACE_PEEKUSER agrees with GETREGS", 0);
#endif
        errno = 0;
        long word = ptrace(PTRACE_PEEKDATA, pid, (void *)&magic, NULL);
        if (errno)
                fail("PTRACE_PEEKDATA", errno);
        else if (word != magic)
                fail("PTRACE_PEEKDATA reads the child's memory", 0);

        if (ptrace(PTRACE_CONT, pid, NULL, NULL) < 0) {
                fail("PTRACE_CONT", errno);
                kill(pid, SIGKILL);
        }
        if (waitpid(pid, &st, 0) != pid)
                fail("waitpid after PTRACE_CONT", errno);
        else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                printf("not ok child did not run to its end (status %#x)\n", st);
                failures++;
        }
        if (failures)
                return 1;
        printf("ok\n");
        return 0;
}

static int attach_pid1(void)
{
        errno = 0;
        if (ptrace(PTRACE_ATTACH, 1, NULL, NULL) == 0) {
                /* Let it go again at once; the test fails either way. */
                int st;
                waitpid(1, &st, __WALL);
                ptrace(PTRACE_DETACH, 1, NULL, NULL);
                printf("not ok PTRACE_ATTACH to pid 1 succeeded\n");
                return 1;
        }
        printf("ok pid1 refused: %s\n", strerror(errno));
        return 0;
}

int main(int argc, char **argv)
{
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (argc == 1)
                return trace_child();
        if (argc == 2 && strcmp(argv[1], "--pid1") == 0)
                return attach_pid1();
        fprintf(stderr, "usage: %s [--pid1]\n", argv[0]);
        return 2;
}
