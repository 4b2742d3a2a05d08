/* providers.h — per-app network provider chosen by the user. */
#pragma once
#include <jansson.h>

#include "common/error.h"

/* The user's provider for app_id (malloc'd), or NULL for "the manifest's". */
char *emp_provider_get(const char *config_dir, const char *app_id);
/* Set (provider NULL: forget) the user's provider for app_id. 0 or -errno. */
int emp_provider_set(const char *config_dir, const char *app_id, const char *provider, struct emp_error *err);
