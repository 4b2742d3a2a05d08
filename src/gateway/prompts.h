/* prompts.h — the queue of "ask" decisions waiting for the user
 * (DESIGN.md §6): shown to every connected UI, merged when identical, denied
 * at once with no UI and after 30 s without an answer. Every function is
 * called with d->lock held. */
#pragma once
#include <jansson.h>
#include <stdint.h>

#include "broker.h"
#include "policy/policy.h"

#define EMP_PROMPT_TIMEOUT_MS 30000

struct emp_daemon;

/* Queue call for an answer about permission, merged into an identical
 * pending prompt (same app and permission). 0 or -ENOMEM (call untouched). */
int emp_prompts_add(struct emp_daemon *d, struct emp_broker_call *call, const char *permission);
/* Loop side: announce new prompts to the UIs (or deny them when none
 * watches) and deny expired ones. Returns the ms until the next deadline,
 * or -1 when none is pending. */
int emp_prompts_tick(struct emp_daemon *d);
/* The user's answer. once answers the waiting calls only; until-exit, 1h
 * and always also become a user rule. 0, -ENOENT (no such pending prompt)
 * or -EINVAL (err says why). */
int emp_prompts_answer(struct emp_daemon *d, uint64_t id, enum emp_decision decision, enum emp_scope scope,
                       struct emp_error *err);
/* Every pending prompt, as the UIs see them. */
json_t *emp_prompts_list(struct emp_daemon *d);
/* Deny everything pending (shutdown). */
void emp_prompts_deny_all(struct emp_daemon *d);
