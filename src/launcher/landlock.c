/* landlock.c — Landlock ruleset for the sandbox view. Debian 12's headers
 * stop at ABI 2, so the later rights and the ruleset's `scoped` field are
 * defined here and used only when the running kernel reports them. */
#include "landlock.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"

#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif
#define EMP_LL_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define EMP_LL_SCOPE_SIGNAL (1ULL << 1)        /* ABI 6 */

/* The ruleset attribute as of ABI 6; older kernels get a shorter size. */
struct emp_ll_ruleset_attr {
        uint64_t handled_access_fs;
        uint64_t handled_access_net;
        uint64_t scoped;
};

#define LL_FILE_READ (LANDLOCK_ACCESS_FS_READ_FILE)
#define LL_FILE_EXEC (LANDLOCK_ACCESS_FS_EXECUTE)
#define LL_FILE_WRITE (LANDLOCK_ACCESS_FS_WRITE_FILE)
#define LL_DIR_MAKE                                                                               \
        (LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |                         \
         LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | \
         LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |                            \
         LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)

int emp_landlock_abi(void)
{
        /* Fault injection for the tests of the failure path: it can only make
         * a launch fail, or run weaker when --allow-weaker=landlock says so
         * (and the launch prints it). */
        const char *pretend = getenv("EMPYRA_TEST_PRETEND_NO_LANDLOCK");
        if (pretend && strcmp(pretend, "1") == 0)
                return 0;
        long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
        return abi < 0 ? 0 : (int)abi;
}

uint64_t emp_landlock_handled(int abi)
{
        if (abi < 1)
                return 0;
        uint64_t h = LL_FILE_READ | LL_FILE_EXEC | LL_FILE_WRITE | LANDLOCK_ACCESS_FS_READ_DIR | LL_DIR_MAKE;
        if (abi >= 2)
                h |= LANDLOCK_ACCESS_FS_REFER;
        if (abi >= 3)
                h |= LANDLOCK_ACCESS_FS_TRUNCATE;
        if (abi >= 5)
                h |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
        return h;
}

uint64_t emp_landlock_rights(int abi, enum emp_ll_kind kind, bool is_dir)
{
        uint64_t r = 0;
        switch (kind) {
        case EMP_LL_LIST:
                r = LANDLOCK_ACCESS_FS_READ_DIR;
                break;
        case EMP_LL_RO:
                r = LL_FILE_READ | LL_FILE_EXEC | LANDLOCK_ACCESS_FS_READ_DIR;
                break;
        case EMP_LL_RW:
                r = LL_FILE_READ | LL_FILE_EXEC | LL_FILE_WRITE | LANDLOCK_ACCESS_FS_READ_DIR | LL_DIR_MAKE |
                    LANDLOCK_ACCESS_FS_REFER | LANDLOCK_ACCESS_FS_TRUNCATE;
                break;
        case EMP_LL_DEV:
                /* ABI 5: ioctls on the tty, pts and granted devices must be granted. */
                r = LL_FILE_READ | LL_FILE_WRITE | LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_TRUNCATE |
                    LANDLOCK_ACCESS_FS_IOCTL_DEV;
                break;
        }
        if (!is_dir)
                r &= LL_FILE_READ | LL_FILE_EXEC | LL_FILE_WRITE | LANDLOCK_ACCESS_FS_TRUNCATE |
                     LANDLOCK_ACCESS_FS_IOCTL_DEV;
        return r & emp_landlock_handled(abi);
}

static int add_rule(int ruleset, int abi, const struct emp_ll_rule *rule, struct emp_error *err)
{
        _cleanup_close_ int fd = open(rule->path, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : emp_error_errno(err, -errno, "landlock: opening %s", rule->path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return emp_error_errno(err, -errno, "landlock: %s", rule->path);
        struct landlock_path_beneath_attr pb = {
                .allowed_access = emp_landlock_rights(abi, rule->kind, S_ISDIR(st.st_mode)),
                .parent_fd = fd,
        };
        if (pb.allowed_access == 0)
                return 0;
        if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
                return emp_error_errno(err, -errno, "landlock: rule for %s", rule->path);
        return 0;
}

int emp_landlock_prepare(const struct emp_ll_rule *rules, size_t n, int *ret_fd, struct emp_error *err)
{
        int abi = emp_landlock_abi();
        if (abi < 1)
                return emp_error_set(err, -EOPNOTSUPP,
                                     "landlock: not available in this kernel (CONFIG_SECURITY_LANDLOCK, "
                                     "lsm=landlock); rerun with --allow-weaker=landlock to run without it");
        struct emp_ll_ruleset_attr attr = {.handled_access_fs = emp_landlock_handled(abi)};
        size_t size = offsetof(struct emp_ll_ruleset_attr, handled_access_net);
        if (abi >= 4)
                size = offsetof(struct emp_ll_ruleset_attr, scoped); /* net rights left unhandled */
        if (abi >= 6) {
                attr.scoped = EMP_LL_SCOPE_ABSTRACT_UNIX | EMP_LL_SCOPE_SIGNAL;
                size = sizeof(attr);
        }
        _cleanup_close_ int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
        if (ruleset < 0)
                return emp_error_errno(err, -errno, "landlock: creating the ruleset (ABI %d)", abi);
        for (size_t i = 0; i < n; i++) {
                int r = add_rule(ruleset, abi, &rules[i], err);
                if (r < 0)
                        return r;
        }
        *ret_fd = TAKE_FD(ruleset);
        return 0;
}

int emp_landlock_enforce(int ruleset_fd, struct emp_error *err)
{
        _cleanup_close_ int fd = ruleset_fd;
        if (syscall(SYS_landlock_restrict_self, fd, 0) < 0)
                return emp_error_errno(err, -errno, "landlock: enforcing the ruleset");
        return 0;
}
