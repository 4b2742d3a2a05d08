/* manifest_locate.c — reads raw keyfile text line by line the way GKeyFile
 * does, to say where a group, a key or a syntax error sits (GKeyFile won't). */
#include "manifest/manifest_internal.h"

#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum kf_kind { KF_BLANK, KF_GROUP, KF_KEY, KF_BAD };

struct kf_line {
        size_t no;
        enum kf_kind kind;
        const char *name; /* group name or key, not NUL-terminated */
        size_t name_len;
        const char *value; /* key lines: after '=' and leading blanks */
        size_t value_len;
};

struct kf_cursor {
        const char *p, *end;
        size_t no;
};

/* GKeyFile trims lines and keys with g_ascii_isspace() (which, unlike
 * isspace(), leaves '\v' alone): the same call keeps us in step. */
static bool kf_space(char c)
{
        return g_ascii_isspace(c);
}

/* GKeyFile: '[' name ']' then only blanks; the first ']' closes the name. */
static bool kf_classify_group(const char *s, size_t n, struct kf_line *l)
{
        const char *close = memchr(s, ']', n);
        if (n == 0 || s[0] != '[' || !close)
                return false;
        for (const char *p = close + 1; p < s + n; p++)
                if (*p != ' ' && *p != '\t')
                        return false;
        l->kind = KF_GROUP;
        l->name = s + 1;
        l->name_len = (size_t)(close - s - 1);
        return true;
}

/* GKeyFile: a line with '=' after its first byte; key and value trimmed
 * of blanks on the side facing '='. */
static void kf_classify_key(const char *s, size_t n, struct kf_line *l)
{
        const char *eq = memchr(s, '=', n);
        if (!eq || eq == s) {
                l->kind = KF_BAD;
                return;
        }
        const char *key_end = eq;
        while (key_end > s && kf_space(key_end[-1]))
                key_end--;
        const char *v = eq + 1;
        while (v < s + n && kf_space(*v))
                v++;
        l->kind = KF_KEY;
        l->name = s;
        l->name_len = (size_t)(key_end - s);
        l->value = v;
        l->value_len = (size_t)(s + n - v);
}

static bool kf_next(struct kf_cursor *c, struct kf_line *l)
{
        if (c->p >= c->end)
                return false;
        const char *s = c->p;
        const char *nl = memchr(s, '\n', (size_t)(c->end - s));
        const char *eol = nl ? nl : c->end;
        c->p = nl ? nl + 1 : c->end;
        /* GKeyFile drops one '\r' only when a '\n' follows it. */
        if (nl && eol > s && eol[-1] == '\r')
                eol--;
        while (s < eol && kf_space(*s))
                s++;

        *l = (struct kf_line){ .no = ++c->no, .kind = KF_BLANK };
        size_t n = (size_t)(eol - s);
        if (n == 0 || s[0] == '#')
                return true;
        if (!kf_classify_group(s, n, l))
                kf_classify_key(s, n, l);
        return true;
}

static bool kf_name_is(const struct kf_line *l, const char *name)
{
        return l->name_len == strlen(name) && memcmp(l->name, name, l->name_len) == 0;
}

static bool kf_group_name_valid(const struct kf_line *l)
{
        if (l->name_len == 0)
                return false;
        for (size_t i = 0; i < l->name_len; i++) {
                unsigned char ch = (unsigned char)l->name[i];
                if (ch == '[' || ch == ']' || ch < 0x20 || ch == 0x7f)
                        return false;
        }
        return true;
}

/* GKeyFile's key rule, made stricter so GKeyFile never refuses a key we let
 * through: no control bytes, and a locale suffix [xx] in plain ASCII. */
static bool kf_key_name_valid(const char *k, size_t n)
{
        size_t i = 0;
        while (i < n && k[i] != '[' && k[i] != ']' && k[i] != '=') {
                unsigned char ch = (unsigned char)k[i];
                if (ch < 0x20 || ch == 0x7f)
                        return false;
                i++;
        }
        if (i == 0 || k[0] == ' ' || k[i - 1] == ' ')
                return false;
        if (i == n)
                return true;
        if (k[i] != '[' || k[n - 1] != ']' || n - i < 2)
                return false;
        for (i++; i < n - 1; i++)
                if (!g_ascii_isalnum(k[i]) && !strchr("-_.@", k[i]))
                        return false;
        return true;
}

static size_t line_of(const char *data, const char *at)
{
        size_t no = 1;
        for (const char *p = data; p < at; p++)
                no += *p == '\n';
        return no;
}

/* Records why the text is refused and returns the line it happened on. */
__attribute__((format(printf, 3, 4))) static size_t
fail_line(size_t no, struct emp_error *why, const char *fmt, ...)
{
        char msg[sizeof(why->msg)];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        emp_error_set(why, -EINVAL, "%s", msg);
        return no;
}

static size_t check_encoding(const char *data, size_t len, struct emp_error *why)
{
        const char *nul = memchr(data, '\0', len);
        if (nul)
                return fail_line(line_of(data, nul), why, "contains a NUL byte");
        const gchar *bad = NULL;
        if (!g_utf8_validate_len(data, len, &bad))
                return fail_line(line_of(data, bad), why, "not valid UTF-8");
        return 0;
}

struct kf_checker {
        GHashTable *seen; /* "group]key" -> first line; ']' can't be in a group name */
        const char *group, *start_group;
        size_t group_len, start_group_len;
};

static size_t check_key(struct kf_checker *k, const struct kf_line *l, struct emp_error *why)
{
        char g[EMP_PRINTABLE_MAX], n[EMP_PRINTABLE_MAX];
        emp_printable(n, sizeof(n), l->name, l->name_len);
        if (!k->group)
                return fail_line(l->no, why, "'%s=' before any [Group] header", n);
        emp_printable(g, sizeof(g), k->group, k->group_len);
        if (!kf_key_name_valid(l->name, l->name_len))
                return fail_line(l->no, why, "[%s]: invalid key name '%s'", g, n);
        /* GKeyFile refuses an Encoding= other than UTF-8 in the first group. */
        if (k->group_len == k->start_group_len &&
            memcmp(k->group, k->start_group, k->group_len) == 0 && l->name_len == 8 &&
            memcmp(l->name, "Encoding", 8) == 0 &&
            !(l->value_len == 5 && g_ascii_strncasecmp(l->value, "UTF-8", 5) == 0))
                return fail_line(l->no, why, "[%s] Encoding: only UTF-8 is supported", g);

        char *id = g_strdup_printf("%.*s]%.*s", (int)k->group_len, k->group, (int)l->name_len,
                                   l->name);
        size_t first = GPOINTER_TO_SIZE(g_hash_table_lookup(k->seen, id));
        if (first) {
                g_free(id);
                /* A repeated permission key is ambiguous (GKeyFile silently
                 * keeps the last one), so it is an error, not a guess. */
                return fail_line(l->no, why, "[%s] %s: duplicate key (first set on line %zu)", g,
                                 n, first);
        }
        g_hash_table_insert(k->seen, id, GSIZE_TO_POINTER(l->no));
        return 0;
}

static size_t check_group(struct kf_checker *k, const struct kf_line *l, struct emp_error *why)
{
        if (!kf_group_name_valid(l)) {
                char g[EMP_PRINTABLE_MAX];
                emp_printable(g, sizeof(g), l->name, l->name_len);
                return fail_line(l->no, why, "invalid group name [%s]", g);
        }
        k->group = l->name;
        k->group_len = l->name_len;
        if (!k->start_group) {
                k->start_group = l->name;
                k->start_group_len = l->name_len;
        }
        return 0;
}

static size_t check_lines(const char *data, size_t len, struct emp_error *why)
{
        struct kf_checker k = { .seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                              NULL) };
        struct kf_cursor c = { .p = data, .end = data + len };
        struct kf_line l;
        size_t bad = 0;
        while (!bad && kf_next(&c, &l)) {
                if (l.kind == KF_GROUP)
                        bad = check_group(&k, &l, why);
                else if (l.kind == KF_KEY)
                        bad = check_key(&k, &l, why);
                else if (l.kind == KF_BAD)
                        bad = fail_line(l.no, why,
                                        "not a [Group] header, key=value line or # comment");
        }
        g_hash_table_destroy(k.seen);
        return bad;
}

size_t emp_keyfile_check(const char *data, size_t len, struct emp_error *why)
{
        size_t bad = check_encoding(data, len, why);
        return bad ? bad : check_lines(data, len, why);
}

/* Walks every key line, tracking which [group] it belongs to (a group may
 * appear more than once: GKeyFile merges repeats). */
static size_t find_key(const char *data, size_t len, const char *group, const char *key,
                       bool localized, const char **ret_key, size_t *ret_key_len)
{
        struct kf_cursor c = { .p = data, .end = data + len };
        struct kf_line l;
        bool in_group = false;
        size_t found = 0;
        while (kf_next(&c, &l)) {
                if (l.kind == KF_GROUP)
                        in_group = kf_name_is(&l, group);
                if (l.kind != KF_KEY || !in_group)
                        continue;
                if (localized && memchr(l.name, '[', l.name_len)) {
                        *ret_key = l.name;
                        *ret_key_len = l.name_len;
                        return l.no;
                }
                if (!localized && kf_name_is(&l, key))
                        found = l.no;
        }
        return found;
}

size_t emp_keyfile_key_line(const char *data, size_t len, const char *group, const char *key)
{
        return find_key(data, len, group, key, false, NULL, NULL);
}

size_t emp_keyfile_localized_key(const char *data, size_t len, const char *group,
                                 const char **ret_key, size_t *ret_key_len)
{
        return find_key(data, len, group, NULL, true, ret_key, ret_key_len);
}

size_t emp_keyfile_group_line(const char *data, size_t len, const char *group)
{
        struct kf_cursor c = { .p = data, .end = data + len };
        struct kf_line l;
        while (kf_next(&c, &l))
                if (l.kind == KF_GROUP && kf_name_is(&l, group))
                        return l.no;
        return 0;
}
