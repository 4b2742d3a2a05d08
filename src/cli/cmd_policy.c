/* cmd_policy.c — `empyra perms ID`, `empyra allow|deny|ask ID PERMISSION
 * [--for=1h]`, `empyra reset ID [PERMISSION]`, each with --json: the user's
 * rules in the policy store, through empyrad. */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_call.h"
#include "cli.h"
#include "common/cleanup.h"

/* Split argv into positional words and the --json / --for=1h flags. */
static int words(int argc, char **argv, const char **w, int max, bool *json, const char **scope)
{
        int n = 0;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0)
                        *json = true;
                else if (scope && strcmp(argv[i], "--for=1h") == 0)
                        *scope = "1h";
                else if (argv[i][0] == '-' || n == max)
                        return -1;
                else
                        w[n++] = argv[i];
        }
        return n;
}

static int print_rules(json_t *reply, bool json)
{
        if (json) {
                json_dumpf(reply, stdout, JSON_INDENT(2));
                putchar('\n');
                return 0;
        }
        json_t *rules = json_object_get(reply, "rules");
        printf("%s: %zu rule(s) set by the user\n", json_string_value(json_object_get(reply, "app")),
               json_array_size(rules));
        size_t i;
        json_t *r;
        json_array_foreach(rules, i, r)
        {
                json_t *exp = json_object_get(r, "expires");
                printf("  %-6s %s (%s%s)\n", json_string_value(json_object_get(r, "decision")),
                       json_string_value(json_object_get(r, "permission")),
                       json_string_value(json_object_get(r, "scope")), exp ? ", expires" : "");
        }
        return 0;
}

int cmd_perms(int argc, char **argv)
{
        const char *w[1];
        bool json = false;
        if (words(argc, argv, w, 1, &json, NULL) != 1) {
                fprintf(stderr, "Usage: empyra perms ID [--json]\n");
                return 2;
        }
        json_t *reply = cli_api_call("perms", "io.empyra.Policy.Get", json_pack("{s:s}", "app", w[0]));
        if (!reply)
                return 1;
        int r = print_rules(reply, json);
        json_decref(reply);
        return r;
}

/* "filesystem:~/X" as a shell user means it: the invoking user's home. The
 * daemon only takes absolute paths. Returns a malloc'd name, or NULL. */
static char *expand_home(const char *perm)
{
        const char *home = getenv("HOME");
        char *out = NULL;
        if (strncmp(perm, "filesystem:~/", 13) == 0 && home && home[0] == '/') {
                if (asprintf(&out, "filesystem:%s/%s", strcmp(home, "/") ? home : "", perm + 13) < 0)
                        return NULL;
                return out;
        }
        return strdup(perm);
}

int cmd_decide(int argc, char **argv)
{
        const char *w[2], *scope = "always";
        bool json = false;
        if (words(argc, argv, w, 2, &json, &scope) != 2) {
                fprintf(stderr, "Usage: empyra %s ID PERMISSION [--for=1h] [--json]\n", argv[0]);
                return 2;
        }
        _cleanup_free_ char *perm = expand_home(w[1]);
        if (!perm)
                return 1;
        json_t *reply = cli_api_call(argv[0], "io.empyra.Policy.Set",
                                     json_pack("{s:s, s:s, s:s, s:s}", "app", w[0], "permission", perm, "decision",
                                               argv[0], "scope", scope));
        if (!reply)
                return 1;
        int r = print_rules(reply, json);
        json_decref(reply);
        return r;
}

int cmd_reset(int argc, char **argv)
{
        const char *w[2];
        bool json = false;
        int n = words(argc, argv, w, 2, &json, NULL);
        if (n < 1) {
                fprintf(stderr, "Usage: empyra reset ID [PERMISSION] [--json]\n");
                return 2;
        }
        json_t *params = json_pack("{s:s}", "app", w[0]);
        _cleanup_free_ char *perm = n == 2 ? expand_home(w[1]) : NULL;
        if (n == 2 && !perm) {
                json_decref(params);
                return 1;
        }
        if (perm)
                json_object_set_new(params, "permission", json_string(perm));
        json_t *reply = cli_api_call("reset", "io.empyra.Policy.Reset", params);
        if (!reply)
                return 1;
        int r = print_rules(reply, json);
        json_decref(reply);
        return r;
}
