/* policy_internal.h — helpers shared by the policy module's files and not
 * part of its interface: quoting untrusted text in error messages. */
#pragma once
#include <stddef.h>

/* Copy of s safe to put in a message a terminal will show: bytes outside
 * printable ASCII become '?', long values are cut with "...". Returns buf. */
const char *emp_policy_printable(char *buf, size_t size, const char *s);
#define EMP_POLICY_PRINTABLE_MAX 96
#define POLICY_PRINTABLE(buf, s) emp_policy_printable((buf), sizeof(buf), (s))

struct emp_policy;
/* Room for extra more rules, so a batch of appends cannot fail half-way. */
int emp_policy_reserve(struct emp_policy *p, size_t extra);
