/* manifest_flags.c — `empyra run` permission flags (--socket=wayland, ...):
 * each flag is parsed into its own small manifest and merged as a later source. */
#include "manifest/manifest_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

struct flag_rule;
typedef int (*flag_parser)(struct emp_manifest *src, const char *value,
                           const struct flag_rule *f, struct emp_error *why);

struct flag_rule {
        const char *name;
        flag_parser parse;
        const struct emp_bit_kind *kind; /* bitmask flags */
        bool revoke;                     /* --unshare, --nosocket, --nofilesystem, ... */
        const char *revoke_flag;         /* named when a grant flag is given "!x" */
};

static int flag_bits(struct emp_manifest *src, const char *v, const struct flag_rule *f,
                     struct emp_error *why)
{
        unsigned bit;
        /* "!" is manifest syntax; on the command line the flag says it. */
        if (v[0] == '!')
                return f->revoke ? emp_error_set(why, -EINVAL, "'!' is not allowed here")
                                 : emp_error_set(why, -EINVAL, "'!' is not allowed here (use --%s)",
                                                 f->revoke_flag);
        int r = emp_bit_lookup(f->kind, v, &bit, why);
        if (r == 0)
                *emp_bits_field(src, f->kind, f->revoke) |= bit;
        return r;
}

static int flag_filesystem(struct emp_manifest *src, const char *v, const struct flag_rule *f,
                           struct emp_error *why)
{
        struct emp_fs_entry e;
        int r = emp_fs_entry_parse(v, f->revoke ? EMP_FS_PARSE_REVOKE : EMP_FS_PARSE_GRANT, &e,
                                   why);
        if (r < 0)
                return r;
        r = emp_manifest_add_fs(src, &e);
        free(e.spec);
        return r < 0 ? emp_error_set(why, r, "out of memory") : 0;
}

static int flag_env(struct emp_manifest *src, const char *v, const struct flag_rule *f,
                    struct emp_error *why)
{
        const char *eq = strchr(v, '=');
        if (!eq || !emp_env_name_valid(v, (size_t)(eq - v)))
                return emp_error_set(why, -EINVAL,
                                     "expected NAME=VALUE, NAME made of [A-Za-z0-9_] "
                                     "not starting with a digit");
        if (emp_strv_push(&src->env, v) < 0)
                return emp_error_set(why, -ENOMEM, "out of memory");
        return 0;
}

static int flag_persist(struct emp_manifest *src, const char *v, const struct flag_rule *f,
                        struct emp_error *why)
{
        int r = emp_persistent_validate(v, why);
        if (r == 0 && emp_strv_push(&src->persistent, v) < 0)
                r = emp_error_set(why, -ENOMEM, "out of memory");
        return r;
}

static int flag_memory(struct emp_manifest *src, const char *v, const struct flag_rule *f,
                       struct emp_error *why)
{
        return emp_memory_parse(v, &src->memory_max, why);
}

static int flag_pids(struct emp_manifest *src, const char *v, const struct flag_rule *f,
                     struct emp_error *why)
{
        return emp_pids_parse(v, &src->pids_max, why);
}

static int flag_cpu_weight(struct emp_manifest *src, const char *v, const struct flag_rule *f,
                           struct emp_error *why)
{
        return emp_cpu_weight_parse(v, &src->cpu_weight, why);
}

static int flag_files(struct emp_manifest *src, const char *v, const struct flag_rule *f,
                      struct emp_error *why)
{
        int r = emp_files_mode_parse(v, &src->files, why);
        src->has_files = r == 0;
        return r;
}

#define BITS(n, k, rev, opp) \
        { .name = n, .parse = flag_bits, .kind = &k, .revoke = rev, .revoke_flag = opp }
static const struct flag_rule flag_rules[] = {
        BITS("share", emp_bits_shared, false, "unshare"),
        BITS("unshare", emp_bits_shared, true, NULL),
        BITS("socket", emp_bits_sockets, false, "nosocket"),
        BITS("nosocket", emp_bits_sockets, true, NULL),
        BITS("device", emp_bits_devices, false, "nodevice"),
        BITS("nodevice", emp_bits_devices, true, NULL),
        BITS("allow", emp_bits_features, false, "disallow"),
        BITS("disallow", emp_bits_features, true, NULL),
        { .name = "filesystem", .parse = flag_filesystem },
        { .name = "nofilesystem", .parse = flag_filesystem, .revoke = true },
        { .name = "env", .parse = flag_env },
        { .name = "persist", .parse = flag_persist },
        { .name = "memory", .parse = flag_memory },
        { .name = "pids", .parse = flag_pids },
        { .name = "cpu-weight", .parse = flag_cpu_weight },
        { .name = "files", .parse = flag_files },
};

static const struct flag_rule *find_flag(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(flag_rules); i++)
                if (strcmp(flag_rules[i].name, name) == 0)
                        return &flag_rules[i];
        return NULL;
}

/* Each flag is its own source, applied in command-line order: a later
 * --share=network lifts an earlier --unshare=network, as in Flatpak. */
int emp_manifest_apply_flag(struct emp_manifest *m, const char *flag, const char *value,
                            struct emp_error *err)
{
        char f[EMP_PRINTABLE_MAX], v[EMP_PRINTABLE_MAX];
        if (!m || !flag || !value)
                return emp_error_set(err, -EINVAL, "manifest: missing flag or value");
        emp_printable(f, sizeof(f), flag, strlen(flag));
        emp_printable(v, sizeof(v), value, strlen(value));

        const struct flag_rule *rule = find_flag(flag);
        if (!rule)
                return emp_error_set(err, -EINVAL, "--%s=%s: unknown permission flag", f, v);
        struct emp_manifest src;
        struct emp_error why = { 0 };
        emp_manifest_init(&src);
        int r = rule->parse(&src, value, rule, &why);
        if (r == 0 && emp_manifest_merge(m, &src) < 0)
                r = emp_error_set(&why, -ENOMEM, "out of memory");
        emp_manifest_free(&src);
        if (r < 0)
                return emp_error_set(err, r, "--%s=%s: %s", f, v, why.msg);
        return 0;
}
