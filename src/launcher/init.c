/* init.c — the sandbox's pid 1. Signals sent by processes (the launcher
 * passing on a kill) are forwarded; terminal-generated ones already reached
 * the app through its process group, so they are not sent twice. */
#include "init.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

void emp_forward_sigset(sigset_t *set)
{
        static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH, SIGCONT};
        sigemptyset(set);
        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
                sigaddset(set, sigs[i]);
}

static void noop_handler(int sig) { (void)sig; }

__attribute__((noreturn)) static void exec_app(char *const argv[], char *const envp[])
{
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* Nothing but stdio crosses into the app. */
        syscall(SYS_close_range, 3u, ~0u, 0u);
        environ = (char **)envp;
        execvp(argv[0], argv);
        int e = errno;
        fprintf(stderr, "empyra: %s: %s\n", argv[0], e == ENOENT ? "command not found" : strerror(e));
        _exit(e == ENOENT ? 127 : 126);
}

__attribute__((noreturn)) void emp_init_run(char *const argv[], char *const envp[], int status_fd)
{
        sigset_t wait_set;
        emp_forward_sigset(&wait_set);
        sigaddset(&wait_set, SIGCHLD);
        /* pid 1 only receives signals it has a handler for. */
        struct sigaction sa = {.sa_handler = noop_handler};
        for (int s = 1; s < NSIG; s++)
                if (sigismember(&wait_set, s))
                        sigaction(s, &sa, NULL);
        sigprocmask(SIG_BLOCK, &wait_set, NULL);

        pid_t app = fork();
        if (app < 0) {
                fprintf(stderr, "empyra: starting the app: %s\n", strerror(errno));
                _exit(125);
        }
        if (app == 0)
                exec_app(argv, envp);

        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(&wait_set, &si);
                if (sig < 0)
                        continue;
                if (sig != SIGCHLD) {
                        if (si.si_code == SI_USER || si.si_code == SI_QUEUE || si.si_code == SI_TKILL)
                                kill(app, sig);
                        continue;
                }
                int st;
                pid_t p;
                while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
                        if (p != app)
                                continue;
                        /* The app is the sandbox: when it ends, everything
                         * left in the pid namespace ends with pid 1. */
                        ssize_t n = write(status_fd, &st, sizeof(st));
                        _exit(n == (ssize_t)sizeof(st) ? 0 : 125);
                }
        }
}
