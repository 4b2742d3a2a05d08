/* subid.c — find the user's subordinate id range (shadow's /etc/subuid
 * format: owner:start:count, owner a name or a numeric uid). */
#include "subid.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"

int emp_subid_parse(const char *text, const char *name, uid_t uid, uint32_t *ret_start, uint32_t *ret_count)
{
        char uidstr[16];
        snprintf(uidstr, sizeof(uidstr), "%u", (unsigned)uid);
        const char *line = text;
        while (line && *line) {
                const char *nl = strchr(line, '\n');
                size_t len = nl ? (size_t)(nl - line) : strlen(line);
                char buf[512];
                if (len < sizeof(buf)) {
                        memcpy(buf, line, len);
                        buf[len] = '\0';
                        char *c1 = strchr(buf, ':');
                        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                        if (c2) {
                                *c1 = *c2 = '\0';
                                char *e1, *e2;
                                unsigned long start = strtoul(c1 + 1, &e1, 10);
                                unsigned long count = strtoul(c2 + 1, &e2, 10);
                                bool owner = (name && strcmp(buf, name) == 0) || strcmp(buf, uidstr) == 0;
                                if (owner && *e1 == '\0' && *e2 == '\0' && e1 != c1 + 1 && count >= 65536 &&
                                    start > 0 && start + count <= UINT32_MAX) {
                                        *ret_start = (uint32_t)start;
                                        *ret_count = (uint32_t)count;
                                        return 0;
                                }
                        }
                }
                line = nl ? nl + 1 : NULL;
        }
        return -ENOENT;
}

int emp_subid_lookup(const char *file, const char *name, uid_t uid, uint32_t *ret_start, uint32_t *ret_count)
{
        _cleanup_free_ char *text = NULL;
        int r = emp_read_file(file, 1 << 20, &text, NULL);
        if (r < 0)
                return r;
        return emp_subid_parse(text, name, uid, ret_start, ret_count);
}
