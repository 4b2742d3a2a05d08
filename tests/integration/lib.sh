# lib.sh — shared helpers for the integration tests (sourced, never run).
#
# The scripts speak TAP: "ok N - text", "not ok N - text", "# diagnostics".
# Environment: EMPYRA (the empyra binary), PROBES (static probe binaries),
# TESTS (this directory). They run from a copy in /tmp, as root and as an
# unprivileged user, so nothing here may name the checkout.

set -u

: "${EMPYRA:?EMPYRA must name the empyra binary}"
: "${PROBES:=}"
: "${TESTS:=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"

# A sandbox never needs long; a hang must not stall the suite.
: "${SB_TIMEOUT:=60}"

T_N=0
T_FAILED=0
T_HOOKS=()
# Paths to remove at exit, one a line: a file, so that helpers called in a
# command substitution (a subshell) can add to it.
T_CLEANUP_LIST=$(mktemp /tmp/empyra-it-cleanup.XXXXXX)

export LC_ALL=C

# --- TAP -------------------------------------------------------------------

diag() {
        local line
        # Every line of every argument, prefixed; nothing that looks like TAP.
        printf '%s\n' "$@" | while IFS= read -r line; do printf '# %s\n' "$line"; done
}

ok() {
        T_N=$((T_N + 1))
        echo "ok $T_N - $*"
}

not_ok() {
        T_N=$((T_N + 1))
        T_FAILED=$((T_FAILED + 1))
        echo "not ok $T_N - $*"
}

skip() {
        T_N=$((T_N + 1))
        echo "ok $T_N - # SKIP $*"
}

# check DESC CMD...: passes when CMD (one simple command) succeeds.
check() {
        local desc=$1
        shift
        if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# is GOT WANT DESC
is() {
        if [ "$1" = "$2" ]; then
                ok "$3"
        else
                not_ok "$3"
                diag "got:  '$1'" "want: '$2'"
        fi
}

# isnt GOT UNWANTED DESC
isnt() {
        if [ "$1" != "$2" ]; then
                ok "$3"
        else
                not_ok "$3"
                diag "got '$1', which it must not be"
        fi
}

# like GOT ERE DESC
like() {
        if printf '%s' "$1" | grep -qE -- "$2"; then
                ok "$3"
        else
                not_ok "$3"
                diag "got:  '$1'" "want a match for /$2/"
        fi
}

# unlike GOT ERE DESC
unlike() {
        if printf '%s' "$1" | grep -qE -- "$2"; then
                not_ok "$3"
                diag "got:  '$1'" "must not match /$2/"
        else
                ok "$3"
        fi
}

# done_testing: the end of a script that ran to completion. A script that
# stops early (an unset variable, say) exits non-zero and counts as failed.
done_testing() {
        exit 0
}

# Called on exit: the plan, then the temporary files go.
t_finish() {
        local rc=$?
        local p h
        for h in "${T_HOOKS[@]+"${T_HOOKS[@]}"}"; do
                eval "$h" >/dev/null 2>&1
        done
        while IFS= read -r p; do
                [ -n "$p" ] && [ "$p" != / ] && rm -rf -- "$p" 2>/dev/null
        done <"$T_CLEANUP_LIST"
        rm -f -- "$T_CLEANUP_LIST"
        echo "1..$T_N"
        if [ "$T_FAILED" -gt 0 ]; then
                diag "$T_FAILED of $T_N failed"
                exit 1
        fi
        exit $rc
}
trap t_finish EXIT

# cleanup_add PATH...: removed when the script exits.
cleanup_add() {
        local p
        for p in "$@"; do printf '%s\n' "$p" >>"$T_CLEANUP_LIST"; done
}

# at_exit COMMAND: evaluated when the script exits, before the temporary
# files go (for what rm -rf cannot undo, such as cgroups).
at_exit() {
        T_HOOKS+=("$1")
}

# --- who we are ------------------------------------------------------------

is_root() {
        [ "$(id -u)" -eq 0 ]
}

# Empyra's directories as DESIGN.md §10 locates them for the invoking user.
HOST_HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
DATA_HOME=${XDG_DATA_HOME:-$HOST_HOME/.local/share}
CONFIG_HOME=${XDG_CONFIG_HOME:-$HOST_HOME/.config}
STATE_HOME=${XDG_STATE_HOME:-$HOST_HOME/.local/state}
EMP_DATA=$DATA_HOME/empyra
EMP_APPS=$EMP_DATA/apps

# app_id NAME: a per-run app id (reverse-DNS elements may not start with a
# digit), removed with its home when the script ends.
app_id() {
        local id="org.emptest.$1_$$"
        cleanup_add "$EMP_APPS/$id"
        printf '%s' "$id"
}

# app_home ID: where the app's home lives on the host.
app_home() {
        printf '%s/%s/home' "$EMP_APPS" "$1"
}

# --- temporary directories -------------------------------------------------

# mk_tmpdir: a fresh directory under /tmp that the current user (and, as root,
# the app's own unprivileged uid) can read; removed at exit.
mk_tmpdir() {
        local d
        d=$(mktemp -d /tmp/empyra-it.XXXXXX) || return 1
        chmod 755 "$d"
        cleanup_add "$d"
        printf '%s' "$d"
}

# mk_rwdir: a temporary directory the app may write when granted. As root the
# app runs as an unprivileged uid of its own, so the directory must let any
# uid write (sticky, like /tmp); as a user it is simply the user's own.
mk_rwdir() {
        local d
        d=$(mk_tmpdir) || return 1
        if is_root; then chmod 1777 "$d"; fi
        printf '%s' "$d"
}

# --- running sandboxes -----------------------------------------------------

# run_sb [RUN-OPTIONS...] -- PROGRAM [ARG...]
# Runs `empyra run` with stdin from /dev/null; sets SB_OUT, SB_ERR, SB_RC.
# SB_PREFIX (an array, e.g. (env VAR=VALUE)) goes before the empyra command.
SB_PREFIX=()
SB_OUT=
SB_ERR=
SB_RC=
run_sb() {
        local out err
        out=$(mktemp /tmp/empyra-it-out.XXXXXX)
        err=$(mktemp /tmp/empyra-it-err.XXXXXX)
        timeout -k 5 "$SB_TIMEOUT" "${SB_PREFIX[@]+"${SB_PREFIX[@]}"}" "$EMPYRA" run "$@" </dev/null >"$out" 2>"$err"
        SB_RC=$?
        SB_OUT=$(cat "$out")
        SB_ERR=$(cat "$err")
        rm -f "$out" "$err"
        [ "$SB_RC" -eq 124 ] && SB_ERR="$SB_ERR
(test harness: empyra run timed out after ${SB_TIMEOUT}s)"
        return 0
}

# sb_sh [RUN-OPTIONS...] SCRIPT: run_sb with `sh -c SCRIPT`.
sb_sh() {
        local script=${!#}
        local n=$(($# - 1))
        run_sb "${@:1:$n}" -- sh -c "$script"
}

# diag_sb: the last sandbox's status and output, for a failing test.
diag_sb() {
        diag "exit status: $SB_RC"
        [ -n "$SB_OUT" ] && diag "stdout:" "$SB_OUT"
        [ -n "$SB_ERR" ] && diag "stderr:" "$SB_ERR"
        return 0
}

# sb_is GOT WANT DESC: like is, with the sandbox's output on failure.
sb_is() {
        if [ "$1" = "$2" ]; then
                ok "$3"
        else
                not_ok "$3"
                diag "got:  '$1'" "want: '$2'"
                diag_sb
        fi
}

# sb_ok DESC CMD [ARG...] | sb_ok DESC 'EXPRESSION': passes when the command
# succeeds, or when the one string given is a shell expression (&&, !, ...)
# that holds; shows the last sandbox's output otherwise.
sb_ok() {
        local _sb_desc=$1
        shift
        local _sb_r
        if [ $# -eq 1 ]; then
                eval "$1"
        else
                "$@"
        fi
        _sb_r=$?
        if [ $_sb_r -eq 0 ]; then
                ok "$_sb_desc"
        else
                not_ok "$_sb_desc"
                diag_sb
        fi
}

# --- empyrad ------------------------------------------------------------------

# daemon_pids: the live empyrad processes of this user for this runtime
# directory (one started for another runtime directory is someone else's;
# with XDG_RUNTIME_DIR unset, only those that have none either). An exited one
# may linger as a zombie until reaped: not counted.
daemon_pids() {
        local p env
        for p in $(pgrep -u "$(id -u)" -x empyrad); do
                env=$(tr '\0' '\n' 2>/dev/null <"/proc/$p/environ") || continue
                if [ -n "${XDG_RUNTIME_DIR:-}" ]; then
                        printf '%s\n' "$env" | grep -qxF "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR" || continue
                else
                        printf '%s\n' "$env" | grep -q "^XDG_RUNTIME_DIR=" && continue
                fi
                case "$(ps -o stat= -p "$p" 2>/dev/null)" in Z* | "") ;; *) echo "$p" ;; esac
        done | sort
}

# stop_daemon: SIGTERM ours, wait up to 5 s, then SIGKILL what is left.
stop_daemon() {
        local p i
        for p in $(daemon_pids); do kill -TERM "$p"; done
        for i in $(seq 1 50); do [ -z "$(daemon_pids)" ] && return 0; sleep 0.1; done
        for p in $(daemon_pids); do kill -KILL "$p"; done
}

# answer FIFO TEXT: write one line to a prompt UI's input, never waiting
# more than 10 s for a reader (a UI that died must not hang the suite).
answer() {
        timeout 10 sh -c 'printf "%s\n" "$2" >"$1"' _ "$1" "$2" || diag "nobody read the answer '$2' from $1"
}

have() {
        command -v "$1" >/dev/null 2>&1
}

# The probes directory must be visible inside for the probes to run.
probe_grant() {
        printf -- '--filesystem=%s:ro' "$PROBES"
}
