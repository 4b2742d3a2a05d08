/* fuzz_manifest.c — libFuzzer target: any bytes through emp_manifest_load_data
 * give a manifest or an error, never a crash, a leak or a half-applied load. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "manifest/manifest.h"

/* What a successful load promises the launcher, re-checked on every input. */
static void check_loaded(const struct emp_manifest *m)
{
        if (m->app_id && !emp_app_id_valid(m->app_id))
                __builtin_trap();
        for (size_t i = 0; i < m->n_filesystems; i++)
                if (emp_fs_spec_validate(m->filesystems[i].spec, NULL) < 0)
                        __builtin_trap();
        if (m->cpu_weight > 10000)
                __builtin_trap();
}

/* Every parse error names a real line, found by our own reading of the text:
 * line 0 means the locator lost a key GKeyFile has; GLib's "Key file ..."
 * text means our pre-pass let through a line GKeyFile then refused. */
static void check_error(const struct emp_error *err, int r)
{
        static const char prefix[] = "fuzz.ini:";
        if (err->code != r || !err->msg[0])
                __builtin_trap();
        if (strncmp(err->msg, prefix, sizeof(prefix) - 1) != 0)
                __builtin_trap();
        const char *line = err->msg + sizeof(prefix) - 1;
        if (r == -EINVAL && (line[0] < '1' || line[0] > '9' || strstr(err->msg, ": Key file")))
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        int r = emp_manifest_load_data(&m, "fuzz.ini", (const char *)data, size, &err);
        if (r < 0) {
                check_error(&err, r);
                /* A failed load leaves nothing behind. */
                if (m.app_id || m.unknown || m.n_filesystems || m.env || m.sockets ||
                    m.has_integrity)
                        __builtin_trap();
        } else {
                check_loaded(&m);
                /* Loading the same text again exercises merging into a
                 * manifest that already holds values. */
                emp_error_clear(&err);
                if (emp_manifest_load_data(&m, "fuzz.ini", (const char *)data, size, &err) != 0)
                        __builtin_trap();
                check_loaded(&m);
        }
        emp_manifest_free(&m);
        return 0;
}
