/* store.h — the policy store, $XDG_CONFIG_HOME/empyra/policy.json (DESIGN.md
 * §6, §10): every app's rules, parsed strictly and replaced atomically. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "policy.h"

#define EMP_POLICY_STORE_FILE "policy.json"
#define EMP_POLICY_STORE_GOOD "policy.json.good"       /* the last good copy */
#define EMP_POLICY_STORE_CORRUPT "policy.json.corrupt" /* a bad file we replaced, kept for the user */
#define EMP_POLICY_STORE_MAX (4u << 20)                /* bytes; larger files are refused */
#define EMP_POLICY_STORE_VERSION 1

/* All apps' policies. Each policy is allocated on its own, so a pointer
 * from find/get stays valid while other apps are added. shared_network is
 * not stored (it comes from the manifest at launch). */
struct emp_policy_store {
        struct emp_policy **apps;
        size_t n_apps;
        size_t n_alloc; /* capacity of apps */
};

void emp_policy_store_init(struct emp_policy_store *s);
void emp_policy_store_free(struct emp_policy_store *s);
/* The app's policy, or NULL. */
struct emp_policy *emp_policy_store_find(const struct emp_policy_store *s, const char *app_id);
/* The app's policy, created empty if missing. 0, -EINVAL (bad id), -ENOMEM. */
int emp_policy_store_get(struct emp_policy_store *s, const char *app_id, struct emp_policy **ret);
/* Reverse-DNS app id, the manifest's rules (two or more elements of
 * [A-Za-z0-9_-], none starting with a digit, 255 bytes at most). */
bool emp_policy_app_id_valid(const char *id);

/* Parse a store from memory (any bytes: this is the fuzzed entry point).
 * 0 and *ret filled, or -EINVAL / -EFBIG / -ENOMEM with err saying where
 * and why (no file name; the loader adds it); *ret untouched on failure. */
int emp_policy_store_parse(const char *data, size_t len, struct emp_policy_store *ret, struct emp_error *err);
/* The file's text (NUL-terminated, *ret_len without the NUL). Refuses
 * (-EINVAL) what the parser would refuse, "once" rules included: an answer
 * for one request is never stored. Apps without rules are left out. */
int emp_policy_store_format(const struct emp_policy_store *s, char **ret, size_t *ret_len, struct emp_error *err);

/* Load DIR/policy.json:
 *  0  loaded; also when there is no policy.json (a first run, or the user
 *     deleting it to start over: .good is not resurrected then);
 *  EMP_POLICY_STORE_RECOVERED  policy.json is unreadable, oversize or
 *     invalid: *ret holds policy.json.good and err says what was wrong —
 *     the caller reports it;
 *  <0 both unusable: err says why for each, and — unlike elsewhere — *ret
 *     is an empty store, so the daemon runs on the defaults. */
#define EMP_POLICY_STORE_RECOVERED 1
int emp_policy_store_load(const char *dir, struct emp_policy_store *ret, struct emp_error *err);
/* Save s as DIR/policy.json (DIR created 0700 if missing): the current
 * file, if it parses, first becomes policy.json.good (if it does not, it is
 * kept as policy.json.corrupt and .good is left alone); then the new text
 * is written to a temporary file in DIR, fsynced and renamed over
 * policy.json, and DIR is fsynced. Every replacement is atomic, so a crash
 * at any point leaves a complete policy.json (and stray ".policy.json.*"
 * temporaries, which load ignores). 0 or -errno with err filled. */
int emp_policy_store_save(const char *dir, const struct emp_policy_store *s, struct emp_error *err);
