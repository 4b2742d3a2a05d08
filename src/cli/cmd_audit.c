/* cmd_audit.c — `empyra audit [--app ID] [--json] [--limit N]` and
 * `empyra audit verify [--json]`, through empyrad. */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_call.h"
#include "cli.h"
#include "safe_print.h"

static int audit_verify(bool json)
{
        json_t *reply = cli_api_call("audit verify", "io.empyra.Audit.Verify", json_object());
        if (!reply)
                return 1;
        bool ok = json_is_true(json_object_get(reply, "ok"));
        if (json) {
                json_dumpf(reply, stdout, JSON_INDENT(2));
                putchar('\n');
        } else if (ok) {
                printf("audit log intact: %lld line(s)\n", (long long)json_integer_value(json_object_get(reply, "lines")));
        } else {
                printf("audit log BROKEN (%s) at %s line %lld: %s\n", json_string_value(json_object_get(reply, "status")),
                       json_string_value(json_object_get(reply, "file")),
                       (long long)json_integer_value(json_object_get(reply, "line")),
                       json_string_value(json_object_get(reply, "reason")));
        }
        json_decref(reply);
        return ok ? 0 : 1;
}

int cmd_audit(int argc, char **argv)
{
        bool json = false, verify = false;
        const char *app = NULL;
        long limit = 100;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0)
                        json = true;
                else if (strcmp(argv[i], "verify") == 0 && i == 1)
                        verify = true;
                else if (strncmp(argv[i], "--app=", 6) == 0)
                        app = argv[i] + 6;
                else if (strcmp(argv[i], "--app") == 0 && i + 1 < argc)
                        app = argv[++i];
                else if (strncmp(argv[i], "--limit=", 8) == 0)
                        limit = strtol(argv[i] + 8, NULL, 10);
                else if (strcmp(argv[i], "--follow") == 0) {
                        fprintf(stderr, "empyra: audit: --follow is not available in this build\n");
                        return 2;
                } else {
                        fprintf(stderr, "Usage: empyra audit [--app ID] [--json] [--limit N] | empyra audit verify\n");
                        return 2;
                }
        }
        if (verify)
                return audit_verify(json);
        json_t *params = json_pack("{s:I}", "limit", (json_int_t)limit);
        if (app)
                json_object_set_new(params, "app", json_string(app));
        json_t *reply = cli_api_call("audit", "io.empyra.Audit.Read", params);
        if (!reply)
                return 1;
        json_t *entries = json_object_get(reply, "entries");
        size_t i;
        json_t *e;
        json_array_foreach(entries, i, e)
        {
                if (json) {
                        json_dumpf(e, stdout, JSON_COMPACT);
                        putchar('\n');
                        continue;
                }
                const char *fields[] = {"time", "app", "decision", "permission", "source"};
                for (size_t f = 0; f < 5; f++) {
                        cli_print_safe(stdout, json_string_value(json_object_get(e, fields[f])));
                        putchar(f < 4 ? ' ' : '\n');
                }
        }
        json_decref(reply);
        return 0;
}
