/* error.h — one error path: functions return 0 or -errno and may fill an
 * emp_error with a human message; only the outermost layer prints it. */
#pragma once
#include <stdarg.h>

struct emp_error {
        int code;       /* negative errno, 0 when unset */
        char msg[1024]; /* "what: why", without the "empyra: " prefix */
};

/* Record an error (first one wins) and return code, so callers can write
 * `return emp_error_set(err, -EINVAL, "manifest: ...");`.  err may be NULL. */
int emp_error_set(struct emp_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Same, appending ": strerror(-code)". */
int emp_error_errno(struct emp_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void emp_error_clear(struct emp_error *err);
