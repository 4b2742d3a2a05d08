/* seccomp.c — loads the build-time generated seccomp filter (DESIGN.md §5) into the
 * process about to become the app; the rules themselves live in seccomp_table.c. */
#include "launcher/seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher/seccomp_filters.h"

int emp_seccomp_install(unsigned variant, int *ret_listener, struct emp_error *err)
{
        const struct emp_seccomp_filter *f = emp_seccomp_filter_get(variant);
        if (!f)
                return emp_error_set(err, -EINVAL, "seccomp: no filter variant %u", variant);
        struct sock_fprog prog = {
                .len = f->len,
                /* The kernel copies the program; it never writes through this. */
                .filter = (struct sock_filter *)f->insns,
        };
        /* Raw syscall: glibc has no wrapper.  No TSYNC: the caller is
         * single-threaded (NEW_LISTENER and TSYNC do not combine). No
         * WAIT_KILLABLE_RECV: a call empyrad took but never answered (it died)
         * must stay interruptible, so the launcher can make it trap again. */
        unsigned flags = ret_listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
        long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
        if (fd < 0) {
                int e = errno;
                if (e == EACCES)
                        return emp_error_errno(err, -e, "seccomp: loading filter variant %u "
                                               "(no_new_privs not set?)", variant);
                return emp_error_errno(err, -e, "seccomp: loading filter variant %u", variant);
        }
        if (ret_listener)
                *ret_listener = (int)fd;
        return 0;
}

const char *emp_seccomp_summary(unsigned variant)
{
        const struct emp_seccomp_filter *f = emp_seccomp_filter_get(variant);
        return f ? f->summary : "seccomp: unknown filter variant";
}
