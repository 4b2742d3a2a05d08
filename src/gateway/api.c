/* api.c — framing and validation of control API messages. Everything from
 * the socket is length-checked and parsed into a typed request before use. */
#include "api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int emp_api_reader_feed(struct emp_api_reader *r, const char *data, size_t len,
                        int (*cb)(const char *msg, size_t len, void *ctx), void *ctx)
{
        for (size_t i = 0; i < len; i++) {
                if (data[i] != '\0') {
                        if (r->len >= EMP_API_MAX_MESSAGE)
                                return -EMSGSIZE;
                        r->buf[r->len++] = data[i];
                        continue;
                }
                r->buf[r->len] = '\0';
                int rc = cb(r->buf, r->len, ctx);
                r->len = 0;
                if (rc < 0)
                        return rc;
        }
        return 0;
}

int emp_api_parse_request(const char *msg, size_t len, struct emp_api_request *ret, struct emp_error *err)
{
        json_error_t jerr;
        json_t *root = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return emp_error_set(err, -EINVAL, "not JSON: %s", jerr.text);
        json_t *method = json_object_get(root, "method");
        json_t *params = json_object_get(root, "parameters");
        int r = 0;
        if (!json_is_object(root))
                r = emp_error_set(err, -EINVAL, "a request is a JSON object");
        else if (!json_is_string(method) || json_string_length(method) == 0 || json_string_length(method) > 128)
                r = emp_error_set(err, -EINVAL, "\"method\" must be a non-empty string");
        else if (params && !json_is_object(params))
                r = emp_error_set(err, -EINVAL, "\"parameters\" must be an object");
        if (r == 0) {
                char *m = strdup(json_string_value(method));
                if (!m) {
                        r = -ENOMEM;
                } else {
                        ret->method = m;
                        ret->params = params ? json_incref(params) : json_object();
                }
        }
        json_decref(root);
        return r;
}

void emp_api_request_free(struct emp_api_request *req)
{
        free(req->method);
        json_decref(req->params);
        req->method = NULL;
        req->params = NULL;
}

static int dump_with_nul(json_t *o, char **ret, size_t *ret_len)
{
        char *s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!s)
                return -ENOMEM;
        size_t n = strlen(s);
        *ret = s;
        *ret_len = n + 1; /* the NUL terminator is the frame end */
        return 0;
}

int emp_api_reply(json_t *params, char **ret, size_t *ret_len)
{
        json_t *o = json_object();
        json_object_set_new(o, "parameters", params ? params : json_object());
        return dump_with_nul(o, ret, ret_len);
}

int emp_api_event(json_t *params, char **ret, size_t *ret_len)
{
        json_t *o = json_object();
        json_object_set_new(o, "parameters", params ? params : json_object());
        json_object_set_new(o, "continues", json_true());
        return dump_with_nul(o, ret, ret_len);
}

int emp_api_error(const char *error, const char *message, char **ret, size_t *ret_len)
{
        json_t *o = json_object();
        json_object_set_new(o, "error", json_string(error));
        json_object_set_new(o, "parameters", json_pack("{s:s}", "message", message ? message : ""));
        return dump_with_nul(o, ret, ret_len);
}

int emp_api_format_request(const char *method, json_t *params, char **ret, size_t *ret_len)
{
        json_t *o = json_object();
        json_object_set_new(o, "method", json_string(method));
        json_object_set_new(o, "parameters", params ? params : json_object());
        return dump_with_nul(o, ret, ret_len);
}
