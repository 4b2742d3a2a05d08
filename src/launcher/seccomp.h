/* seccomp.h — install the default-deny syscall filter (DESIGN.md §5).
 * The BPF is generated at build time from seccomp_table.c by libseccomp
 * (tools/gen_seccomp.c), so a launch only loads a ready program. */
#pragma once
#include "common/error.h"

enum {
        EMP_SECCOMP_MULTIARCH = 1u << 0, /* features=multiarch: same rules for i386 */
        EMP_SECCOMP_NESTED = 1u << 1,    /* features=nested: namespaces allowed */
        EMP_SECCOMP_BROKERED = 1u << 2,  /* files=brokered: path opens trap to empyrad */
        EMP_SECCOMP_NETWORK = 1u << 3,   /* shared=network: connect traps to the gateway */
};

/* Load the filter for this variant into the calling thread (which must be the
 * process's only thread and have no_new_privs set). With ret_listener, the
 * filter gets a user-notification listener (SECCOMP_FILTER_FLAG_NEW_LISTENER),
 * returned there O_CLOEXEC. 0 or -errno. */
int emp_seccomp_install(unsigned variant, int *ret_listener, struct emp_error *err);
/* One human line describing the variant, for `empyra run --verbose`. */
const char *emp_seccomp_summary(unsigned variant);
