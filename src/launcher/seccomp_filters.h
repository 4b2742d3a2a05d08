/* seccomp_filters.h — the BPF programs tools/gen_seccomp.c compiles from the rule
 * table at build time (build/gen/seccomp_filters.c), one per filter variant. */
#pragma once
#include <linux/filter.h>

/* Variants are the bitmask of EMP_SECCOMP_MULTIARCH, _NESTED, _BROKERED and _NETWORK. */
#define EMP_SECCOMP_VARIANT_COUNT 16u

struct emp_seccomp_filter {
        const struct sock_filter *insns;
        unsigned short len;  /* instructions; at most BPF_MAXINSNS */
        const char *summary; /* emp_seccomp_summary()'s line, made from the same table */
};

/* The program for a variant; NULL when variant >= EMP_SECCOMP_VARIANT_COUNT. */
const struct emp_seccomp_filter *emp_seccomp_filter_get(unsigned variant);
