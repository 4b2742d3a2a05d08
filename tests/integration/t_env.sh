#!/bin/bash
# t_env.sh — the environment the app gets (DESIGN.md §4): variables naming
# ungranted sockets or the host identity stay out, ordinary ones pass, the
# anonymous identity's HOME/USER are set, --env and [Environment] add theirs.
. "$TESTS/lib.sh"

APP=$(app_id Env)
D=$(mk_tmpdir)

LEAKY=(DBUS_SESSION_BUS_ADDRESS SSH_AUTH_SOCK DISPLAY XAUTHORITY WAYLAND_DISPLAY SUDO_USER XDG_SESSION_ID
        LD_PRELOAD XDG_CONFIG_HOME XDG_DATA_HOME)
SB_PREFIX=(env
        DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/4242/bus
        SSH_AUTH_SOCK=/tmp/ssh-empyra-it/agent.4242
        DISPLAY=:42
        XAUTHORITY="$HOST_HOME/.Xauthority-empyra-it"
        WAYLAND_DISPLAY=wayland-42
        SUDO_USER=empyra-it-sudoer
        XDG_SESSION_ID=4242
        LD_PRELOAD=/nonexistent/empyra-it-preload.so
        XDG_CONFIG_HOME="$HOST_HOME/.config"
        XDG_DATA_HOME="$DATA_HOME"
        LANG=C.UTF-8
        TERM=xterm-empyra-it)

M=$D/env.ini
printf '[Application]\nname=%s\n[Environment]\nBAZ=1\n' "$APP" >"$M"
run_sb --manifest="$M" --env=FOO=bar -- env
SB_PREFIX=()

val() {
        printf '%s\n' "$SB_OUT" | sed -n "s/^$1=//p"
}
has() {
        printf '%s\n' "$SB_OUT" | grep -q "^$1="
}

sb_is "$SB_RC" 0 "env runs"
for v in "${LEAKY[@]}"; do
        if has "$v"; then
                not_ok "$v does not reach the app"
                diag "$v=$(val "$v")"
        else
                ok "$v does not reach the app"
        fi
done
sb_is "$(val LANG)" C.UTF-8 "LANG reaches the app"
sb_is "$(val TERM)" xterm-empyra-it "TERM reaches the app"
sb_is "$(val HOME)" /home/user "HOME is /home/user"
sb_is "$(val USER)" user "USER is user"
sb_is "$(val FOO)" bar "--env=FOO=bar reaches the app"
sb_is "$(val BAZ)" 1 "the manifest's [Environment] BAZ=1 reaches the app"
path=$(val PATH)
sb_ok "PATH is set ($path)" [ -n "$path" ]
sb_ok "PATH finds sh inside" grep -q /usr/bin <<<"$path"
like "$(val XDG_RUNTIME_DIR)" '^/run/user/[0-9]+$' "XDG_RUNTIME_DIR points into the sandbox's /run/user"
pwd_in=$(val PWD)
case "$pwd_in" in
"$HOST_HOME" | "$HOST_HOME"/*) not_ok "PWD does not name the host home ($pwd_in)" ;;
*) ok "PWD does not name the host home" ;;
esac

# An invoking environment without PATH still gives the app one.
out=$(cd / && env -i HOME="$HOST_HOME" timeout -k 5 "$SB_TIMEOUT" "$EMPYRA" run --app="$APP" -- /bin/sh -c 'echo "PATH=$PATH"' </dev/null 2>&1)
like "$out" '^PATH=.*/usr/bin' "an invoking environment without PATH still gives the app a PATH"

done_testing
