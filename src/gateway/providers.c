/* providers.c — the user's choice of network provider per app
 * (`empyra net ID --provider=...`), kept in $XDG_CONFIG_HOME/empyra/
 * providers.json ({"APP": "direct|none|socks5://HOST:PORT"}), replaced
 * atomically. It overrides the manifest's [Empyra Network] provider= at the
 * app's next launch: the user's word over the manifest's, as for rules. */
#include "providers.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "manifest/manifest.h"

#define PROVIDERS_FILE "providers.json"
#define PROVIDERS_MAX (1u << 20)

static json_t *load(const char *config_dir)
{
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", config_dir, PROVIDERS_FILE);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        json_t *o = emp_read_file(path, PROVIDERS_MAX, &text, &len) == 0 ? json_loadb(text, len, 0, NULL) : NULL;
        if (!json_is_object(o)) {
                json_decref(o);
                o = json_object();
        }
        return o;
}

char *emp_provider_get(const char *config_dir, const char *app_id)
{
        json_t *o = load(config_dir);
        const char *v = json_string_value(json_object_get(o, app_id));
        char *r = v && emp_net_provider_validate(v, &(struct emp_error){0}) == 0 ? strdup(v) : NULL;
        json_decref(o);
        return r;
}

int emp_provider_set(const char *config_dir, const char *app_id, const char *provider, struct emp_error *err)
{
        if (provider && emp_net_provider_validate(provider, err) < 0)
                return -EINVAL;
        json_t *o = load(config_dir);
        if (provider)
                json_object_set_new(o, app_id, json_string(provider));
        else
                json_object_del(o, app_id);
        _cleanup_free_ char *text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
        json_decref(o);
        if (!text)
                return emp_error_set(err, -ENOMEM, "out of memory");
        int r = emp_mkdir_p(config_dir, 0700);
        _cleanup_close_ int dfd = r < 0 ? -1 : open(config_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return emp_error_errno(err, r < 0 ? r : -errno, "opening %s", config_dir);
        r = emp_replace_file_at(dfd, PROVIDERS_FILE, text, strlen(text), 0600);
        return r < 0 ? emp_error_errno(err, r, "writing %s/%s", config_dir, PROVIDERS_FILE) : 0;
}
