/* integrity_bind.c — sandboxes whose manifest has [Empyra Integrity] get the
 * integrity service's socket at /run/empyra/integrity.sock (read-only bind)
 * and, beside it, the manifest as launched and the app id: what
 * empyra-integrityd reads (and hashes into the report) — never trusted, only
 * reported. A missing host socket is noted, not an error: the app gets a
 * connection error when it asks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fs.h"
#include "sandbox.h"

#define INSIDE_DIR "/run/empyra"
#define MAX_MANIFEST (64 * 1024)

int emp_integrity_plan(struct emp_sandbox *sb, struct emp_error *err);

int emp_integrity_plan(struct emp_sandbox *sb, struct emp_error *err)
{
        const struct emp_manifest *m = sb->manifest;
        if (!m->has_integrity)
                return 0;
        if (!emp_sandbox_add_mount(sb, EMP_MNT_DIR, NULL, INSIDE_DIR, 0, 0755))
                return -ENOMEM;
        char *data = NULL;
        size_t len = 0;
        int r = m->path ? emp_read_file(m->path, MAX_MANIFEST, &data, &len) : -ENOENT;
        if (r < 0)
                return emp_error_errno(err, r, "integrity: reading the manifest %s", m->path ? m->path : "(none)");
        if ((r = emp_sandbox_add_data(sb, NULL, INSIDE_DIR "/manifest.ini", 0444, data, len)) < 0)
                return r;
        char *id = NULL;
        if (asprintf(&id, "%s\n", sb->app_id) < 0)
                return -ENOMEM;
        if ((r = emp_sandbox_add_data(sb, NULL, INSIDE_DIR "/app-id", 0444, id, strlen(id))) < 0)
                return r;
        const char *host = getenv("EMPYRA_INTEGRITY_SOCKET");
        if (!host || !host[0])
                host = "/run/empyra/integrity.sock";
        struct stat st;
        if (stat(host, &st) < 0 || !S_ISSOCK(st.st_mode)) {
                emp_sandbox_note(sb, "integrity: %s is not available on the host (is empyra-integrityd running?); "
                                     "the app's requests will fail to connect", host);
                return 0;
        }
        if (!emp_sandbox_add_mount(sb, EMP_MNT_BIND, host, INSIDE_DIR "/integrity.sock",
                                   EMP_MNT_F_RO | EMP_MNT_F_OPTIONAL, 0))
                return -ENOMEM;
        return 0;
}
