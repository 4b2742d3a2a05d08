/* policy.h — one app's rules and the pure decision on a concrete access
 * (DESIGN.md §6): user rules over manifest rules over defaults. No I/O. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/error.h"
#include "permission.h"

struct emp_manifest;

enum emp_decision { EMP_DECISION_ALLOW = 1, EMP_DECISION_DENY, EMP_DECISION_ASK };
/* Ordered by precedence: a higher source is consulted first. */
enum emp_source { EMP_SOURCE_DEFAULT = 1, EMP_SOURCE_MANIFEST, EMP_SOURCE_USER };

/* How long an answer holds. decide() treats every live rule alike; the
 * lifetimes are kept by the daemon:
 * - ONCE: an answer for the pending request(s) it was asked for. The daemon
 *   should not turn it into a rule at all: it answers the trapped call (and
 *   the identical pending requests merged with it) and forgets it. If it does
 *   add one for a moment, it removes it (emp_policy_remove_rule with the
 *   index from the verdict) right after the decision that used it.
 * - UNTIL_EXIT: kept while the app instance runs; the daemon calls
 *   emp_policy_drop_scope(p, EMP_SCOPE_UNTIL_EXIT) when it exits, and at its
 *   own start for apps with no running instance.
 * - HOUR: expires = the answer's time + 3600; ignored from then on
 *   (emp_policy_expire prunes them before a save).
 * - ALWAYS: until the user changes it. */
enum emp_scope { EMP_SCOPE_ONCE = 1, EMP_SCOPE_UNTIL_EXIT, EMP_SCOPE_HOUR, EMP_SCOPE_ALWAYS };

#define EMP_SCOPE_HOUR_SECONDS 3600

struct emp_rule {
        struct emp_permission perm;
        enum emp_decision decision;
        enum emp_source source; /* USER or MANIFEST: defaults are not rules */
        enum emp_scope scope;
        time_t expires; /* EMP_SCOPE_HOUR only: ignored from this time on; else 0 */
};

/* One app's policy. Decisions are per app, never global. */
struct emp_policy {
        char *app_id;
        struct emp_rule *rules;
        size_t n_rules;
        size_t n_alloc; /* capacity of rules; managed by the functions below */
        /* From the app's manifest at launch, not from the store: with
         * shared=network the network defaults are internet allow, lan and
         * loopback ask; without it every connection is denied. */
        bool shared_network;
};

enum emp_request_kind {
        EMP_REQUEST_FILE = 1, /* a host file (brokered mode) */
        EMP_REQUEST_CONNECT,  /* connect / send to an address */
        EMP_REQUEST_LISTEN,   /* bind + listen on a port */
        EMP_REQUEST_DEVICE,
        EMP_REQUEST_SOCKET, /* a host service's Unix socket */
};

/* WRITE means "may write", with or without reading (O_WRONLY, O_RDWR,
 * O_TRUNC, creating beneath a host directory). */
enum emp_file_access { EMP_ACCESS_READ = 1, EMP_ACCESS_WRITE };
/* Rules name no protocol: a network rule holds for TCP and UDP alike. The
 * protocol is carried for the audit log. */
enum emp_protocol { EMP_PROTOCOL_TCP = 1, EMP_PROTOCOL_UDP };

/* A concrete access, as the broker or gateway saw it. Only the fields of
 * its kind are read. */
struct emp_request {
        enum emp_request_kind kind;

        const char *path; /* FILE: absolute host path ("." and "//" allowed, not "..") */
        enum emp_file_access access;

        const char *name;     /* CONNECT: the name the app asked for, or NULL */
        struct emp_addr addr; /* CONNECT: family AF_UNSPEC when only the name is known */
        uint16_t port;        /* CONNECT, LISTEN: host order; LISTEN 0 = any free port */
        enum emp_protocol protocol;

        enum emp_device_name device;  /* DEVICE: ALL for any other device node */
        enum emp_socket_name socket;  /* SOCKET */
};

struct emp_verdict {
        enum emp_decision decision;
        enum emp_source source;
        /* The rule that decided (NULL for a default), and its index in
         * p->rules; both are valid until the policy is next changed. */
        const struct emp_rule *rule;
        size_t rule_index;
        /* For the audit log when a default decided: which one
         * ("network:internet", "network:lan", "network:loopback", "network"
         * for an unclassified address, "network:listen", "filesystem",
         * "device", "socket"); static. NULL when a rule decided:
         * emp_permission_format(&rule->perm) names it. */
        const char *what;
};

void emp_policy_init(struct emp_policy *p);
void emp_policy_free(struct emp_policy *p);

/* Add a rule for permission (parsed here), replacing every rule of the same
 * source for the same permission: one answer per permission and source.
 * expires must be set for EMP_SCOPE_HOUR and 0 otherwise. 0, -EINVAL (err
 * says why) or -ENOMEM; p unchanged on failure. */
int emp_policy_set(struct emp_policy *p, const char *permission, enum emp_decision decision,
                   enum emp_source source, enum emp_scope scope, time_t expires, struct emp_error *err);
/* Append a copy of r as is (the store's loader: duplicates are kept, and a
 * tie between them goes to deny like any other). */
int emp_policy_append(struct emp_policy *p, const struct emp_rule *r);
/* Remove the rule at index i. */
void emp_policy_remove_rule(struct emp_policy *p, size_t i);
/* Remove the rules of source for permission (NULL: all of that source's
 * rules, `empyra reset ID`). Returns how many were removed. */
size_t emp_policy_remove(struct emp_policy *p, const struct emp_permission *perm, enum emp_source source);
/* Drop HOUR rules expired at now; returns how many. */
size_t emp_policy_expire(struct emp_policy *p, time_t now);
/* Drop every rule of that scope; returns how many. */
size_t emp_policy_drop_scope(struct emp_policy *p, enum emp_scope scope);
/* Whether a rule is well-formed (enums in range, expiry matches scope). */
bool emp_rule_valid(const struct emp_rule *r);

/* The decision for req at time now. Precedence: the user's rules, then the
 * manifest's, then the defaults. Within one source the most specific
 * matching rule wins:
 *   network: exact host:port > host:* > *.wildcard (longer suffix first) >
 *            CIDR (longer prefix first) > class > *:PORT > *:*
 *            (at each host level a given port beats "*");
 *   files:   the longest matching path; a ":ro" rule speaks about reads
 *            only, so writes beneath it fall through to shorter rules and
 *            the defaults, and for a read it beats a plain rule of the same
 *            path;
 *   devices: device:NAME > device:all;  listen: port > "*".
 * Equally specific rules of one source: deny beats ask beats allow.
 * Expired rules are ignored. Defaults: files ask; network per
 * p->shared_network (an address whose class is unknown counts as lan);
 * listening ask with shared=network, else deny; devices and sockets deny.
 * Returns 0 and fills *out, or -EINVAL for a malformed request (*out
 * untouched; the daemon denies). */
int emp_policy_decide(const struct emp_policy *p, const struct emp_request *req, time_t now,
                      struct emp_verdict *out);

/* What the app sees when denied: 0 for allow, -EACCES for files, devices
 * and host sockets (opened by path, as the kernel says for a path it
 * refuses), -EPERM for connect and listen. An unanswered ask ends as deny,
 * so ASK maps like DENY. */
int emp_policy_errno(enum emp_decision decision, enum emp_request_kind kind);

/* A changed manifest: the permissions new_list requests that old_list did
 * not (not even through a broader one), canonical and without duplicates.
 * They start as "ask" instead of being taken as granted: the daemon stores
 * each as a MANIFEST-source "ask" rule (scope always). It then ties with the
 * manifest's own "allow" for the same permission, and a tie never allows,
 * while the manifest's more specific rules keep working; the user's answer
 * becomes a user rule, after which the daemon may drop the "ask" one.
 * Invalid names in
 * new_list are an error (-EINVAL, err names it); invalid ones in old_list
 * are ignored, which can only mean asking more. *ret is a NULL-terminated
 * vector (possibly empty), untouched on failure. */
int emp_policy_manifest_changed(char *const *old_list, char *const *new_list, char ***ret,
                                struct emp_error *err);

/* Replace p's MANIFEST rules with the manifest's own, scope ALWAYS: granted
 * sockets and devices (allow), [Empyra Network] rules (their decision), and
 * set p->shared_network from shared=network. All or nothing: p is
 * unchanged on failure. Filesystem grants are the mount
 * view's business (in brokered mode only paths outside it trap) and need
 * $HOME and XDG dirs resolved: the daemon adds those. */
int emp_policy_add_manifest(struct emp_policy *p, const struct emp_manifest *m, struct emp_error *err);
/* The permission names a manifest requests, for emp_policy_manifest_changed:
 * what add_manifest would allow or ask about, plus "network:internet" for
 * shared=network (which the defaults then allow). */
int emp_policy_manifest_requests(const struct emp_manifest *m, char ***ret, struct emp_error *err);

/* Names as in the store and the CLI. from_name: 0 or -EINVAL. */
const char *emp_decision_str(enum emp_decision d);
const char *emp_source_str(enum emp_source s);
const char *emp_scope_str(enum emp_scope s); /* once, until-exit, 1h, always */
int emp_decision_from_str(const char *s, enum emp_decision *ret);
int emp_source_from_str(const char *s, enum emp_source *ret);
int emp_scope_from_str(const char *s, enum emp_scope *ret);
