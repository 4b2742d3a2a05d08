/* fuzz_policy_store.c — libFuzzer target: any bytes through
 * emp_policy_store_parse give a store or an error, never a crash or a leak;
 * what loads formats back to itself, and every rule in it can be decided on. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/store.h"

#define SENTINEL_APPS 12345u

static bool printable(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
                        return false;
        return true;
}

/* A permission formats to a name that parses back to it. */
static void check_permission(const struct emp_permission *p)
{
        char *name = NULL, *again = NULL;
        struct emp_permission q;
        if (emp_permission_format(p, &name) != 0 || emp_permission_parse(name, &q, NULL) != 0)
                __builtin_trap();
        if (!emp_permission_equal(p, &q) || !emp_permission_covers(p, &q))
                __builtin_trap();
        if (emp_permission_format(&q, &again) != 0 || strcmp(name, again) != 0)
                __builtin_trap();
        free(name);
        free(again);
        emp_permission_free(&q);
}

/* Every kind of request, against a policy built from the input. */
static void check_decide(struct emp_policy *p)
{
        struct emp_request reqs[] = {
                { .kind = EMP_REQUEST_FILE, .path = "/home/u/Documents/a.txt", .access = EMP_ACCESS_READ },
                { .kind = EMP_REQUEST_FILE, .path = "/home/u/Documents/a.txt", .access = EMP_ACCESS_WRITE },
                { .kind = EMP_REQUEST_CONNECT, .name = "www.example.com", .port = 443, .protocol = EMP_PROTOCOL_TCP },
                { .kind = EMP_REQUEST_CONNECT, .port = 53, .protocol = EMP_PROTOCOL_UDP },
                { .kind = EMP_REQUEST_CONNECT, .port = 80, .protocol = EMP_PROTOCOL_TCP },
                { .kind = EMP_REQUEST_LISTEN, .port = 8080 },
                { .kind = EMP_REQUEST_DEVICE, .device = EMP_DEVICE_NAME_DRI },
                { .kind = EMP_REQUEST_SOCKET, .socket = EMP_SOCKET_NAME_WAYLAND },
        };
        emp_addr_parse("10.1.2.3", &reqs[3].addr);
        emp_addr_parse("fd00::1", &reqs[4].addr);
        for (int shared = 0; shared < 2; shared++) {
                p->shared_network = shared;
                for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
                        struct emp_verdict v;
                        if (emp_policy_decide(p, &reqs[i], 1700000000, &v) != 0 || !emp_decision_str(v.decision))
                                __builtin_trap();
                        if (v.rule ? v.rule != &p->rules[v.rule_index] : !v.what)
                                __builtin_trap();
                }
        }
}

static void check_loaded(struct emp_policy_store *s)
{
        for (size_t i = 0; i < s->n_apps; i++) {
                struct emp_policy *p = s->apps[i];
                if (!emp_policy_app_id_valid(p->app_id))
                        __builtin_trap();
                for (size_t j = 0; j < p->n_rules; j++) {
                        if (!emp_rule_valid(&p->rules[j]) || p->rules[j].scope == EMP_SCOPE_ONCE)
                                __builtin_trap();
                        check_permission(&p->rules[j].perm);
                }
                if (i < 4)
                        check_decide(p);
        }
}

/* format → parse → format is a fixed point. */
static void check_round_trip(const struct emp_policy_store *s)
{
        char *t1 = NULL, *t2 = NULL;
        size_t n1 = 0;
        struct emp_policy_store again;
        if (emp_policy_store_format(s, &t1, &n1, NULL) != 0)
                __builtin_trap();
        if (emp_policy_store_parse(t1, n1, &again, NULL) != 0)
                __builtin_trap();
        if (emp_policy_store_format(&again, &t2, NULL, NULL) != 0 || strcmp(t1, t2) != 0)
                __builtin_trap();
        free(t1);
        free(t2);
        emp_policy_store_free(&again);
}

/* The same bytes as one permission name, for the parser's own sake. */
static void check_as_permission(const uint8_t *data, size_t size)
{
        if (size > EMP_PERMISSION_MAX + 8 || memchr(data, '\0', size))
                return;
        char *s = strndup((const char *)data, size);
        struct emp_permission p;
        struct emp_error err = { 0 };
        if (!s)
                return;
        if (emp_permission_parse(s, &p, &err) == 0) {
                check_permission(&p);
                emp_permission_free(&p);
        } else if (err.code != -EINVAL || !printable(err.msg)) {
                __builtin_trap();
        }
        free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct emp_policy_store s = { .n_apps = SENTINEL_APPS };
        struct emp_error err = { 0 };
        int r = emp_policy_store_parse((const char *)data, size, &s, &err);
        if (r < 0) {
                /* Refused: said why, printably, and touched nothing. */
                if (err.code != r || !err.msg[0] || !printable(err.msg) || s.n_apps != SENTINEL_APPS)
                        __builtin_trap();
        } else {
                check_loaded(&s);
                check_round_trip(&s);
                emp_policy_store_free(&s);
        }
        check_as_permission(data, size);
        return 0;
}
