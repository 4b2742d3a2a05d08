/* api.h — the control API's wire format (DESIGN.md §9): JSON objects ended by
 * a NUL byte over the Unix socket; {"method": M, "parameters": {...}} in,
 * {"parameters": {...}} or {"error": E, "parameters": {...}} out. */
#pragma once
#include <jansson.h>
#include <stddef.h>

#include "common/error.h"

#define EMP_API_MAX_MESSAGE (64 * 1024) /* one message, NUL excluded */

#define EMP_API_ERR_INVALID "io.empyra.InvalidMessage"
#define EMP_API_ERR_NO_METHOD "io.empyra.MethodNotFound"
#define EMP_API_ERR_PARAMS "io.empyra.InvalidParameter"
#define EMP_API_ERR_DENIED "io.empyra.PermissionDenied"
#define EMP_API_ERR_NOT_FOUND "io.empyra.NotFound"
#define EMP_API_ERR_FAILED "io.empyra.Failed"

/* A parsed request: method name and its parameters object (owned). */
struct emp_api_request {
        char *method;
        json_t *params;
};

/* Accumulates bytes from a stream and yields whole messages. */
struct emp_api_reader {
        char buf[EMP_API_MAX_MESSAGE + 1];
        size_t len;
};

/* Feed bytes; for each complete message calls cb(msg, len, ctx). A message
 * longer than the limit yields -EMSGSIZE (the connection must be closed). */
int emp_api_reader_feed(struct emp_api_reader *r, const char *data, size_t len,
                        int (*cb)(const char *msg, size_t len, void *ctx), void *ctx);

/* Parse one message into a request; -EINVAL with a reason in err. */
int emp_api_parse_request(const char *msg, size_t len, struct emp_api_request *ret, struct emp_error *err);
void emp_api_request_free(struct emp_api_request *req);

/* Serialise a reply (steals params/error params) as text + NUL into *ret. */
int emp_api_reply(json_t *params, char **ret, size_t *ret_len);
/* One of a stream of replies (Prompts.Watch): {"parameters":..., "continues": true}. */
int emp_api_event(json_t *params, char **ret, size_t *ret_len);
int emp_api_error(const char *error, const char *message, char **ret, size_t *ret_len);
/* A request message text (for clients). */
int emp_api_format_request(const char *method, json_t *params, char **ret, size_t *ret_len);
