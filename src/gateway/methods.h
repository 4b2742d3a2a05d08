/* methods.h — the control API's method table: name → handler. Handlers get
 * validated parameters and return a reply object or an error. */
#pragma once
#include <jansson.h>

struct emp_daemon;

struct emp_method_result {
        json_t *reply;     /* parameters of a successful reply */
        const char *error; /* EMP_API_ERR_*, or NULL on success */
        char message[1100];
};

/* Run the named method; unknown names give EMP_API_ERR_NO_METHOD. */
void emp_methods_dispatch(struct emp_daemon *d, const char *method, json_t *params, struct emp_method_result *out);
