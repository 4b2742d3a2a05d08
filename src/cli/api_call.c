/* api_call.c — the shared path of the commands that talk to empyrad:
 * call, and turn a transport or API error into one clear line. */
#include "api_call.h"

#include <stdio.h>
#include <stdlib.h>

#include "gateway/client.h"

json_t *cli_api_call(const char *cmd, const char *method, json_t *params)
{
        json_t *reply = NULL;
        char *error = NULL;
        struct emp_error err = {0};
        if (emp_client_call(method, params, &reply, &error, &err) < 0) {
                fprintf(stderr, "empyra: %s: %s\n", cmd, err.msg);
                return NULL;
        }
        if (error) {
                const char *msg = json_string_value(json_object_get(reply, "message"));
                fprintf(stderr, "empyra: %s: %s%s%s\n", cmd, msg ? msg : "", msg ? " " : "", error);
                free(error);
                json_decref(reply);
                return NULL;
        }
        return reply;
}
