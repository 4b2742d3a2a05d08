/* fuzz_manifest.c — libFuzzer target: any bytes through emp_manifest_load_data
 * give a manifest or an error, never a crash, a leak or a half-applied load. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

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

/* Every parse error says why and names a real line: line 0 would mean the
 * locator lost a key GKeyFile has. */
static void check_error(const struct emp_error *err, int r)
{
        static const char prefix[] = "fuzz.ini:";
        if (err->code != r || !err->msg[0])
                __builtin_trap();
        if (strncmp(err->msg, prefix, sizeof(prefix) - 1) != 0)
                __builtin_trap();
        const char *line = err->msg + sizeof(prefix) - 1;
        if (r == -EINVAL && (line[0] < '1' || line[0] > '9'))
                __builtin_trap();
}

/* Our pre-pass must refuse everything GKeyFile refuses, first, so that the
 * message has our line number rather than GLib's fallback text. */
static void check_against_gkeyfile(const uint8_t *data, size_t size, const struct emp_error *err)
{
        GKeyFile *kf = g_key_file_new();
        GError *e = NULL;
        if (size <= 1024 * 1024 &&
            !g_key_file_load_from_data(kf, (const char *)data, size, G_KEY_FILE_NONE, &e)) {
                /* The fallback reads exactly "FILE:1: <GLib's message>"; inputs
                 * may quote GLib's text, so compare whole messages. */
                char *fallback = g_strdup_printf("fuzz.ini:1: %s", e->message);
                if (!err->code || strcmp(err->msg, fallback) == 0)
                        __builtin_trap();
                g_free(fallback);
                g_error_free(e);
        }
        g_key_file_free(kf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        int r = emp_manifest_load_data(&m, "fuzz.ini", (const char *)data, size, &err);
        check_against_gkeyfile(data, size, &err);
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
