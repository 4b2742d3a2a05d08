#!/bin/bash
# t_grants.sh — granted sockets and devices appear where the app expects them
# and nothing else does; --verbose shows the sandbox; a missing security
# mechanism fails the launch unless --allow-weaker names it, and then says so.
. "$TESTS/lib.sh"

APP=$(app_id Grants)
RT=$(mk_tmpdir)
chmod 700 "$RT"

# A real listening Unix socket at PATH (python3), stopped at exit.
listen_unix() {
        python3 -c '
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(8)
# As root the app runs as its own unprivileged uid: let it connect, as a
# real compositor or bus socket owned by that user would.
os.chmod(sys.argv[1], 0o777)
while True:
    c, _ = s.accept(); c.sendall(b"hello from the host\n"); c.close()
' "$1" >/dev/null &
        local pid=$!
        at_exit "kill $pid"
        for i in $(seq 1 50); do [ -S "$1" ] && return 0; sleep 0.1; done
        return 1
}
# Connect to a Unix socket inside the sandbox and print what it says.
CONNECT='import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print(s.recv(100).decode().strip())'

# --- sockets ---------------------------------------------------------------------

listen_unix "$RT/bus" || not_ok "starting a fake session bus"
SB_PREFIX=(env XDG_RUNTIME_DIR="$RT" DBUS_SESSION_BUS_ADDRESS="unix:path=$RT/bus")
run_sb --app="$APP" --socket=session-bus -- sh -c 'echo "$DBUS_SESSION_BUS_ADDRESS"; python3 -c "$1" "${DBUS_SESSION_BUS_ADDRESS#unix:path=}"' sh "$CONNECT"
like "$SB_OUT" '^unix:path=/run/user/[0-9]+/bus' "--socket=session-bus: DBUS_SESSION_BUS_ADDRESS points into the sandbox's runtime dir"
like "$SB_OUT" 'hello from the host' "--socket=session-bus: the host's bus answers through it"
run_sb --app="$APP" -- sh -c 'echo "bus=${DBUS_SESSION_BUS_ADDRESS:-unset}"; ls /run/user/*/'
like "$SB_OUT" 'bus=unset' "without the grant the variable is gone"
unlike "$SB_OUT" '^bus$' "... and no socket is there"

listen_unix "$RT/wayland-7" || not_ok "starting a fake wayland socket"
SB_PREFIX=(env XDG_RUNTIME_DIR="$RT" WAYLAND_DISPLAY=wayland-7)
run_sb --app="$APP" --socket=wayland -- sh -c 'echo "$WAYLAND_DISPLAY"; python3 -c "$1" "$XDG_RUNTIME_DIR/$WAYLAND_DISPLAY"' sh "$CONNECT"
like "$SB_OUT" '^wayland-0$' "--socket=wayland: WAYLAND_DISPLAY names the socket inside"
like "$SB_OUT" 'hello from the host' "--socket=wayland: the compositor socket answers"

listen_unix "$RT/agent" || not_ok "starting a fake ssh agent"
SB_PREFIX=(env XDG_RUNTIME_DIR="$RT" SSH_AUTH_SOCK="$RT/agent")
run_sb --app="$APP" --socket=ssh-auth -- sh -c 'python3 -c "$1" "$SSH_AUTH_SOCK"' sh "$CONNECT"
like "$SB_OUT" 'hello from the host' "--socket=ssh-auth: the agent answers at \$SSH_AUTH_SOCK"

SB_PREFIX=(env XDG_RUNTIME_DIR="$RT" WAYLAND_DISPLAY=wayland-missing)
run_sb --app="$APP" --socket=wayland --verbose -- sh -c 'echo "wd=${WAYLAND_DISPLAY:-unset}"'
sb_is "$SB_RC" 0 "a granted socket the host lacks is skipped, not an error"
like "$SB_ERR" "note: socket wayland: .* not granted" "... and --verbose says it was not granted"
like "$SB_OUT" 'wd=unset' "... and the app gets no variable for it"
SB_PREFIX=()

# --- devices -----------------------------------------------------------------------

run_sb --app="$APP" --device=all -- sh -c 'ls /dev | wc -l; ls /dev/pts | head -3'
host_n=$(ls /dev | wc -l)
got_n=$(printf '%s\n' "$SB_OUT" | head -1)
sb_ok "--device=all shows the host's /dev ($got_n of $host_n entries)" '[ "$got_n" -ge $((host_n - 2)) ]'
if [ -e /dev/kvm ]; then
        run_sb --app="$APP" --device=kvm -- sh -c 'ls /dev/kvm && echo have-kvm'
        like "$SB_OUT" have-kvm "--device=kvm binds /dev/kvm"
else
        skip "--device=kvm binds /dev/kvm: this host has no /dev/kvm"
fi
run_sb --app="$APP" -- sh -c 'ls /dev/kvm 2>&1; ls /dev/input 2>&1; ls /dev/dri 2>&1; echo done'
unlike "$SB_OUT" '^/dev/kvm$' "without a grant there is no /dev/kvm"
like "$SB_OUT" "/dev/input.*No such file" "without a grant there is no /dev/input"

# --- --verbose and weakened mechanisms ----------------------------------------------

run_sb --app="$APP" --verbose -- true
for want in "namespaces: user mount pid uts cgroup ipc net" "seccomp: default-deny" "landlock: ABI" \
        "capabilities: none" "ro-bind  /usr <- /usr" "bind     /home/user" "cover   "; do
        like "$SB_ERR" "$want" "--verbose shows: $want"
done

SB_PREFIX=(env EMPYRA_TEST_PRETEND_NO_LANDLOCK=1)
run_sb --app="$APP" -- true
sb_is "$SB_RC" 125 "without Landlock the launch fails (exit 125)"
like "$SB_ERR" "landlock: not available.*--allow-weaker=landlock" "... naming the mechanism and the way out"
run_sb --app="$APP" --allow-weaker=landlock -- sh -c 'touch /run/weaker && echo wrote'
sb_is "$SB_RC" 0 "with --allow-weaker=landlock it runs"
like "$SB_ERR" "WITHOUT Landlock" "... and says it runs without Landlock"
like "$SB_OUT" wrote "... and Landlock really is off (a write Landlock refuses now works)"
SB_PREFIX=()

run_sb --app="$APP" --allow-weaker=seatbelts -- true
sb_is "$SB_RC" 125 "an unknown --allow-weaker mechanism is refused"

done_testing
