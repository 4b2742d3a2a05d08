#!/bin/bash
# t_integrity.sh — empyra-integrityd end to end: a daemon of the test's own
# (own socket, own state dir), real sandboxes asking for reports with
# `empyra attest`, tampering done on purpose by integrity_probe, and the
# verifier a game server would run. As root the daemon runs as root and
# measures everything; as a user it cannot open other processes' mapped files
# or the sandbox's pid 1, so those checks must come out unknown, never pass.
. "$(dirname "$0")/lib.sh"

BIN_DIR=$(cd "$(dirname "$EMPYRA")" && pwd)
INTEGRITYD=${INTEGRITYD:-$BIN_DIR/empyra-integrityd}
PROBE=$PROBES/integrity_probe
if [ ! -x "$INTEGRITYD" ] || [ ! -x "$PROBE" ]; then
        not_ok "empyra-integrityd ($INTEGRITYD) and integrity_probe ($PROBE) are built"
        done_testing
fi

T=$(mk_tmpdir)
STATE=$T/state
SOCK=$T/integrity.sock
export EMPYRA_INTEGRITY_SOCKET=$SOCK
"$INTEGRITYD" --socket "$SOCK" --state-dir "$STATE" --verbose 2>"$T/daemon.log" &
DPID=$!
at_exit "kill $DPID; wait $DPID"
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
check "the daemon listens on its socket" test -S "$SOCK"
is "$(stat -c %a "$STATE/secret" 2>/dev/null)" 600 "the machine secret is private (0600)"

nonce() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
# body FILE PYTHON-EXPR: a value from a report's signed body (b).
body() {
        python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); b=json.loads(e["body"]); print(eval(sys.argv[2]))' "$@" 2>&1
}
sha() { sha256sum "$1" | cut -d' ' -f1; }

# The app runs a copy of the probe as its "game"; the manifest lists it and
# the empyra binary (the caller of `attest`).
GAME=$T/game
cp "$PROBE" "$GAME"
LIB=$T/libgame.so
head -c 65536 /dev/urandom >"$LIB"
chmod -R a+rX "$T"
manifest() { # manifest FILE ID [EXTRA-ENTRIES]
        cat >"$1" <<EOF
[Application]
name=$2
[Empyra Integrity]
files=$EMPYRA=sha256:$(sha "$EMPYRA");$GAME=sha256:$(sha "$GAME");$LIB=sha256:$(sha "$LIB");${3:-}
EOF
}
APP=$(app_id integrity)
M=$T/app.ini
manifest "$M" "$APP"
GRANTS=(--filesystem="$BIN_DIR:ro" --filesystem="$PROBES:ro" --filesystem="$T:ro")

# attest_in OUT MODE [ARGS...]: in a fresh sandbox, integrity_probe MODE
# runs `empyra attest` beside its tamper; the report goes to OUT.
attest_in() {
        local out=$1 n
        shift
        n=$(nonce)
        echo "$n" >"$out.nonce"
        run_sb --manifest="$M" "${GRANTS[@]}" -- "$GAME" "$@" -- "$EMPYRA" attest --nonce "$n"
        printf '%s\n' "$SB_OUT" >"$out"
}

if is_root; then
        is "$(awk '/^Uid:/ {print $2}' /proc/$DPID/status)" "$(id -u nobody 2>/dev/null || echo 65534)" \
                "after start-up the daemon runs as nobody"
        is "$(awk '/^CapEff:/ {print $2}' /proc/$DPID/status)" 0000010000080004 \
                "... with only CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH and CAP_CHECKPOINT_RESTORE"
fi
is "$(awk '/^NoNewPrivs:/ {print $2}' /proc/$DPID/status)" 1 "the daemon runs with no_new_privs"

# --- the socket in the sandbox -------------------------------------------------
sb_sh --manifest="$M" "${GRANTS[@]}" 'test -S /run/empyra/integrity.sock && echo sock'
sb_is "$SB_OUT" sock "the socket is at /run/empyra/integrity.sock in a sandbox whose manifest asks for integrity"
run_sb --app="$(app_id nointegrity)" "${GRANTS[@]}" -- sh -c 'test -e /run/empyra/integrity.sock && echo present || echo absent'
sb_is "$SB_OUT" absent "a sandbox without [Empyra Integrity] has no socket"

# --- a clean process -------------------------------------------------------------
attest_in "$T/clean.json" clean
sb_ok "empyra attest in a clean sandbox prints a report" '[ "$SB_RC" -eq 0 ]'
CLEAN_NONCE=$(cat "$T/clean.json.nonce")
is "$(body "$T/clean.json" 'b["nonce"]')" "$CLEAN_NONCE" "the report carries the verifier's nonce"
is "$(body "$T/clean.json" 'b["subject"]["app_id"]')" "$APP" "the report names the app (informational)"
is "$(body "$T/clean.json" 'b["subject"]["manifest_sha256"]')" "$(sha "$M")" "the report carries the manifest's own sha256"
is "$(body "$T/clean.json" 'b["subject"]["executable_sha256"]')" "$(sha "$EMPYRA")" "the caller's executable is measured"
is "$(body "$T/clean.json" 'b["subject"]["processes"]')" 3 "every process of the sandbox is checked (init, the game, the caller)"
is "$(body "$T/clean.json" 'b["assurance"]')" self_asserted "no TPM: self_asserted"
if is_root; then
        is "$(body "$T/clean.json" 'b["verdict"]["process"]')" pass "clean sandbox: process checks pass"
        is "$(body "$T/clean.json" 'sorted(set(c["status"] for p in b["process"]["processes"] for c in p["checks"].values()))')" \
                "['pass']" "clean sandbox: every check of every process passes"
else
        is "$(body "$T/clean.json" 'b["verdict"]["process"]')" unknown \
                "clean sandbox, daemon unprivileged: process verdict unknown (cannot read everything), not pass"
        is "$(body "$T/clean.json" '[p["checks"]["mapped_files"]["status"] for p in b["process"]["processes"] if p["comm"]=="empyra"]')" \
                "['unknown', 'unknown']" "unprivileged daemon: shared libraries it cannot open (map_files) are unknown, never pass"
        is "$(body "$T/clean.json" 'sorted(set(c["status"] for p in b["process"]["processes"] if p["pid"]==1 for c in p["checks"].values()))')" \
                "['pass', 'unknown']" "unprivileged daemon: the sandbox's init (not dumpable) is listed, its unreadable checks unknown"
fi

# --- the verifier ------------------------------------------------------------------
PK=$("$EMPYRA" attest pubkey --app "$APP")
like "$PK" '^[0-9a-f]{64}$' "empyra attest pubkey --app prints the app's verifying key"
like "$(body "$T/clean.json" 'b["verdict"]["status"]')" '^(fail|unknown)$' "the overall verdict includes the platform (not pass here)"
out=$("$EMPYRA" attest verify "$T/clean.json" --pubkey "$PK" --nonce "$CLEAN_NONCE" --require process)
rc=$?
if is_root; then
        is "$rc" 0 "verify: authentic, fresh, process verdict pass: exit 0"
else
        is "$rc" 1 "verify: authentic but process verdict unknown: exit 1"
fi
like "$out" 'signature: ok' "verify names the signature check"
"$EMPYRA" attest verify "$T/clean.json" --pubkey "$PK" --nonce "$(nonce)" >"$T/v.out"
is "$?" 3 "a report for another nonce (a replay) is rejected"
like "$(cat "$T/v.out")" 'nonce: MISMATCH' "the rejection names the nonce"
python3 - "$T/clean.json" "$T/flipped.json" <<'EOF'
import json, sys
e = json.load(open(sys.argv[1]))
b = e["body"]
i = b.index('"report_id":"') + 13
e["body"] = b[:i] + ("0" if b[i] != "0" else "1") + b[i + 1:]
json.dump(e, open(sys.argv[2], "w"))
EOF
"$EMPYRA" attest verify "$T/flipped.json" --pubkey "$PK" --nonce "$CLEAN_NONCE" >"$T/v.out"
is "$?" 3 "a report with one byte changed is rejected"
like "$(cat "$T/v.out")" 'signature: BAD' "the rejection names the signature"
python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); i=d.index(b"\"signature\":\"")+14; d[i]=ord("0") if d[i]!=ord("0") else ord("1"); open(sys.argv[2],"wb").write(d)' \
        "$T/clean.json" "$T/sigflip.json"
"$EMPYRA" attest verify "$T/sigflip.json" --pubkey "$PK" --nonce "$CLEAN_NONCE" >/dev/null
is "$?" 3 "a report with a flipped signature byte is rejected"
OTHER_PK=$("$EMPYRA" attest pubkey --app "$(app_id other)")
isnt "$OTHER_PK" "$PK" "another app's key differs (reports of two apps cannot be linked by key)"
"$EMPYRA" attest verify "$T/clean.json" --pubkey "$OTHER_PK" --nonce "$CLEAN_NONCE" >/dev/null
is "$?" 3 "a report checked with another app's key is rejected"
sleep 1.1
"$EMPYRA" attest verify "$T/clean.json" --pubkey "$PK" --nonce "$CLEAN_NONCE" --max-age 0 >"$T/v.out"
is "$?" 3 "a stale report (older than --max-age) is rejected"
like "$(cat "$T/v.out")" 'freshness: STALE' "the rejection names freshness"

# --- tampering, each detected and named --------------------------------------------
attest_in "$T/anon.json" anonexec
is "$(body "$T/anon.json" 'b["verdict"]["process"]')" fail "an anonymous PROT_EXEC mapping fails the process verdict"
like "$(body "$T/anon.json" 'b["verdict"]["reasons"]')" 'game\): mappings: fail: 1 anonymous executable' \
        "the reason names the process and the anonymous executable mapping"

attest_in "$T/ptrace.json" ptrace
is "$(body "$T/ptrace.json" 'b["verdict"]["process"]')" fail "a ptrace attach inside the sandbox fails the process verdict"
like "$(body "$T/ptrace.json" 'b["verdict"]["reasons"]')" 'tracer: fail: traced \(TracerPid [0-9]+\)' "the reason names the tracer"

PRELOAD=$(ls /usr/lib/x86_64-linux-gnu/libz.so.1 /lib/x86_64-linux-gnu/libz.so.1 /usr/lib/*/libc.so.6 2>/dev/null | head -1)
n=$(nonce)
run_sb --manifest="$M" "${GRANTS[@]}" -- "$GAME" clean -- sh -c "LD_PRELOAD=$PRELOAD sleep 5 & sleep 0.2; '$EMPYRA' attest --nonce $n; kill \$!"
printf '%s\n' "$SB_OUT" >"$T/preload.json"
is "$(body "$T/preload.json" 'b["verdict"]["process"]')" fail "a process started with LD_PRELOAD fails the process verdict"
like "$(body "$T/preload.json" 'b["verdict"]["reasons"]')" "sleep\): preload: fail: LD_PRELOAD=$PRELOAD" "the reason names LD_PRELOAD and the library"

# A modified copy of the listed game executable: its content no longer matches.
cp "$GAME" "$T/game.orig"
printf 'x' >>"$GAME"
attest_in "$T/modexe.json" clean
cp "$T/game.orig" "$GAME"
is "$(body "$T/modexe.json" 'b["verdict"]["process"]')" fail "a modified executable listed in the manifest fails"
like "$(body "$T/modexe.json" 'b["verdict"]["reasons"]')" "game\): mapped_files: fail: .* differ from the manifest's sha256, e.g. $GAME" \
        "the reason names the modified file"
if is_root; then
        cp "$LIB" "$T/lib.orig"
        printf 'x' >>"$LIB"
        attest_in "$T/modlib.json" map "$LIB"
        cp "$T/lib.orig" "$LIB"
        is "$(body "$T/modlib.json" 'b["verdict"]["process"]')" fail "a modified mapped file listed in the manifest fails"
        like "$(body "$T/modlib.json" 'b["verdict"]["reasons"]')" "mapped_files: fail: .*e.g. $LIB" "the reason names the mapped file"
        attest_in "$T/lib.json" map "$LIB"
        is "$(body "$T/lib.json" '[f["manifest"] for f in b["process"]["files"] if f["path"]==sys.argv[3]]' "$LIB")" "['match']" \
                "the unmodified mapped file matches the manifest (read via map_files)"
else
        skip "modified mapped library: /proc/PID/map_files needs root (the unprivileged daemon reports unknown)"
        skip "the modified mapped file is named (needs root)"
        skip "an unmodified mapped file matches the manifest (needs root)"
fi

# A library the manifest does not list, in a file a user could change, loaded
# as code (what dlopen does): an injected library.
EVIL=$T/evil.so
cp "$PRELOAD" "$EVIL"
chmod a+r "$EVIL"
if is_root; then chown 65534:65534 "$EVIL"; fi
attest_in "$T/evil.json" mapx "$EVIL"
if is_root; then
        is "$(body "$T/evil.json" 'b["verdict"]["process"]')" fail "unlisted code from a user-changeable file fails the process verdict"
        like "$(body "$T/evil.json" 'b["verdict"]["reasons"]')" "mapped_files: fail: 1 executable file\\(s\\) a user could change are not in the manifest, e.g. $EVIL" \
                "the reason names the injected library"
        attest_in "$T/sys.json" mapx "$PRELOAD"
        is "$(body "$T/sys.json" 'b["verdict"]["process"]')" pass "the same library from the system (only root can change it) passes"
else
        isnt "$(body "$T/evil.json" 'b["verdict"]["process"]')" pass "unlisted user code: never pass (unknown to an unprivileged daemon)"
        skip "the injected library is named (needs root: map_files)"
        skip "a system library mapped as code passes (needs root: map_files)"
fi

# --- libempyra-attest: a game linked against the library --------------------------
if [ -x "$PROBES/attest_client" ]; then
        n=$(nonce)
        printf '[Application]\nname=%s\n[Empyra Integrity]\nfiles=%s=sha256:%s;%s=sha256:%s;\n' "$APP" \
                "$PROBES/attest_client" "$(sha "$PROBES/attest_client")" \
                "$PROBES/libempyra-attest.so.1" "$(sha "$PROBES/libempyra-attest.so.1")" >"$T/lib.ini"
        chmod a+r "$T/lib.ini"
        run_sb --manifest="$T/lib.ini" "${GRANTS[@]}" -- "$PROBES/attest_client" "$n"
        printf '%s\n' "$SB_OUT" >"$T/libclient.json"
        "$EMPYRA" attest verify "$T/libclient.json" --pubkey "$PK" --nonce "$n" >"$T/v.out"
        rc=$?
        sb_ok "a game linked with libempyra-attest gets a report that verifies" '[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ]'
        if is_root; then
                is "$(body "$T/libclient.json" '[f["manifest"] for f in b["process"]["files"] if f["path"].endswith("libempyra-attest.so.1")]')" \
                        "['match']" "the library itself is measured and matches the manifest"
        else
                skip "the mapped library's hash needs root (map_files)"
        fi
else
        not_ok "attest_client built at $PROBES/attest_client"
fi

# --- who may ask, and what they can claim -------------------------------------------
out=$("$EMPYRA" attest --socket "$SOCK" 2>&1)
rc=$?
isnt "$rc" 0 "a process outside any sandbox gets no report"
like "$out" 'not in an Empyra sandbox' "the refusal names it"
# The request has no room for a pid: a forged pid appended is refused, and a
# well-formed request covers the caller's own sandbox whatever else runs.
REQ="4e$(nonce)"
run_sb --manifest="$M" "${GRANTS[@]}" -- "$PROBE" raw /run/empyra/integrity.sock "${REQ}$(printf '%08x' 1)"
sb_like() { like "$SB_OUT" "$1" "$2"; }
sb_like '^error: malformed request' "a request with a pid appended is refused (the subject is never named by the caller)"
run_sb --manifest="$M" "${GRANTS[@]}" -- "$PROBE" raw /run/empyra/integrity.sock "$REQ"
sb_like '^ok' "the same request without the forged pid is answered"
run_sb --manifest="$M" "${GRANTS[@]}" -- "$EMPYRA" attest pubkey --app "$APP" --socket /run/empyra/integrity.sock
isnt "$SB_RC" 0 "a sandboxed app cannot fetch verifying keys (it could link apps)"

# --- rate limiting --------------------------------------------------------------------
run_sb --manifest="$M" "${GRANTS[@]}" -- "$PROBE" flood 20 /run/empyra/integrity.sock
like "$SB_OUT" '^ok=[1-9][0-9]* limited=[1-9][0-9]* other=0$' "a flood of 20 requests: some answered, the rest rate limited"
attest_in "$T/after.json" clean
sb_ok "another sandbox is answered right after the flood (its own budget)" '[ "$SB_RC" -eq 0 ] && grep -q signature "$T/after.json"'
# Connections that never send a word do not hold the daemon up.
timeout -k 5 "$SB_TIMEOUT" "$EMPYRA" run --manifest="$M" "${GRANTS[@]}" -- "$PROBE" idle 4 /run/empyra/integrity.sock 4 \
        </dev/null >"$T/idle.out" 2>&1 &
IDLE=$!
for _ in $(seq 200); do grep -q '^connected' "$T/idle.out" && break; sleep 0.05; done
like "$(cat "$T/idle.out")" '^connected 4' "a sandbox holds 4 silent connections open"
attest_in "$T/beside.json" clean
sb_ok "meanwhile another sandbox gets its report" '[ "$SB_RC" -eq 0 ] && grep -q signature "$T/beside.json"'
wait "$IDLE"

kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
out=$("$EMPYRA" attest pubkey --app "$APP" 2>&1)
like "$out" 'Connection refused|No such file' "once the daemon stops, requests fail to connect"
rm -f "$SOCK" # as root the daemon (then nobody) cannot remove it from this directory

# The state dir became readable by others (chmod -R above): the daemon
# refuses to use the secret in it.
chmod 755 "$STATE"
out=$("$INTEGRITYD" --socket "$T/other.sock" --state-dir "$STATE" 2>&1)
rc=$?
isnt "$rc" 0 "the daemon refuses a state dir others can read"
like "$out" 'must be a directory of uid [0-9]+ with mode 0700' "... and says why"

# Kernels before 6.5 have no SO_PEERPIDFD: SO_PEERCRED, pidfd_open and the
# process start time identify the caller instead — same subject, same checks.
"$INTEGRITYD" --socket "$SOCK" --state-dir "$T/state2" --no-peerpidfd 2>"$T/daemon2.log" &
DPID=$!
at_exit "kill $DPID; wait $DPID"
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
attest_in "$T/fallback.json" ptrace
is "$(body "$T/fallback.json" 'b["subject"]["app_id"]')" "$APP" "without SO_PEERPIDFD: the caller's sandbox is still the subject"
like "$(body "$T/fallback.json" 'b["verdict"]["reasons"]')" 'tracer: fail' "without SO_PEERPIDFD: the tamper is still detected"
out=$("$EMPYRA" attest --socket "$SOCK" 2>&1)
like "$out" 'not in an Empyra sandbox' "without SO_PEERPIDFD: an unsandboxed caller is still refused"
[ "$T_FAILED" -gt 0 ] && diag "daemon log:" "$(tail -20 "$T/daemon.log")" "second daemon log:" "$(tail -20 "$T/daemon2.log" 2>/dev/null)"
done_testing
