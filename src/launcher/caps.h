/* caps.h — leave the app with no capabilities at all: bounding, inheritable,
 * ambient, permitted and effective sets emptied; no_new_privs set. */
#pragma once
#include <sys/types.h>

#include "common/error.h"

/* Drop the bounding set (needs CAP_SETPCAP, so before switching ids), switch
 * to uid/gid, then empty every remaining set and set no_new_privs. */
int emp_caps_drop_and_switch(uid_t uid, gid_t gid, int set_groups, struct emp_error *err);
