/* test_policy_decide.c — the decision: every line of DESIGN.md §6's
 * precedence, ties, expiry, files' longest prefix and ":ro", the defaults,
 * and what a changed manifest newly asks for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/strv.h"
#include "manifest/manifest.h"
#include "policy/policy.h"

#define NOW ((time_t)1700000000)

static void set(struct emp_policy *p, const char *perm, enum emp_decision d, enum emp_source s)
{
        struct emp_error err = { 0 };
        if (emp_policy_set(p, perm, d, s, EMP_SCOPE_ALWAYS, 0, &err) != 0)
                fail_msg("set %s: %s", perm, err.msg);
}

/* A rule added as is, so two rules for one permission can coexist. */
static void append(struct emp_policy *p, const char *perm, enum emp_decision d, enum emp_source s)
{
        struct emp_rule r = { .decision = d, .source = s, .scope = EMP_SCOPE_ALWAYS };
        assert_int_equal(emp_permission_parse(perm, &r.perm, NULL), 0);
        assert_int_equal(emp_policy_append(p, &r), 0);
        emp_permission_free(&r.perm);
}

static struct emp_request conn(const char *name, const char *addr, uint16_t port)
{
        struct emp_request r = { .kind = EMP_REQUEST_CONNECT, .name = name, .port = port,
                                 .protocol = EMP_PROTOCOL_TCP };
        if (addr && emp_addr_parse(addr, &r.addr) != 0)
                fail_msg("bad test address %s", addr);
        return r;
}

static struct emp_request file(const char *path, enum emp_file_access access)
{
        return (struct emp_request){ .kind = EMP_REQUEST_FILE, .path = path, .access = access };
}

/* Decide at NOW and compare; on a rule's verdict, also which rule. */
static void expect_at(const struct emp_policy *p, struct emp_request req, time_t now, enum emp_decision d,
                      enum emp_source s, const char *rule, int line)
{
        struct emp_verdict v;
        int r = emp_policy_decide(p, &req, now, &v);
        if (r != 0)
                fail_msg("line %d: decide failed: %d", line, r);
        char *got = NULL;
        if (v.rule)
                assert_int_equal(emp_permission_format(&v.rule->perm, &got), 0);
        if (v.decision != d || v.source != s || (rule && (!got || strcmp(got, rule) != 0)) || (!rule && got))
                fail_msg("line %d: got %s/%s by %s, expected %s/%s by %s", line, emp_decision_str(v.decision),
                         emp_source_str(v.source), got ? got : "(default)", emp_decision_str(d),
                         emp_source_str(s), rule ? rule : "(default)");
        if (v.rule) {
                assert_ptr_equal(v.rule, &p->rules[v.rule_index]);
                assert_null(v.what);
        } else {
                assert_non_null(v.what);
        }
        free(got);
}
#define EXPECT(p, req, d, s, rule) expect_at((p), (req), NOW, (d), (s), (rule), __LINE__)

#define ALLOW EMP_DECISION_ALLOW
#define DENY EMP_DECISION_DENY
#define ASK EMP_DECISION_ASK
#define USER EMP_SOURCE_USER
#define MANIFEST EMP_SOURCE_MANIFEST
#define DEFAULT EMP_SOURCE_DEFAULT

static int setup(void **state)
{
        struct emp_policy *p = malloc(sizeof(*p));
        emp_policy_init(p);
        p->shared_network = true;
        *state = p;
        return 0;
}

static int teardown(void **state)
{
        emp_policy_free(*state);
        free(*state);
        return 0;
}

/* --- sources ------------------------------------------------------------------ */

static void test_user_beats_manifest_beats_default(void **state)
{
        struct emp_policy *p = *state;
        struct emp_request req = conn("api.example.com", "93.184.216.34", 443);
        struct emp_permission perm;

        EXPECT(p, req, ALLOW, DEFAULT, NULL);
        set(p, "network:api.example.com:443", DENY, MANIFEST);
        EXPECT(p, req, DENY, MANIFEST, "network:api.example.com:443");
        /* A user rule wins even when it is far less specific. */
        set(p, "network:*:*", ALLOW, USER);
        EXPECT(p, req, ALLOW, USER, "network:*:*");

        assert_int_equal(emp_permission_parse("network:*:*", &perm, NULL), 0);
        assert_int_equal(emp_policy_remove(p, &perm, USER), 1);
        emp_permission_free(&perm);
        EXPECT(p, req, DENY, MANIFEST, "network:api.example.com:443");

        /* The same for files: a manifest allow under a user deny. */
        set(p, "filesystem:/srv", ALLOW, MANIFEST);
        set(p, "filesystem:/", DENY, USER);
        EXPECT(p, file("/srv/x", EMP_ACCESS_READ), DENY, USER, "filesystem:/");
}

/* --- network specificity, one line of the table at a time --------------------- */

static void test_exact_port_beats_host_star(void **state)
{
        struct emp_policy *p = *state;
        set(p, "network:example.com:*", DENY, USER);
        set(p, "network:example.com:443", ALLOW, USER);
        EXPECT(p, conn("example.com", NULL, 443), ALLOW, USER, "network:example.com:443");
        EXPECT(p, conn("example.com", NULL, 80), DENY, USER, "network:example.com:*");
        /* Addresses alike. */
        set(p, "network:10.1.2.3:*", DENY, USER);
        set(p, "network:10.1.2.3:22", ALLOW, USER);
        EXPECT(p, conn(NULL, "10.1.2.3", 22), ALLOW, USER, "network:10.1.2.3:22");
        EXPECT(p, conn(NULL, "10.1.2.3", 23), DENY, USER, "network:10.1.2.3:*");
        set(p, "network:[2001:db8::1]:*", DENY, USER);
        set(p, "network:[2001:db8::1]:443", ALLOW, USER);
        EXPECT(p, conn(NULL, "2001:db8::1", 443), ALLOW, USER, "network:[2001:db8::1]:443");
        EXPECT(p, conn(NULL, "2001:db8::1", 80), DENY, USER, "network:[2001:db8::1]:*");
}

static void test_host_star_beats_wildcard(void **state)
{
        struct emp_policy *p = *state;
        set(p, "network:*.example.com:443", DENY, USER);
        set(p, "network:a.example.com:*", ALLOW, USER);
        EXPECT(p, conn("a.example.com", NULL, 443), ALLOW, USER, "network:a.example.com:*");
        EXPECT(p, conn("b.example.com", NULL, 443), DENY, USER, "network:*.example.com:443");
}

static void test_wildcard_longer_suffix_and_port(void **state)
{
        struct emp_policy *p = *state;
        set(p, "network:*.example.com:443", DENY, USER);
        set(p, "network:*.b.example.com:*", ALLOW, USER);
        set(p, "network:*.example.com:*", ASK, USER);
        /* A longer suffix beats a shorter one, even one naming the port. */
        EXPECT(p, conn("x.b.example.com", NULL, 443), ALLOW, USER, "network:*.b.example.com:*");
        /* At one suffix, a named port beats "*". */
        EXPECT(p, conn("x.c.example.com", NULL, 443), DENY, USER, "network:*.example.com:443");
        EXPECT(p, conn("x.c.example.com", NULL, 80), ASK, USER, "network:*.example.com:*");
        /* "*.example.com" is below example.com, not example.com itself,
         * nor a name that merely ends the same way. */
        EXPECT(p, conn("example.com", "93.184.216.34", 443), ALLOW, DEFAULT, NULL);
        EXPECT(p, conn("badexample.com", "93.184.216.34", 443), ALLOW, DEFAULT, NULL);
        /* Names compare without case or the root's trailing dot. */
        EXPECT(p, conn("X.B.Example.COM.", NULL, 1), ALLOW, USER, "network:*.b.example.com:*");
}

static void test_wildcard_beats_cidr(void **state)
{
        struct emp_policy *p = *state;
        set(p, "network:10.0.0.0/8:443", DENY, USER);
        set(p, "network:*.corp.example:*", ALLOW, USER);
        EXPECT(p, conn("git.corp.example", "10.1.2.3", 443), ALLOW, USER, "network:*.corp.example:*");
        EXPECT(p, conn(NULL, "10.1.2.3", 443), DENY, USER, "network:10.0.0.0/8:443");
}

static void test_longer_cidr_beats_shorter(void **state)
{
        struct emp_policy *p = *state;
        set(p, "network:10.0.0.0/8:443", DENY, USER);
        set(p, "network:10.1.0.0/16:*", ALLOW, USER);
        set(p, "network:10.1.2.0/24:*", ASK, USER);
        EXPECT(p, conn(NULL, "10.1.2.3", 443), ASK, USER, "network:10.1.2.0/24:*");
        EXPECT(p, conn(NULL, "10.1.9.9", 443), ALLOW, USER, "network:10.1.0.0/16:*");
        EXPECT(p, conn(NULL, "10.2.0.1", 443), DENY, USER, "network:10.0.0.0/8:443");
        EXPECT(p, conn(NULL, "10.2.0.1", 80), ASK, DEFAULT, NULL);
        /* IPv6 alike. */
        set(p, "network:[fd00::]/8:*", DENY, USER);
        set(p, "network:[fd00:1::]/32:*", ALLOW, USER);
        EXPECT(p, conn(NULL, "fd00:1::5", 1), ALLOW, USER, "network:[fd00:1::]/32:*");
        EXPECT(p, conn(NULL, "fd00:2::5", 1), DENY, USER, "network:[fd00::]/8:*");
        /* An IPv6 range holding mapped addresses counts in IPv6 bits:
         * ::/0 is wider than 10.0.0.0/8 although 0 < 8 < 32. */
        set(p, "network:[::]/0:*", ASK, USER);
        EXPECT(p, conn(NULL, "10.200.0.1", 80), ASK, USER, "network:[::]/0:*");
        set(p, "network:[::]/1:*", ALLOW, USER);
        EXPECT(p, conn(NULL, "10.200.0.1", 80), ALLOW, USER, "network:[::]/1:*");
        EXPECT(p, conn(NULL, "10.2.0.1", 443), DENY, USER, "network:10.0.0.0/8:443");
}

static void test_cidr_beats_class(void **state)
{
        struct emp_policy *p = *state;
        set(p, "network:lan", DENY, USER);
        set(p, "network:192.168.1.0/24:*", ALLOW, USER);
        EXPECT(p, conn(NULL, "192.168.1.5", 631), ALLOW, USER, "network:192.168.1.0/24:*");
        EXPECT(p, conn(NULL, "192.168.2.5", 631), DENY, USER, "network:lan");
        /* Even a /0 range is more specific than a class. */
        set(p, "network:0.0.0.0/0:*", ASK, USER);
        EXPECT(p, conn(NULL, "192.168.2.5", 631), ASK, USER, "network:0.0.0.0/0:*");
}

static void test_class_beats_any(void **state)
{
        struct emp_policy *p = *state;
        set(p, "network:*:*", ALLOW, USER);
        set(p, "network:*:443", ASK, USER);
        set(p, "network:lan", DENY, USER);
        set(p, "network:loopback", ASK, USER);
        EXPECT(p, conn(NULL, "192.168.1.1", 443), DENY, USER, "network:lan");
        EXPECT(p, conn(NULL, "127.0.0.1", 80), ASK, USER, "network:loopback");
        /* *:PORT beats *:*, below the classes. */
        EXPECT(p, conn(NULL, "8.8.8.8", 443), ASK, USER, "network:*:443");
        EXPECT(p, conn(NULL, "8.8.8.8", 53), ALLOW, USER, "network:*:*");
        /* "*" matches a name alone; a class needs an address. */
        EXPECT(p, conn("example.com", NULL, 80), ALLOW, USER, "network:*:*");
        set(p, "network:internet", DENY, USER);
        EXPECT(p, conn(NULL, "8.8.8.8", 443), DENY, USER, "network:internet");
        EXPECT(p, conn("example.com", NULL, 443), ASK, USER, "network:*:443");
}

static void test_mapped_request_address(void **state)
{
        struct emp_policy *p = *state;
        set(p, "network:10.0.0.0/8:*", ALLOW, USER);
        set(p, "network:loopback", DENY, USER);
        struct emp_request req = conn(NULL, NULL, 80);
        req.addr.family = AF_INET6; /* as the app sent it: ::ffff:10.0.0.1 */
        req.addr.bytes[10] = req.addr.bytes[11] = 0xff;
        req.addr.bytes[12] = 10;
        req.addr.bytes[15] = 1;
        EXPECT(p, req, ALLOW, USER, "network:10.0.0.0/8:*");
        req.addr.bytes[12] = 127;
        EXPECT(p, req, DENY, USER, "network:loopback");
        set(p, "network:127.0.0.1:80", ALLOW, USER);
        EXPECT(p, req, ALLOW, USER, "network:127.0.0.1:80");
        /* 0.0.0.0 and :: reach the host: loopback. */
        EXPECT(p, conn(NULL, "0.0.0.0", 80), DENY, USER, "network:loopback");
        EXPECT(p, conn(NULL, "::", 80), DENY, USER, "network:loopback");
}

/* --- ties and lifetimes ----------------------------------------------------------- */

static void test_tie_goes_to_deny(void **state)
{
        struct emp_policy *p = *state;
        /* A name and its address are equally exact. */
        set(p, "network:example.com:443", ALLOW, USER);
        set(p, "network:93.184.216.34:443", DENY, USER);
        EXPECT(p, conn("example.com", "93.184.216.34", 443), DENY, USER, "network:93.184.216.34:443");
        set(p, "network:93.184.216.34:443", ASK, USER);
        EXPECT(p, conn("example.com", "93.184.216.34", 443), ASK, USER, "network:93.184.216.34:443");

        /* Duplicate rules for one permission (a hand-edited store): allow
         * never wins a tie, whatever the order. */
        append(p, "device:dri", ALLOW, MANIFEST);
        append(p, "device:dri", DENY, MANIFEST);
        append(p, "device:dri", ASK, MANIFEST);
        EXPECT(p, ((struct emp_request){ .kind = EMP_REQUEST_DEVICE, .device = EMP_DEVICE_NAME_DRI }), DENY,
               MANIFEST, "device:dri");
        append(p, "filesystem:/a", ASK, USER);
        append(p, "filesystem:/a", ALLOW, USER);
        EXPECT(p, file("/a/b", EMP_ACCESS_WRITE), ASK, USER, "filesystem:/a");
        append(p, "filesystem:/a", DENY, USER);
        EXPECT(p, file("/a/b", EMP_ACCESS_WRITE), DENY, USER, "filesystem:/a");
}

static void test_expired_rules_ignored(void **state)
{
        struct emp_policy *p = *state;
        struct emp_request req = conn(NULL, "192.168.1.10", 8080);
        struct emp_error err = { 0 };
        set(p, "network:lan", DENY, MANIFEST);
        assert_int_equal(emp_policy_set(p, "network:192.168.1.10:8080", ALLOW, USER, EMP_SCOPE_HOUR,
                                        NOW + EMP_SCOPE_HOUR_SECONDS, &err),
                         0);
        expect_at(p, req, NOW, ALLOW, USER, "network:192.168.1.10:8080", __LINE__);
        expect_at(p, req, NOW + 3599, ALLOW, USER, "network:192.168.1.10:8080", __LINE__);
        expect_at(p, req, NOW + 3600, DENY, MANIFEST, "network:lan", __LINE__);
        expect_at(p, req, NOW + 100000, DENY, MANIFEST, "network:lan", __LINE__);
        /* An expired rule no longer competes within its source either. */
        assert_int_equal(emp_policy_set(p, "network:lan", ALLOW, USER, EMP_SCOPE_ALWAYS, 0, &err), 0);
        assert_int_equal(emp_policy_set(p, "network:192.168.1.10:*", DENY, USER, EMP_SCOPE_HOUR, NOW + 60, &err),
                         0);
        expect_at(p, req, NOW + 59, ALLOW, USER, "network:192.168.1.10:8080", __LINE__);
        expect_at(p, req, NOW + 3600, ALLOW, USER, "network:lan", __LINE__);
        expect_at(p, conn(NULL, "192.168.1.10", 1), NOW + 60, ALLOW, USER, "network:lan", __LINE__);

        assert_int_equal(emp_policy_expire(p, NOW + 60), 1);
        assert_int_equal(p->n_rules, 3);
        assert_int_equal(emp_policy_expire(p, NOW + 3600), 1);
        assert_int_equal(p->n_rules, 2);
}

/* decide() does not consume "once" rules nor track instances: the daemon
 * does (see policy.h). These pin down what it can rely on. */
static void test_once_and_until_exit(void **state)
{
        struct emp_policy *p = *state;
        struct emp_error err = { 0 };
        struct emp_request req = conn(NULL, "192.168.1.1", 80);
        struct emp_verdict v;
        assert_int_equal(emp_policy_set(p, "network:lan", ALLOW, USER, EMP_SCOPE_UNTIL_EXIT, 0, &err), 0);
        assert_int_equal(emp_policy_set(p, "network:192.168.1.1:80", DENY, USER, EMP_SCOPE_ONCE, 0, &err), 0);
        /* A once rule holds for as many decisions as it stays in the list... */
        EXPECT(p, req, DENY, USER, "network:192.168.1.1:80");
        EXPECT(p, req, DENY, USER, "network:192.168.1.1:80");
        /* ...so the daemon removes it by the verdict's index after use. */
        assert_int_equal(emp_policy_decide(p, &req, NOW, &v), 0);
        assert_int_equal(v.rule->scope, EMP_SCOPE_ONCE);
        emp_policy_remove_rule(p, v.rule_index);
        EXPECT(p, req, ALLOW, USER, "network:lan");
        /* until-exit rules go when the instance does. */
        assert_int_equal(emp_policy_drop_scope(p, EMP_SCOPE_UNTIL_EXIT), 1);
        EXPECT(p, req, ASK, DEFAULT, NULL);
        assert_int_equal(p->n_rules, 0);
}

/* --- files ---------------------------------------------------------------------- */

static void test_files_longest_prefix(void **state)
{
        struct emp_policy *p = *state;
        set(p, "filesystem:/home/u", ALLOW, USER);
        set(p, "filesystem:/home/u/.ssh", DENY, USER);
        set(p, "filesystem:/home/u/.ssh/known_hosts", ASK, USER);
        EXPECT(p, file("/home/u/notes.txt", EMP_ACCESS_WRITE), ALLOW, USER, "filesystem:/home/u");
        EXPECT(p, file("/home/u", EMP_ACCESS_READ), ALLOW, USER, "filesystem:/home/u");
        EXPECT(p, file("/home/u/.ssh/id_ed25519", EMP_ACCESS_READ), DENY, USER, "filesystem:/home/u/.ssh");
        EXPECT(p, file("/home/u/.ssh", EMP_ACCESS_READ), DENY, USER, "filesystem:/home/u/.ssh");
        EXPECT(p, file("/home/u/.ssh/known_hosts", EMP_ACCESS_READ), ASK, USER,
               "filesystem:/home/u/.ssh/known_hosts");
        /* Prefixes end at a '/': .sshx is not under .ssh, /home/user not under /home/u. */
        EXPECT(p, file("/home/u/.sshx", EMP_ACCESS_READ), ALLOW, USER, "filesystem:/home/u");
        EXPECT(p, file("/home/user/x", EMP_ACCESS_READ), ASK, DEFAULT, NULL);
        /* The request is normalised first. */
        EXPECT(p, file("/home//u/./.ssh/id", EMP_ACCESS_READ), DENY, USER, "filesystem:/home/u/.ssh");
        set(p, "filesystem:/", DENY, USER);
        EXPECT(p, file("/etc/shadow", EMP_ACCESS_READ), DENY, USER, "filesystem:/");
        EXPECT(p, file("/home/u/x", EMP_ACCESS_READ), ALLOW, USER, "filesystem:/home/u");
}

static void test_files_read_only(void **state)
{
        struct emp_policy *p = *state;
        /* allow :ro lets reads through; writes fall through to the default. */
        set(p, "filesystem:/data:ro", ALLOW, USER);
        EXPECT(p, file("/data/f", EMP_ACCESS_READ), ALLOW, USER, "filesystem:/data:ro");
        EXPECT(p, file("/data/f", EMP_ACCESS_WRITE), ASK, DEFAULT, NULL);
        /* ...or to a shorter rule of the same source. */
        set(p, "filesystem:/", DENY, USER);
        EXPECT(p, file("/data/f", EMP_ACCESS_WRITE), DENY, USER, "filesystem:/");
        /* ...but not to a lower source: the user's rules are consulted as a
         * whole before the manifest's. */
        emp_policy_remove(p, NULL, USER);
        set(p, "filesystem:/data:ro", ALLOW, USER);
        set(p, "filesystem:/data", ALLOW, MANIFEST);
        EXPECT(p, file("/data/f", EMP_ACCESS_WRITE), ALLOW, MANIFEST, "filesystem:/data");

        /* "read-only" as a pair: allow :ro plus deny on the same path. The
         * :ro rule is the more specific one for reads. */
        emp_policy_remove(p, NULL, USER);
        emp_policy_remove(p, NULL, MANIFEST);
        set(p, "filesystem:/docs:ro", ALLOW, USER);
        set(p, "filesystem:/docs", DENY, USER);
        EXPECT(p, file("/docs/a", EMP_ACCESS_READ), ALLOW, USER, "filesystem:/docs:ro");
        EXPECT(p, file("/docs/a", EMP_ACCESS_WRITE), DENY, USER, "filesystem:/docs");
        /* A longer plain rule still beats a shorter :ro one. */
        set(p, "filesystem:/docs/drafts", ASK, USER);
        EXPECT(p, file("/docs/drafts/a", EMP_ACCESS_READ), ASK, USER, "filesystem:/docs/drafts");

        /* deny :ro denies reading, and says nothing about writing. */
        set(p, "filesystem:/secret:ro", DENY, USER);
        EXPECT(p, file("/secret/k", EMP_ACCESS_READ), DENY, USER, "filesystem:/secret:ro");
        EXPECT(p, file("/secret/k", EMP_ACCESS_WRITE), ASK, DEFAULT, NULL);
}

/* --- defaults, devices, sockets, listening ------------------------------------- */

static void expect_default(struct emp_policy *p, struct emp_request req, enum emp_decision d, const char *what,
                           int line)
{
        struct emp_verdict v;
        assert_int_equal(emp_policy_decide(p, &req, NOW, &v), 0);
        if (v.decision != d || v.source != EMP_SOURCE_DEFAULT || v.rule || strcmp(v.what, what) != 0)
                fail_msg("line %d: got %s (%s), expected %s (%s)", line, emp_decision_str(v.decision), v.what,
                         emp_decision_str(d), what);
        assert_int_equal(v.rule_index, SIZE_MAX);
}

static void test_defaults_shared_network(void **state)
{
        struct emp_policy *p = *state;
        p->shared_network = true;
        expect_default(p, conn(NULL, "8.8.8.8", 53), ALLOW, "network:internet", __LINE__);
        expect_default(p, conn(NULL, "2606:4700::1111", 443), ALLOW, "network:internet", __LINE__);
        expect_default(p, conn(NULL, "192.168.1.1", 80), ASK, "network:lan", __LINE__);
        expect_default(p, conn(NULL, "fe80::1", 80), ASK, "network:lan", __LINE__);
        expect_default(p, conn(NULL, "100.64.1.1", 80), ASK, "network:lan", __LINE__);
        expect_default(p, conn(NULL, "224.0.0.251", 5353), ASK, "network:lan", __LINE__);
        expect_default(p, conn(NULL, "127.0.0.1", 631), ASK, "network:loopback", __LINE__);
        expect_default(p, conn(NULL, "::1", 631), ASK, "network:loopback", __LINE__);
        expect_default(p, conn(NULL, "::ffff:127.0.0.1", 631), ASK, "network:loopback", __LINE__);
        /* Only a name: could be anything, so not the internet's "allow". */
        expect_default(p, conn("localhost", NULL, 80), ASK, "network", __LINE__);
        struct emp_request udp = conn(NULL, "8.8.8.8", 53);
        udp.protocol = EMP_PROTOCOL_UDP;
        expect_default(p, udp, ALLOW, "network:internet", __LINE__);
        expect_default(p, ((struct emp_request){ .kind = EMP_REQUEST_LISTEN, .port = 8080 }), ASK,
                       "network:listen", __LINE__);
        expect_default(p, file("/home/u/x", EMP_ACCESS_READ), ASK, "filesystem", __LINE__);
        expect_default(p, ((struct emp_request){ .kind = EMP_REQUEST_DEVICE, .device = EMP_DEVICE_NAME_KVM }), DENY,
                       "device", __LINE__);
        expect_default(p, ((struct emp_request){ .kind = EMP_REQUEST_SOCKET, .socket = EMP_SOCKET_NAME_X11 }),
                       DENY, "socket", __LINE__);
}

static void test_defaults_without_network(void **state)
{
        struct emp_policy *p = *state;
        p->shared_network = false;
        expect_default(p, conn(NULL, "8.8.8.8", 53), DENY, "network:internet", __LINE__);
        expect_default(p, conn(NULL, "192.168.1.1", 80), DENY, "network:lan", __LINE__);
        expect_default(p, conn(NULL, "127.0.0.1", 631), DENY, "network:loopback", __LINE__);
        expect_default(p, conn("example.com", NULL, 80), DENY, "network", __LINE__);
        expect_default(p, ((struct emp_request){ .kind = EMP_REQUEST_LISTEN, .port = 8080 }), DENY,
                       "network:listen", __LINE__);
        expect_default(p, file("/home/u/x", EMP_ACCESS_WRITE), ASK, "filesystem", __LINE__);
        /* Rules still apply without shared=network. */
        set(p, "network:example.com:443", ALLOW, USER);
        EXPECT(p, conn("example.com", "93.184.216.34", 443), ALLOW, USER, "network:example.com:443");
}

static void test_devices_sockets_listen(void **state)
{
        struct emp_policy *p = *state;
        struct emp_request dri = { .kind = EMP_REQUEST_DEVICE, .device = EMP_DEVICE_NAME_DRI };
        struct emp_request kvm = { .kind = EMP_REQUEST_DEVICE, .device = EMP_DEVICE_NAME_KVM };
        struct emp_request other = { .kind = EMP_REQUEST_DEVICE, .device = EMP_DEVICE_NAME_ALL };
        set(p, "device:all", DENY, USER);
        set(p, "device:dri", ALLOW, USER);
        EXPECT(p, dri, ALLOW, USER, "device:dri");
        EXPECT(p, kvm, DENY, USER, "device:all");
        EXPECT(p, other, DENY, USER, "device:all");
        set(p, "device:all", ALLOW, MANIFEST);
        emp_policy_remove(p, NULL, USER);
        EXPECT(p, kvm, ALLOW, MANIFEST, "device:all");

        struct emp_request wl = { .kind = EMP_REQUEST_SOCKET, .socket = EMP_SOCKET_NAME_WAYLAND };
        struct emp_request pa = { .kind = EMP_REQUEST_SOCKET, .socket = EMP_SOCKET_NAME_PULSEAUDIO };
        set(p, "socket:wayland", ALLOW, MANIFEST);
        EXPECT(p, wl, ALLOW, MANIFEST, "socket:wayland");
        EXPECT(p, pa, DENY, DEFAULT, NULL);

        struct emp_request l8080 = { .kind = EMP_REQUEST_LISTEN, .port = 8080 };
        struct emp_request l9090 = { .kind = EMP_REQUEST_LISTEN, .port = 9090 };
        struct emp_request lany = { .kind = EMP_REQUEST_LISTEN, .port = 0 };
        set(p, "network:listen:*", DENY, USER);
        set(p, "network:listen:8080", ALLOW, USER);
        EXPECT(p, l8080, ALLOW, USER, "network:listen:8080");
        EXPECT(p, l9090, DENY, USER, "network:listen:*");
        EXPECT(p, lany, DENY, USER, "network:listen:*");
        /* Listen rules are not connect rules, and the reverse. */
        EXPECT(p, conn(NULL, "127.0.0.1", 8080), ASK, DEFAULT, NULL);
        emp_policy_remove(p, NULL, USER);
        set(p, "network:*:*", ALLOW, USER);
        EXPECT(p, l8080, ASK, DEFAULT, NULL);
}

static void test_bad_requests(void **state)
{
        struct emp_policy *p = *state;
        struct emp_verdict v = { .decision = 77 };
        const struct emp_request bad[] = {
                { .kind = 0 },
                { .kind = 99 },
                { .kind = EMP_REQUEST_FILE, .path = NULL, .access = EMP_ACCESS_READ },
                { .kind = EMP_REQUEST_FILE, .path = "relative", .access = EMP_ACCESS_READ },
                { .kind = EMP_REQUEST_FILE, .path = "/a/../etc/shadow", .access = EMP_ACCESS_READ },
                { .kind = EMP_REQUEST_FILE, .path = "/a", .access = 0 },
                { .kind = EMP_REQUEST_FILE, .path = "/a\n", .access = EMP_ACCESS_READ },
                { .kind = EMP_REQUEST_CONNECT, .protocol = EMP_PROTOCOL_TCP },           /* nothing to go by */
                { .kind = EMP_REQUEST_CONNECT, .name = "a b", .protocol = EMP_PROTOCOL_TCP },
                { .kind = EMP_REQUEST_CONNECT, .name = "", .protocol = EMP_PROTOCOL_TCP },
                { .kind = EMP_REQUEST_CONNECT, .name = "x.com", .protocol = 0 },
                { .kind = EMP_REQUEST_CONNECT, .name = "x.com", .protocol = EMP_PROTOCOL_TCP,
                  .addr = { .family = AF_UNIX } },
                { .kind = EMP_REQUEST_DEVICE, .device = 0 },
                { .kind = EMP_REQUEST_SOCKET, .socket = 42 },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (emp_policy_decide(p, &bad[i], NOW, &v) != -EINVAL)
                        fail_msg("bad request %zu accepted", i);
                assert_int_equal(v.decision, 77);
        }
        char longname[300];
        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        struct emp_request r = conn(longname, NULL, 1);
        assert_int_equal(emp_policy_decide(p, &r, NOW, &v), -EINVAL);
        assert_int_equal(emp_policy_decide(NULL, &r, NOW, &v), -EINVAL);
        assert_int_equal(emp_policy_decide(p, NULL, NOW, &v), -EINVAL);
}

static void test_errno(void **state)
{
        assert_int_equal(emp_policy_errno(EMP_DECISION_ALLOW, EMP_REQUEST_FILE), 0);
        assert_int_equal(emp_policy_errno(EMP_DECISION_ALLOW, EMP_REQUEST_CONNECT), 0);
        assert_int_equal(emp_policy_errno(EMP_DECISION_DENY, EMP_REQUEST_FILE), -EACCES);
        assert_int_equal(emp_policy_errno(EMP_DECISION_DENY, EMP_REQUEST_DEVICE), -EACCES);
        assert_int_equal(emp_policy_errno(EMP_DECISION_DENY, EMP_REQUEST_SOCKET), -EACCES);
        assert_int_equal(emp_policy_errno(EMP_DECISION_DENY, EMP_REQUEST_CONNECT), -EPERM);
        assert_int_equal(emp_policy_errno(EMP_DECISION_DENY, EMP_REQUEST_LISTEN), -EPERM);
        assert_int_equal(emp_policy_errno(EMP_DECISION_ASK, EMP_REQUEST_FILE), -EACCES);
        assert_int_equal(emp_policy_errno(EMP_DECISION_ASK, EMP_REQUEST_CONNECT), -EPERM);
}

/* --- editing rules -------------------------------------------------------------- */

static void test_set_replaces(void **state)
{
        struct emp_policy *p = *state;
        struct emp_error err = { 0 };
        set(p, "network:Example.com:443", ALLOW, USER);
        set(p, "network:example.com:443", DENY, MANIFEST);
        set(p, "network:example.com:00443", ASK, USER); /* same permission, other spelling */
        assert_int_equal(p->n_rules, 2);
        EXPECT(p, conn("example.com", NULL, 443), ASK, USER, "network:example.com:443");

        /* Refused: nothing changes. */
        assert_int_equal(emp_policy_set(p, "network:example.com:443", ALLOW, USER, EMP_SCOPE_HOUR, 0, &err),
                         -EINVAL);
        emp_error_clear(&err);
        assert_int_equal(emp_policy_set(p, "network:example.com:443", ALLOW, USER, EMP_SCOPE_ALWAYS, NOW, &err),
                         -EINVAL);
        emp_error_clear(&err);
        assert_int_equal(emp_policy_set(p, "network:example.com:443", ALLOW, EMP_SOURCE_DEFAULT,
                                        EMP_SCOPE_ALWAYS, 0, &err),
                         -EINVAL);
        emp_error_clear(&err);
        assert_int_equal(emp_policy_set(p, "network:example.com:443", 0, USER, EMP_SCOPE_ALWAYS, 0, &err),
                         -EINVAL);
        emp_error_clear(&err);
        assert_int_equal(emp_policy_set(p, "network:example.com", ALLOW, USER, EMP_SCOPE_ALWAYS, 0, &err),
                         -EINVAL);
        assert_non_null(strstr(err.msg, "network:example.com"));
        assert_int_equal(p->n_rules, 2);
        EXPECT(p, conn("example.com", NULL, 443), ASK, USER, "network:example.com:443");

        struct emp_rule bad = { .decision = ALLOW, .source = USER, .scope = 9 };
        assert_int_equal(emp_policy_append(p, &bad), -EINVAL);

        assert_int_equal(emp_policy_remove(p, NULL, USER), 1);
        assert_int_equal(p->n_rules, 1);
        emp_policy_remove_rule(p, 5); /* out of range: nothing */
        assert_int_equal(p->n_rules, 1);

        /* Many rules: the list grows. */
        for (int i = 1; i <= 300; i++) {
                char perm[64];
                snprintf(perm, sizeof(perm), "network:listen:%d", i);
                set(p, perm, i % 2 ? ALLOW : DENY, USER);
        }
        assert_int_equal(p->n_rules, 301);
        EXPECT(p, ((struct emp_request){ .kind = EMP_REQUEST_LISTEN, .port = 299 }), ALLOW, USER,
               "network:listen:299");
}

static void test_names(void **state)
{
        enum emp_decision d;
        enum emp_source s;
        enum emp_scope sc;
        assert_int_equal(emp_decision_from_str("ask", &d), 0);
        assert_int_equal(d, EMP_DECISION_ASK);
        assert_int_equal(emp_decision_from_str("Allow", &d), -EINVAL);
        assert_int_equal(emp_decision_from_str(NULL, &d), -EINVAL);
        assert_int_equal(emp_source_from_str("manifest", &s), 0);
        assert_int_equal(s, EMP_SOURCE_MANIFEST);
        assert_int_equal(emp_scope_from_str("1h", &sc), 0);
        assert_int_equal(sc, EMP_SCOPE_HOUR);
        assert_int_equal(emp_scope_from_str("until-exit", &sc), 0);
        assert_int_equal(sc, EMP_SCOPE_UNTIL_EXIT);
        assert_int_equal(emp_scope_from_str("forever", &sc), -EINVAL);
        assert_string_equal(emp_scope_str(EMP_SCOPE_ONCE), "once");
        assert_string_equal(emp_source_str(EMP_SOURCE_DEFAULT), "default");
        assert_null(emp_decision_str(0));
        assert_null(emp_scope_str(5));
}

/* --- manifests ------------------------------------------------------------------ */

static char **list(const char *first, ...)
{
        char **v = calloc(1, sizeof(char *));
        va_list ap;
        va_start(ap, first);
        for (const char *s = first; s; s = va_arg(ap, const char *))
                assert_int_equal(emp_strv_push(&v, s), 0);
        va_end(ap);
        return v;
}

static void expect_list(char **got, char **want)
{
        size_t n = emp_strv_len(want);
        if (emp_strv_len(got) != n)
                fail_msg("got %zu names, expected %zu (first: %s)", emp_strv_len(got), n, got[0] ? got[0] : "-");
        for (size_t i = 0; i < n; i++)
                assert_string_equal(got[i], want[i]);
        emp_strv_free(got);
        emp_strv_free(want);
}

static void test_manifest_changed(void **state)
{
        struct emp_error err = { 0 };
        char **out = NULL;
        char **old = list("socket:wayland", "network:*.example.com:*", "filesystem:/home/u/Games", "device:all",
                          "not a permission", NULL);
        char **new = list("socket:wayland", "socket:pulseaudio", "network:api.example.com:443",
                          "network:example.com:443", "filesystem:/home/u/Games/saves:ro", "device:kvm",
                          "network:lan", "socket:PULSEAUDIO", "network:lan", "filesystem:/home/u/Music",
                          NULL);
        /* "socket:PULSEAUDIO" is invalid: the whole call fails, naming it. */
        assert_int_equal(emp_policy_manifest_changed(old, new, &out, &err), -EINVAL);
        assert_null(out);
        assert_non_null(strstr(err.msg, "socket:PULSEAUDIO"));
        emp_strv_free(new);

        new = list("socket:wayland", "socket:pulseaudio", "network:api.example.com:443", "network:Example.com:443",
                   "filesystem:/home/u/Games/saves:ro", "device:kvm", "network:lan", "network:lan",
                   "filesystem:/home/u/Music", NULL);
        assert_int_equal(emp_policy_manifest_changed(old, new, &out, NULL), 0);
        /* wayland: same; api.example.com: under *.example.com; saves: under
         * Games; kvm: under all. example.com itself is not under the wildcard. */
        expect_list(out, list("socket:pulseaudio", "network:example.com:443", "network:lan",
                              "filesystem:/home/u/Music", NULL));

        /* Read-only before, read-write now: writing is new. */
        char **o2 = list("filesystem:/data:ro", NULL), **n2 = list("filesystem:/data", NULL);
        assert_int_equal(emp_policy_manifest_changed(o2, n2, &out, NULL), 0);
        expect_list(out, list("filesystem:/data", NULL));
        /* Nothing before (a first install is not a change, but works). */
        assert_int_equal(emp_policy_manifest_changed(NULL, n2, &out, NULL), 0);
        expect_list(out, list("filesystem:/data", NULL));
        /* Nothing new: an empty vector, not NULL. */
        assert_int_equal(emp_policy_manifest_changed(n2, o2, &out, NULL), 0);
        assert_non_null(out);
        assert_null(out[0]);
        emp_strv_free(out);
        emp_strv_free(o2);
        emp_strv_free(n2);
        emp_strv_free(old);
        emp_strv_free(new);
}

static const char game_ini[] = "[Application]\n"
                               "name=org.example.Game\n"
                               "[Context]\n"
                               "shared=network;\n"
                               "sockets=wayland;fallback-x11;pulseaudio;cups;\n"
                               "devices=dri;\n"
                               "[Empyra Network]\n"
                               "rules=allow *.example.com:443;deny lan;ask [fd00::/8]:*;allow 10.1.2.3/32:22;\n";

static void test_manifest_rules(void **state)
{
        struct emp_policy *p = *state;
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        assert_int_equal(emp_manifest_load_data(&m, "game.ini", game_ini, strlen(game_ini), &err), 0);

        p->shared_network = false;
        set(p, "socket:x11", ALLOW, MANIFEST); /* from an older manifest: replaced */
        set(p, "network:lan", ALLOW, USER);    /* the user's: kept */
        assert_int_equal(emp_policy_add_manifest(p, &m, &err), 0);
        assert_true(p->shared_network);
        assert_int_equal(p->n_rules, 1 + 2 + 1 + 4); /* user + wayland, pulseaudio + dri + network rules */

        struct emp_request x11 = { .kind = EMP_REQUEST_SOCKET, .socket = EMP_SOCKET_NAME_X11 };
        struct emp_request wl = { .kind = EMP_REQUEST_SOCKET, .socket = EMP_SOCKET_NAME_WAYLAND };
        struct emp_request dri = { .kind = EMP_REQUEST_DEVICE, .device = EMP_DEVICE_NAME_DRI };
        EXPECT(p, wl, ALLOW, MANIFEST, "socket:wayland");
        EXPECT(p, x11, DENY, DEFAULT, NULL); /* fallback-x11 with wayland: no X11 */
        EXPECT(p, dri, ALLOW, MANIFEST, "device:dri");
        EXPECT(p, conn("cdn.example.com", "93.184.216.34", 443), ALLOW, MANIFEST, "network:*.example.com:443");
        EXPECT(p, conn(NULL, "192.168.0.2", 22), ALLOW, USER, "network:lan");
        emp_policy_remove(p, NULL, USER);
        EXPECT(p, conn(NULL, "192.168.0.2", 22), DENY, MANIFEST, "network:lan");
        EXPECT(p, conn(NULL, "fd00::7", 80), ASK, MANIFEST, "network:[fd00::]/8:*");
        EXPECT(p, conn(NULL, "10.1.2.3", 22), ALLOW, MANIFEST, "network:10.1.2.3:22");

        char **names = NULL;
        assert_int_equal(emp_policy_manifest_requests(&m, &names, &err), 0);
        expect_list(names, list("socket:wayland", "socket:pulseaudio", "device:dri", "network:*.example.com:443",
                                "network:[fd00::]/8:*", "network:10.1.2.3:22", "network:internet", NULL));

        /* Without wayland, fallback-x11 means x11; a later manifest rule for
         * the same target replaces an earlier one. */
        static const char x11_ini[] = "[Application]\nname=org.example.Old\n[Context]\n"
                                      "sockets=fallback-x11;\n[Empyra Network]\n"
                                      "rules=allow lan;deny lan;\n";
        emp_manifest_free(&m);
        emp_manifest_init(&m);
        assert_int_equal(emp_manifest_load_data(&m, "old.ini", x11_ini, strlen(x11_ini), &err), 0);
        assert_int_equal(emp_policy_add_manifest(p, &m, &err), 0);
        assert_false(p->shared_network);
        assert_int_equal(p->n_rules, 2);
        EXPECT(p, x11, ALLOW, MANIFEST, "socket:x11");
        EXPECT(p, conn(NULL, "192.168.0.2", 22), DENY, MANIFEST, "network:lan");
        assert_int_equal(emp_policy_manifest_requests(&m, &names, &err), 0);
        expect_list(names, list("socket:x11", NULL));

        /* A rule the policy cannot read fails the whole call: p unchanged. */
        assert_int_equal(emp_strv_push(&m.net_rules, "allow lan:443"), 0);
        assert_int_equal(emp_policy_add_manifest(p, &m, &err), -EINVAL);
        assert_int_equal(p->n_rules, 2);
        emp_manifest_free(&m);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_user_beats_manifest_beats_default),
                T(test_exact_port_beats_host_star),
                T(test_host_star_beats_wildcard),
                T(test_wildcard_longer_suffix_and_port),
                T(test_wildcard_beats_cidr),
                T(test_longer_cidr_beats_shorter),
                T(test_cidr_beats_class),
                T(test_class_beats_any),
                T(test_mapped_request_address),
                T(test_tie_goes_to_deny),
                T(test_expired_rules_ignored),
                T(test_once_and_until_exit),
                T(test_files_longest_prefix),
                T(test_files_read_only),
                T(test_defaults_shared_network),
                T(test_defaults_without_network),
                T(test_devices_sockets_listen),
                T(test_bad_requests),
                T(test_errno),
                T(test_set_replaces),
                T(test_names),
                T(test_manifest_changed),
                T(test_manifest_rules),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
