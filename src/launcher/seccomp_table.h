/* seccomp_table.h — the syscall rule table behind the sandbox's seccomp filter
 * (DESIGN.md §5): pure data plus lookups, read by tools/gen_seccomp.c and tests. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a syscall gets.  ENOSYS is the filter's default, so a program meeting a
 * syscall the table does not know falls back as on an older kernel. */
enum emp_sc_action {
        EMP_SC_ENOSYS = 0,   /* "not implemented here": the default, listed only to document */
        EMP_SC_ALLOW,        /* ordinary programs need it */
        EMP_SC_EPERM,        /* known dangerous: refused so the program sees a policy, not a gap */
        EMP_SC_EAFNOSUPPORT, /* refused socket family (argument rules only) */
        EMP_SC_BY_ARG,       /* decided by one argument: see emp_seccomp_arg_rules */
        EMP_SC_NOTIFY,       /* trapped to empyrad's broker (brokered files, network gateway) */
};

enum emp_sc_flags {
        EMP_SC_NESTED_ALLOW = 1u << 0, /* ALLOW instead when the variant has EMP_SECCOMP_NESTED */
        EMP_SC_I386_ONLY = 1u << 1,    /* only in the i386 table: part of EMP_SECCOMP_MULTIARCH */
        EMP_SC_BROKER_NOTIFY = 1u << 2, /* NOTIFY instead when the variant has EMP_SECCOMP_BROKERED */
        EMP_SC_BROKER_ENOSYS = 1u << 3, /* ENOSYS instead when the variant has EMP_SECCOMP_BROKERED */
        EMP_SC_NET_NOTIFY = 1u << 4,    /* NOTIFY instead when the variant has EMP_SECCOMP_NETWORK */
        /* With EMP_SECCOMP_NETWORK: NOTIFY when argument EMP_SC_NET_ADDR_ARG (sendto's
         * destination) is not NULL, the rule's action when it is. */
        EMP_SC_NET_NOTIFY_ADDR = 1u << 5,
};

#define EMP_SC_NET_ADDR_ARG 4

struct emp_seccomp_rule {
        const char *name; /* libseccomp's (= the kernel's) syscall name */
        uint8_t action;   /* enum emp_sc_action for the plain variant */
        uint8_t flags;    /* enum emp_sc_flags */
        const char *why;
};

/* One value of a decisive argument and what it gets. */
struct emp_seccomp_value {
        uint32_t value;
        uint8_t action;    /* EMP_SC_ALLOW, EMP_SC_EPERM or EMP_SC_EAFNOSUPPORT */
        const char *label; /* "TIOCSTI", "AF_UNIX": for the summary line */
};

/* A syscall decided by one argument.  Only the low 32 bits count, and of those
 * only `bits`: the kernel truncates these arguments to int / unsigned int, so
 * garbage in the high half must neither slip past a denial nor break a caller
 * whose libc sign-extends (musl's ioctl takes an int request). */
struct emp_seccomp_arg_rule {
        const char *name;
        uint8_t arg;    /* argument index, the same on x86_64 and i386 */
        uint32_t bits;  /* the bits that decide */
        const struct emp_seccomp_value *values;
        size_t n_values;
        uint8_t otherwise; /* action for every value not listed */
        const char *why;
};

extern const struct emp_seccomp_rule emp_seccomp_rules[];
extern const size_t emp_seccomp_rule_count;
extern const struct emp_seccomp_arg_rule emp_seccomp_arg_rules[];
extern const size_t emp_seccomp_arg_rule_count;

/* NULL when the table has no such name. */
const struct emp_seccomp_rule *emp_seccomp_rule_find(const char *name);
const struct emp_seccomp_arg_rule *emp_seccomp_arg_rule_find(const char *name);
/* Whether the rule is part of a variant (i386-only rules need MULTIARCH). */
bool emp_seccomp_rule_in_variant(const struct emp_seccomp_rule *r, unsigned variant);
/* The rule's action in a variant (NESTED turns NESTED_ALLOW rules into ALLOW;
 * BROKERED turns BROKER_NOTIFY rules into NOTIFY and BROKER_ENOSYS into ENOSYS). */
enum emp_sc_action emp_seccomp_rule_action(const struct emp_seccomp_rule *r, unsigned variant);

struct emp_seccomp_counts {
        unsigned allowed, eperm, by_arg, enosys, notify;
};
struct emp_seccomp_counts emp_seccomp_count(unsigned variant);
/* The one-line description of a variant; snprintf's return convention. */
int emp_seccomp_describe(unsigned variant, char *buf, size_t size);
