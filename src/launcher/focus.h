/* focus.h — one focused app at a time (DESIGN.md §8): it gets a high cpu
 * weight (and io.weight/memory.low where those controllers exist), the other
 * Empyra apps a low one, Empyra's own parent cgroup a high one so the focused
 * app also wins over work outside Empyra. State lives in files in the runtime
 * directory, so it needs no daemon and survives any restart. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cgroup.h"
#include "common/error.h"

#define EMP_FOCUS_WEIGHT_HIGH 10000u
#define EMP_FOCUS_WEIGHT_LOW 1u

/* One running app, as its launcher registered it. */
struct emp_focus_app {
        char *app_id;
        pid_t pid;            /* the launcher's */
        uint32_t base_weight; /* its own --cpu-weight, or the default */
        char *cpu_dir;        /* its cgroup carrying the cpu controller */
        bool cpu_v2;
        char *parent_dir;     /* Empyra's parent of cpu_dir, NULL when delegated */
        char *entry;          /* registry file */
};

/* Pure: the cpu weight app `a` should have when `focused` (NULL: none) is. */
uint32_t emp_focus_cpu_weight(const char *focused, const struct emp_focus_app *a);

/* Register a running app (launcher), returning the registry file to remove. */
int emp_focus_register(const char *runtime, const char *app_id, uint32_t base_weight,
                       const struct emp_cgroup *cg, char **ret_entry);
void emp_focus_unregister(const char *entry);
/* Running apps (stale entries of dead launchers are dropped). */
int emp_focus_list(const char *runtime, struct emp_focus_app **ret, size_t *ret_n);
void emp_focus_list_free(struct emp_focus_app *apps, size_t n);
/* The focused app id (*ret NULL when none). */
int emp_focus_get(const char *runtime, char **ret);
/* Focus app_id (NULL: clear), then apply to every running app. Lines saying
 * what was applied and what could not be are written to report (may be NULL).
 * -ESRCH when app_id is not running. */
int emp_focus_set(const char *runtime, const char *app_id, FILE *report, struct emp_error *err);
/* Apply the current state again (a new app joined). */
int emp_focus_apply(const char *runtime, FILE *report, struct emp_error *err);
/* The launcher of app_id is ending: clear focus if it was the last
 * instance. True when it cleared it. */
bool emp_focus_app_exit(const char *runtime, const char *app_id, pid_t self);
