/* prompts.c — pending "ask" decisions. A prompt holds every trapped call
 * waiting for the same answer; it ends by the user's answer, by its 30 s
 * deadline, or at once when no UI is there to ask. */
#include "prompts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"

struct emp_prompt {
        uint64_t id;
        char *app_id;
        char *instance;
        char *permission;
        char *path;
        enum emp_file_access access;
        enum emp_call_kind kind;
        int64_t deadline_ms; /* CLOCK_MONOTONIC */
        bool announced;
        struct emp_broker_call **calls;
        size_t n_calls;
        struct emp_prompt *next;
};

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static json_t *prompt_json(const struct emp_prompt *p)
{
        return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", (json_int_t)p->id, "app", p->app_id,
                         "instance", p->instance, "permission", p->permission, "path", p->path, "access",
                         p->kind == EMP_CALL_CONNECT || p->kind == EMP_CALL_UDP_CONNECT ? "connect"
                         : p->kind == EMP_CALL_UDP_SEND                                 ? "send"
                         : p->kind == EMP_CALL_BIND                                     ? "listen"
                         : p->access == EMP_ACCESS_READ ? "read"
                                                        : "write",
                         "waiting", (json_int_t)p->n_calls,
                         "expires_in_ms", (json_int_t)(p->deadline_ms - now_ms()));
}

static void prompt_free(struct emp_prompt *p)
{
        free(p->calls);
        free(p->app_id);
        free(p->instance);
        free(p->permission);
        free(p->path);
        free(p);
}

int emp_prompts_add(struct emp_daemon *d, struct emp_broker_call *call, const char *permission)
{
        const char *app = emp_broker_call_app(call);
        struct emp_prompt *p = d->prompts;
        while (p && !(strcmp(p->app_id, app) == 0 && strcmp(p->permission, permission) == 0))
                p = p->next;
        bool fresh = !p;
        if (fresh) {
                p = calloc(1, sizeof(*p));
                if (!p)
                        return -ENOMEM;
                p->app_id = strdup(app);
                p->instance = strdup(emp_broker_call_instance(call));
                p->permission = strdup(permission);
                p->path = strdup(call->host_path);
                if (!p->app_id || !p->instance || !p->permission || !p->path) {
                        prompt_free(p);
                        return -ENOMEM;
                }
                p->access = call->access;
                p->kind = call->kind;
                p->id = ++d->next_prompt_id;
                p->deadline_ms = now_ms() + d->prompt_timeout_ms;
        }
        struct emp_broker_call **calls = realloc(p->calls, (p->n_calls + 1) * sizeof(*calls));
        if (!calls) {
                if (fresh)
                        prompt_free(p);
                return -ENOMEM;
        }
        p->calls = calls;
        p->calls[p->n_calls++] = call;
        if (fresh) {
                /* Oldest first, as the user should see them. */
                struct emp_prompt **pp = &d->prompts;
                while (*pp)
                        pp = &(*pp)->next;
                *pp = p;
                emp_daemon_wake(d);
        }
        return 0;
}

static int audit_outcome(struct emp_daemon *d, const struct emp_prompt *p, const struct emp_broker_call *c,
                         const char *decision, const char *source)
{
        struct emp_audit_record rec = {.app = p->app_id, .instance = emp_broker_call_instance(c),
                                       .permission = p->permission, .decision = decision, .source = source};
        if (c->kind != EMP_CALL_OPEN) {
                rec.address = c->addr_text;
                rec.port = c->port;
                rec.protocol = c->protocol == EMP_PROTOCOL_UDP ? "udp" : "tcp";
        } else {
                rec.path = p->path;
        }
        return emp_audit_append(d->audit, &rec, NULL);
}

/* Answer every waiting call, tell the UIs, and free the prompt (unlinked). */
static void resolve(struct emp_daemon *d, struct emp_prompt *p, bool allow, const char *source, const char *grant)
{
        for (size_t i = 0; i < p->n_calls; i++) {
                /* Not logged, not allowed. */
                bool ok = audit_outcome(d, p, p->calls[i], allow ? "allow" : "deny", source) == 0 && allow;
                emp_broker_call_finish(d, p->calls[i], ok, ok ? grant : NULL);
        }
        if (p->announced)
                emp_server_broadcast(d, json_pack("{s:{s:I, s:s, s:s}}", "resolved", "id", (json_int_t)p->id,
                                                  "decision", allow ? "allow" : "deny", "by", source));
        prompt_free(p);
}

static struct emp_prompt *unlink_prompt(struct emp_daemon *d, struct emp_prompt **pp)
{
        struct emp_prompt *p = *pp;
        *pp = p->next;
        return p;
}

int emp_prompts_tick(struct emp_daemon *d)
{
        int64_t now = now_ms(), next = -1;
        for (struct emp_prompt **pp = &d->prompts; *pp;) {
                struct emp_prompt *p = *pp;
                if (!p->announced && d->n_watchers == 0) {
                        resolve(d, unlink_prompt(d, pp), false, "no-ui", NULL);
                        continue;
                }
                if (p->deadline_ms <= now) {
                        resolve(d, unlink_prompt(d, pp), false, "timeout", NULL);
                        continue;
                }
                if (!p->announced) {
                        p->announced = true;
                        emp_server_broadcast(d, json_pack("{s:o}", "prompt", prompt_json(p)));
                }
                if (next < 0 || p->deadline_ms - now < next)
                        next = p->deadline_ms - now;
                pp = &p->next;
        }
        return (int)next;
}

int emp_prompts_answer(struct emp_daemon *d, uint64_t id, enum emp_decision decision, enum emp_scope scope,
                       struct emp_error *err)
{
        if (decision != EMP_DECISION_ALLOW && decision != EMP_DECISION_DENY)
                return emp_error_set(err, -EINVAL, "an answer is allow or deny");
        struct emp_prompt **pp = &d->prompts;
        while (*pp && (*pp)->id != id)
                pp = &(*pp)->next;
        if (!*pp)
                return -ENOENT;
        struct emp_prompt *p = *pp;
        if (scope != EMP_SCOPE_ONCE) {
                struct emp_policy *pol = NULL;
                if (emp_policy_store_get(&d->store, p->app_id, &pol) < 0)
                        return emp_error_set(err, -ENOMEM, "out of memory");
                time_t expires = scope == EMP_SCOPE_HOUR ? time(NULL) + EMP_SCOPE_HOUR_SECONDS : 0;
                int r = emp_policy_set(pol, p->permission, decision, EMP_SOURCE_USER, scope, expires, err);
                if (r < 0)
                        return r;
                struct emp_error e = {0};
                if (emp_policy_store_save(d->dirs.config, &d->store, &e) < 0)
                        fprintf(stderr, "empyrad: saving the policy store: %s\n", e.msg);
        }
        unlink_prompt(d, pp);
        /* The grant is what the user saw: this one file. */
        resolve(d, p, decision == EMP_DECISION_ALLOW, "prompt", p->path);
        return 0;
}

json_t *emp_prompts_list(struct emp_daemon *d)
{
        json_t *arr = json_array();
        for (struct emp_prompt *p = d->prompts; p; p = p->next)
                json_array_append_new(arr, prompt_json(p));
        return arr;
}

void emp_prompts_deny_all(struct emp_daemon *d)
{
        while (d->prompts)
                resolve(d, unlink_prompt(d, &d->prompts), false, "shutdown", NULL);
}
