/* cmd_net.c — `empyra net ID [--provider=...] [--json]`: an app's network
 * provider (the user's choice over the manifest's) and rules (the user's),
 * and its recent connections as the gateway decided them (from the audit
 * log), through empyrad. */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "api_call.h"
#include "cli.h"
#include "safe_print.h"

#define RECENT 20

int cmd_net(int argc, char **argv)
{
        const char *app = NULL, *provider = NULL;
        bool json = false;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0) {
                        json = true;
                } else if (strncmp(argv[i], "--provider=", 11) == 0) {
                        provider = argv[i] + 11;
                } else if (argv[i][0] != '-' && !app) {
                        app = argv[i];
                } else {
                        fprintf(stderr, "Usage: empyra net ID [--provider=direct|none|socks5://HOST:PORT|manifest] "
                                        "[--json]\n");
                        return 2;
                }
        }
        if (app && provider) {
                /* "manifest" forgets the user's choice. */
                json_t *v = strcmp(provider, "manifest") == 0 ? json_null() : json_string(provider);
                json_t *r = cli_api_call("net", "io.empyra.Net.SetProvider",
                                         json_pack("{s:s, s:o}", "app", app, "provider", v));
                if (!r)
                        return 1;
                json_decref(r);
        }
        if (!app) {
                fprintf(stderr, "Usage: empyra net ID [--provider=direct|none|socks5://HOST:PORT|manifest] [--json]\n");
                return 2;
        }
        json_t *pol = cli_api_call("net", "io.empyra.Policy.Get", json_pack("{s:s}", "app", app));
        if (!pol)
                return 1;
        json_t *prov = cli_api_call("net", "io.empyra.Net.GetProvider", json_pack("{s:s}", "app", app));
        if (!prov) {
                json_decref(pol);
                return 1;
        }
        const char *chosen = json_string_value(json_object_get(prov, "provider"));
        json_t *log = cli_api_call("net", "io.empyra.Audit.Read", json_pack("{s:s, s:i, s:b}", "app", app, "limit", RECENT, "network", 1));
        if (!log) {
                json_decref(pol);
                return 1;
        }
        json_t *rules = json_array(), *recent = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(pol, "rules"), i, e)
        {
                const char *perm = json_string_value(json_object_get(e, "permission"));
                if (perm && strncmp(perm, "network:", 8) == 0)
                        json_array_append(rules, e);
        }
        json_array_foreach(json_object_get(log, "entries"), i, e)
        {
                if (json_object_get(e, "address"))
                        json_array_append(recent, e);
                if (json_array_size(recent) > RECENT)
                        json_array_remove(recent, 0);
        }
        if (json) {
                json_t *o = json_pack("{s:s, s:O, s:O, s:o}", "app", app, "rules", rules, "recent", recent, "provider",
                                      chosen ? json_string(chosen) : json_null());
                json_dumpf(o, stdout, JSON_INDENT(2));
                putchar('\n');
                json_decref(o);
        } else {
                printf("%s: provider %s\n", app, chosen ? chosen : "from the manifest (direct if it names none)");
                printf("%zu network rule(s) set by the user\n", json_array_size(rules));
                json_array_foreach(rules, i, e)
                        printf("  %-6s %s (%s)\n", json_string_value(json_object_get(e, "decision")),
                               json_string_value(json_object_get(e, "permission")),
                               json_string_value(json_object_get(e, "scope")));
                printf("recent connections (newest last):\n");
                json_array_foreach(recent, i, e)
                {
                        printf("  ");
                        cli_print_safe(stdout, json_string_value(json_object_get(e, "time")));
                        printf(" %-5s %s ", json_string_value(json_object_get(e, "decision")),
                               json_string_value(json_object_get(e, "protocol")));
                        cli_print_safe(stdout, json_string_value(json_object_get(e, "address")));
                        printf(" port %lld (", (long long)json_integer_value(json_object_get(e, "port")));
                        cli_print_safe(stdout, json_string_value(json_object_get(e, "source")));
                        printf(")\n");
                }
        }
        json_decref(rules);
        json_decref(recent);
        json_decref(pol);
        json_decref(prov);
        json_decref(log);
        return 0;
}
