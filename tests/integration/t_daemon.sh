#!/bin/bash
# t_daemon.sh — empyrad and its control API (DESIGN.md §1, §9): started on
# demand, one per user, survives malformed and oversized messages, refuses
# peers from other user namespaces, unreachable from sandboxes, clean SIGTERM.
. "$TESTS/lib.sh"

DAEMON=$(dirname "$EMPYRA")/empyrad
RUNTIME=${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/empyra}
[ -n "$RUNTIME" ] || RUNTIME=$( [ -d "/run/user/$(id -u)" ] && echo "/run/user/$(id -u)/empyra" || echo "${TMPDIR:-/tmp}/empyra-$(id -u)")
SOCK=$RUNTIME/empyrad.sock

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
# --- first use: no runtime directory of Empyra's yet ----------------------------------

FRESH=$(mk_tmpdir)
chmod 700 "$FRESH"
# (own state and config too: one audit writer per state dir, and the running
# empyrad holds the default one)
out=$(XDG_RUNTIME_DIR=$FRESH XDG_STATE_HOME=$FRESH/state XDG_CONFIG_HOME=$FRESH/config \
        "$EMPYRA" call io.empyra.Daemon.Version 2>&1)
like "$out" '"version"' "on first use (no \$XDG_RUNTIME_DIR/empyra yet) empyrad starts and answers"
check "... with its socket in the new runtime dir" test -S "$FRESH/empyra/empyrad.sock"
fp=$(for p in $(pgrep -u "$(id -u)" -x empyrad); do tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qx "XDG_RUNTIME_DIR=$FRESH" && echo "$p"; done 2>/dev/null)
[ -n "$fp" ] && kill -TERM $fp

# --- policy and audit through empyrad (in private XDG dirs) ------------------------

stop_daemon
export XDG_CONFIG_HOME=$(mk_tmpdir) XDG_STATE_HOME=$(mk_tmpdir)
PAPP=org.emptest.Policy_$$
"$EMPYRA" allow "$PAPP" 'network:*.example.com:443' >/dev/null
"$EMPYRA" deny "$PAPP" network:lan --for=1h >/dev/null
"$EMPYRA" ask "$PAPP" filesystem:/srv/data:ro >/dev/null
out=$("$EMPYRA" perms "$PAPP" --json)
is "$(printf '%s' "$out" | python3 -c 'import json,sys; print(sorted((r["permission"], r["decision"], r["scope"]) for r in json.load(sys.stdin)["rules"]))')" \
        "[('filesystem:/srv/data:ro', 'ask', 'always'), ('network:*.example.com:443', 'allow', 'always'), ('network:lan', 'deny', '1h')]" \
        "allow, deny --for=1h and ask are stored as user rules"
check "the store is written to \$XDG_CONFIG_HOME/empyra/policy.json" test -s "$XDG_CONFIG_HOME/empyra/policy.json"
check "... with the previous good copy beside it" test -s "$XDG_CONFIG_HOME/empyra/policy.json.good"
"$EMPYRA" reset "$PAPP" network:lan >/dev/null
out=$("$EMPYRA" perms "$PAPP")
unlike "$out" "network:lan" "reset ID PERMISSION removes that rule"
like "$out" "example.com" "... and keeps the others"
"$EMPYRA" allow "$PAPP" 'bogus:thing' >/dev/null 2>"$XDG_STATE_HOME/err"; rc=$?
is "$rc" 1 "a malformed permission is refused (exit 1)"
like "$(cat "$XDG_STATE_HOME/err")" "bad permission" "... with a message naming it"
"$EMPYRA" allow "$PAPP" 'network:x.org:80' --for=ever >/dev/null 2>&1; rc=$?
is "$rc" 2 "an unknown option is a usage error (exit 2)"

out=$("$EMPYRA" audit --app "$PAPP" --json)
is "$(printf "%s\n" "$out" | grep -c .)" 4 "every change (3 set, 1 reset) left one audit line; the refused one none"
like "$out" '"decision": *"reset"|"decision":"reset"' "... a reset is logged"
like "$out" '"prev":' "... lines carry the chained hash"
"$EMPYRA" audit verify >/dev/null; rc=$?
is "$rc" 0 "empyra audit verify: intact"

# A corrupt store falls back to the last good copy; the daemon still runs.
stop_daemon
printf '{"version": 1, "apps": {broken' >"$XDG_CONFIG_HOME/empyra/policy.json"
out=$("$EMPYRA" perms "$PAPP" 2>&1); rc=$?
is "$rc" 0 "empyrad starts with a corrupt policy.json"
like "$out" "example.com" "... and serves the last good copy's rules"
like "$(cat "$RUNTIME/empyrad.log" 2>/dev/null)" "policy store .*last good copy" "... and reports the corruption"

# Tampering with the log is detected and located.
stop_daemon
python3 - "$XDG_STATE_HOME/empyra/audit.log" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
lines[1] = lines[1].replace("deny", "allo")
open(p, "w").write("\n".join(lines))
PY
out=$("$EMPYRA" audit verify 2>&1); rc=$?
is "$rc" 1 "an edited audit line: empyra audit verify fails (exit 1)"
like "$out" "line 2" "... and names line 2"
stop_daemon
unset XDG_CONFIG_HOME XDG_STATE_HOME

done_testing
