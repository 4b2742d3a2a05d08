/* manifest.c — loads a Flatpak-style keyfile manifest through GKeyFile into
 * struct emp_manifest, all or nothing, with "FILE:LINE: [Group] key: why" errors. */
#include "manifest/manifest_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"

/* Appending to a NULL-terminated vector means first finding its end; a load
 * keeps each list's length and capacity so a 1 MiB manifest stays linear. */
struct strv_sink {
        char ***v;
        size_t n, cap;
};

/* What one load works on: the raw text (for line numbers), GKeyFile's view
 * of it, and a fresh manifest that is merged into the caller's at the end. */
struct load_ctx {
        const char *path, *data;
        size_t len;
        GKeyFile *kf;
        struct emp_manifest *m;
        struct emp_error *err;
        struct strv_sink persistent, env, net_rules, integrity_files, unknown;
        size_t fs_cap;
};

struct key_rule;
typedef int (*key_parser)(struct load_ctx *c, const char *group, const struct key_rule *k,
                          struct emp_error *why);
typedef int (*entry_parser)(struct load_ctx *c, const char *entry, const void *arg,
                            struct emp_error *why);

struct key_rule {
        const char *key;
        key_parser parse;
        entry_parser entry; /* list keys: one call per ';'-separated entry */
        const void *arg;    /* bitmask keys: which emp_bit_kind */
};

struct group_rule {
        const char *name;
        int (*parse)(struct load_ctx *c, const struct group_rule *g);
        const struct key_rule *keys;
        size_t n_keys;
        bool keep_unknown; /* Flatpak's groups: keys we don't act on are kept */
        bool no_localized; /* key[xx] would be kept or dropped by locale: refuse */
};

void emp_manifest_init(struct emp_manifest *m)
{
        *m = (struct emp_manifest){ 0 };
}

static void fs_entries_free(struct emp_fs_entry *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i].spec);
        free(v);
}

void emp_manifest_free(struct emp_manifest *m)
{
        free(m->path);
        free(m->app_id);
        free(m->command);
        fs_entries_free(m->filesystems, m->n_filesystems);
        emp_strv_free(m->persistent);
        emp_strv_free(m->env);
        free(m->net_provider);
        emp_strv_free(m->net_rules);
        emp_strv_free(m->integrity_files);
        emp_strv_free(m->unknown);
        emp_manifest_init(m);
}

/* --- errors ---------------------------------------------------------- */

static int fail_key(struct load_ctx *c, const char *group, const char *key,
                    const struct emp_error *why)
{
        size_t line = emp_keyfile_key_line(c->data, c->len, group, key);
        return emp_error_set(c->err, why->code ?: -EINVAL, "%s:%zu: [%s] %s: %s", c->path, line,
                             group, key, why->msg);
}

static int fail_group(struct load_ctx *c, const char *group, const char *why)
{
        size_t line = emp_keyfile_group_line(c->data, c->len, group);
        return emp_error_set(c->err, -EINVAL, "%s:%zu: [%s]: %s", c->path, line, group, why);
}

static int oom(struct load_ctx *c)
{
        return emp_error_set(c->err, -ENOMEM, "%s: out of memory", c->path);
}

/* GLib's messages are localized and quote the whole value; ours name the
 * problem and leave the where to the "FILE:LINE: [Group] key:" prefix. */
static int gerror_why(GError *e, struct emp_error *why)
{
        if (g_error_matches(e, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE))
                emp_error_set(why, -EINVAL, "bad escape sequence in value");
        else
                emp_error_set(why, -EINVAL, "%s", e->message);
        g_error_free(e);
        return -EINVAL;
}

/* --- reading values -------------------------------------------------- */

static int get_string(struct load_ctx *c, const char *group, const char *key, char **ret,
                      struct emp_error *why)
{
        GError *e = NULL;
        char *s = g_key_file_get_string(c->kf, group, key, &e);
        /* On a bad escape GLib returns a string *and* sets the error. */
        if (e) {
                g_free(s);
                return gerror_why(e, why);
        }
        *ret = s;
        return 0;
}

static int for_each_entry(struct load_ctx *c, const char *group, const char *key,
                          const void *arg, entry_parser parse, struct emp_error *why)
{
        GError *e = NULL;
        g_auto(GStrv) list = g_key_file_get_string_list(c->kf, group, key, NULL, &e);
        if (e)
                return gerror_why(e, why);
        int r = 0;
        for (char **s = list; r == 0 && s && *s; s++)
                r = parse(c, *s, arg, why);
        return r;
}

/* --- list entries ---------------------------------------------------- */

/* Appends str, taking it; frees it and returns -ENOMEM on failure. */
static int sink_take(struct strv_sink *s, char *str)
{
        if (!str)
                return -ENOMEM;
        if (s->n + 2 > s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 8;
                char **v = realloc(*s->v, cap * sizeof(char *));
                if (!v) {
                        free(str);
                        return -ENOMEM;
                }
                *s->v = v;
                s->cap = cap;
        }
        (*s->v)[s->n++] = str;
        (*s->v)[s->n] = NULL;
        return 0;
}

static int fs_take(struct load_ctx *c, struct emp_fs_entry *e)
{
        struct emp_manifest *m = c->m;
        if (m->n_filesystems == c->fs_cap) {
                size_t cap = c->fs_cap ? c->fs_cap * 2 : 8;
                struct emp_fs_entry *v = realloc(m->filesystems, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                m->filesystems = v;
                c->fs_cap = cap;
        }
        m->filesystems[m->n_filesystems++] = *e;
        *e = (struct emp_fs_entry){ 0 };
        return 0;
}

static int entry_bits(struct load_ctx *c, const char *s, const void *arg,
                      struct emp_error *why)
{
        const struct emp_bit_kind *kind = arg;
        bool revoke = s[0] == '!';
        unsigned bit;
        if (!*s)
                return 0; /* "a;;b": harmless, Flatpak accepts it too */
        int r = emp_bit_lookup(kind, s + revoke, &bit, why);
        if (r == 0)
                *emp_bits_field(c->m, kind, revoke) |= bit;
        return r;
}

static int entry_filesystem(struct load_ctx *c, const char *s, const void *arg,
                            struct emp_error *why)
{
        struct emp_fs_entry e;
        int r = emp_fs_entry_parse(s, EMP_FS_PARSE_MANIFEST, &e, why);
        if (r < 0)
                return r;
        r = fs_take(c, &e);
        free(e.spec);
        return r < 0 ? emp_error_set(why, r, "out of memory") : 0;
}

static int entry_persistent(struct load_ctx *c, const char *s, const void *arg,
                            struct emp_error *why)
{
        int r = emp_persistent_validate(s, why);
        if (r == 0 && sink_take(&c->persistent, strdup(s)) < 0)
                r = emp_error_set(why, -ENOMEM, "out of memory");
        return r;
}

static int entry_rule(struct load_ctx *c, const char *s, const void *arg,
                      struct emp_error *why)
{
        char *rule = NULL;
        int r = emp_net_rule_parse(s, &rule, why);
        if (r == 0 && sink_take(&c->net_rules, rule) < 0)
                r = emp_error_set(why, -ENOMEM, "out of memory");
        return r;
}

static int entry_integrity(struct load_ctx *c, const char *s, const void *arg,
                           struct emp_error *why)
{
        char *file = NULL;
        int r = emp_integrity_parse(s, &file, why);
        if (r == 0 && sink_take(&c->integrity_files, file) < 0)
                r = emp_error_set(why, -ENOMEM, "out of memory");
        return r;
}

/* --- keys ------------------------------------------------------------ */

static int key_list(struct load_ctx *c, const char *group, const struct key_rule *k,
                    struct emp_error *why)
{
        return for_each_entry(c, group, k->key, k->arg, k->entry, why);
}

/* String keys: validate, then store a malloc'd copy in *field. */
static int key_string(struct load_ctx *c, const char *group, const char *key,
                      int (*check)(const char *, struct emp_error *), char **field,
                      struct emp_error *why)
{
        g_autofree char *s = NULL;
        int r = get_string(c, group, key, &s, why);
        r = r ?: check(s, why);
        if (r < 0)
                return r;
        char *copy = strdup(s);
        if (!copy)
                return emp_error_set(why, -ENOMEM, "out of memory");
        free(*field);
        *field = copy;
        return 0;
}

static int key_app_name(struct load_ctx *c, const char *group, const struct key_rule *k,
                        struct emp_error *why)
{
        return key_string(c, group, k->key, emp_app_id_check, &c->m->app_id, why);
}

static int key_command(struct load_ctx *c, const char *group, const struct key_rule *k,
                       struct emp_error *why)
{
        return key_string(c, group, k->key, emp_command_check, &c->m->command, why);
}

static int key_provider(struct load_ctx *c, const char *group, const struct key_rule *k,
                        struct emp_error *why)
{
        return key_string(c, group, k->key, emp_net_provider_validate, &c->m->net_provider,
                          why);
}

static int key_memory(struct load_ctx *c, const char *group, const struct key_rule *k,
                      struct emp_error *why)
{
        g_autofree char *s = NULL;
        int r = get_string(c, group, k->key, &s, why);
        return r ?: emp_memory_parse(s, &c->m->memory_max, why);
}

static int key_pids(struct load_ctx *c, const char *group, const struct key_rule *k,
                    struct emp_error *why)
{
        g_autofree char *s = NULL;
        int r = get_string(c, group, k->key, &s, why);
        return r ?: emp_pids_parse(s, &c->m->pids_max, why);
}

static int key_cpu_weight(struct load_ctx *c, const char *group, const struct key_rule *k,
                          struct emp_error *why)
{
        g_autofree char *s = NULL;
        int r = get_string(c, group, k->key, &s, why);
        return r ?: emp_cpu_weight_parse(s, &c->m->cpu_weight, why);
}

static int key_files(struct load_ctx *c, const char *group, const struct key_rule *k,
                     struct emp_error *why)
{
        g_autofree char *s = NULL;
        int r = get_string(c, group, k->key, &s, why);
        r = r ?: emp_files_mode_parse(s, &c->m->files, why);
        c->m->has_files = r == 0;
        return r;
}

static int keep_unknown(struct load_ctx *c, const char *group, const char *key)
{
        g_autofree char *value = g_key_file_get_value(c->kf, group, key, NULL);
        char *s = NULL;
        if (asprintf(&s, "[%s] %s=%s", group, key, value ? value : "") < 0 ||
            sink_take(&c->unknown, s) < 0)
                return oom(c);
        return 0;
}

/* --- groups ---------------------------------------------------------- */

static const struct key_rule *find_key_rule(const struct group_rule *g, const char *key)
{
        for (size_t i = 0; i < g->n_keys; i++)
                if (strcmp(g->keys[i].key, key) == 0)
                        return &g->keys[i];
        return NULL;
}

static int parse_key(struct load_ctx *c, const struct group_rule *g, const char *key)
{
        struct emp_error why = { 0 };
        const struct key_rule *rule = find_key_rule(g, key);
        if (!rule && g->keep_unknown)
                return keep_unknown(c, g->name, key);
        if (!rule)
                return fail_key(c, g->name, key,
                                &(struct emp_error){ .code = -EINVAL, .msg = "unknown key" });
        int r = rule->parse(c, g->name, rule, &why);
        return r < 0 ? fail_key(c, g->name, key, &why) : 0;
}

static int parse_keyed_group(struct load_ctx *c, const struct group_rule *g)
{
        g_auto(GStrv) keys = g_key_file_get_keys(c->kf, g->name, NULL, NULL);
        for (char **k = keys; k && *k; k++) {
                int r = parse_key(c, g, *k);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Present, even empty, means the app declared its files: integrity is on. */
static int parse_integrity_group(struct load_ctx *c, const struct group_rule *g)
{
        c->m->has_integrity = true;
        return parse_keyed_group(c, g);
}

static int parse_environment_group(struct load_ctx *c, const struct group_rule *g)
{
        g_auto(GStrv) keys = g_key_file_get_keys(c->kf, g->name, NULL, NULL);
        for (char **k = keys; k && *k; k++) {
                struct emp_error why = { 0 };
                g_autofree char *value = NULL;
                g_autofree char *entry = NULL;
                if (!emp_env_name_valid(*k, strlen(*k)))
                        emp_error_set(&why, -EINVAL, "invalid environment variable name");
                /* Names are unique here: emp_keyfile_check refused repeats. */
                else if (get_string(c, g->name, *k, &value, &why) == 0) {
                        entry = g_strconcat(*k, "=", value, NULL);
                        if (sink_take(&c->env, strdup(entry)) < 0)
                                return oom(c);
                }
                if (why.code)
                        return fail_key(c, g->name, *k, &why);
        }
        return 0;
}

static const struct key_rule application_keys[] = {
        { .key = "name", .parse = key_app_name },
        { .key = "command", .parse = key_command },
};
static const struct key_rule context_keys[] = {
        { .key = "shared", .parse = key_list, .entry = entry_bits, .arg = &emp_bits_shared },
        { .key = "sockets", .parse = key_list, .entry = entry_bits, .arg = &emp_bits_sockets },
        { .key = "devices", .parse = key_list, .entry = entry_bits, .arg = &emp_bits_devices },
        { .key = "features", .parse = key_list, .entry = entry_bits, .arg = &emp_bits_features },
        { .key = "filesystems", .parse = key_list, .entry = entry_filesystem },
        { .key = "persistent", .parse = key_list, .entry = entry_persistent },
};
static const struct key_rule resources_keys[] = {
        { .key = "memory", .parse = key_memory },
        { .key = "pids", .parse = key_pids },
        { .key = "cpu-weight", .parse = key_cpu_weight },
};
static const struct key_rule gateway_keys[] = {
        { .key = "files", .parse = key_files },
};
static const struct key_rule network_keys[] = {
        { .key = "provider", .parse = key_provider },
        { .key = "rules", .parse = key_list, .entry = entry_rule },
};
static const struct key_rule integrity_keys[] = {
        { .key = "files", .parse = key_list, .entry = entry_integrity },
};

#define KEYS(k) k, ARRAY_SIZE(k)
static const struct group_rule group_rules[] = {
        { "Application", parse_keyed_group, KEYS(application_keys), true, false },
        { "Context", parse_keyed_group, KEYS(context_keys), true, true },
        { "Environment", parse_environment_group, NULL, 0, false, true },
        { "Empyra Resources", parse_keyed_group, KEYS(resources_keys), false, true },
        { "Empyra Gateway", parse_keyed_group, KEYS(gateway_keys), false, true },
        { "Empyra Network", parse_keyed_group, KEYS(network_keys), false, true },
        { "Empyra Integrity", parse_integrity_group, KEYS(integrity_keys), false, true },
};

static int reject_localized(struct load_ctx *c, const char *group)
{
        const char *key = NULL;
        size_t key_len = 0;
        size_t line = emp_keyfile_localized_key(c->data, c->len, group, &key, &key_len);
        if (!line)
                return 0;
        return emp_error_set(c->err, -EINVAL, "%s:%zu: [%s] %.*s: localized keys are not allowed here",
                             c->path, line, group, (int)key_len, key);
}

/* Anything named like ours but unknown is a typo or a newer manifest: either
 * way guessing would drop a restriction, so it is refused. */
static bool is_reserved_group(const char *name)
{
        return g_ascii_strncasecmp(name, "empyra", 6) == 0;
}

static int parse_unknown_group(struct load_ctx *c, const char *group)
{
        if (is_reserved_group(group))
                return fail_group(c, group, "unknown Empyra section");
        struct group_rule keep = { .name = group, .parse = parse_keyed_group, .keep_unknown = true };
        return parse_keyed_group(c, &keep);
}

static int parse_group(struct load_ctx *c, const char *group)
{
        for (size_t i = 0; i < ARRAY_SIZE(group_rules); i++) {
                const struct group_rule *g = &group_rules[i];
                if (strcmp(g->name, group) != 0)
                        continue;
                int r = g->no_localized ? reject_localized(c, group) : 0;
                return r ?: g->parse(c, g);
        }
        return parse_unknown_group(c, group);
}

static int parse_groups(struct load_ctx *c)
{
        g_auto(GStrv) groups = g_key_file_get_groups(c->kf, NULL);
        for (char **g = groups; g && *g; g++) {
                int r = parse_group(c, *g);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* --- loading --------------------------------------------------------- */

/* Our own pass first: it knows line numbers and refuses what GKeyFile would
 * take silently (duplicate keys); GKeyFile failing after it is a fallback. */
static int load_keyfile(struct load_ctx *c)
{
        struct emp_error why = { 0 };
        size_t line = emp_keyfile_check(c->data, c->len, &why);
        if (line)
                return emp_error_set(c->err, why.code, "%s:%zu: %s", c->path, line, why.msg);
        GError *e = NULL;
        if (!g_key_file_load_from_data(c->kf, c->data, c->len, G_KEY_FILE_NONE, &e)) {
                int r = emp_error_set(c->err, -EINVAL, "%s:1: %s", c->path, e->message);
                g_error_free(e);
                return r;
        }
        return 0;
}

int emp_manifest_load_data(struct emp_manifest *m, const char *path, const char *data, size_t len,
                           struct emp_error *err)
{
        struct load_ctx c = { .path = path ? path : "<manifest>", .data = data ? data : "",
                              .len = len, .err = err };
        if (!m || (!data && len))
                return emp_error_set(err, -EINVAL, "%s: no manifest data", c.path);
        if (len > EMP_MANIFEST_MAX)
                return emp_error_set(err, -EFBIG, "%s: manifest larger than 1 MiB", c.path);

        g_autoptr(GKeyFile) kf = g_key_file_new();
        struct emp_manifest file;
        emp_manifest_init(&file);
        c.kf = kf;
        c.m = &file;
        c.persistent.v = &file.persistent;
        c.env.v = &file.env;
        c.net_rules.v = &file.net_rules;
        c.integrity_files.v = &file.integrity_files;
        c.unknown.v = &file.unknown;
        int r = load_keyfile(&c);
        r = r ?: parse_groups(&c);
        if (r == 0 && emp_manifest_merge(m, &file) < 0)
                r = oom(&c);
        emp_manifest_free(&file);
        return r;
}

static int read_manifest(const char *path, char **ret, size_t *ret_len, struct emp_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return emp_error_errno(err, -errno, "%s", path);
        /* One byte over the limit tells "exactly 1 MiB" from "more". */
        _cleanup_free_ char *buf = malloc(EMP_MANIFEST_MAX + 1);
        if (!buf)
                return emp_error_set(err, -ENOMEM, "%s: out of memory", path);
        size_t n = 0;
        while (n <= EMP_MANIFEST_MAX) {
                ssize_t k = read(fd, buf + n, EMP_MANIFEST_MAX + 1 - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return emp_error_errno(err, -errno, "%s", path);
                if (k == 0)
                        break;
                n += (size_t)k;
        }
        if (n > EMP_MANIFEST_MAX)
                return emp_error_set(err, -EFBIG, "%s: manifest larger than 1 MiB", path);
        *ret = TAKE_PTR(buf);
        *ret_len = n;
        return 0;
}

int emp_manifest_load_file(struct emp_manifest *m, const char *path, struct emp_error *err)
{
        if (!m || !path)
                return emp_error_set(err, -EINVAL, "manifest: no path");
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = read_manifest(path, &data, &len, err);
        if (r < 0)
                return r;
        /* Copied before loading so that success can't be undone by ENOMEM. */
        _cleanup_free_ char *path_copy = m->path ? NULL : strdup(path);
        if (!m->path && !path_copy)
                return emp_error_set(err, -ENOMEM, "%s: out of memory", path);
        r = emp_manifest_load_data(m, path, data, len, err);
        if (r == 0 && path_copy)
                m->path = TAKE_PTR(path_copy);
        return r;
}
