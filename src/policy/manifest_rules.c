/* manifest_rules.c — what a manifest grants, as policy rules, and which
 * permissions a changed manifest newly requests (those start as "ask"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "manifest/manifest.h"
#include "policy.h"
#include "policy_internal.h"

/* Manifest bit → permission name. Sockets and devices Empyra accepts but
 * does not grant yet (cups, gpg-agent, pcsc, shm) have no entry. */
static const struct {
        unsigned bit;
        const char *name;
} socket_grants[] = {
        { EMP_SOCKET_WAYLAND, "socket:wayland" },
        { EMP_SOCKET_X11, "socket:x11" },
        { EMP_SOCKET_PULSEAUDIO, "socket:pulseaudio" },
        { EMP_SOCKET_SESSION_BUS, "socket:session-bus" },
        { EMP_SOCKET_SYSTEM_BUS, "socket:system-bus" },
        { EMP_SOCKET_SSH_AUTH, "socket:ssh-auth" },
}, device_grants[] = {
        { EMP_DEVICE_DRI, "device:dri" },
        { EMP_DEVICE_INPUT, "device:input" },
        { EMP_DEVICE_KVM, "device:kvm" },
        { EMP_DEVICE_ALL, "device:all" },
};

static unsigned effective_sockets(const struct emp_manifest *m)
{
        unsigned s = emp_bits(m->sockets, m->nosockets);
        /* Flatpak's fallback-x11: X11 only when there is no Wayland. */
        if ((s & EMP_SOCKET_FALLBACK_X11) && !(s & EMP_SOCKET_WAYLAND))
                s |= EMP_SOCKET_X11;
        return s;
}

/* A manifest rule "ACTION TARGET" (normalised by the manifest parser). */
static int split_net_rule(const char *rule, enum emp_decision *ret_decision, char **ret_name)
{
        const char *space = strchr(rule, ' ');
        if (!space)
                return -EINVAL;
        _cleanup_free_ char *action = strndup(rule, (size_t)(space - rule));
        if (!action)
                return -ENOMEM;
        enum emp_decision d;
        if (emp_decision_from_str(action, &d) < 0)
                return -EINVAL;
        char *name = NULL;
        if (asprintf(&name, "network:%s", space + 1) < 0)
                return -ENOMEM;
        *ret_decision = d;
        *ret_name = name;
        return 0;
}

/* The manifest's rules into t (a fresh policy). */
static int collect_rules(const struct emp_manifest *m, struct emp_policy *t, struct emp_error *err)
{
        unsigned sockets = effective_sockets(m), devices = emp_bits(m->devices, m->nodevices);
        int r;
        for (size_t i = 0; i < ARRAY_SIZE(socket_grants); i++)
                if ((sockets & socket_grants[i].bit) &&
                    (r = emp_policy_set(t, socket_grants[i].name, EMP_DECISION_ALLOW, EMP_SOURCE_MANIFEST,
                                        EMP_SCOPE_ALWAYS, 0, err)) < 0)
                        return r;
        for (size_t i = 0; i < ARRAY_SIZE(device_grants); i++)
                if ((devices & device_grants[i].bit) &&
                    (r = emp_policy_set(t, device_grants[i].name, EMP_DECISION_ALLOW, EMP_SOURCE_MANIFEST,
                                        EMP_SCOPE_ALWAYS, 0, err)) < 0)
                        return r;
        for (size_t i = 0; m->net_rules && m->net_rules[i]; i++) {
                char q[EMP_POLICY_PRINTABLE_MAX];
                enum emp_decision d;
                _cleanup_free_ char *name = NULL;
                r = split_net_rule(m->net_rules[i], &d, &name);
                if (r < 0)
                        return emp_error_set(err, r, "manifest network rule '%s': not 'ACTION TARGET'",
                                             POLICY_PRINTABLE(q, m->net_rules[i]));
                /* Later rules of a manifest override earlier ones for the
                 * same target, as set() replaces. */
                r = emp_policy_set(t, name, d, EMP_SOURCE_MANIFEST, EMP_SCOPE_ALWAYS, 0, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int emp_policy_add_manifest(struct emp_policy *p, const struct emp_manifest *m, struct emp_error *err)
{
        struct emp_policy t;
        emp_policy_init(&t);
        int r = collect_rules(m, &t, err);
        if (r == 0 && (r = emp_policy_reserve(p, t.n_rules)) < 0)
                emp_error_set(err, r, "out of memory");
        if (r < 0) {
                emp_policy_free(&t);
                return r;
        }
        emp_policy_remove(p, NULL, EMP_SOURCE_MANIFEST);
        /* Reserved above: moving the rules over cannot fail. */
        memcpy(p->rules + p->n_rules, t.rules, t.n_rules * sizeof(struct emp_rule));
        p->n_rules += t.n_rules;
        t.n_rules = 0;
        emp_policy_free(&t);
        p->shared_network = emp_bits(m->shared, m->noshared) & EMP_SHARE_NETWORK;
        return 0;
}

int emp_policy_manifest_requests(const struct emp_manifest *m, char ***ret, struct emp_error *err)
{
        struct emp_policy t;
        emp_policy_init(&t);
        _cleanup_strv_ char **names = calloc(1, sizeof(char *));
        int r = names ? collect_rules(m, &t, err) : emp_error_set(err, -ENOMEM, "out of memory");
        for (size_t i = 0; r == 0 && i < t.n_rules; i++) {
                _cleanup_free_ char *name = NULL;
                if (t.rules[i].decision == EMP_DECISION_DENY)
                        continue; /* a manifest's "deny" asks for nothing */
                r = emp_permission_format(&t.rules[i].perm, &name);
                if (r == 0)
                        r = emp_strv_push(&names, name);
        }
        if (r == 0 && (emp_bits(m->shared, m->noshared) & EMP_SHARE_NETWORK) &&
            !emp_strv_contains(names, "network:internet"))
                r = emp_strv_push(&names, "network:internet");
        emp_policy_free(&t);
        if (r < 0)
                return emp_error_set(err, r, "out of memory");
        *ret = TAKE_PTR(names);
        return 0;
}

/* Parsed entries of a list; invalid names are left out when skip_invalid. */
static int parse_list(char *const *list, bool skip_invalid, struct emp_permission **ret, size_t *ret_n,
                      struct emp_error *err)
{
        size_t n = emp_strv_len(list), k = 0;
        struct emp_permission *v = calloc(n ? n : 1, sizeof(*v));
        if (!v)
                return emp_error_set(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                int r = emp_permission_parse(list[i], &v[k], skip_invalid ? NULL : err);
                if (r == -EINVAL && skip_invalid)
                        continue;
                if (r < 0) {
                        for (size_t j = 0; j < k; j++)
                                emp_permission_free(&v[j]);
                        free(v);
                        return r == -ENOMEM ? emp_error_set(err, r, "out of memory") : r;
                }
                k++;
        }
        *ret = v;
        *ret_n = k;
        return 0;
}

static void free_list(struct emp_permission *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                emp_permission_free(&v[i]);
        free(v);
}

static bool covered_by_any(const struct emp_permission *p, const struct emp_permission *old, size_t n_old)
{
        for (size_t i = 0; i < n_old; i++)
                if (emp_permission_covers(&old[i], p))
                        return true;
        return false;
}

int emp_policy_manifest_changed(char *const *old_list, char *const *new_list, char ***ret,
                                struct emp_error *err)
{
        struct emp_permission *old = NULL, *new = NULL;
        size_t n_old = 0, n_new = 0;
        int r = parse_list(old_list, true, &old, &n_old, err);
        if (r < 0)
                return r;
        r = parse_list(new_list, false, &new, &n_new, err);
        if (r < 0) {
                free_list(old, n_old);
                return r;
        }
        _cleanup_strv_ char **out = calloc(1, sizeof(char *));
        if (!out)
                r = -ENOMEM;
        for (size_t i = 0; r == 0 && i < n_new; i++) {
                _cleanup_free_ char *name = NULL;
                if (covered_by_any(&new[i], old, n_old))
                        continue;
                r = emp_permission_format(&new[i], &name);
                if (r == 0 && !emp_strv_contains(out, name))
                        r = emp_strv_push(&out, name);
        }
        free_list(old, n_old);
        free_list(new, n_new);
        if (r < 0)
                return emp_error_set(err, r, "out of memory");
        *ret = TAKE_PTR(out);
        return 0;
}
