/* env.c — filter the user's environment for the sandbox. Variables naming
 * ungranted sockets or host identity are removed; grants re-add their own. */
#include "env.h"

#include <stdlib.h>
#include <string.h>

#include "common/strv.h"

/* Point at sockets or credentials; kept only with the matching grant (the
 * grant then re-sets them to the path inside the sandbox). */
static const struct {
        const char *key;
        unsigned socket;
} socket_vars[] = {
        {"WAYLAND_DISPLAY", EMP_SOCKET_WAYLAND},
        {"WAYLAND_SOCKET", 0},
        {"DISPLAY", EMP_SOCKET_X11},
        {"XAUTHORITY", EMP_SOCKET_X11},
        {"PULSE_SERVER", EMP_SOCKET_PULSEAUDIO},
        {"PULSE_COOKIE", 0},
        {"DBUS_SESSION_BUS_ADDRESS", EMP_SOCKET_SESSION_BUS},
        {"DBUS_SYSTEM_BUS_ADDRESS", EMP_SOCKET_SYSTEM_BUS},
        {"SSH_AUTH_SOCK", EMP_SOCKET_SSH_AUTH},
        {"SSH_AGENT_PID", 0},
        {"GPG_AGENT_INFO", 0},
        {"GNOME_KEYRING_CONTROL", 0},
        {"KRB5CCNAME", 0},
        {"SESSION_MANAGER", 0},
        {"AT_SPI_BUS_ADDRESS", 0},
};

/* Reveal who or where the user is, or name host paths the app cannot see. */
static const char *const leak_vars[] = {
        "USER", "LOGNAME", "USERNAME", "HOME", "HOSTNAME", "MAIL", "PWD", "OLDPWD",
        "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
        "XDG_CACHE_HOME", "XDG_SESSION_ID", "XDG_SESSION_COOKIE", "XDG_SEAT", "XDG_VTNR",
        "XDG_SESSION_PATH", "XDG_SEAT_PATH", "SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY",
        "SUDO_USER", "SUDO_UID", "SUDO_GID", "SUDO_COMMAND", "INVOCATION_ID",
        "JOURNAL_STREAM", "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
        "MANAGERPID", "SYSTEMD_EXEC_PID", "DESKTOP_STARTUP_ID", "XDG_ACTIVATION_TOKEN",
        "TMPDIR", "LD_PRELOAD", "LD_AUDIT", "LD_LIBRARY_PATH", "MACHINE_ID", "container",
};

/* With --identity=host the user's names and paths are kept on purpose. */
static const char *const host_identity_ok[] = {"USER", "LOGNAME", "USERNAME", "HOSTNAME", "MAIL"};

bool emp_env_is_identity_leak(const char *key)
{
        for (size_t i = 0; i < sizeof(leak_vars) / sizeof(leak_vars[0]); i++)
                if (strcmp(key, leak_vars[i]) == 0)
                        return true;
        return false;
}

static bool keep_var(const char *key, size_t kl, const struct emp_env_input *in)
{
        char name[256];
        if (kl == 0 || kl >= sizeof(name))
                return false;
        memcpy(name, key, kl);
        name[kl] = '\0';
        for (size_t i = 0; i < sizeof(socket_vars) / sizeof(socket_vars[0]); i++)
                if (strcmp(name, socket_vars[i].key) == 0)
                        return false; /* re-set from grant_env when granted */
        if (in->identity == EMP_IDENTITY_HOST)
                for (size_t i = 0; i < sizeof(host_identity_ok) / sizeof(host_identity_ok[0]); i++)
                        if (strcmp(name, host_identity_ok[i]) == 0)
                                return true;
        return !emp_env_is_identity_leak(name);
}

int emp_env_build(const struct emp_env_input *in, char ***ret)
{
        char **env = NULL;
        int r = 0;
        for (size_t i = 0; in->host && in->host[i]; i++) {
                const char *eq = strchr(in->host[i], '=');
                if (!eq || !keep_var(in->host[i], (size_t)(eq - in->host[i]), in))
                        continue;
                if ((r = emp_strv_push(&env, in->host[i])) < 0)
                        goto fail;
        }
        if ((r = emp_env_set(&env, "HOME", in->home)) < 0 ||
            (r = emp_env_set(&env, "XDG_RUNTIME_DIR", in->runtime_dir)) < 0 ||
            (r = emp_env_set(&env, "container", "empyra")) < 0)
                goto fail;
        if (in->identity == EMP_IDENTITY_ANONYMOUS &&
            ((r = emp_env_set(&env, "USER", in->user)) < 0 || (r = emp_env_set(&env, "LOGNAME", in->user)) < 0))
                goto fail;
        if (emp_env_find(env, "PATH") < 0 &&
            (r = emp_env_set(&env, "PATH", "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin")) < 0)
                goto fail;
        char *const *lists[] = {in->grant_env, in->user_env};
        for (size_t l = 0; l < 2; l++)
                for (size_t i = 0; lists[l] && lists[l][i]; i++) {
                        const char *eq = strchr(lists[l][i], '=');
                        if (!eq)
                                continue;
                        char key[256];
                        size_t kl = (size_t)(eq - lists[l][i]);
                        if (kl == 0 || kl >= sizeof(key))
                                continue;
                        memcpy(key, lists[l][i], kl);
                        key[kl] = '\0';
                        if ((r = emp_env_set(&env, key, eq + 1)) < 0)
                                goto fail;
                }
        if (!env && (r = emp_strv_push(&env, "container=empyra")) < 0)
                goto fail;
        *ret = env;
        return 0;
fail:
        emp_strv_free(env);
        return r;
}
