/* policy.c — one app's rule list and the decision on a concrete access.
 * Pure: the daemon hands in the request and the time, and acts on the verdict. */
#include "policy.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/cleanup.h"
#include "policy_internal.h"

/* --- names ----------------------------------------------------------------- */

static const char *const decision_names[] = {
        [EMP_DECISION_ALLOW] = "allow",
        [EMP_DECISION_DENY] = "deny",
        [EMP_DECISION_ASK] = "ask",
};
static const char *const source_names[] = {
        [EMP_SOURCE_DEFAULT] = "default",
        [EMP_SOURCE_MANIFEST] = "manifest",
        [EMP_SOURCE_USER] = "user",
};
static const char *const scope_names[] = {
        [EMP_SCOPE_ONCE] = "once",
        [EMP_SCOPE_UNTIL_EXIT] = "until-exit",
        [EMP_SCOPE_HOUR] = "1h",
        [EMP_SCOPE_ALWAYS] = "always",
};

static int enum_from_str(const char *const *names, size_t n, const char *s, int *ret)
{
        int i = emp_enum_index(names, n, s);
        if (i == 0)
                return -EINVAL;
        *ret = i;
        return 0;
}

const char *emp_decision_str(enum emp_decision d)
{
        return emp_enum_name(decision_names, ARRAY_SIZE(decision_names), (int)d);
}

const char *emp_source_str(enum emp_source s)
{
        return emp_enum_name(source_names, ARRAY_SIZE(source_names), (int)s);
}

const char *emp_scope_str(enum emp_scope s)
{
        return emp_enum_name(scope_names, ARRAY_SIZE(scope_names), (int)s);
}

int emp_decision_from_str(const char *s, enum emp_decision *ret)
{
        int v, r = enum_from_str(decision_names, ARRAY_SIZE(decision_names), s, &v);
        if (r == 0)
                *ret = (enum emp_decision)v;
        return r;
}

int emp_source_from_str(const char *s, enum emp_source *ret)
{
        int v, r = enum_from_str(source_names, ARRAY_SIZE(source_names), s, &v);
        if (r == 0)
                *ret = (enum emp_source)v;
        return r;
}

int emp_scope_from_str(const char *s, enum emp_scope *ret)
{
        int v, r = enum_from_str(scope_names, ARRAY_SIZE(scope_names), s, &v);
        if (r == 0)
                *ret = (enum emp_scope)v;
        return r;
}

/* --- the rule list ----------------------------------------------------------- */

void emp_policy_init(struct emp_policy *p)
{
        *p = (struct emp_policy){ 0 };
}

void emp_policy_free(struct emp_policy *p)
{
        if (!p)
                return;
        for (size_t i = 0; i < p->n_rules; i++)
                emp_permission_free(&p->rules[i].perm);
        free(p->rules);
        free(p->app_id);
        emp_policy_init(p);
}

bool emp_rule_valid(const struct emp_rule *r)
{
        if (!emp_decision_str(r->decision) || !emp_scope_str(r->scope))
                return false;
        if (r->source != EMP_SOURCE_USER && r->source != EMP_SOURCE_MANIFEST)
                return false;
        /* An hour rule without an end would be an "always" nobody chose. */
        return r->scope == EMP_SCOPE_HOUR ? r->expires > 0 : r->expires == 0;
}

int emp_policy_reserve(struct emp_policy *p, size_t extra)
{
        if (extra > SIZE_MAX / sizeof(struct emp_rule) - p->n_rules)
                return -ENOMEM;
        size_t need = p->n_rules + extra;
        if (need <= p->n_alloc)
                return 0;
        size_t n = p->n_alloc ? p->n_alloc : 8;
        while (n < need)
                n = n > SIZE_MAX / 2 / sizeof(struct emp_rule) ? need : n * 2;
        struct emp_rule *nr = realloc(p->rules, n * sizeof(struct emp_rule));
        if (!nr)
                return -ENOMEM;
        p->rules = nr;
        p->n_alloc = n;
        return 0;
}

/* Room for one more rule, so that what follows cannot fail half-way. */
static int reserve_one(struct emp_policy *p)
{
        return emp_policy_reserve(p, 1);
}

int emp_policy_append(struct emp_policy *p, const struct emp_rule *r)
{
        if (!emp_rule_valid(r))
                return -EINVAL;
        struct emp_rule copy = *r;
        int e = reserve_one(p);
        if (e < 0)
                return e;
        e = emp_permission_copy(&r->perm, &copy.perm);
        if (e < 0)
                return e;
        p->rules[p->n_rules++] = copy;
        return 0;
}

void emp_policy_remove_rule(struct emp_policy *p, size_t i)
{
        if (i >= p->n_rules)
                return;
        emp_permission_free(&p->rules[i].perm);
        memmove(&p->rules[i], &p->rules[i + 1], (p->n_rules - i - 1) * sizeof(struct emp_rule));
        p->n_rules--;
}

/* Remove every rule keep() says no to; returns how many went. */
static size_t remove_if(struct emp_policy *p, bool (*drop)(const struct emp_rule *, const void *),
                        const void *arg)
{
        size_t removed = 0;
        for (size_t i = p->n_rules; i-- > 0;)
                if (drop(&p->rules[i], arg)) {
                        emp_policy_remove_rule(p, i);
                        removed++;
                }
        return removed;
}

struct remove_args {
        const struct emp_permission *perm;
        enum emp_source source;
};

static bool drop_matching(const struct emp_rule *r, const void *arg)
{
        const struct remove_args *a = arg;
        return r->source == a->source && (!a->perm || emp_permission_equal(&r->perm, a->perm));
}

size_t emp_policy_remove(struct emp_policy *p, const struct emp_permission *perm, enum emp_source source)
{
        struct remove_args a = { perm, source };
        return remove_if(p, drop_matching, &a);
}

static bool rule_expired(const struct emp_rule *r, time_t now)
{
        return r->scope == EMP_SCOPE_HOUR && now >= r->expires;
}

static bool drop_expired(const struct emp_rule *r, const void *arg)
{
        return rule_expired(r, *(const time_t *)arg);
}

size_t emp_policy_expire(struct emp_policy *p, time_t now)
{
        return remove_if(p, drop_expired, &now);
}

static bool drop_scope(const struct emp_rule *r, const void *arg)
{
        return r->scope == *(const enum emp_scope *)arg;
}

size_t emp_policy_drop_scope(struct emp_policy *p, enum emp_scope scope)
{
        return remove_if(p, drop_scope, &scope);
}

int emp_policy_set(struct emp_policy *p, const char *permission, enum emp_decision decision,
                   enum emp_source source, enum emp_scope scope, time_t expires, struct emp_error *err)
{
        struct emp_rule r = { .decision = decision, .source = source, .scope = scope, .expires = expires };
        if (!emp_rule_valid(&r))
                return emp_error_set(err, -EINVAL, "bad rule: decision, source or scope out of range, "
                                                   "or an expiry that does not match the scope");
        int e = emp_permission_parse(permission, &r.perm, err);
        if (e < 0)
                return e;
        e = reserve_one(p);
        if (e < 0) {
                emp_permission_free(&r.perm);
                return emp_error_set(err, e, "out of memory");
        }
        emp_policy_remove(p, &r.perm, source);
        p->rules[p->n_rules++] = r; /* takes r.perm */
        return 0;
}

/* --- the request, checked ---------------------------------------------------- */

/* What decide() matches against: the request validated, its path or name
 * normalised, its address class computed once. */
struct checked_request {
        const struct emp_request *req;
        char path[PATH_MAX];
        char name[254];
        bool has_name, has_addr;
        struct emp_addr addr;
        enum emp_net_class net_class;
};

static int check_name(const char *name, struct checked_request *c)
{
        size_t n = strlen(name);
        if (n > 0 && name[n - 1] == '.')
                n--; /* "example.com." is the same absolute name */
        if (n >= sizeof(c->name) || !emp_hostname_valid(name, n))
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                c->name[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] - 'A' + 'a') : name[i];
        c->name[n] = '\0';
        c->has_name = true;
        return 0;
}

static int check_connect(const struct emp_request *req, struct checked_request *c)
{
        if (req->protocol != EMP_PROTOCOL_TCP && req->protocol != EMP_PROTOCOL_UDP)
                return -EINVAL;
        if (req->name && check_name(req->name, c) < 0)
                return -EINVAL;
        if (req->addr.family == AF_INET || req->addr.family == AF_INET6) {
                c->addr = req->addr;
                emp_addr_normalize(&c->addr);
                c->has_addr = true;
                c->net_class = emp_addr_classify(&c->addr);
        } else if (req->addr.family != AF_UNSPEC) {
                return -EINVAL;
        }
        return c->has_name || c->has_addr ? 0 : -EINVAL;
}

static int check_request(const struct emp_request *req, struct checked_request *c)
{
        c->req = req;
        switch (req->kind) {
        case EMP_REQUEST_FILE:
                if (req->access != EMP_ACCESS_READ && req->access != EMP_ACCESS_WRITE)
                        return -EINVAL;
                return emp_path_normalize(req->path, c->path, sizeof(c->path)) < 0 ? -EINVAL : 0;
        case EMP_REQUEST_CONNECT:
                return check_connect(req, c);
        case EMP_REQUEST_LISTEN:
                return 0;
        case EMP_REQUEST_DEVICE:
                return emp_device_name_str(req->device) ? 0 : -EINVAL;
        case EMP_REQUEST_SOCKET:
                return emp_socket_name_str(req->socket) ? 0 : -EINVAL;
        }
        return -EINVAL;
}

/* --- specificity ------------------------------------------------------------- */

/* A rule's specificity for a request: 0 when it does not match, larger when
 * more specific. Network scores are host level * 1024 + detail * 2 + a bit
 * for a named port, the detail being the wildcard suffix length or the CIDR
 * prefix (counted in IPv6 bits so IPv4 and mapped ranges compare). */
enum { HOST_ANY = 1, HOST_CLASS, HOST_CIDR, HOST_WILDCARD, HOST_EXACT };

static long net_score(int level, unsigned detail, bool port_named)
{
        return (long)level * 1024 + (long)detail * 2 + (port_named ? 1 : 0);
}

static bool name_below(const char *name, const char *suffix)
{
        size_t n = strlen(name), s = strlen(suffix);
        return n > s + 1 && name[n - s - 1] == '.' && strcmp(name + n - s, suffix) == 0;
}

static long host_score(const struct emp_permission *perm, const struct checked_request *c)
{
        const struct emp_addr *a = &perm->addr;
        bool port_named = perm->port != EMP_PORT_ANY;
        switch (perm->host) {
        case EMP_HOST_ANY:
                return net_score(HOST_ANY, 0, port_named);
        case EMP_HOST_NAME:
                if (c->has_name && strcmp(c->name, perm->name) == 0)
                        return net_score(HOST_EXACT, 0, port_named);
                return 0;
        case EMP_HOST_WILDCARD:
                if (c->has_name && name_below(c->name, perm->name))
                        return net_score(HOST_WILDCARD, (unsigned)strlen(perm->name), port_named);
                return 0;
        case EMP_HOST_ADDR:
                if (c->has_addr && emp_addr_in_cidr(&c->addr, a, perm->prefix))
                        return net_score(HOST_EXACT, 0, port_named);
                return 0;
        case EMP_HOST_CIDR:
                if (c->has_addr && emp_addr_in_cidr(&c->addr, a, perm->prefix))
                        return net_score(HOST_CIDR, perm->prefix + (a->family == AF_INET ? 96 : 0),
                                         port_named);
                return 0;
        }
        return 0;
}

static long connect_score(const struct emp_permission *perm, const struct checked_request *c)
{
        if (perm->kind == EMP_PERM_NET_CLASS)
                return c->has_addr && c->net_class == perm->net_class ? net_score(HOST_CLASS, 0, false) : 0;
        if (perm->kind != EMP_PERM_NET_HOST)
                return 0;
        if (perm->port != EMP_PORT_ANY && perm->port != c->req->port)
                return 0;
        return host_score(perm, c);
}

/* Longest path first; at equal length a ":ro" rule is the more specific
 * one for a read (it says exactly what reading there gets). */
static long file_score(const struct emp_permission *perm, const struct checked_request *c)
{
        if (perm->kind != EMP_PERM_FILESYSTEM || !emp_path_has_prefix(c->path, perm->path))
                return 0;
        if (perm->ro && c->req->access != EMP_ACCESS_READ)
                return 0;
        return 2 + (long)strlen(perm->path) * 2 + (perm->ro ? 1 : 0);
}

static long rule_score(const struct emp_permission *perm, const struct checked_request *c)
{
        const struct emp_request *req = c->req;
        switch (req->kind) {
        case EMP_REQUEST_FILE:
                return file_score(perm, c);
        case EMP_REQUEST_CONNECT:
                return connect_score(perm, c);
        case EMP_REQUEST_LISTEN:
                if (perm->kind != EMP_PERM_NET_LISTEN)
                        return 0;
                return perm->port == EMP_PORT_ANY ? 1 : perm->port == req->port ? 2 : 0;
        case EMP_REQUEST_DEVICE:
                if (perm->kind != EMP_PERM_DEVICE)
                        return 0;
                return perm->device == req->device ? 2 : perm->device == EMP_DEVICE_NAME_ALL ? 1 : 0;
        case EMP_REQUEST_SOCKET:
                return perm->kind == EMP_PERM_SOCKET && perm->socket == req->socket ? 1 : 0;
        }
        return 0;
}

/* --- the decision ------------------------------------------------------------ */

/* For ties: the more restrictive answer wins. */
static int restrictiveness(enum emp_decision d)
{
        return d == EMP_DECISION_DENY ? 3 : d == EMP_DECISION_ASK ? 2 : 1;
}

/* The best live rule of one source, or SIZE_MAX. */
static size_t best_rule(const struct emp_policy *p, enum emp_source source, const struct checked_request *c,
                        time_t now)
{
        size_t best = SIZE_MAX;
        long best_score = 0;
        for (size_t i = 0; i < p->n_rules; i++) {
                const struct emp_rule *r = &p->rules[i];
                if (r->source != source || rule_expired(r, now))
                        continue;
                long score = rule_score(&r->perm, c);
                if (score == 0 || score < best_score)
                        continue;
                if (score == best_score &&
                    restrictiveness(r->decision) <= restrictiveness(p->rules[best].decision))
                        continue;
                best = i;
                best_score = score;
        }
        return best;
}

static const char *class_what(enum emp_net_class c)
{
        switch (c) {
        case EMP_NET_LOOPBACK:
                return "network:loopback";
        case EMP_NET_LAN:
                return "network:lan";
        case EMP_NET_INTERNET:
                return "network:internet";
        }
        return "network";
}

/* DESIGN.md §6 defaults. An address we could not classify gets the
 * answer of the more guarded classes. */
static void default_verdict(const struct emp_policy *p, const struct checked_request *c, struct emp_verdict *v)
{
        v->source = EMP_SOURCE_DEFAULT;
        v->rule = NULL;
        v->rule_index = SIZE_MAX;
        switch (c->req->kind) {
        case EMP_REQUEST_FILE:
                v->decision = EMP_DECISION_ASK; /* brokered mode, DESIGN.md §5 */
                v->what = "filesystem";
                return;
        case EMP_REQUEST_CONNECT:
                v->what = c->has_addr ? class_what(c->net_class) : "network";
                if (!p->shared_network)
                        v->decision = EMP_DECISION_DENY;
                else if (c->has_addr && c->net_class == EMP_NET_INTERNET)
                        v->decision = EMP_DECISION_ALLOW;
                else
                        v->decision = EMP_DECISION_ASK;
                return;
        case EMP_REQUEST_LISTEN:
                v->what = "network:listen";
                v->decision = p->shared_network ? EMP_DECISION_ASK : EMP_DECISION_DENY;
                return;
        case EMP_REQUEST_DEVICE:
                v->what = "device";
                v->decision = EMP_DECISION_DENY;
                return;
        case EMP_REQUEST_SOCKET:
                v->what = "socket";
                v->decision = EMP_DECISION_DENY;
                return;
        }
}

int emp_policy_decide(const struct emp_policy *p, const struct emp_request *req, time_t now,
                      struct emp_verdict *out)
{
        static const enum emp_source order[] = { EMP_SOURCE_USER, EMP_SOURCE_MANIFEST };
        if (!p || !req || !out)
                return -EINVAL;
        _cleanup_free_ struct checked_request *c = calloc(1, sizeof(*c)); /* PATH_MAX: not on the stack */
        if (!c)
                return -ENOMEM;
        int r = check_request(req, c);
        if (r < 0)
                return r;
        for (size_t s = 0; s < ARRAY_SIZE(order); s++) {
                size_t i = best_rule(p, order[s], c, now);
                if (i == SIZE_MAX)
                        continue;
                *out = (struct emp_verdict){
                        .decision = p->rules[i].decision,
                        .source = order[s],
                        .rule = &p->rules[i],
                        .rule_index = i,
                        .what = NULL,
                };
                return 0;
        }
        struct emp_verdict v;
        default_verdict(p, c, &v);
        *out = v;
        return 0;
}

int emp_policy_errno(enum emp_decision decision, enum emp_request_kind kind)
{
        if (decision == EMP_DECISION_ALLOW)
                return 0;
        switch (kind) {
        case EMP_REQUEST_CONNECT:
        case EMP_REQUEST_LISTEN:
                return -EPERM;
        case EMP_REQUEST_FILE:
        case EMP_REQUEST_DEVICE:
        case EMP_REQUEST_SOCKET:
                break;
        }
        return -EACCES;
}
