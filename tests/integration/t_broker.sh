#!/bin/bash
# t_broker.sh — brokered file mode through a real empyrad (DESIGN.md §1, §5,
# §6): own-view paths native, host files by policy (allow, deny, ask answered
# by `empyra prompt`, timeout, no UI), merged prompts, scopes, what an
# injected fd can reach, racing symlinks and path buffers, empyrad killed
# mid-request (a new one takes over; none ends the app), store and log intact.
. "$TESTS/lib.sh"

PROBE=$PROBES/broker_probe
RUNTIME=${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/empyra}
[ -n "$RUNTIME" ] || RUNTIME=$( [ -d "/run/user/$(id -u)" ] && echo "/run/user/$(id -u)/empyra" || echo "${TMPDIR:-/tmp}/empyra-$(id -u)")

at_exit 'stop_daemon'
stop_daemon
# Private store and log; prompts time out after 2 s instead of 30.
export XDG_CONFIG_HOME=$(mk_tmpdir) XDG_STATE_HOME=$(mk_tmpdir)
export EMPYRA_TEST_PROMPT_TIMEOUT_MS=2000

GRANT=$(mk_tmpdir)   # allowed by a user rule
DENIED=$(mk_tmpdir)  # denied by a user rule
ASKED=$(mk_tmpdir)   # no rule: ask
OUTSIDE=$(mk_tmpdir) # never granted: symlinks point here
echo "GRANTED file" >"$GRANT/file"
echo "SECRET in a denied dir" >"$DENIED/secret"
echo "ASKED file" >"$ASKED/file"
echo "SECRET outside every grant" >"$OUTSIDE/secret"
echo "SECRET sibling" >"$GRANT/../secret-$$" 2>/dev/null && cleanup_add "$GRANT/../secret-$$"
mkdir "$GRANT/sub"
chmod -R a+rX "$GRANT" "$DENIED" "$ASKED" "$OUTSIDE"

APP=$(app_id Broker)
B=(--app="$APP" --files=brokered "$(probe_grant)")

# --- own view: native, nothing asked ------------------------------------------------
run_sb "${B[@]}" -- "$PROBE" read /etc/hostname
sb_is "$SB_OUT" "ok:empyra" "brokered: a file in the app's own view opens natively"
run_sb "${B[@]}" -- sh -c "'$PROBE' write /tmp/new hello && cat /tmp/new"
sb_is "$SB_OUT" "ok
hello" "brokered: creating a file in the app's own /tmp is native"
run_sb "${B[@]}" -- "$PROBE" read /no/such/file
sb_is "$SB_OUT" "err:ENOENT" "a path that is nowhere gives ENOENT (nothing asked)"
out=$("$EMPYRA" audit --app "$APP" --json)
is "$(printf '%s' "$out" | grep -c .)" 0 "own-view opens leave no audit lines"

# --- no UI connected: an ask is denied at once -------------------------------------------
start=$(date +%s)
run_sb "${B[@]}" -- "$PROBE" read "$ASKED/file"
sb_is "$SB_OUT" "err:EACCES" "ask with no UI connected: denied at once (EACCES)"
check "... without waiting for the prompt timeout" test $(($(date +%s) - start)) -lt 2
like "$("$EMPYRA" audit --app "$APP")" "deny filesystem:$ASKED/file:ro no-ui" "... and logged as deny (no-ui)"
is "$("$EMPYRA" perms "$APP" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["rules"]))')" 0 \
        "... and nothing is stored"

# --- rules ---------------------------------------------------------------------------------
"$EMPYRA" allow "$APP" "filesystem:$GRANT" >/dev/null
"$EMPYRA" deny "$APP" "filesystem:$DENIED" >/dev/null
run_sb "${B[@]}" -- "$PROBE" read "$GRANT/file"
sb_is "$SB_OUT" "ok:GRANTED file" "an allowed host file is opened by empyrad and injected"
run_sb "${B[@]}" -- "$PROBE" read "$DENIED/secret"
sb_is "$SB_OUT" "err:EACCES" "a denied host file gives EACCES"
# (chdir is not brokered: a host directory is no place to stand in.)
run_sb "${B[@]}" -- sh -c "cd / && '$PROBE' read '${GRANT#/}/file'"
sb_is "$SB_OUT" "ok:GRANTED file" "a relative path resolves from the app's cwd as the kernel reports it"
run_sb "${B[@]}" -- sh -c "'$PROBE' write '$GRANT/made' written && cat '$GRANT/made'"
sb_is "$SB_OUT" "ok
written" "creating a file in an allowed host directory works"
check "... the file is on the host" grep -qx written "$GRANT/made"
is "$(stat -c %u "$GRANT/made")" "$(id -u)" "... owned by the user"
audit=$("$EMPYRA" audit --app "$APP")
like "$audit" "allow filesystem:$GRANT/file:ro user" "the allow is logged with its source"
like "$audit" "deny filesystem:$DENIED/secret:ro user" "the deny is logged with its source"

# --- what an injected fd reaches ---------------------------------------------------------------
run_sb "${B[@]}" -- "$PROBE" at-escape "$GRANT/file"
sb_is "$SB_OUT" "type=reg
dotdot=ENOTDIR
sibling=ENOTDIR
fchdir=ENOTDIR" "an injected fd is a regular file: *at() and fchdir reach nothing past it"
run_sb "${B[@]}" -- "$PROBE" opath "$GRANT/sub"
sb_is "$SB_OUT" "opath=EACCES
directory=EACCES" "never an O_PATH or directory fd of a host path (EACCES)"
run_sb "${B[@]}" -- "$PROBE" read "$GRANT/sub"
sb_is "$SB_OUT" "err:EACCES" "opening a host directory read-only is refused too"

# A FIFO in a granted directory: refused at once (never a broker stuck in open).
mkfifo "$GRANT/pipe"
run_sb "${B[@]}" -- "$PROBE" read "$GRANT/pipe"
sb_is "$SB_OUT" "err:EACCES" "a FIFO in an allowed directory is refused at once (only regular files)"
run_sb "${B[@]}" -- "$PROBE" read "$GRANT/file"
sb_is "$SB_OUT" "ok:GRANTED file" "... and the broker goes on serving"

# --- symlinks: in the grant, swapped, racing -------------------------------------------------------
ln -s "$OUTSIDE/secret" "$GRANT/out-link"
ln -s file "$GRANT/in-link"
run_sb "${B[@]}" -- "$PROBE" read "$GRANT/out-link"
sb_is "$SB_OUT" "err:EACCES" "a symlink in the grant pointing outside it is refused"
run_sb "${B[@]}" -- "$PROBE" read "$GRANT/in-link"
sb_is "$SB_OUT" "ok:GRANTED file" "a symlink that stays beneath the grant is followed"
( while [ -e "$GRANT/in-link" ]; do
        ln -sfn "$OUTSIDE/secret" "$GRANT/swap" 2>/dev/null
        ln -sfn file "$GRANT/swap" 2>/dev/null
done ) &
swapper=$!
at_exit "kill $swapper 2>/dev/null"
run_sb "${B[@]}" -- "$PROBE" loop-read "$GRANT/swap" 400
kill "$swapper" 2>/dev/null
like "$SB_OUT" "^secret=0 " "a symlink swapped between check and open never yields the file outside the grant"
diag "swap race: $SB_OUT"
run_sb "${B[@]}" -- "$PROBE" race-buffer "$GRANT/file" "$DENIED/secret" /etc/hostname 400
like "$SB_OUT" "^secret=0 " "two threads racing the path buffer never open a denied file"
diag "buffer race: $SB_OUT"

# --- Empyra's own files are never served, whatever the rules ------------------------------------------
"$EMPYRA" allow "$APP" "filesystem:$XDG_CONFIG_HOME" >/dev/null
run_sb "${B[@]}" -- "$PROBE" read "$XDG_CONFIG_HOME/empyra/policy.json"
sb_is "$SB_OUT" "err:ENOENT" "the policy store is never brokered, even under an allowed directory"
run_sb "${B[@]}" -- "$PROBE" write "$XDG_STATE_HOME/empyra/audit.log" x
unlike "$SB_OUT" "^ok" "the audit log cannot be written through the broker"
run_sb "${B[@]}" --filesystem=host -- "$PROBE" write "$XDG_CONFIG_HOME/empyra/policy.json" x
unlike "$SB_OUT" "^ok" "... nor the store with --filesystem=host"
run_sb "${B[@]}" --filesystem=host -- sh -c "test -S '$RUNTIME/empyrad.sock' && echo visible || echo absent"
sb_is "$SB_OUT" "absent" "... and the control socket stays out of reach with --filesystem=host"
"$EMPYRA" reset "$APP" "filesystem:$XDG_CONFIG_HOME" >/dev/null

# --- prompts --------------------------------------------------------------------------------------
PFIFO=$(mktemp -u /tmp/empyra-it-fifo.XXXXXX)
mkfifo "$PFIFO"
cleanup_add "$PFIFO"
POUT=$(mk_tmpdir)/prompt.out
PROMPTER=
start_prompter() {
        : >"$POUT"
        "$EMPYRA" prompt --json <>"$PFIFO" >"$POUT" 2>&1 &
        PROMPTER=$!
        at_exit "kill $PROMPTER 2>/dev/null"
        for i in $(seq 1 100); do
                "$EMPYRA" call io.empyra.Prompts.List 2>/dev/null | grep -q '"watchers": [1-9]' && return 0
                sleep 0.05
        done
}
stop_prompter() {
        kill "$PROMPTER" 2>/dev/null
        wait "$PROMPTER" 2>/dev/null
}
# wait_prompts N: until N prompts were shown
wait_prompts() {
        for i in $(seq 1 200); do
                [ "$(grep -c '^{"prompt"' "$POUT")" -ge "$1" ] && return 0
                sleep 0.05
        done
        return 1
}
# bg_sb OUTFILE ARGS...: a sandbox in the background
bg_sb() {
        local out=$1
        shift
        timeout -k 5 "$SB_TIMEOUT" "$EMPYRA" run "$@" </dev/null >"$out" 2>&1 &
        BG=$!
}

start_prompter
bg_sb "$POUT.app" "${B[@]}" -- "$PROBE" read "$ASKED/file"
wait_prompts 1
prompt=$(grep '^{"prompt"' "$POUT" | tail -1)
like "$prompt" "\"app\":\"$APP\"" "an ask reaches the connected UI with the app id"
like "$prompt" "\"path\":\"$ASKED/file\"" "... the path"
like "$prompt" "\"permission\":\"filesystem:$ASKED/file:ro\"" "... and the permission"
answer "$PFIFO" y
wait "$BG"
is "$(cat "$POUT.app")" "ok:ASKED file" "answered 'allow once': the app gets the file"
is "$("$EMPYRA" perms "$APP" --json | grep -c "$ASKED")" 0 "... and 'once' stores nothing"

bg_sb "$POUT.app" "${B[@]}" -- "$PROBE" read "$ASKED/file"
wait_prompts 2
answer "$PFIFO" n
wait "$BG"
is "$(cat "$POUT.app")" "err:EACCES" "answered 'deny once': EACCES"

start=$(date +%s)
bg_sb "$POUT.app" "${B[@]}" -- "$PROBE" read "$ASKED/file"
wait "$BG"
is "$(cat "$POUT.app")" "err:EACCES" "no answer before the deadline: denied"
like "$("$EMPYRA" audit --app "$APP")" "deny filesystem:$ASKED/file:ro timeout" "... logged as a timeout"
like "$(tail -1 "$POUT")" '"resolved":.*"by":"timeout"' "... and the UI is told it ended"

# Identical pending requests merge into one prompt.
n0=$(grep -c '^{"prompt"' "$POUT")
bg_sb "$POUT.a1" "${B[@]}" -- sh -c "'$PROBE' read '$ASKED/file' & '$PROBE' read '$ASKED/file'; wait"
wait_prompts $((n0 + 1))
sleep 0.3
out=$("$EMPYRA" call io.empyra.Prompts.List)
like "$out" '"waiting": 2' "two identical pending requests are merged into one prompt"
is "$(printf '%s' "$out" | grep -c '"id"')" 1 "... so the UI sees one prompt"
answer "$PFIFO" y
wait "$BG"
is "$(sort "$POUT.a1" | uniq -c | sed 's/^ *//')" "2 ok:ASKED file" "... and one answer serves both"

# Scopes: until-exit holds while the app runs; always is stored.
n0=$(grep -c '^{"prompt"' "$POUT")
bg_sb "$POUT.a2" "${B[@]}" -- sh -c "'$PROBE' read '$ASKED/file'; '$PROBE' read '$ASKED/file'"
wait_prompts $((n0 + 1))
answer "$PFIFO" e
wait "$BG"
is "$(cat "$POUT.a2")" "ok:ASKED file
ok:ASKED file" "'until exit': the second open in the same run is not asked again"
is "$(grep -c '^{"prompt"' "$POUT")" $((n0 + 1)) "... (one prompt)"
for i in $(seq 1 50); do "$EMPYRA" perms "$APP" | grep -q until-exit || break; sleep 0.1; done
unlike "$("$EMPYRA" perms "$APP")" "until-exit" "... and the rule is gone once the app exited"

n0=$(grep -c '^{"prompt"' "$POUT")
bg_sb "$POUT.a3" "${B[@]}" -- "$PROBE" read "$ASKED/file"
wait_prompts $((n0 + 1))
answer "$PFIFO" a
wait "$BG"
like "$("$EMPYRA" perms "$APP")" "filesystem:$ASKED/file:ro" "'always' becomes a stored user rule"
run_sb "${B[@]}" -- "$PROBE" read "$ASKED/file"
sb_is "$SB_OUT" "ok:ASKED file" "... and the next run is not asked"
is "$(grep -c '^{"prompt"' "$POUT")" $((n0 + 1)) "... (no new prompt)"

# App-chosen text never drives the terminal: a bidi override in a path is
# shown escaped; a control character makes a path no permission can name.
EVIL="$ASKED/$(printf 'evil\342\200\256txt.exe')"
echo "ASKED evil" >"$EVIL"
chmod a+r "$EVIL"
stop_prompter
"$EMPYRA" prompt <>"$PFIFO" >"$POUT.text" 2>&1 &
PROMPTER=$!
for i in $(seq 1 100); do "$EMPYRA" call io.empyra.Prompts.List | grep -q '"watchers": [1-9]' && break; sleep 0.05; done
bg_sb "$POUT.a4" "${B[@]}" -- "$PROBE" read "$EVIL"
for i in $(seq 1 100); do grep -q "wants to" "$POUT.text" && break; sleep 0.05; done
answer "$PFIFO" n
wait "$BG"
stop_prompter
like "$(cat "$POUT.text")" 'evil\\u202etxt\.exe' "empyra prompt shows a right-to-left override in a path as \\u202e"
check "... and prints no raw override" sh -c "! grep -q \"\$(printf '\342\200\256')\" '$POUT.text'"
CTRL="$ASKED/$(printf 'bell\007name')"
echo "ASKED ctrl" >"$CTRL"
chmod a+r "$CTRL"
run_sb "${B[@]}" -- "$PROBE" read "$CTRL"
sb_is "$SB_OUT" "err:EACCES" "a host path with a control character is denied without asking"
like "$("$EMPYRA" audit --app "$APP")" 'deny filesystem:.*bell\\x07name:ro unnameable' "... logged (escaped) as unnameable"

# --- malformed broker calls ---------------------------------------------------------------------
out=$("$EMPYRA" call io.empyra.Broker.Attach "{\"app\":\"$APP\",\"instance\":\"1\",\"pid\":2,\"home_inside\":\"/h\",\"home_host\":\"/h\"}" 2>&1)
like "$out" "io.empyra.InvalidParameter" "Broker.Attach without a listener fd is refused"
out=$("$EMPYRA" call io.empyra.Prompts.Answer '{"id":999999,"decision":"allow"}' 2>&1)
like "$out" "io.empyra.NotFound" "answering a prompt that does not exist: NotFound"
out=$("$EMPYRA" call io.empyra.Prompts.Answer '{"id":1,"decision":"maybe"}' 2>&1)
like "$out" "io.empyra.InvalidParameter" "an answer other than allow/deny is refused"

# --- empyrad killed mid-request ----------------------------------------------------------------------
"$EMPYRA" reset "$APP" >/dev/null
start_prompter
# (a) a new empyrad takes over: the app waits, then gets its answer from it.
EMPYRA_AUTOSTART=0 timeout -k 5 "$SB_TIMEOUT" "$EMPYRA" run "${B[@]}" -- "$PROBE" read "$ASKED/file" \
        </dev/null >"$POUT.k1" 2>"$POUT.k1err" &
BG=$!
wait_prompts $(($(grep -c '^{"prompt"' "$POUT") + 1))
kill -KILL $(daemon_pids)
stop_prompter
sleep 0.5
check "the app waits while no empyrad runs" kill -0 "$BG"
"$EMPYRA" allow "$APP" "filesystem:$ASKED" >/dev/null # starts a new empyrad
wait "$BG"
rc=$?
is "$(cat "$POUT.k1")" "ok:ASKED file" "a restarted empyrad takes over the listener and answers the waiting call"
is "$rc" 0 "... and the app ends normally"
like "$(cat "$POUT.k1err")" "new empyrad took over" "... the launcher says so"

# (b) no empyrad comes back: the app is ended after 10 s.
"$EMPYRA" reset "$APP" >/dev/null
start_prompter
EMPYRA_AUTOSTART=0 timeout -k 5 "$SB_TIMEOUT" "$EMPYRA" run "${B[@]}" -- "$PROBE" read "$ASKED/file" \
        </dev/null >"$POUT.k2" 2>"$POUT.k2err" &
BG=$!
wait_prompts $(($(grep -c '^{"prompt"' "$POUT") + 1))
kill -KILL $(daemon_pids)
stop_prompter
start=$(date +%s)
wait "$BG"
rc=$?
took=$(($(date +%s) - start))
isnt "$rc" 0 "with no empyrad for 10 s the app is ended"
check "... after about 10 s (took ${took}s)" test "$took" -ge 9 -a "$took" -le 20
like "$(cat "$POUT.k2err")" "no empyrad answered for 10 s" "... and the launcher says why"
is "$(cat "$POUT.k2")" "" "... the app never got the file"

"$EMPYRA" audit verify >/dev/null
is "$?" 0 "after the kills the audit log verifies intact"
check "... and the store is valid JSON" python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$XDG_CONFIG_HOME/empyra/policy.json"
check "... with no corrupt copy set aside" test ! -e "$XDG_CONFIG_HOME/empyra/policy.json.corrupt"

# --- the head also goes to the journal (a stand-in journald socket here) ----------------------
stop_daemon
JDIR=$(mk_tmpdir)
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(20)
open(sys.argv[2], "w").write("ready\n")
try:
    while True:
        m = s.recv(4096).decode()
        open(sys.argv[2], "a").write(m.replace("\n", " ") + "\n")
except Exception:
    pass' "$JDIR/journal.sock" "$JDIR/got" &
JPID=$!
at_exit "kill $JPID 2>/dev/null"
for i in $(seq 1 100); do [ -S "$JDIR/journal.sock" ] && break; sleep 0.05; done
EMPYRA_TEST_JOURNAL_SOCKET=$JDIR/journal.sock "$EMPYRA" allow "$APP" "filesystem:$GRANT/journal" >/dev/null
last=$("$EMPYRA" audit --json | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["seq"])')
for i in $(seq 1 60); do grep -q "EMPYRA_AUDIT_SEQ=$last " "$JDIR/got" && break; sleep 0.05; done
like "$(cat "$JDIR/got")" "EMPYRA_AUDIT_SEQ=$last EMPYRA_AUDIT_HEAD=[0-9a-f]{64}" \
        "the audit head (line $last and its hash) is also sent to the journal"
kill "$JPID" 2>/dev/null

# --- a static launch traps nothing and starts no empyrad ---------------------------------------------------
stop_daemon
run_sb --app="$APP" "$(probe_grant)" -- "$PROBE" read /etc/hostname
sb_is "$SB_OUT" "ok:empyra" "a static launch runs"
is "$(daemon_pids)" "" "... without starting empyrad"

stop_daemon
done_testing
