/* identity.h — the anonymous identity an app sees (DESIGN.md §4):
 * per-app pseudonymous machine-id and boot_id, synthetic passwd/group. */
#pragma once
#include <stdint.h>
#include <sys/types.h>

#define EMP_IDENTITY_KEY_LEN 32

/* Load the per-user identity key from DIR/identity.key, creating it (random,
 * 0600, written atomically) on first use. 0 or -errno. */
int emp_identity_key_load(const char *dir, uint8_t key[EMP_IDENTITY_KEY_LEN]);
/* 32 lowercase hex chars + NUL: keyed BLAKE2b of the app id. Stable per app
 * and key, unlinkable between apps and to the host's machine-id. */
void emp_identity_machine_id(const uint8_t key[EMP_IDENTITY_KEY_LEN], const char *app_id, char out[33]);
/* UUID text (36 chars + NUL), per app and per host boot. */
void emp_identity_boot_id(const uint8_t key[EMP_IDENTITY_KEY_LEN], const char *app_id,
                          const char *host_boot_id, char out[37]);
/* Synthetic /etc/passwd and /etc/group for the sandbox (malloc'd). */
char *emp_identity_passwd(const char *user, uid_t uid, gid_t gid, const char *home, const char *shell);
char *emp_identity_group(const char *group, gid_t gid);
