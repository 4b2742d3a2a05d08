/* manifest_merge.c — adds one source (a manifest file, a command-line flag)
 * to the manifest: grants lift earlier revocations, lists append, all or nothing. */
#include "manifest/manifest_internal.h"

#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

int emp_manifest_add_fs(struct emp_manifest *m, struct emp_fs_entry *e)
{
        struct emp_fs_entry *v = realloc(m->filesystems, (m->n_filesystems + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        m->filesystems = v;
        v[m->n_filesystems++] = *e;
        *e = (struct emp_fs_entry){ 0 };
        return 0;
}

/* The new arrays a merge needs, built before anything is changed so that
 * running out of memory leaves the manifest exactly as it was. */
struct merge_plan {
        char **persistent, **env, **net_rules, **integrity_files, **unknown;
        struct emp_fs_entry *filesystems;
};

static int strv_grown(char **v, size_t extra, char ***ret)
{
        size_t n = emp_strv_len(v);
        *ret = NULL;
        if (extra == 0)
                return 0;
        char **nv = malloc((n + extra + 1) * sizeof(char *));
        if (!nv)
                return -ENOMEM;
        if (n)
                memcpy(nv, v, n * sizeof(char *));
        nv[n] = NULL;
        *ret = nv;
        return 0;
}

static void merge_plan_free(struct merge_plan *p)
{
        free(p->persistent);
        free(p->env);
        free(p->net_rules);
        free(p->integrity_files);
        free(p->unknown);
        free(p->filesystems);
}

static int merge_plan_make(const struct emp_manifest *m, const struct emp_manifest *src,
                           struct merge_plan *p)
{
        int r = 0;
        *p = (struct merge_plan){ 0 };
        r = r ?: strv_grown(m->persistent, emp_strv_len(src->persistent), &p->persistent);
        r = r ?: strv_grown(m->env, emp_strv_len(src->env), &p->env);
        r = r ?: strv_grown(m->net_rules, emp_strv_len(src->net_rules), &p->net_rules);
        r = r ?: strv_grown(m->integrity_files, emp_strv_len(src->integrity_files),
                            &p->integrity_files);
        r = r ?: strv_grown(m->unknown, emp_strv_len(src->unknown), &p->unknown);
        if (r == 0 && src->n_filesystems) {
                size_t n = m->n_filesystems + src->n_filesystems;
                p->filesystems = malloc(n * sizeof(*p->filesystems));
                if (!p->filesystems)
                        r = -ENOMEM;
                else if (m->n_filesystems)
                        memcpy(p->filesystems, m->filesystems,
                               m->n_filesystems * sizeof(*p->filesystems));
        }
        if (r < 0)
                merge_plan_free(p);
        return r;
}

/* Moves src's strings into the grown copy of *dst (if any). Cannot fail. */
static void strv_commit(char ***dst, char **grown, char **src)
{
        if (!grown)
                return;
        size_t n = emp_strv_len(grown);
        for (size_t i = 0; src[i]; i++)
                grown[n++] = src[i];
        grown[n] = NULL;
        src[0] = NULL; /* the strings now belong to *dst */
        free(*dst);
        *dst = grown;
}

/* "NAME=VALUE" entries hashed and compared by NAME alone. */
static guint env_name_hash(gconstpointer p)
{
        guint h = 5381;
        for (const char *s = p; *s && *s != '='; s++)
                h = h * 33 + (unsigned char)*s;
        return h;
}

static gboolean env_name_equal(gconstpointer a, gconstpointer b)
{
        size_t n = strcspn(a, "=");
        return strncmp(a, b, n) == 0 && (((const char *)b)[n] == '=' || !((const char *)b)[n]);
}

/* Like strv_commit, but a variable set again replaces its earlier value;
 * the hash keeps that linear however many variables both sides hold. (It
 * can't fail: GLib aborts on OOM, as GKeyFile itself would.) */
static void env_commit(char ***dst, char **grown, char **src)
{
        if (!grown)
                return;
        GHashTable *index = g_hash_table_new(env_name_hash, env_name_equal);
        size_t n = emp_strv_len(grown);
        for (size_t i = 0; i < n; i++)
                g_hash_table_insert(index, grown[i], GSIZE_TO_POINTER(i + 1));
        for (size_t i = 0; src[i]; i++) {
                size_t at = GPOINTER_TO_SIZE(g_hash_table_lookup(index, src[i]));
                if (at) {
                        /* Remove first: on replace GHashTable would keep the old key. */
                        g_hash_table_remove(index, grown[at - 1]);
                        free(grown[at - 1]);
                        grown[at - 1] = src[i];
                } else {
                        grown[n++] = src[i];
                        at = n;
                }
                g_hash_table_insert(index, src[i], GSIZE_TO_POINTER(at));
        }
        g_hash_table_destroy(index);
        grown[n] = NULL;
        src[0] = NULL;
        free(*dst);
        *dst = grown;
}

/* A later source's grant lifts an earlier revocation; a source's own
 * revocation wins over its own grant (emp_bits() masks revoked bits). */
static void bits_merge(unsigned *grant, unsigned *revoke, unsigned src_grant, unsigned src_revoke)
{
        *revoke = (*revoke & ~src_grant) | src_revoke;
        *grant |= src_grant;
}

static void str_override(char **dst, char **src)
{
        if (*src) {
                free(*dst);
                *dst = TAKE_PTR(*src);
        }
}

static void merge_scalars(struct emp_manifest *m, struct emp_manifest *src)
{
        str_override(&m->app_id, &src->app_id);
        str_override(&m->command, &src->command);
        str_override(&m->net_provider, &src->net_provider);
        if (src->memory_max)
                m->memory_max = src->memory_max;
        if (src->pids_max)
                m->pids_max = src->pids_max;
        if (src->cpu_weight)
                m->cpu_weight = src->cpu_weight;
        if (src->has_files) {
                m->files = src->files;
                m->has_files = true;
        }
        m->has_integrity |= src->has_integrity;
}

int emp_manifest_merge(struct emp_manifest *m, struct emp_manifest *src)
{
        struct merge_plan p;
        int r = merge_plan_make(m, src, &p);
        if (r < 0)
                return r;
        bits_merge(&m->shared, &m->noshared, src->shared, src->noshared);
        bits_merge(&m->sockets, &m->nosockets, src->sockets, src->nosockets);
        bits_merge(&m->devices, &m->nodevices, src->devices, src->nodevices);
        bits_merge(&m->features, &m->nofeatures, src->features, src->nofeatures);
        merge_scalars(m, src);
        strv_commit(&m->persistent, p.persistent, src->persistent);
        env_commit(&m->env, p.env, src->env);
        strv_commit(&m->net_rules, p.net_rules, src->net_rules);
        strv_commit(&m->integrity_files, p.integrity_files, src->integrity_files);
        strv_commit(&m->unknown, p.unknown, src->unknown);
        if (p.filesystems) {
                memcpy(p.filesystems + m->n_filesystems, src->filesystems,
                       src->n_filesystems * sizeof(*src->filesystems));
                free(m->filesystems);
                m->filesystems = p.filesystems;
                m->n_filesystems += src->n_filesystems;
                src->n_filesystems = 0; /* the specs now belong to m */
        }
        return 0;
}
