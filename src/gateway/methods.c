/* methods.c — the control API's methods. Each validates its parameters
 * itself; nothing from the client is used before it is checked. */
#include "methods.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "common/cleanup.h"
#include "broker.h"
#include "daemon.h"
#include "prompts.h"
#include "providers.h"
#include "launcher/focus.h"
#include "manifest/manifest.h"
#include "policy/permission.h"
#include "policy/policy.h"
#include <time.h>

static void fail(struct emp_method_result *out, const char *error, const char *msg)
{
        out->error = error;
        snprintf(out->message, sizeof(out->message), "%s", msg);
}

static void m_version(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        (void)d;
        (void)params;
        out->reply = json_pack("{s:s}", "version", EMPYRAD_VERSION);
}

static void m_apps_list(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        (void)params;
        struct emp_focus_app *apps = NULL;
        size_t n = 0;
        char *focused = NULL;
        if (emp_focus_list(d->dirs.runtime, &apps, &n) < 0 || emp_focus_get(d->dirs.runtime, &focused) < 0) {
                emp_focus_list_free(apps, n);
                fail(out, EMP_API_ERR_FAILED, "reading the registry of running apps failed");
                return;
        }
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, json_pack("{s:s, s:i, s:s, s:b}", "app", apps[i].app_id, "pid",
                                                     (int)apps[i].pid, "cgroup", apps[i].cpu_dir, "focused",
                                                     focused && strcmp(focused, apps[i].app_id) == 0));
        /* Brokered sandboxes are known here even without a cgroup of their own. */
        out->reply = json_pack("{s:o, s:o}", "apps", arr, "brokered", emp_broker_list(d));
        free(focused);
        emp_focus_list_free(apps, n);
}

/* Lines of a focus report split into what was applied and what was not. */
static json_t *focus_reply(const char *runtime, char *report)
{
        char *focused = NULL;
        emp_focus_get(runtime, &focused);
        json_t *applied = json_array(), *missing = json_array();
        for (char *save = NULL, *l = strtok_r(report, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                json_array_append_new(strncmp(l, "not applied: ", 13) == 0 ? missing : applied,
                                      json_string(strncmp(l, "not applied: ", 13) == 0 ? l + 13 : l));
        json_t *o = json_pack("{s:o, s:o, s:o}", "focused", focused ? json_string(focused) : json_null(), "applied",
                              applied, "not_applied", missing);
        free(focused);
        return o;
}

/* The screensaver follows the focus state file, whoever changed it. */
static void screensaver_follow(struct emp_daemon *d, json_t *reply)
{
        char *focused = NULL;
        emp_focus_get(d->dirs.runtime, &focused);
        emp_screensaver_sync(d->screensaver, focused);
        free(focused);
        const char *st = emp_screensaver_status(d->screensaver);
        if (strncmp(st, "not applied: ", 13) == 0)
                json_array_append_new(json_object_get(reply, "not_applied"), json_string(st + 13));
        else
                json_array_append_new(json_object_get(reply, "applied"), json_pack("s++", "screensaver: ", st, ""));
}

static void focus_change(struct emp_daemon *d, const char *app, struct emp_method_result *out)
{
        char *report = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&report, &len);
        struct emp_error err = {0};
        int r = emp_focus_set(d->dirs.runtime, app, mem, &err);
        fclose(mem);
        if (r < 0)
                fail(out, r == -ESRCH ? EMP_API_ERR_NOT_FOUND : EMP_API_ERR_FAILED, err.msg);
        else
                out->reply = focus_reply(d->dirs.runtime, report ? report : (char[]){""});
        if (out->reply)
                screensaver_follow(d, out->reply);
        free(report);
}

static void m_focus_set(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        const char *app = json_string_value(json_object_get(params, "app"));
        if (!app || !emp_app_id_valid(app)) {
                fail(out, EMP_API_ERR_PARAMS, "\"app\" must be a valid app id");
                return;
        }
        focus_change(d, app, out);
}

static void m_focus_clear(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        (void)params;
        focus_change(d, NULL, out);
}

static void m_focus_get(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        (void)params;
        char none[] = "";
        out->reply = focus_reply(d->dirs.runtime, none);
}

/* A command or launcher changed the focus files itself: follow them. */
static void m_focus_sync(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        (void)params;
        char none[] = "";
        out->reply = focus_reply(d->dirs.runtime, none);
        screensaver_follow(d, out->reply);
}

/* ---- policy ---- */

static json_t *rules_json(const struct emp_policy *p)
{
        json_t *arr = json_array();
        for (size_t i = 0; p && i < p->n_rules; i++) {
                const struct emp_rule *r = &p->rules[i];
                char *perm = NULL;
                if (emp_permission_format(&r->perm, &perm) < 0)
                        continue;
                json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "permission", perm, "decision",
                                      emp_decision_str(r->decision), "source", emp_source_str(r->source), "scope",
                                      emp_scope_str(r->scope));
                if (r->expires)
                        json_object_set_new(o, "expires", json_integer((json_int_t)r->expires));
                json_array_append_new(arr, o);
                free(perm);
        }
        return arr;
}

static const char *param_app(json_t *params, struct emp_method_result *out)
{
        const char *app = json_string_value(json_object_get(params, "app"));
        if (!app || !emp_app_id_valid(app)) {
                fail(out, EMP_API_ERR_PARAMS, "\"app\" must be a valid app id");
                return NULL;
        }
        return app;
}

/* Record a user's change in the audit log before it takes effect. */
static int audit_change(struct emp_daemon *d, const char *app, const char *perm, const char *decision,
                        struct emp_method_result *out)
{
        struct emp_audit_record rec = {.app = app, .instance = "-", .permission = perm, .decision = decision,
                                       .source = "user"};
        struct emp_error err = {0};
        if (emp_audit_append(d->audit, &rec, &err) < 0) {
                fail(out, EMP_API_ERR_FAILED, err.msg);
                return -1;
        }
        return 0;
}

static void save_store(struct emp_daemon *d, const char *app, struct emp_method_result *out)
{
        struct emp_error err = {0};
        if (emp_policy_store_save(d->dirs.config, &d->store, &err) < 0) {
                fail(out, EMP_API_ERR_FAILED, err.msg);
                return;
        }
        out->reply = json_pack("{s:s, s:o}", "app", app, "rules", rules_json(emp_policy_store_find(&d->store, app)));
}

static void m_policy_get(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        const char *app = param_app(params, out);
        if (app)
                out->reply =
                        json_pack("{s:s, s:o}", "app", app, "rules", rules_json(emp_policy_store_find(&d->store, app)));
}

static void m_policy_set(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        const char *app = param_app(params, out);
        const char *perm = json_string_value(json_object_get(params, "permission"));
        const char *dec = json_string_value(json_object_get(params, "decision"));
        const char *scope_s = json_string_value(json_object_get(params, "scope"));
        enum emp_decision decision;
        enum emp_scope scope = EMP_SCOPE_ALWAYS;
        struct emp_error err = {0};
        struct emp_permission parsed;
        if (!app)
                return;
        if (!perm || emp_permission_parse(perm, &parsed, &err) < 0) {
                fail(out, EMP_API_ERR_PARAMS, perm ? err.msg : "\"permission\" is required");
                return;
        }
        emp_permission_free(&parsed); /* checked; emp_policy_set parses its own */
        if (!dec || emp_decision_from_str(dec, &decision) < 0) {
                fail(out, EMP_API_ERR_PARAMS, "\"decision\" must be allow, deny or ask");
                return;
        }
        if (scope_s && (emp_scope_from_str(scope_s, &scope) < 0 || scope == EMP_SCOPE_ONCE ||
                        scope == EMP_SCOPE_UNTIL_EXIT)) {
                fail(out, EMP_API_ERR_PARAMS, "\"scope\" must be always or 1h (once and until-exit answer prompts)");
                return;
        }
        struct emp_policy *p = NULL;
        if (emp_policy_store_get(&d->store, app, &p) < 0) {
                fail(out, EMP_API_ERR_FAILED, "out of memory");
                return;
        }
        if (audit_change(d, app, perm, dec, out) < 0)
                return;
        time_t expires = scope == EMP_SCOPE_HOUR ? time(NULL) + EMP_SCOPE_HOUR_SECONDS : 0;
        if (emp_policy_set(p, perm, decision, EMP_SOURCE_USER, scope, expires, &err) < 0) {
                fail(out, EMP_API_ERR_PARAMS, err.msg);
                return;
        }
        save_store(d, app, out);
}

static void m_policy_reset(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        const char *app = param_app(params, out);
        const char *perm = json_string_value(json_object_get(params, "permission"));
        struct emp_permission parsed;
        struct emp_error err = {0};
        if (!app)
                return;
        if (perm && emp_permission_parse(perm, &parsed, &err) < 0) {
                fail(out, EMP_API_ERR_PARAMS, err.msg);
                return;
        }
        struct emp_policy *p = emp_policy_store_find(&d->store, app);
        if (audit_change(d, app, perm ? perm : "*", "reset", out) == 0) {
                if (p)
                        emp_policy_remove(p, perm ? &parsed : NULL, EMP_SOURCE_USER);
                save_store(d, app, out);
        }
        if (perm)
                emp_permission_free(&parsed);
}

/* ---- audit ---- */

static void m_audit_read(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        const char *app = json_string_value(json_object_get(params, "app"));
        json_t *lim = json_object_get(params, "limit");
        json_int_t limit = json_is_integer(lim) ? json_integer_value(lim) : 100;
        if ((app && !emp_app_id_valid(app)) || limit < 1 || limit > 10000) {
                fail(out, EMP_API_ERR_PARAMS, "\"app\" must be an app id and \"limit\" 1..10000");
                return;
        }
        emp_audit_flush(d->audit, NULL);
        struct emp_audit_reader *r = NULL;
        if (emp_audit_reader_open(d->dirs.state, app, EMP_AUDIT_READ_ROTATED, &r) < 0) {
                fail(out, EMP_API_ERR_FAILED, "reading the audit log failed");
                return;
        }
        bool network = json_is_true(json_object_get(params, "network"));
        json_t *arr = json_array();
        struct emp_audit_entry e;
        while (emp_audit_reader_next(r, &e) > 0) {
                if (network && !e.address)
                        continue; /* "network": only the gateway's connections */
                json_t *o = json_loadb(e.line, e.line_len, 0, NULL);
                if (o)
                        json_array_append_new(arr, o);
                if ((json_int_t)json_array_size(arr) > limit)
                        json_array_remove(arr, 0); /* keep the newest */
        }
        emp_audit_reader_free(r);
        out->reply = json_pack("{s:o}", "entries", arr);
}

static void m_audit_verify(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        (void)params;
        struct emp_audit_verify_result res = {0};
        struct emp_error err = {0};
        emp_audit_flush(d->audit, NULL); /* verify what is durable, not a line mid-write */
        if (emp_audit_verify(d->dirs.state, &res, &err) < 0) {
                fail(out, EMP_API_ERR_FAILED, err.msg);
                return;
        }
        out->reply = json_pack("{s:s, s:b, s:s, s:I, s:I, s:s}", "status", emp_audit_status_name(res.status), "ok",
                               res.status == EMP_AUDIT_OK, "file", res.file, "line", (json_int_t)res.line, "lines",
                               (json_int_t)res.lines, "reason", res.reason);
}

/* ---- broker and prompts ---- */

static bool inside_path(const char *s)
{
        return s && s[0] == '/' && strlen(s) < 4096;
}

/* A launcher hands over its sandbox's seccomp listener (SCM_RIGHTS). */
static void m_broker_attach(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        const char *app = param_app(params, out);
        const char *instance = json_string_value(json_object_get(params, "instance"));
        json_t *pid = json_object_get(params, "pid");
        const char *home_inside = json_string_value(json_object_get(params, "home_inside"));
        const char *home_host = json_string_value(json_object_get(params, "home_host"));
        if (!app)
                return;
        if (!instance || !*instance || strlen(instance) > 64 || !json_is_integer(pid) || json_integer_value(pid) < 2 ||
            json_integer_value(pid) > 0x7fffffff || !inside_path(home_inside) || !inside_path(home_host)) {
                fail(out, EMP_API_ERR_PARAMS, "\"instance\", \"pid\", \"home_inside\" and \"home_host\" are required");
                return;
        }
        if (d->passed_fds[0] < 0) {
                fail(out, EMP_API_ERR_PARAMS, "the seccomp listener must come with the message (SCM_RIGHTS)");
                return;
        }
        json_t *rules_j = json_object_get(params, "net_rules");
        const char *provider = json_string_value(json_object_get(params, "provider"));
        if ((rules_j && (!json_is_array(rules_j) || json_array_size(rules_j) > 1024)) ||
            (provider && emp_net_provider_validate(provider, &(struct emp_error){0}) < 0)) {
                fail(out, EMP_API_ERR_PARAMS, "\"net_rules\" must be a list of rules and \"provider\" direct, none "
                                              "or socks5://HOST:PORT");
                return;
        }
        size_t n_rules = rules_j ? json_array_size(rules_j) : 0;
        char **rules = calloc(n_rules + 1, sizeof(char *));
        if (!rules) {
                fail(out, EMP_API_ERR_FAILED, "out of memory");
                return;
        }
        for (size_t i = 0; i < n_rules; i++) {
                rules[i] = (char *)json_string_value(json_array_get(rules_j, i));
                if (!rules[i]) {
                        free(rules);
                        fail(out, EMP_API_ERR_PARAMS, "\"net_rules\" must hold strings");
                        return;
                }
        }
        /* The user's choice (empyra net --provider) over the manifest's. */
        _cleanup_free_ char *chosen = emp_provider_get(d->dirs.config, app);
        struct emp_broker_attach info = {app, instance, (pid_t)json_integer_value(pid), home_inside, home_host,
                                         json_is_true(json_object_get(params, "network")),
                                         chosen ? chosen : provider ? provider : "direct", rules, -1, -1, -1};
        struct emp_error err = {0};
        int listener = d->passed_fds[0];
        d->passed_fds[0] = -1;
        /* The resolver's socket, bound in the app's own namespace (shared=network). */
        info.dns_fd = d->passed_fds[1];
        d->passed_fds[1] = -1;
        info.diag_fd = d->passed_fds[2];
        d->passed_fds[2] = -1;
        info.factory_fd = d->passed_fds[3];
        d->passed_fds[3] = -1;
        int r = emp_broker_attach(d, listener, &info, &err);
        free(rules);
        if (r < 0) {
                fail(out, r == -EINVAL ? EMP_API_ERR_PARAMS : EMP_API_ERR_FAILED, err.msg);
                return;
        }
        out->reply = json_pack("{s:I}", "brokered", (json_int_t)emp_broker_count(d));
}

/* io.empyra.Net.SetProvider {app, provider}: provider null forgets the
 * user's choice (the manifest's applies again). Takes effect at the app's
 * next launch. */
static void m_net_set_provider(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        const char *app = param_app(params, out);
        json_t *pv = json_object_get(params, "provider");
        if (!app)
                return;
        if (!json_is_null(pv) && !json_is_string(pv)) {
                fail(out, EMP_API_ERR_PARAMS, "\"provider\" must be direct, none, socks5://HOST:PORT or null");
                return;
        }
        const char *provider = json_string_value(pv);
        struct emp_error err = {0};
        if (provider && emp_net_provider_validate(provider, &err) < 0) {
                fail(out, EMP_API_ERR_PARAMS, err.msg);
                return;
        }
        if (audit_change(d, app, "network:provider", provider ? provider : "manifest", out) < 0)
                return;
        if (emp_provider_set(d->dirs.config, app, provider, &err) < 0) {
                fail(out, EMP_API_ERR_FAILED, err.msg);
                return;
        }
        out->reply = json_pack("{s:s, s:o}", "app", app, "provider", provider ? json_string(provider) : json_null());
}

static void m_net_get_provider(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        const char *app = param_app(params, out);
        if (!app)
                return;
        char *p = emp_provider_get(d->dirs.config, app);
        out->reply = json_pack("{s:s, s:o}", "app", app, "provider", p ? json_string(p) : json_null());
        free(p);
}

static void m_prompts_list(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        (void)params;
        out->reply = json_pack("{s:o, s:I}", "prompts", emp_prompts_list(d), "watchers", (json_int_t)d->n_watchers);
}

static void m_prompts_answer(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        json_t *id = json_object_get(params, "id");
        const char *dec = json_string_value(json_object_get(params, "decision"));
        const char *scope_s = json_string_value(json_object_get(params, "scope"));
        enum emp_decision decision;
        enum emp_scope scope = EMP_SCOPE_ONCE;
        if (!json_is_integer(id) || json_integer_value(id) < 1) {
                fail(out, EMP_API_ERR_PARAMS, "\"id\" must be a prompt id");
                return;
        }
        if (!dec || emp_decision_from_str(dec, &decision) < 0 || decision == EMP_DECISION_ASK) {
                fail(out, EMP_API_ERR_PARAMS, "\"decision\" must be allow or deny");
                return;
        }
        if (scope_s && emp_scope_from_str(scope_s, &scope) < 0) {
                fail(out, EMP_API_ERR_PARAMS, "\"scope\" must be once, until-exit, 1h or always");
                return;
        }
        struct emp_error err = {0};
        int r = emp_prompts_answer(d, (uint64_t)json_integer_value(id), decision, scope, &err);
        if (r == -ENOENT)
                fail(out, EMP_API_ERR_NOT_FOUND, "no such pending prompt (answered, timed out or never asked)");
        else if (r < 0)
                fail(out, EMP_API_ERR_PARAMS, err.msg);
        else
                out->reply = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)json_integer_value(id), "decision", dec,
                                       "scope", emp_scope_str(scope));
}

static const struct {
        const char *name;
        void (*run)(struct emp_daemon *d, json_t *params, struct emp_method_result *out);
} methods[] = {
        {"io.empyra.Daemon.Version", m_version},
        {"io.empyra.Apps.List", m_apps_list},
        {"io.empyra.Focus.Get", m_focus_get},
        {"io.empyra.Focus.Set", m_focus_set},
        {"io.empyra.Focus.Clear", m_focus_clear},
        {"io.empyra.Focus.Sync", m_focus_sync},
        {"io.empyra.Policy.Get", m_policy_get},
        {"io.empyra.Policy.Set", m_policy_set},
        {"io.empyra.Policy.Reset", m_policy_reset},
        {"io.empyra.Audit.Read", m_audit_read},
        {"io.empyra.Audit.Verify", m_audit_verify},
        {"io.empyra.Broker.Attach", m_broker_attach},
        {"io.empyra.Prompts.List", m_prompts_list},
        {"io.empyra.Prompts.Answer", m_prompts_answer},
        {"io.empyra.Net.GetProvider", m_net_get_provider},
        {"io.empyra.Net.SetProvider", m_net_set_provider},
};

void emp_methods_dispatch(struct emp_daemon *d, const char *method, json_t *params, struct emp_method_result *out)
{
        for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
                if (strcmp(method, methods[i].name) == 0) {
                        methods[i].run(d, params, out);
                        return;
                }
        fail(out, EMP_API_ERR_NO_METHOD, "no such method");
}
