/* policy_internal.h — helpers shared by the policy module's files and not
 * part of its interface: quoting untrusted text in error messages. */
#pragma once
#include <stddef.h>
#include <string.h>

/* Tables of names indexed by enum value, slot 0 unused (enums start at 1):
 * one lookup each way for every such table in the module. */
static inline const char *emp_enum_name(const char *const *names, size_t n, int v)
{
        return v > 0 && (size_t)v < n ? names[v] : NULL;
}

/* Index of s in names, or 0 when it is not there. */
static inline int emp_enum_index(const char *const *names, size_t n, const char *s)
{
        for (size_t i = 1; s && i < n; i++)
                if (names[i] && strcmp(names[i], s) == 0)
                        return (int)i;
        return 0;
}

/* Copy of s safe to put in a message a terminal will show: bytes outside
 * printable ASCII become '?', long values are cut with "...". Returns buf. */
const char *emp_policy_printable(char *buf, size_t size, const char *s);
#define EMP_POLICY_PRINTABLE_MAX 96
#define POLICY_PRINTABLE(buf, s) emp_policy_printable((buf), sizeof(buf), (s))

struct emp_policy;
/* Room for extra more rules, so a batch of appends cannot fail half-way. */
int emp_policy_reserve(struct emp_policy *p, size_t extra);
