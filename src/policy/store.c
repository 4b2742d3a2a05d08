/* store.c — reading and writing policy.json: a strict parser (any bytes in,
 * a store or a precise error out) and a save that never leaves half a file.
 *
 * Schema, version 1 (every key required unless said otherwise; unknown keys
 * and duplicate keys are errors, so a typo never silently drops a rule):
 *
 *   {
 *     "version": 1,
 *     "apps": {
 *       "<app id>": [
 *         { "permission": "<permission name, DESIGN.md §6>",
 *           "decision":   "allow" | "deny" | "ask",
 *           "scope":      "until-exit" | "1h" | "always",
 *           "expires":    <Unix seconds; "1h" only, required there;
 *                          optional null or 0 for the others>,
 *           "source":     "user" | "manifest" },
 *         ...
 *       ],
 *       ...
 *     }
 *   }
 *
 * "once" is not a stored scope (it answers one request), nor "default" a
 * stored source (defaults are computed). The file is at most 4 MiB. */
#include "store.h"

#include "manifest/manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "policy_internal.h"

/* --- the in-memory store ------------------------------------------------------ */

void emp_policy_store_init(struct emp_policy_store *s)
{
        *s = (struct emp_policy_store){ 0 };
}

void emp_policy_store_free(struct emp_policy_store *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->n_apps; i++) {
                emp_policy_free(s->apps[i]);
                free(s->apps[i]);
        }
        free(s->apps);
        emp_policy_store_init(s);
}

/* The manifest's rule: one definition for every place an app id is read. */
bool emp_policy_app_id_valid(const char *id)
{
        return emp_app_id_valid(id);
}

struct emp_policy *emp_policy_store_find(const struct emp_policy_store *s, const char *app_id)
{
        for (size_t i = 0; app_id && i < s->n_apps; i++)
                if (strcmp(s->apps[i]->app_id, app_id) == 0)
                        return s->apps[i];
        return NULL;
}

/* Add an app known not to be there yet (the parser: jansson has already
 * refused duplicate keys, and a lookup per app would make a large file
 * quadratic to load). */
static int store_add(struct emp_policy_store *s, const char *app_id, struct emp_policy **ret)
{
        if (s->n_apps == s->n_alloc) {
                size_t n = s->n_alloc ? s->n_alloc * 2 : 8;
                struct emp_policy **apps = realloc(s->apps, n * sizeof(*apps));
                if (!apps)
                        return -ENOMEM;
                s->apps = apps;
                s->n_alloc = n;
        }
        _cleanup_free_ struct emp_policy *np = malloc(sizeof(*np));
        if (!np)
                return -ENOMEM;
        emp_policy_init(np);
        np->app_id = strdup(app_id);
        if (!np->app_id)
                return -ENOMEM;
        s->apps[s->n_apps++] = np;
        *ret = TAKE_PTR(np);
        return 0;
}

int emp_policy_store_get(struct emp_policy_store *s, const char *app_id, struct emp_policy **ret)
{
        struct emp_policy *p = emp_policy_store_find(s, app_id);
        if (p) {
                *ret = p;
                return 0;
        }
        if (!emp_policy_app_id_valid(app_id))
                return -EINVAL;
        return store_add(s, app_id, ret);
}

/* --- parsing ------------------------------------------------------------------ */

/* Where in the file, for messages: apps["ID"][N]. */
static const char *rule_where(char *buf, size_t size, const char *app_id, size_t i)
{
        char q[EMP_POLICY_PRINTABLE_MAX];
        snprintf(buf, size, "apps[\"%s\"][%zu]", POLICY_PRINTABLE(q, app_id), i);
        return buf;
}

/* Fails on keys outside allowed (NULL-terminated). */
static int check_keys(json_t *o, const char *const *allowed, const char *where, struct emp_error *err)
{
        const char *key;
        json_t *v;
        json_object_foreach(o, key, v) {
                bool known = false;
                for (size_t i = 0; allowed[i]; i++)
                        known = known || strcmp(key, allowed[i]) == 0;
                if (!known) {
                        char q[EMP_POLICY_PRINTABLE_MAX];
                        return emp_error_set(err, -EINVAL, "%s: unknown key \"%s\"", where,
                                             POLICY_PRINTABLE(q, key));
                }
        }
        return 0;
}

static const char *string_member(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

/* One enumerated member: missing, not a string or not a known name. */
static int enum_member(json_t *o, const char *key, int (*from_str)(const char *, void *), void *ret,
                       const char *where, const char *choices, struct emp_error *err)
{
        const char *s = string_member(o, key);
        if (!s || from_str(s, ret) < 0)
                return emp_error_set(err, -EINVAL, "%s.%s: missing or not one of %s", where, key, choices);
        return 0;
}

static int decision_from(const char *s, void *ret)
{
        return emp_decision_from_str(s, ret);
}

/* Only what a store may hold (see the schema). */
static int stored_scope_from(const char *s, void *ret)
{
        enum emp_scope *scope = ret;
        return emp_scope_from_str(s, scope) < 0 || *scope == EMP_SCOPE_ONCE ? -EINVAL : 0;
}

static int stored_source_from(const char *s, void *ret)
{
        enum emp_source *source = ret;
        return emp_source_from_str(s, source) < 0 || *source == EMP_SOURCE_DEFAULT ? -EINVAL : 0;
}

static int parse_expires(json_t *o, struct emp_rule *r, const char *where, struct emp_error *err)
{
        json_t *e = json_object_get(o, "expires");
        json_int_t v = 0;
        if (e && !json_is_null(e)) {
                if (!json_is_integer(e) || (v = json_integer_value(e)) < 0)
                        return emp_error_set(err, -EINVAL, "%s.expires: not a time in Unix seconds", where);
        }
        if (r->scope == EMP_SCOPE_HOUR && v == 0)
                return emp_error_set(err, -EINVAL, "%s.expires: required for scope \"1h\"", where);
        if (r->scope != EMP_SCOPE_HOUR && v != 0)
                return emp_error_set(err, -EINVAL, "%s.expires: only scope \"1h\" expires", where);
        r->expires = (time_t)v;
        return 0;
}

static int parse_rule(json_t *o, const char *where, struct emp_rule *ret, struct emp_error *err)
{
        static const char *const keys[] = { "permission", "decision", "scope", "expires", "source", NULL };
        struct emp_rule r = { 0 };
        if (!json_is_object(o))
                return emp_error_set(err, -EINVAL, "%s: not an object", where);
        int e = check_keys(o, keys, where, err);
        e = e ?: enum_member(o, "decision", decision_from, &r.decision, where, "allow, deny, ask", err);
        e = e ?: enum_member(o, "scope", stored_scope_from, &r.scope, where, "until-exit, 1h, always", err);
        e = e ?: enum_member(o, "source", stored_source_from, &r.source, where, "user, manifest", err);
        e = e ?: parse_expires(o, &r, where, err);
        if (e < 0)
                return e;
        const char *perm = string_member(o, "permission");
        if (!perm)
                return emp_error_set(err, -EINVAL, "%s.permission: missing or not a string", where);
        struct emp_error why = { 0 };
        e = emp_permission_parse(perm, &r.perm, &why);
        if (e < 0)
                return emp_error_set(err, e, "%s.permission: %s", where, why.msg);
        *ret = r;
        return 0;
}

static int parse_app(const char *app_id, json_t *list, struct emp_policy *p, struct emp_error *err)
{
        char where[EMP_POLICY_PRINTABLE_MAX + 32];
        if (!json_is_array(list)) {
                char q[EMP_POLICY_PRINTABLE_MAX];
                return emp_error_set(err, -EINVAL, "apps[\"%s\"]: not a list of rules", POLICY_PRINTABLE(q, app_id));
        }
        int e = emp_policy_reserve(p, json_array_size(list));
        if (e < 0)
                return emp_error_set(err, e, "out of memory");
        size_t i;
        json_t *o;
        json_array_foreach(list, i, o) {
                struct emp_rule r;
                e = parse_rule(o, rule_where(where, sizeof(where), app_id, i), &r, err);
                if (e < 0)
                        return e;
                p->rules[p->n_rules++] = r; /* reserved: takes r.perm */
        }
        return 0;
}

static int parse_apps(json_t *apps, struct emp_policy_store *s, struct emp_error *err)
{
        const char *app_id;
        json_t *list;
        if (!json_is_object(apps))
                return emp_error_set(err, -EINVAL, "apps: missing or not an object");
        json_object_foreach(apps, app_id, list) {
                char q[EMP_POLICY_PRINTABLE_MAX];
                struct emp_policy *p;
                if (!emp_policy_app_id_valid(app_id))
                        return emp_error_set(err, -EINVAL, "apps: bad app id \"%s\"", POLICY_PRINTABLE(q, app_id));
                int e = store_add(s, app_id, &p);
                if (e < 0)
                        return emp_error_set(err, e, "out of memory");
                e = parse_app(app_id, list, p, err);
                if (e < 0)
                        return e;
        }
        return 0;
}

static int parse_root(json_t *root, struct emp_policy_store *s, struct emp_error *err)
{
        static const char *const keys[] = { "version", "apps", NULL };
        if (!json_is_object(root))
                return emp_error_set(err, -EINVAL, "not a JSON object");
        int e = check_keys(root, keys, "top level", err);
        if (e < 0)
                return e;
        json_t *version = json_object_get(root, "version");
        if (!json_is_integer(version))
                return emp_error_set(err, -EINVAL, "version: missing or not an integer");
        if (json_integer_value(version) != EMP_POLICY_STORE_VERSION)
                return emp_error_set(err, -EINVAL, "version %lld not supported (this Empyra reads %d)",
                                     (long long)json_integer_value(version), EMP_POLICY_STORE_VERSION);
        return parse_apps(json_object_get(root, "apps"), s, err);
}

int emp_policy_store_parse(const char *data, size_t len, struct emp_policy_store *ret, struct emp_error *err)
{
        if (!data && len)
                return emp_error_set(err, -EINVAL, "no data");
        if (len > EMP_POLICY_STORE_MAX)
                return emp_error_set(err, -EFBIG, "too large (%zu bytes, at most %u)", len, EMP_POLICY_STORE_MAX);
        json_error_t jerr;
        /* Duplicate keys are refused: with two "decision"s (or two entries
         * for one app) it is unclear which one the user meant. */
        json_auto_t *root = json_loadb(data ? data : "", len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
                char q[EMP_POLICY_PRINTABLE_MAX];
                return emp_error_set(err, -EINVAL, "line %d column %d: %s", jerr.line, jerr.column,
                                     POLICY_PRINTABLE(q, jerr.text));
        }
        struct emp_policy_store s;
        emp_policy_store_init(&s);
        int e = parse_root(root, &s, err);
        if (e < 0) {
                emp_policy_store_free(&s);
                return e;
        }
        *ret = s;
        return 0;
}

/* --- formatting --------------------------------------------------------------- */

/* Set key to a new value; jansson consumes v even on failure. */
static int set_new(json_t *o, const char *key, json_t *v)
{
        return v && json_object_set_new(o, key, v) == 0 ? 0 : -ENOMEM;
}

static int rule_json(const struct emp_rule *r, json_t **ret)
{
        _cleanup_free_ char *name = NULL;
        if (!emp_rule_valid(r) || r->scope == EMP_SCOPE_ONCE || emp_permission_format(&r->perm, &name) < 0)
                return -EINVAL;
        json_auto_t *o = json_object();
        if (!o)
                return -ENOMEM;
        /* json_string refuses invalid UTF-8; parsed permissions never hold any. */
        int e = set_new(o, "permission", json_string(name));
        e = e ?: set_new(o, "decision", json_string(emp_decision_str(r->decision)));
        e = e ?: set_new(o, "scope", json_string(emp_scope_str(r->scope)));
        if (r->scope == EMP_SCOPE_HOUR)
                e = e ?: set_new(o, "expires", json_integer((json_int_t)r->expires));
        e = e ?: set_new(o, "source", json_string(emp_source_str(r->source)));
        if (e < 0)
                return e;
        *ret = TAKE_PTR(o);
        return 0;
}

static int app_json(const struct emp_policy *p, json_t **ret, struct emp_error *err)
{
        char where[EMP_POLICY_PRINTABLE_MAX + 32];
        json_auto_t *list = json_array();
        if (!list)
                return emp_error_set(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < p->n_rules; i++) {
                json_t *o = NULL;
                int e = rule_json(&p->rules[i], &o);
                if (e == -EINVAL)
                        return emp_error_set(err, e, "%s: not a rule a store can hold",
                                             rule_where(where, sizeof(where), p->app_id, i));
                if (e < 0 || json_array_append_new(list, o) < 0)
                        return emp_error_set(err, -ENOMEM, "out of memory");
        }
        *ret = TAKE_PTR(list);
        return 0;
}

static int by_app_id(const void *a, const void *b)
{
        const struct emp_policy *const *x = a, *const *y = b;
        return strcmp((*x)->app_id, (*y)->app_id);
}

/* Apps in id order, so saving the same store twice gives the same bytes. */
static int apps_json(const struct emp_policy_store *s, json_t *apps, struct emp_error *err)
{
        _cleanup_free_ struct emp_policy **sorted = malloc((s->n_apps ? s->n_apps : 1) * sizeof(*sorted));
        if (!sorted)
                return emp_error_set(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < s->n_apps; i++) {
                char q[EMP_POLICY_PRINTABLE_MAX];
                if (!emp_policy_app_id_valid(s->apps[i]->app_id))
                        return emp_error_set(err, -EINVAL, "bad app id \"%s\"",
                                             POLICY_PRINTABLE(q, s->apps[i]->app_id));
                sorted[i] = s->apps[i];
        }
        qsort(sorted, s->n_apps, sizeof(*sorted), by_app_id);
        for (size_t i = 0; i < s->n_apps; i++) {
                json_t *list = NULL;
                if (i > 0 && strcmp(sorted[i - 1]->app_id, sorted[i]->app_id) == 0)
                        return emp_error_set(err, -EINVAL, "app \"%s\" twice in the store", sorted[i]->app_id);
                if (sorted[i]->n_rules == 0)
                        continue;
                int e = app_json(sorted[i], &list, err);
                if (e < 0)
                        return e;
                if (set_new(apps, sorted[i]->app_id, list) < 0)
                        return emp_error_set(err, -ENOMEM, "out of memory");
        }
        return 0;
}

int emp_policy_store_format(const struct emp_policy_store *s, char **ret, size_t *ret_len, struct emp_error *err)
{
        json_auto_t *root = json_object();
        json_t *apps = json_object();
        if (!root) {
                json_decref(apps);
                return emp_error_set(err, -ENOMEM, "out of memory");
        }
        /* set_new consumes apps either way; root keeps it alive after. */
        if (set_new(root, "version", json_integer(EMP_POLICY_STORE_VERSION)) < 0 ||
            set_new(root, "apps", json_incref(apps)) < 0) {
                json_decref(apps);
                return emp_error_set(err, -ENOMEM, "out of memory");
        }
        json_decref(apps);
        int e = apps_json(s, apps, err);
        if (e < 0)
                return e;
        _cleanup_free_ char *text = json_dumps(root, JSON_INDENT(2));
        char *out = NULL;
        if (!text || asprintf(&out, "%s\n", text) < 0)
                return emp_error_set(err, -ENOMEM, "out of memory");
        if (strlen(out) > EMP_POLICY_STORE_MAX) {
                free(out);
                return emp_error_set(err, -EFBIG, "policy too large to store (over %u bytes)",
                                     EMP_POLICY_STORE_MAX);
        }
        if (ret_len)
                *ret_len = strlen(out);
        *ret = out;
        return 0;
}

/* --- files -------------------------------------------------------------------- */

/* Read and parse DIR/name. -ENOENT when it does not exist, err "PATH: why"
 * otherwise. */
static int load_file(const char *dir, const char *name, struct emp_policy_store *ret, struct emp_error *err)
{
        _cleanup_free_ char *path = NULL, *data = NULL;
        size_t len = 0;
        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return emp_error_set(err, -ENOMEM, "out of memory");
        int e = emp_read_file(path, EMP_POLICY_STORE_MAX, &data, &len);
        if (e == -ENOENT)
                return e;
        if (e == -EFBIG)
                return emp_error_set(err, e, "%s: too large (over %u bytes)", path, EMP_POLICY_STORE_MAX);
        if (e < 0)
                return emp_error_errno(err, e, "%s", path);
        struct emp_error why = { 0 };
        e = emp_policy_store_parse(data, len, ret, &why);
        if (e < 0)
                return emp_error_set(err, e, "%s: %s", path, why.msg);
        return 0;
}

int emp_policy_store_load(const char *dir, struct emp_policy_store *ret, struct emp_error *err)
{
        struct emp_error main_err = { 0 }, good_err = { 0 };
        struct emp_policy_store s;
        if (!dir)
                return emp_error_set(err, -EINVAL, "policy store: no directory");
        int e = load_file(dir, EMP_POLICY_STORE_FILE, &s, &main_err);
        if (e == 0 || e == -ENOENT) {
                if (e == -ENOENT)
                        emp_policy_store_init(&s);
                *ret = s;
                return 0;
        }
        int g = load_file(dir, EMP_POLICY_STORE_GOOD, &s, &good_err);
        if (g == 0) {
                *ret = s;
                emp_error_set(err, e, "%s; using the last good copy, " EMP_POLICY_STORE_GOOD, main_err.msg);
                return EMP_POLICY_STORE_RECOVERED;
        }
        emp_policy_store_init(ret);
        if (g == -ENOENT)
                return emp_error_set(err, e, "%s; no " EMP_POLICY_STORE_GOOD " to fall back on; using defaults",
                                     main_err.msg);
        return emp_error_set(err, e, "%s; %s; using defaults", main_err.msg, good_err.msg);
}


/* Replace DIR/name with data (emp_replace_file_at: temp, fsync, rename,
 * fsync DIR). Readers see the old file or the new one, whole. */
static int replace_file(int dfd, const char *name, const char *data, size_t len)
{
        return emp_replace_file_at(dfd, name, data, len, 0600);
}

/* Before replacing policy.json, keep it: as .good when it parses, else as
 * .corrupt. Copying a bad file over .good would throw away the one copy a
 * later load could fall back on. */
static int keep_previous(int dfd, const char *dir, struct emp_error *err)
{
        _cleanup_free_ char *path = NULL, *data = NULL;
        size_t len = 0;
        if (asprintf(&path, "%s/" EMP_POLICY_STORE_FILE, dir) < 0)
                return emp_error_set(err, -ENOMEM, "out of memory");
        int e = emp_read_file(path, EMP_POLICY_STORE_MAX, &data, &len);
        if (e == -ENOENT || e == -EFBIG)
                return 0; /* nothing to keep; an oversize file is not worth a copy */
        if (e < 0)
                return emp_error_errno(err, e, "%s: cannot read the current store to keep it", path);
        struct emp_policy_store old;
        bool good = emp_policy_store_parse(data, len, &old, NULL) == 0;
        if (good)
                emp_policy_store_free(&old);
        const char *keep = good ? EMP_POLICY_STORE_GOOD : EMP_POLICY_STORE_CORRUPT;
        e = replace_file(dfd, keep, data, len);
        if (e < 0)
                return emp_error_errno(err, e, "%s/%s", dir, keep);
        return 0;
}

int emp_policy_store_save(const char *dir, const struct emp_policy_store *s, struct emp_error *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        if (!dir)
                return emp_error_set(err, -EINVAL, "policy store: no directory");
        int e = emp_policy_store_format(s, &text, &len, err);
        if (e < 0)
                return e;
        e = emp_mkdir_p(dir, 0700);
        if (e < 0)
                return emp_error_errno(err, e, "%s", dir);
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return emp_error_errno(err, -errno, "%s", dir);
        e = keep_previous(dfd, dir, err);
        if (e < 0)
                return e;
        e = replace_file(dfd, EMP_POLICY_STORE_FILE, text, len);
        if (e < 0)
                return emp_error_errno(err, e, "%s/" EMP_POLICY_STORE_FILE, dir);
        return 0;
}
