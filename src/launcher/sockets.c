/* sockets.c — granted sockets ([Context] sockets=): bind the host socket at
 * a fixed place in the sandbox's runtime dir and point the app's variable
 * at it. A socket the host does not have is noted, not an error. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "sandbox.h"

int emp_sockets_plan(struct emp_sandbox *sb, char ***grant_env, struct emp_error *err);

static bool is_socket(const char *path)
{
        struct stat st;
        return path && stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* Bind host socket `host` at `dest` and set VAR=value; note when missing. */
static int grant_socket(struct emp_sandbox *sb, char ***env, const char *what, const char *host,
                        const char *dest, const char *var, const char *value)
{
        if (!is_socket(host)) {
                emp_sandbox_note(sb, "socket %s: %s is not available on the host, not granted", what,
                                 host ? host : "(unset)");
                return 0;
        }
        if (!emp_sandbox_add_mount(sb, EMP_MNT_BIND, host, dest, EMP_MNT_F_OPTIONAL, 0))
                return -ENOMEM;
        return var ? emp_env_set(env, var, value) : 0;
}

static char *runtime_path(const struct emp_sandbox *sb, const char *name)
{
        char *r = NULL;
        if (name[0] == '/')
                return strdup(name);
        if (!sb->dirs.host_runtime)
                return NULL;
        return asprintf(&r, "%s/%s", sb->dirs.host_runtime, name) < 0 ? NULL : r;
}

/* "unix:path=/run/user/1000/bus,guid=..." -> "/run/user/1000/bus". */
static char *dbus_path(const char *addr)
{
        if (!addr || strncmp(addr, "unix:", 5) != 0)
                return NULL;
        const char *p = strstr(addr, "path=");
        if (!p)
                return NULL;
        p += 5;
        return strndup(p, strcspn(p, ",;"));
}

int emp_sockets_plan(struct emp_sandbox *sb, char ***grant_env, struct emp_error *err)
{
        const struct emp_manifest *m = sb->manifest;
        unsigned s = emp_bits(m->sockets, m->nosockets);
        char rt[64];
        snprintf(rt, sizeof(rt), "/run/user/%u", (unsigned)sb->ids.app_uid);
        char dest[PATH_MAX], val[PATH_MAX + 32];
        int r = 0;
        if (s & EMP_SOCKET_WAYLAND) {
                const char *wd = getenv("WAYLAND_DISPLAY");
                _cleanup_free_ char *host = runtime_path(sb, wd && wd[0] ? wd : "wayland-0");
                snprintf(dest, sizeof(dest), "%s/wayland-0", rt);
                if ((r = grant_socket(sb, grant_env, "wayland", host, dest, "WAYLAND_DISPLAY", "wayland-0")) < 0)
                        return r;
        }
        bool x11 = (s & EMP_SOCKET_X11) ||
                   ((s & EMP_SOCKET_FALLBACK_X11) && !((s & EMP_SOCKET_WAYLAND) && getenv("WAYLAND_DISPLAY")));
        const char *display = getenv("DISPLAY");
        if (x11 && display && display[0] == ':') {
                unsigned n = (unsigned)strtoul(display + 1, NULL, 10);
                char host[64];
                snprintf(host, sizeof(host), "/tmp/.X11-unix/X%u", n);
                snprintf(val, sizeof(val), ":%u", n);
                if ((r = grant_socket(sb, grant_env, "x11", host, host, "DISPLAY", val)) < 0)
                        return r;
                const char *xa = getenv("XAUTHORITY");
                if (xa && xa[0] == '/') {
                        snprintf(dest, sizeof(dest), "%s/Xauthority", rt);
                        if (!emp_sandbox_add_mount(sb, EMP_MNT_BIND, xa, dest, EMP_MNT_F_RO | EMP_MNT_F_OPTIONAL, 0) ||
                            emp_env_set(grant_env, "XAUTHORITY", dest) < 0)
                                return -ENOMEM;
                }
        } else if (x11) {
                emp_sandbox_note(sb, "socket x11: DISPLAY is not a local display, not granted");
        }
        if (s & EMP_SOCKET_PULSEAUDIO) {
                _cleanup_free_ char *host = runtime_path(sb, "pulse/native");
                snprintf(dest, sizeof(dest), "%s/pulse/native", rt);
                snprintf(val, sizeof(val), "unix:%s", dest);
                if ((r = grant_socket(sb, grant_env, "pulseaudio", host, dest, "PULSE_SERVER", val)) < 0)
                        return r;
        }
        if (s & EMP_SOCKET_SESSION_BUS) {
                _cleanup_free_ char *host = dbus_path(getenv("DBUS_SESSION_BUS_ADDRESS"));
                if (!host)
                        host = runtime_path(sb, "bus");
                snprintf(dest, sizeof(dest), "%s/bus", rt);
                snprintf(val, sizeof(val), "unix:path=%s", dest);
                if ((r = grant_socket(sb, grant_env, "session-bus", host, dest, "DBUS_SESSION_BUS_ADDRESS", val)) < 0)
                        return r;
        }
        if (s & EMP_SOCKET_SYSTEM_BUS) {
                const char *host = "/run/dbus/system_bus_socket";
                if ((r = grant_socket(sb, grant_env, "system-bus", host, host, NULL, NULL)) < 0)
                        return r;
        }
        if (s & EMP_SOCKET_SSH_AUTH) {
                const char *host = getenv("SSH_AUTH_SOCK");
                snprintf(dest, sizeof(dest), "%s/ssh-auth", rt);
                if ((r = grant_socket(sb, grant_env, "ssh-auth", host && host[0] == '/' ? host : NULL, dest,
                                      "SSH_AUTH_SOCK", dest)) < 0)
                        return r;
        }
        unsigned later = s & (EMP_SOCKET_CUPS | EMP_SOCKET_GPG_AGENT | EMP_SOCKET_PCSC);
        if (later)
                emp_sandbox_note(sb, "sockets cups/gpg-agent/pcsc are accepted but not granted by this version");
        (void)err;
        return 0;
}
