/* cmd_call.c — `empyra call METHOD [PARAMETERS-JSON]`: one raw control API
 * call to empyrad (started on demand), printing the reply as JSON. For
 * scripts and debugging; the other commands wrap the same API. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gateway/client.h"

int cmd_call(int argc, char **argv)
{
        if (argc < 2 || argc > 3 || strcmp(argv[1], "--help") == 0) {
                fprintf(argc < 2 ? stderr : stdout, "Usage: empyra call METHOD [PARAMETERS-JSON]\n");
                return argc < 2 ? 2 : 0;
        }
        json_t *params = json_object();
        if (argc == 3) {
                json_error_t jerr;
                json_decref(params);
                params = json_loads(argv[2], 0, &jerr);
                if (!json_is_object(params)) {
                        fprintf(stderr, "empyra: call: parameters must be a JSON object: %s\n", jerr.text);
                        json_decref(params);
                        return 2;
                }
        }
        json_t *reply = NULL;
        char *error = NULL;
        struct emp_error err = {0};
        if (emp_client_call(argv[1], params, &reply, &error, &err) < 0) {
                fprintf(stderr, "empyra: call: %s\n", err.msg);
                return 1;
        }
        json_t *out = error ? json_pack("{s:s, s:O}", "error", error, "parameters", reply)
                            : json_pack("{s:O}", "parameters", reply);
        json_dumpf(out, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(out);
        json_decref(reply);
        int code = error ? 1 : 0;
        free(error);
        return code;
}
