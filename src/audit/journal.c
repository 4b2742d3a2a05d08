/* journal.c — a copy of the audit head in the systemd journal (DESIGN.md §7):
 * one structured entry per recorded head, sent over journald's native
 * datagram socket when it exists. Someone who rewrites the log and its state
 * files cannot also rewrite what the journal already holds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "audit_internal.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

void audit_journal_head(const struct audit_pos *head)
{
        /* The test suite points this at a socket of its own. */
        const char *path = getenv("EMPYRA_TEST_JOURNAL_SOCKET");
        if (!path)
                path = JOURNAL_SOCKET;
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path) || access(path, F_OK) < 0)
                return; /* no journal here: the state file is the record */
        strcpy(sa.sun_path, path);
        char hex[2 * EMP_AUDIT_HASH_BYTES + 1];
        for (size_t i = 0; i < EMP_AUDIT_HASH_BYTES; i++)
                snprintf(hex + 2 * i, 3, "%02x", head->hash[i]);
        char msg[512];
        int n = snprintf(msg, sizeof(msg),
                         "MESSAGE=empyra audit log head: line %llu, hash %s\n"
                         "SYSLOG_IDENTIFIER=empyrad\nPRIORITY=6\nEMPYRA_AUDIT_SEQ=%llu\nEMPYRA_AUDIT_HEAD=%s\n",
                         (unsigned long long)head->seq, hex, (unsigned long long)head->seq, hex);
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return;
        /* Best effort and never blocking: the state file is authoritative. */
        sendto(fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof(sa));
        close(fd);
}
