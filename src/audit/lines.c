/* lines.c — read a log file line by line with bounded memory: an overlong
 * line is reported by its length only, and an unfinished last line is held
 * back until its newline arrives (a writer may be appending right now). */
#include "audit_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Room for the longest line plus one read ahead. */
#define LINES_CAP (EMP_AUDIT_LINE_MAX + 65536)

int audit_lines_init(struct audit_lines *l, int fd, uint64_t offset)
{
        char *buf = malloc(LINES_CAP);
        if (!buf)
                return -ENOMEM;
        *l = (struct audit_lines){.fd = fd, .buf = buf, .cap = LINES_CAP, .offset = offset};
        return 0;
}

void audit_lines_free(struct audit_lines *l)
{
        free(l->buf);
        l->buf = NULL;
}

uint64_t audit_lines_pending(const struct audit_lines *l)
{
        return (l->skipping ? l->skipped : 0) + (l->end - l->start);
}

/* Hand out the line ending at nl and step past its newline. */
static void take_line(struct audit_lines *l, const char *nl, struct audit_line *ret)
{
        size_t len = (size_t)(nl - (l->buf + l->start));
        if (l->skipping)
                *ret = (struct audit_line){.len = l->skipped + len, .offset = l->offset - l->skipped, .too_long = true};
        else if (len > EMP_AUDIT_LINE_MAX)
                *ret = (struct audit_line){.len = len, .offset = l->offset, .too_long = true};
        else
                *ret = (struct audit_line){.data = l->buf + l->start, .len = len, .offset = l->offset};
        l->skipping = false;
        l->skipped = 0;
        l->start += len + 1;
        l->offset += len + 1;
}

int audit_lines_next(struct audit_lines *l, struct audit_line *ret)
{
        for (;;) {
                size_t avail = l->end - l->start;
                const char *nl = memchr(l->buf + l->start, '\n', avail);
                if (nl) {
                        take_line(l, nl, ret);
                        return 1;
                }
                /* No newline within the longest line allowed: forget the
                 * bytes, count them, and look for the end of the line. */
                if (l->skipping || avail > EMP_AUDIT_LINE_MAX) {
                        l->skipping = true;
                        l->skipped += avail;
                        l->offset += avail;
                        l->start = l->end = 0;
                } else if (l->start > 0) {
                        memmove(l->buf, l->buf + l->start, avail);
                        l->start = 0;
                        l->end = avail;
                }
                ssize_t n = read(l->fd, l->buf + l->end, l->cap - l->end);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return 0;
                l->end += (size_t)n;
        }
}
