/* cmd_focus.c — `empyra focus ID` / `empyra focus --clear` [--json]: give one
 * running app the machine, or give every app back its own weight, and say
 * what was applied and what could not be. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/xdg.h"
#include "gateway/client.h"
#include "launcher/focus.h"
#include "manifest/manifest.h"

static void focus_usage(FILE *out)
{
        fputs("Usage: empyra focus ID [--json]\n"
              "       empyra focus --clear [--json]\n"
              "       empyra focus [--json]        show the focused app\n"
              "\n"
              "The focused app's cgroup gets a high cpu weight (and io.weight and memory.low\n"
              "where those cgroup v2 controllers exist); every other Empyra app a low one.\n"
              "Only cgroups Empyra created are changed. Focus ends with --clear or when the\n"
              "app exits.\n",
              out);
}

static int print_json(const char *focused, char *report)
{
        json_t *o = json_object(), *applied = json_array(), *missing = json_array();
        json_object_set_new(o, "focused", focused ? json_string(focused) : json_null());
        for (char *save = NULL, *l = strtok_r(report, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                if (strncmp(l, "not applied: ", 13) == 0)
                        json_array_append_new(missing, json_string(l + 13));
                else
                        json_array_append_new(applied, json_string(l));
        }
        json_object_set_new(o, "applied", applied);
        json_object_set_new(o, "not_applied", missing);
        int r = json_dumpf(o, stdout, JSON_INDENT(2)) == 0 ? 0 : 1;
        putchar('\n');
        json_decref(o);
        return r;
}

int cmd_focus(int argc, char **argv)
{
        static const struct option opts[] = {
                {"clear", no_argument, NULL, 'c'},
                {"json", no_argument, NULL, 'j'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        bool clear = false, json = false;
        int c;
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 'c': clear = true; break;
                case 'j': json = true; break;
                case 'h': focus_usage(stdout); return 0;
                default: focus_usage(stderr); return 2;
                }
        }
        const char *app = optind < argc ? argv[optind] : NULL;
        if ((clear && app) || optind + 1 < argc || (app && !emp_app_id_valid(app))) {
                fprintf(stderr, "empyra: focus: give one valid app id, or --clear\n");
                return 2;
        }
        struct emp_dirs dirs;
        if (emp_dirs_init(&dirs) < 0) {
                fprintf(stderr, "empyra: focus: cannot find the runtime directory\n");
                return 1;
        }
        char *report = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&report, &len);
        struct emp_error err = {0};
        int r = 0;
        char *focused = NULL;
        if (clear || app)
                r = emp_focus_set(dirs.runtime, clear ? NULL : app, mem, &err);
        if (r == 0 && (clear || app))
                emp_client_focus_sync(app != NULL, mem);
        if (r == 0)
                r = emp_focus_get(dirs.runtime, &focused);
        fclose(mem);
        int code = 0;
        if (r < 0) {
                fprintf(stderr, "empyra: %s\n", err.msg[0] ? err.msg : "focus failed");
                code = 1;
        } else if (json) {
                code = print_json(focused, report);
        } else {
                printf("focused: %s\n%s", focused ? focused : "(none)", report ? report : "");
        }
        free(focused);
        free(report);
        emp_dirs_free(&dirs);
        return code;
}
