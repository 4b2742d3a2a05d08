/* xdg.h — where Empyra keeps its files (DESIGN.md §10): XDG base
 * directories with the spec's defaults, and the runtime dir fallback. */
#pragma once
#include <sys/types.h>

struct emp_dirs {
        char *home;         /* invoking user's $HOME */
        char *config;       /* $XDG_CONFIG_HOME/empyra */
        char *state;        /* $XDG_STATE_HOME/empyra */
        char *data;         /* $XDG_DATA_HOME/empyra */
        char *runtime;      /* $XDG_RUNTIME_DIR/empyra or fallback */
        char *host_runtime; /* $XDG_RUNTIME_DIR itself, NULL if none */
};

/* Compute the locations (no I/O beyond getpwuid for $HOME). */
int emp_dirs_init(struct emp_dirs *d);
void emp_dirs_free(struct emp_dirs *d);
/* Create the runtime dir 0700 and check it is ours (not planted by another user). */
int emp_dirs_ensure_runtime(const struct emp_dirs *d);
