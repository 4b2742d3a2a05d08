/* error.c — filling struct emp_error; first error recorded wins so the
 * innermost, most precise cause reaches the user. */
#include "error.h"

#include <stdio.h>
#include <string.h>

static int error_vset(struct emp_error *err, int code, int with_errno, const char *fmt, va_list ap)
{
        if (!err || err->code != 0)
                return code;
        err->code = code;
        int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        if (with_errno && n >= 0 && (size_t)n < sizeof(err->msg))
                snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", strerror(-code));
        return code;
}

int emp_error_set(struct emp_error *err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        error_vset(err, code, 0, fmt, ap);
        va_end(ap);
        return code;
}

int emp_error_errno(struct emp_error *err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        error_vset(err, code, 1, fmt, ap);
        va_end(ap);
        return code;
}

void emp_error_clear(struct emp_error *err)
{
        if (err) {
                err->code = 0;
                err->msg[0] = '\0';
        }
}
