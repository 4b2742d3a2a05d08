/* env.h — the app's environment: the user's, minus what points at resources
 * it was not granted and minus identity leaks, plus what the grants set. */
#pragma once
#include "manifest/manifest.h"

struct emp_env_input {
        char *const *host;        /* the invoking environment */
        unsigned sockets;         /* effective EMP_SOCKET_* grants */
        enum emp_identity identity;
        const char *home;         /* $HOME inside */
        const char *user;         /* user name inside */
        const char *runtime_dir;  /* $XDG_RUNTIME_DIR inside */
        char *const *grant_env;   /* set by granted sockets, e.g. WAYLAND_DISPLAY=wayland-0 */
        char *const *user_env;    /* [Environment] and --env, applied last */
};

/* Build the NULL-terminated envp into *ret. 0 or -ENOMEM. */
int emp_env_build(const struct emp_env_input *in, char ***ret);
/* True when the variable is dropped whatever is granted (identity/host paths). */
bool emp_env_is_identity_leak(const char *key);
