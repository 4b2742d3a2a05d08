/* subid.h — subordinate id ranges from /etc/subuid and /etc/subgid. */
#pragma once
#include <stdint.h>
#include <sys/types.h>

/* First range of at least 65536 ids for user name or uid in file. */
int emp_subid_lookup(const char *file, const char *name, uid_t uid, uint32_t *ret_start, uint32_t *ret_count);
/* Parse one "owner:start:count" text for tests. */
int emp_subid_parse(const char *text, const char *name, uid_t uid, uint32_t *ret_start, uint32_t *ret_count);
