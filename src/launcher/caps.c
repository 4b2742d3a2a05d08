/* caps.c — the privilege drop, in the order the kernel requires: bounding
 * set while we still hold CAP_SETPCAP, then ids, then the other sets. */
#include "caps.h"

#include <errno.h>
#include <grp.h>
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

int emp_caps_drop_and_switch(uid_t uid, gid_t gid, int set_groups, struct emp_error *err)
{
        for (cap_value_t c = 0; c <= CAP_LAST_CAP || cap_valid(c); c++) {
                if (!CAP_IS_SUPPORTED(c))
                        continue;
                if (cap_drop_bound(c) < 0 && errno != EINVAL)
                        return emp_error_errno(err, -errno, "capabilities: dropping bounding capability %d", c);
        }
        /* Lock the securebits so a later setuid(0) inside (if mapped) cannot
         * regain capabilities the way root normally would. */
        if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                                             SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                                             SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) < 0)
                return emp_error_errno(err, -errno, "capabilities: locking securebits");
        if (set_groups && setgroups(0, NULL) < 0)
                return emp_error_errno(err, -errno, "ids: clearing supplementary groups");
        if (setresgid(gid, gid, gid) < 0)
                return emp_error_errno(err, -errno, "ids: switching to gid %u", (unsigned)gid);
        if (setresuid(uid, uid, uid) < 0)
                return emp_error_errno(err, -errno, "ids: switching to uid %u", (unsigned)uid);
        if (cap_reset_ambient() < 0 && errno != EINVAL)
                return emp_error_errno(err, -errno, "capabilities: clearing the ambient set");
        cap_t empty = cap_init();
        if (!empty)
                return emp_error_errno(err, -ENOMEM, "capabilities");
        int r = cap_set_proc(empty);
        int saved = errno;
        cap_free(empty);
        if (r < 0)
                return emp_error_errno(err, -saved, "capabilities: emptying the process sets");
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return emp_error_errno(err, -errno, "no_new_privs");
        return 0;
}
