/* api_call.h — one empyrad call for a CLI command: prints API errors as
 * "empyra: CMD: message" and returns the reply's parameters, or NULL. */
#pragma once
#include <jansson.h>

json_t *cli_api_call(const char *cmd, const char *method, json_t *params);
