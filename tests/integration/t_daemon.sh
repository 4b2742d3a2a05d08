#!/bin/bash
# t_daemon.sh — empyrad and its control API (DESIGN.md §1, §9): started on
# demand, one per user, survives malformed and oversized messages, refuses
# peers from other user namespaces, unreachable from sandboxes, clean SIGTERM.
. "$TESTS/lib.sh"

DAEMON=$(dirname "$EMPYRA")/empyrad
RUNTIME=${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/empyra}
[ -n "$RUNTIME" ] || RUNTIME=$( [ -d "/run/user/$(id -u)" ] && echo "/run/user/$(id -u)/empyra" || echo "${TMPDIR:-/tmp}/empyra-$(id -u)")
SOCK=$RUNTIME/empyrad.sock

daemon_pids() { pgrep -u "$(id -u)" -x empyrad | sort; }
stop_daemon() {
        local p
        for p in $(daemon_pids); do kill -TERM "$p"; done
        for i in $(seq 1 50); do [ -z "$(daemon_pids)" ] && return 0; sleep 0.1; done
}
at_exit 'stop_daemon'
stop_daemon

# raw MESSAGE-BYTES: send bytes to the socket, print the first reply (or EOF).
raw() {
        python3 - "$SOCK" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode().replace(b"\\0", b"\0"))
data = b""
s.settimeout(5)
try:
    while b"\0" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except Exception as e:
    print("error:", e)
print(data.split(b"\0")[0].decode() or "EOF")
PY
}

out=$("$EMPYRA" call io.empyra.Daemon.Version 2>&1); rc=$?
is "$rc" 0 "empyra call starts empyrad on demand and gets an answer"
like "$out" '"version"' "... the Version method answers"
first=$(daemon_pids)
is "$(echo "$first" | grep -c .)" 1 "exactly one empyrad runs"
"$EMPYRA" call io.empyra.Daemon.Version >/dev/null
is "$(daemon_pids)" "$first" "a second call reuses the running empyrad"
check "the socket is private to the user (mode 0600 or stricter)" test "$(stat -c %a "$SOCK")" -le 700

"$DAEMON" >/dev/null 2>"$RUNTIME/../empyrad-second.err"; rc=$?
cleanup_add "$RUNTIME/../empyrad-second.err"
like "$(cat "$RUNTIME/../empyrad-second.err")" "another empyrad already runs" "a second empyrad refuses to start (lock)"
is "$(daemon_pids)" "$first" "... and the first keeps running"

like "$(raw 'this is not json\0')" '"io.empyra.InvalidMessage"' "malformed JSON gets an InvalidMessage error"
like "$(raw '[1,2,3]\0')" '"io.empyra.InvalidMessage"' "a non-object gets an InvalidMessage error"
like "$(raw '{"method":42}\0')" '"io.empyra.InvalidMessage"' "a non-string method gets an InvalidMessage error"
like "$(raw '{"method":"io.empyra.Nope"}\0')" '"io.empyra.MethodNotFound"' "an unknown method gets MethodNotFound"
big=$(head -c 70000 /dev/zero | tr '\0' 'a')
like "$(raw "$big")" 'too long|EOF|error' "an oversized message closes that connection"
out=$("$EMPYRA" call io.empyra.Daemon.Version 2>&1)
like "$out" '"version"' "empyrad still answers after the bad clients"
is "$(daemon_pids)" "$first" "... it is the same empyrad (it never died)"

out=$("$EMPYRA" call io.empyra.Focus.Set '{"app":"not an id"}' 2>&1)
like "$out" "io.empyra.InvalidParameter" "Focus.Set with an invalid app id is refused"
out=$("$EMPYRA" call io.empyra.Focus.Set '{"app":"org.emptest.NotRunning"}' 2>&1)
like "$out" "io.empyra.NotFound" "Focus.Set of an app that is not running: NotFound"

# A peer in another user namespace (same uid) is refused: that is what keeps
# sandboxed apps, which run as the user's uid, off the control socket.
if unshare -U true 2>/dev/null; then
        out=$(unshare -U python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
print(s.recv(4096).split(b"\0")[0].decode() or "EOF")
try:
    s.sendall(b"{\"method\":\"io.empyra.Daemon.Version\"}\0"); print(s.recv(4096).decode() or "EOF")
except OSError as e:
    print("closed:", e)' "$SOCK" 2>&1)
        like "$out" "io.empyra.PermissionDenied" "a client in another user namespace is refused"
        unlike "$out" '"version"' "... and gets no answer to its call"
else
        skip "a client in another user namespace is refused: unshare -U not available here"
        skip "... and gets no answer to its call"
fi

# From inside a sandbox the socket is not there; granting it by path, or any
# path inside Empyra's directories, is refused.
run_sb -- sh -c "test -S '$SOCK' && echo visible || echo absent"
like "$SB_OUT" absent "a sandboxed app does not see empyrad's socket"
run_sb --filesystem="$SOCK" -- true
sb_is "$SB_RC" 125 "granting empyrad's socket by path is refused (exit 125)"
like "$SB_ERR" "inside Empyra's own directory" "... saying it is inside Empyra's own directory"
run_sb --filesystem="$RUNTIME" -- true
sb_is "$SB_RC" 125 "granting Empyra's runtime directory itself is refused"

p=$(daemon_pids)
kill -TERM "$p"
for i in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
check "empyrad exits on SIGTERM" sh -c "! kill -0 $p 2>/dev/null"
check "... and removes its socket" test ! -e "$SOCK"
out=$("$EMPYRA" call io.empyra.Daemon.Version 2>&1)
like "$out" '"version"' "the next call starts a new empyrad"

if is_root; then
        APP=$(app_id DaemonFocus)
        "$EMPYRA" run --app="$APP" -- sleep 20 </dev/null >/dev/null 2>"$RUNTIME/../daemon-app.err" &
        cleanup_add "$RUNTIME/../daemon-app.err"
        pid=$!
        at_exit "kill $pid 2>/dev/null"
        for i in $(seq 1 100); do
                out=$("$EMPYRA" call io.empyra.Focus.Set "{\"app\":\"$APP\"}" 2>&1) && break
                sleep 0.1
        done
        like "$out" "\"focused\": \"$APP\"" "Focus.Set over the API focuses a running app (the dashboard's method)"
        out=$("$EMPYRA" call io.empyra.Apps.List 2>&1)
        like "$out" "\"app\": \"$APP\"" "Apps.List shows the running app"
        out=$("$EMPYRA" call io.empyra.Focus.Clear 2>&1)
        like "$out" '"focused": null' "Focus.Clear clears it"
        kill "$pid"
        wait "$pid" 2>/dev/null
fi
done_testing
