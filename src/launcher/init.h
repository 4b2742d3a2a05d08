/* init.h — pid 1 of the sandbox: starts the app, reaps every zombie, passes
 * signals on, and reports the app's wait status to the launcher. */
#pragma once
#include <signal.h>

/* Signals the launcher and pid 1 pass on to the app. */
void emp_forward_sigset(sigset_t *set);
/* Run as pid 1 after the sandbox is built; never returns. */
__attribute__((noreturn)) void emp_init_run(char *const argv[], char *const envp[], int status_fd);
