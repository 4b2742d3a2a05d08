#!/bin/bash
# t_limits.sh — resource limits through cgroups (DESIGN.md §2, §4, §8).
#  as root:  --pids and --memory hold; Empyra leaves no cgroup behind and
#            changes none it did not create; a user given a delegated cgroup
#            (made here, as root, then used as that user) gets limits too.
#  as user:  without a delegated cgroup, limits are refused (exit 125) unless
#            --allow-weaker=cgroup, which runs without them and says so.
. "$TESTS/lib.sh"

APP=$(app_id Limits)
CG=/sys/fs/cgroup

# Forks up to N (default 60) sleeping children, prints how many it got, then
# kills and reaps them.
FORK='import os, signal, sys
want = int(sys.argv[1]) if len(sys.argv) > 1 else 60
kids = []
for i in range(want):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        while True:
            signal.pause()
    kids.append(pid)
print(len(kids))
for p in kids:
    os.kill(p, signal.SIGKILL)
for p in kids:
    os.waitpid(p, 0)'
BIG='b = bytearray(512 * 1024 * 1024)'

is_count() {
        [[ "$1" =~ ^[0-9]+$ ]]
}

if ! is_root; then
        # --- an unprivileged user without a delegated cgroup -----------------
        if [ -n "${EMPYRA_CGROUP_PARENT:-}" ]; then
                skip "no-delegation tests: EMPYRA_CGROUP_PARENT is set in this environment"
                done_testing
        fi
        run_sb --app="$APP" --pids=16 -- true
        sb_is "$SB_RC" 125 "--pids without a delegated cgroup is refused (exit 125)"
        like "$SB_ERR" '--allow-weaker=cgroup' "... and the message points at --allow-weaker=cgroup"
        run_sb --app="$APP" --memory=64M -- true
        sb_is "$SB_RC" 125 "--memory without a delegated cgroup is refused (exit 125)"
        run_sb --app="$APP" --pids=16 --allow-weaker=cgroup -- sh -c 'echo ran'
        sb_is "$SB_RC" 0 "with --allow-weaker=cgroup it runs"
        sb_is "$SB_OUT" ran "... the program runs"
        like "$SB_ERR" 'WITHOUT resource limits' "... and warns it runs WITHOUT resource limits"
        done_testing
fi

# --- as root --------------------------------------------------------------------

cg_dirs() {
        find "$CG" -mindepth 1 -type d 2>/dev/null | sort
}
# The limit and delegation knobs of every cgroup: none Empyra did not create
# may change.
cg_knobs() {
        local d k
        for d in $(cg_dirs); do
                for k in pids.max memory.limit_in_bytes memory.memsw.limit_in_bytes memory.max \
                        memory.swap.max cpu.shares cpu.weight cgroup.subtree_control; do
                        [ -r "$d/$k" ] && printf '%s=%s\n' "$d/$k" "$(tr '\n' ' ' <"$d/$k" 2>/dev/null)"
                done
        done
}
BEFORE_DIRS=$(cg_dirs)
BEFORE_KNOBS=$(cg_knobs)

run_sb --app="$APP" -- python3 -c "$FORK"
sb_is "$SB_OUT" 60 "without a limit the fork loop gets all 60 children (control)"

run_sb --app="$APP" --pids=16 -- python3 -c "$FORK"
n=$SB_OUT
sb_ok "--pids=16: the fork loop ran (got $n children)" '[ "$SB_RC" -eq 0 ] && is_count "$n" && [ "$n" -ge 1 ]'
sb_ok "--pids=16 holds: fewer than 16 children" 'is_count "$n" && [ "$n" -lt 16 ]'

run_sb --app="$APP" --memory=64M -- python3 -c "$BIG"
sb_is "$SB_RC" 137 "--memory=64M: a 512 MiB allocation is killed (137)"
run_sb --app="$APP" --memory=64M -- python3 -c 'b = bytearray(8 * 1024 * 1024); print("fits")'
sb_is "$SB_OUT" fits "--memory=64M: an 8 MiB allocation fits (control)"

run_sb --app="$APP" --cpu-weight=50 -- true
sb_is "$SB_RC" 0 "--cpu-weight=50 runs"

# --- a cgroup delegated to an unprivileged user -----------------------------------

DUSER=${TEST_DELEGATE_USER:-empyratest}
if ! id "$DUSER" >/dev/null 2>&1; then
        useradd -m -s /bin/bash "$DUSER" >/dev/null 2>&1
fi
DELEG=empyra-deleg-$$
DELEG_DIRS=()

# Where a controller lives, the way the launcher looks: a v2 hierarchy that
# has it, else its own v1 hierarchy. Prints "ROOT v1|v2".
ctrl_root() {
        local c=$1 r
        for r in "$CG" "$CG/unified"; do
                if [ -r "$r/cgroup.controllers" ] && grep -qw "$c" "$r/cgroup.controllers"; then
                        echo "$r v2"
                        return 0
                fi
        done
        if [ "$(stat -f -c %T "$CG/$c" 2>/dev/null)" = cgroupfs ]; then
                echo "$CG/$c v1"
                return 0
        fi
        return 1
}

# Removes what deleg_setup made (deepest first; the launcher's own cgroups
# should already be gone).
deleg_teardown() {
        local d sub
        for d in "${DELEG_DIRS[@]+"${DELEG_DIRS[@]}"}"; do
                [ -d "$d" ] || continue
                for sub in $(find "$d" -mindepth 1 -type d 2>/dev/null | sort -r); do rmdir "$sub" 2>/dev/null; done
                rmdir "$d" 2>/dev/null
        done
}
at_exit deleg_teardown

# v1: the directory and its cgroup.procs belong to the user, who may then move
# its own processes in. v2: also cgroup.subtree_control, and a leaf holding
# the user's shell so that moves stay within the delegated subtree.
deleg_setup() {
        local c line root kind d
        V2_LEAF=
        for c in pids memory; do
                line=$(ctrl_root "$c") || return 1
                root=${line% *}
                kind=${line#* }
                d=$root/$DELEG
                [ -d "$d" ] && continue
                if [ "$kind" = v2 ]; then
                        grep -qw "$c" "$root/cgroup.subtree_control" 2>/dev/null || return 1
                        mkdir "$d" || return 1
                        DELEG_DIRS+=("$d")
                        mkdir "$d/shell" || return 1
                        chown "$DUSER:" "$d" "$d/cgroup.procs" "$d/cgroup.subtree_control" \
                                "$d/shell" "$d/shell/cgroup.procs" || return 1
                        V2_LEAF=$d/shell
                else
                        mkdir "$d" || return 1
                        DELEG_DIRS+=("$d")
                        chown "$DUSER:" "$d" "$d/cgroup.procs" || return 1
                fi
        done
        return 0
}

# as_deleg_user EMPYRA-RUN-ARGS...: empyra run as the user, with the delegated
# cgroup; sets SB_OUT, SB_ERR, SB_RC.
as_deleg_user() {
        local out err
        out=$(mktemp /tmp/empyra-it-out.XXXXXX)
        err=$(mktemp /tmp/empyra-it-err.XXXXXX)
        chmod 666 "$out" "$err"
        (
                cd / || exit 125
                if [ -n "$V2_LEAF" ]; then echo $$ >"$V2_LEAF/cgroup.procs" || exit 125; fi
                exec timeout -k 5 "$SB_TIMEOUT" setpriv --reuid="$DUID" --regid="$DGID" --init-groups \
                        env -i HOME="$DHOME" USER="$DUSER" PATH=/usr/local/bin:/usr/bin:/bin \
                        XDG_RUNTIME_DIR="$DRUN" EMPYRA_CGROUP_PARENT="$DELEG" \
                        "$DEMPYRA" run "$@"
        ) </dev/null >"$out" 2>"$err"
        SB_RC=$?
        SB_OUT=$(cat "$out")
        SB_ERR=$(cat "$err")
        rm -f "$out" "$err"
}

if ! id "$DUSER" >/dev/null 2>&1; then
        skip "delegated cgroup: no user $DUSER and useradd failed"
elif ! deleg_setup; then
        skip "delegated cgroup: this host's cgroup layout offers no pids and memory controllers to delegate"
        deleg_teardown
else
        DUID=$(id -u "$DUSER")
        DGID=$(id -g "$DUSER")
        DHOME=$(getent passwd "$DUSER" | cut -d: -f6)
        DAPP=org.emptest.Deleg_$$
        cleanup_add "$DHOME/.local/share/empyra/apps/$DAPP"
        DT=$(mk_tmpdir)
        DRUN=$DT/run
        mkdir -m 700 "$DRUN" && chown "$DUSER:" "$DRUN"
        # The user must be able to run the binary: the tree it sits in may not be open to it.
        DEMPYRA=$EMPYRA
        if ! setpriv --reuid="$DUID" --regid="$DGID" --init-groups test -x "$EMPYRA"; then
                cp "$EMPYRA" "$DT/empyra" && chmod 755 "$DT/empyra"
                DEMPYRA=$DT/empyra
        fi
        diag "delegated to $DUSER: ${DELEG_DIRS[*]}"

        as_deleg_user --app="$DAPP" --pids=16 -- python3 -c "$FORK"
        n=$SB_OUT
        sb_ok "delegated cgroup: $DUSER runs with --pids=16 (got $n children)" \
                '[ "$SB_RC" -eq 0 ] && is_count "$n" && [ "$n" -ge 1 ]'
        sb_ok "delegated cgroup: --pids=16 holds for $DUSER (fewer than 16 children)" 'is_count "$n" && [ "$n" -lt 16 ]'
        as_deleg_user --app="$DAPP" --memory=64M -- python3 -c "$BIG"
        sb_is "$SB_RC" 137 "delegated cgroup: --memory=64M holds for $DUSER (killed, 137)"

        left=""
        for d in "${DELEG_DIRS[@]}"; do
                left="$left$(find "$d" -mindepth 1 -type d ! -path "$d/shell" 2>/dev/null)"
        done
        is "$left" "" "delegated cgroup: the launcher removed the app's cgroups inside it"
        deleg_teardown
        left=""
        for d in "${DELEG_DIRS[@]}"; do [ -e "$d" ] && left="$left $d"; done
        is "$left" "" "delegated cgroup: the test's delegated cgroups are removed"
fi

# --- nothing left behind, nothing changed -------------------------------------------

AFTER_DIRS=$(cg_dirs)
new=$(comm -13 <(printf '%s\n' "$BEFORE_DIRS") <(printf '%s\n' "$AFTER_DIRS") | grep .)
gone=$(comm -23 <(printf '%s\n' "$BEFORE_DIRS") <(printf '%s\n' "$AFTER_DIRS") | grep .)
# Empyra's one parent cgroup (DESIGN.md §8) may stay, empty; the apps' must not.
parents=$(printf '%s\n' "$new" | grep -E '/empyra$')
stray=$(printf '%s\n' "$new" | grep -vE '/empyra$' | grep .)
if [ -z "$stray" ]; then
        ok "no cgroup is left behind by the launches"
else
        not_ok "no cgroup is left behind by the launches"
        diag "new cgroups:" "$stray"
fi
is "$gone" "" "no cgroup that existed before was removed"
for p in $parents; do
        diag "Empyra's parent cgroup was created: $p"
        sub=$(find "$p" -mindepth 1 -type d | head -3)
        is "$sub" "" "Empyra's parent cgroup $p holds no app cgroup"
        rmdir "$p" 2>/dev/null # leave the host as it was found
done
# A launcher killed with SIGKILL cannot remove its app's cgroup: the next
# launch does, once that launcher is gone and the cgroup empty.
if is_root; then
        DEAD=$(sh -c 'echo $$')
        # Where this host puts an app's memory cgroup: --verbose says.
        run_sb --app="$(app_id Reap)" --memory=64M --verbose -- true
        CG=$(printf '%s\n' "$SB_ERR" | sed -n 's|^  cgroup: \([^ ,]*\)/[^/ ]* (v[12]).*|\1|p' | head -1)
        if [ -n "$CG" ] && mkdir -p "$CG/org.emptest.Killed-$DEAD" 2>/dev/null; then
                run_sb --app="$(app_id Reap)" --memory=64M -- true
                check "a cgroup left by a killed launcher is removed by the next launch" test ! -d "$CG/org.emptest.Killed-$DEAD"
                rmdir "$CG/org.emptest.Killed-$DEAD" 2>/dev/null
                rmdir "$CG" 2>/dev/null
        else
                skip "a cgroup left by a killed launcher is removed by the next launch: no Empyra parent cgroup here"
        fi
fi
AFTER_KNOBS=$(cg_knobs)
# Only knobs of cgroups that existed before count; compare each by path.
changed=$(join -t= -j1 <(printf '%s\n' "$BEFORE_KNOBS" | sort -t= -k1,1) <(printf '%s\n' "$AFTER_KNOBS" | sort -t= -k1,1) |
        awk -F= '$2 != $3 {print $1 ": " $2 " -> " $3}')
if [ -z "$changed" ]; then
        ok "no limit or delegation knob of a pre-existing cgroup changed"
else
        not_ok "no limit or delegation knob of a pre-existing cgroup changed"
        diag "$changed"
fi

done_testing
