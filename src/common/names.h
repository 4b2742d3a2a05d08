/* names.h — syntax of names shared by the manifest, the policy and the
 * store: DNS host names and "looks like IPv4". Pure. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* A DNS name: labels of [A-Za-z0-9_-], 1..63 bytes each, 253 in all. */
bool emp_hostname_valid(const char *s, size_t n);
/* A host made of digits, dots and '/' is meant as an IPv4 address (CIDR). */
bool emp_looks_ipv4(const char *s, size_t n);
