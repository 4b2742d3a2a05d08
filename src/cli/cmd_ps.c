/* cmd_ps.c — `empyra ps [--json]`: the apps running in sandboxes of this
 * user that have a cgroup of their own, from the launchers' registry. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/xdg.h"
#include "launcher/focus.h"

int cmd_ps(int argc, char **argv)
{
        bool json = false;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0) {
                        json = true;
                } else {
                        fprintf(stderr, "Usage: empyra ps [--json]\n");
                        return 2;
                }
        }
        struct emp_dirs dirs;
        if (emp_dirs_init(&dirs) < 0) {
                fprintf(stderr, "empyra: ps: cannot find the runtime directory\n");
                return 1;
        }
        struct emp_focus_app *apps = NULL;
        size_t n = 0;
        char *focused = NULL;
        int r = emp_focus_list(dirs.runtime, &apps, &n);
        if (r == 0)
                r = emp_focus_get(dirs.runtime, &focused);
        emp_dirs_free(&dirs);
        if (r < 0) {
                fprintf(stderr, "empyra: ps: reading the registry of running apps failed\n");
                return 1;
        }
        if (json) {
                json_t *arr = json_array();
                for (size_t i = 0; i < n; i++)
                        json_array_append_new(arr, json_pack("{s:s, s:i, s:s, s:b}", "app", apps[i].app_id,
                                                             "pid", (int)apps[i].pid, "cgroup", apps[i].cpu_dir,
                                                             "focused",
                                                             focused && strcmp(focused, apps[i].app_id) == 0));
                json_dumpf(arr, stdout, JSON_INDENT(2));
                putchar('\n');
                json_decref(arr);
        } else {
                printf("%-32s %8s %-8s %s\n", "APP", "PID", "FOCUS", "CGROUP");
                for (size_t i = 0; i < n; i++)
                        printf("%-32s %8ld %-8s %s\n", apps[i].app_id, (long)apps[i].pid,
                               focused && strcmp(focused, apps[i].app_id) == 0 ? "focused" : "-",
                               apps[i].cpu_dir);
        }
        free(focused);
        emp_focus_list_free(apps, n);
        return 0;
}
