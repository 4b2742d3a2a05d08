/* client.h — talk to empyrad over its control socket, starting it on demand
 * (DESIGN.md §1): the binary next to `empyra`, detached from the caller. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "common/error.h"

/* Call method with params (stolen). On success *ret_reply is the reply's
 * parameters and *ret_error NULL; an API error sets *ret_error (malloc'd
 * name) and *ret_reply its parameters. Transport failures return -errno. */
int emp_client_call(const char *method, json_t *params, json_t **ret_reply, char **ret_error, struct emp_error *err);
/* The same without starting empyrad: -ENOENT (err untouched) when none runs. */
int emp_client_call_running(const char *method, json_t *params, json_t **ret_reply, char **ret_error,
                            struct emp_error *err);

/* A connection to empyrad (fd), starting it first when start is set and
 * nothing answers; without start, -ENOENT (err untouched) when none runs. */
int emp_client_connect(bool start, struct emp_error *err);
/* One call on an open connection, passing n_fds (at most 3) fds with it as
 * SCM_RIGHTS. params is stolen; results as emp_client_call. */
int emp_client_call_on(int fd, const char *method, json_t *params, const int *fds, size_t n_fds,
                       json_t **ret_reply, char **ret_error, struct emp_error *err);
/* Read one NUL-framed JSON object. */
int emp_client_read_message(int fd, json_t **ret, struct emp_error *err);

/* Tell empyrad the focus files changed, so the screensaver follows; the
 * outcome goes to report ("screensaver: ..." or "not applied: ..."). With
 * start, empyrad is started when a session bus exists. */
void emp_client_focus_sync(bool start, FILE *report);
