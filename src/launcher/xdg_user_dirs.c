/* xdg_user_dirs.c — resolve Flatpak's xdg-* filesystem names to host paths,
 * reading ~/.config/user-dirs.dirs like xdg-user-dir does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"

int emp_xdg_user_dir(const char *home, const char *name, char **ret);

static const struct {
        const char *name, *var, *fallback;
} xdg_names[] = {
        {"xdg-desktop", "XDG_DESKTOP_DIR", "Desktop"},
        {"xdg-documents", "XDG_DOCUMENTS_DIR", "Documents"},
        {"xdg-download", "XDG_DOWNLOAD_DIR", "Downloads"},
        {"xdg-music", "XDG_MUSIC_DIR", "Music"},
        {"xdg-pictures", "XDG_PICTURES_DIR", "Pictures"},
        {"xdg-public-share", "XDG_PUBLICSHARE_DIR", "Public"},
        {"xdg-templates", "XDG_TEMPLATES_DIR", "Templates"},
        {"xdg-videos", "XDG_VIDEOS_DIR", "Videos"},
        {"xdg-config", NULL, ".config"},
        {"xdg-data", NULL, ".local/share"},
        {"xdg-cache", NULL, ".cache"},
        {"xdg-run", NULL, NULL},
};

/* Value of VAR in user-dirs.dirs: VAR="$HOME/Something" or an absolute path. */
static char *user_dirs_value(const char *text, const char *var, const char *home)
{
        size_t vl = strlen(var);
        for (const char *line = text; line && *line;) {
                const char *nl = strchr(line, '\n');
                if (strncmp(line, var, vl) == 0 && line[vl] == '=' && line[vl + 1] == '"') {
                        const char *v = line + vl + 2;
                        const char *end = strchr(v, '"');
                        if (!end || (nl && end > nl))
                                return NULL;
                        char *r = NULL;
                        if (strncmp(v, "$HOME/", 6) == 0)
                                r = asprintf(&r, "%s/%.*s", home, (int)(end - v - 6), v + 6) < 0 ? NULL : r;
                        else if (v[0] == '/')
                                r = strndup(v, (size_t)(end - v));
                        return r;
                }
                line = nl ? nl + 1 : NULL;
        }
        return NULL;
}

int emp_xdg_user_dir(const char *home, const char *name, char **ret)
{
        for (size_t i = 0; i < sizeof(xdg_names) / sizeof(xdg_names[0]); i++) {
                if (strcmp(name, xdg_names[i].name) != 0)
                        continue;
                char *r = NULL;
                if (xdg_names[i].var) {
                        _cleanup_free_ char *path = NULL, *text = NULL;
                        const char *cfg = getenv("XDG_CONFIG_HOME");
                        if (asprintf(&path, "%s/user-dirs.dirs", cfg && cfg[0] == '/' ? cfg : "") < 0)
                                return -ENOMEM;
                        if (!(cfg && cfg[0] == '/')) {
                                free(path);
                                if (asprintf(&path, "%s/.config/user-dirs.dirs", home) < 0)
                                        return -ENOMEM;
                        }
                        if (emp_read_file(path, 65536, &text, NULL) == 0)
                                r = user_dirs_value(text, xdg_names[i].var, home);
                }
                if (!r && xdg_names[i].fallback && asprintf(&r, "%s/%s", home, xdg_names[i].fallback) < 0)
                        return -ENOMEM;
                if (!r)
                        return -ENOENT;
                *ret = r;
                return 0;
        }
        return -EINVAL;
}
