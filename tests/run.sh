#!/bin/bash
# run.sh — the whole suite: unit tests (normal and ASan/UBSan builds),
# integration tests with real sandboxes as root and as an unprivileged user
# created here, and a short fuzz run. Every test speaks TAP; the last line is
# "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
PASS=0
FAIL=0
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

# Count TAP lines of one test program's output, echoing it.
tally() {
        local name=$1
        shift
        "$@" >"$LOG" 2>&1
        local rc=$?
        sed "s|^|[$name] |" "$LOG"
        local p f
        p=$(grep -cE '^ok ' "$LOG")
        f=$(grep -cE '^not ok ' "$LOG")
        if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
                # A program that printed no TAP at all counts by its exit status.
                if [ $rc -eq 0 ]; then p=1; else f=1; fi
        elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
                echo "[$name] not ok - exited with status $rc after its tests"
                f=1
        fi
        PASS=$((PASS + p))
        FAIL=$((FAIL + f))
}

echo "== unit tests"
for build in build build-asan; do
        for t in "$build"/tests/test_*; do
                [ -x "$t" ] || continue
                tally "$build/$(basename "$t")" env CMOCKA_MESSAGE_OUTPUT=TAP \
                        ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 "$t"
        done
done

# Integration tests run from a copy any user can read: the checkout may sit
# under a home directory other users cannot enter.
STAGE=$(mktemp -d /tmp/empyra-tests.XXXXXX)
chmod 755 "$STAGE"
cp -r build/empyra build/empyrad build/empyra-integrityd build/probes build/helpers tests/integration "$STAGE/"
mkdir -p "$STAGE/asan" && cp build-asan/empyra build-asan/empyrad "$STAGE/asan/"
chmod -R a+rX "$STAGE"

run_integration() {
        local who=$1
        shift
        for t in "$STAGE"/integration/t_*.sh; do
                tally "$who/$(basename "$t" .sh)" "$@" env EMPYRA="$STAGE/empyra" PROBES="$STAGE/probes" \
                        TESTS="$STAGE/integration" bash "$t"
        done
        tally "$who/asan-smoke" "$@" env EMPYRA="$STAGE/asan/empyra" PROBES="$STAGE/probes" \
                TESTS="$STAGE/integration" ASAN_OPTIONS=detect_leaks=1 bash "$STAGE/integration/smoke.sh"
}

echo "== integration tests as $(id -un)"
run_integration "$(id -un)"

if [ "$(id -u)" -eq 0 ]; then
        USERNAME=empyratest
        id "$USERNAME" >/dev/null 2>&1 || useradd -m -s /bin/bash "$USERNAME"
        UID_T=$(id -u "$USERNAME")
        RUNDIR="$STAGE/run-$UID_T"
        mkdir -p "$RUNDIR" && chown "$USERNAME:" "$RUNDIR" && chmod 700 "$RUNDIR"
        HOME_T=$(getent passwd "$USERNAME" | cut -d: -f6)
        echo "== integration tests as $USERNAME (uid $UID_T)"
        run_integration "$USERNAME" setpriv --reuid="$UID_T" --regid="$(id -g "$USERNAME")" --init-groups \
                env -i HOME="$HOME_T" USER="$USERNAME" PATH=/usr/local/bin:/usr/bin:/bin \
                XDG_RUNTIME_DIR="$RUNDIR" TERM=dumb TEST_DELEGATE_USER="$USERNAME"
fi

# fuzz NAME SECONDS CORPUS: a short libFuzzer run; a crash fails the suite.
fuzz() {
        local bin=build/$1 secs=$2 corpus=$3 dir
        if [ ! -x "$bin" ]; then
                echo "not ok - $bin missing"
                FAIL=$((FAIL + 1))
                return
        fi
        dir=$(mktemp -d)
        cp "$corpus"/* "$dir/" 2>/dev/null
        tally "$1" sh -c "$bin -max_total_time=$secs -rss_limit_mb=2048 '$dir' >/dev/null 2>$dir.log && \
                echo 'ok - $1: no crash in $secs s' || { tail -40 $dir.log; echo 'not ok - $1 crashed'; }"
        rm -rf "$dir" "$dir.log"
}
echo "== fuzzing the parsers"
fuzz fuzz_manifest 30 tests/fuzz/corpus
fuzz fuzz_policy_store 20 tests/fuzz/corpus_policy
fuzz fuzz_audit_verify 20 tests/fuzz/corpus_audit
fuzz fuzz_api 20 tests/fuzz/corpus_api
fuzz fuzz_integrity_report 20 tests/fuzz/corpus_integrity

rm -rf "$STAGE"
echo
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
