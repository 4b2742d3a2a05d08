#!/bin/bash
# t_focus.sh — focus (DESIGN.md §8): the focused app's cgroup gets a high cpu
# weight, other Empyra apps a low one, Empyra's parent a high one; all is
# restored on --clear and when the focused app exits; no cgroup outside
# Empyra's is touched; without a cgroup of its own, --focus fails clearly.
. "$TESTS/lib.sh"

if ! is_root; then
        run_sb --focus -- true
        sb_is "$SB_RC" 125 "as a user without a delegated cgroup, --focus is refused (exit 125)"
        like "$SB_ERR" "focus:.*cgroup" "... with a message naming focus and the missing cgroup"
        "$EMPYRA" focus org.emptest.NotRunning >/dev/null 2>&1; rc=$?
        is "$rc" 1 "empyra focus of an app that is not running fails (exit 1)"
        done_testing
fi

# Every cgroup and cpu weight outside Empyra's own, to compare afterwards.
snapshot() {
        find /sys/fs/cgroup -path '*/empyra' -prune -o \( -name cpu.shares -o -name cpu.weight \) -print 2>/dev/null |
                sort | while read -r f; do printf '%s %s\n' "$f" "$(cat "$f" 2>/dev/null)"; done
}
BEFORE=$(snapshot)

GAME=$(app_id FocusGame)
HOG=$(app_id FocusHog)
PIDS=()
start_app() {
        "$EMPYRA" run --app="$1" "${@:2}" -- sleep 30 </dev/null >/dev/null 2>&1 &
        PIDS+=($!)
}
# Never a bare `wait`: it would also wait for the helpers started below.
wait_apps() { [ ${#PIDS[@]} -eq 0 ] || wait "${PIDS[@]}" 2>/dev/null; }
at_exit 'kill "${PIDS[@]}" 2>/dev/null; wait_apps'

# Wait (bounded) until `empyra focus ID` succeeds, i.e. the app is registered.
focus_when_up() {
        local i
        for i in $(seq 1 100); do
                FOCUS_OUT=$("$EMPYRA" focus "$1" 2>&1) && return 0
                sleep 0.1
        done
        return 1
}
# cgroup_of APP: the cpu cgroup the last focus output names for APP.
cgroup_of() {
        printf '%s\n' "$FOCUS_OUT" | sed -n "s/^cpu: $1 [a-z ,]*weight [0-9]* (\(.*\))\$/\1/p"
}
parent_of_output() {
        printf '%s\n' "$FOCUS_OUT" | sed -n "s/^cpu: Empyra's parent cgroup weight [0-9]* (\(.*\))\$/\1/p" | head -1
}
# weight DIR: the cpu weight in v2 terms; v1 cpu.shares are mapped back
# with the launcher's rule (shares = max(2, weight * 1024 / 100)).
weight() {
        if [ -f "$1/cpu.weight" ]; then cat "$1/cpu.weight"; return; fi
        local s w
        s=$(cat "$1/cpu.shares" 2>/dev/null) || { echo missing; return; }
        for w in 1 100 10000; do
                local e=$((w * 1024 / 100))
                [ $e -lt 2 ] && e=2
                [ "$s" = "$e" ] && { echo $w; return; }
        done
        echo "shares=$s"
}

start_app "$GAME"
start_app "$HOG"
if focus_when_up "$GAME"; then ok "empyra focus finds the running app"; else not_ok "empyra focus finds the running app"; diag "$FOCUS_OUT"; fi
G=$(cgroup_of "$GAME")
H=$(cgroup_of "$HOG")
P=$(parent_of_output)
ok_dirs='[ -d "$G" ] && [ -d "$H" ] && [ -d "$P" ]'
sb_ok "the output names the game's, the hog's and Empyra's parent cgroups" "$ok_dirs"
case "$G" in "$P"/*) ok "the app cgroups live under Empyra's own parent ($P)" ;; *) not_ok "the app cgroups live under Empyra's own parent"; diag "G=$G P=$P" ;; esac
is "$(weight "$G")" 10000 "the focused app's cgroup gets weight 10000"
is "$(weight "$H")" 1 "another Empyra app gets weight 1"
is "$(weight "$P")" 10000 "Empyra's parent cgroup gets weight 10000 while an app is focused"
like "$FOCUS_OUT" "not applied: " "what could not be applied is reported"
PS=$("$EMPYRA" ps --json | python3 -c 'import json,sys
apps = {a["app"]: a for a in json.load(sys.stdin)}
print(sorted(k for k in apps if k.startswith("org.emptest.")), apps.get(sys.argv[1], {}).get("focused"))' "$GAME")
is "$PS" "['$GAME', '$HOG'] True" "empyra ps --json lists both apps and marks the focused one"

"$EMPYRA" focus --clear >/dev/null
is "$(weight "$G")" 100 "--clear restores the game's weight"
is "$(weight "$H")" 100 "--clear restores the other app's weight"
is "$(weight "$P")" 100 "--clear restores Empyra's parent weight"
is "$("$EMPYRA" focus --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["focused"])')" None \
        "empyra focus --json shows nothing focused"

# Focus ends when the focused app exits.
focus_when_up "$GAME" >/dev/null
kill -TERM "${PIDS[0]}"
wait "${PIDS[0]}" 2>/dev/null
is "$("$EMPYRA" focus --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["focused"])')" None \
        "focus is cleared when the focused app exits"
is "$(weight "$H")" 100 "... and the other app's weight is restored"
sb_ok "... and the exited app's cgroup is removed" '[ ! -d "$G" ]'

# A new app started with --focus takes it.
GAME2=$(app_id FocusGame2)
start_app "$GAME2" --focus
for i in $(seq 1 100); do
        [ "$("$EMPYRA" focus --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["focused"])')" = "$GAME2" ] && break
        sleep 0.1
done
is "$("$EMPYRA" focus --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["focused"])')" "$GAME2" \
        "run --focus focuses the new app"
is "$(weight "$H")" 1 "... and puts the running app in the background"

# A new app launched while another is focused starts in the background.
LATE=$(app_id FocusLate)
start_app "$LATE"
for i in $(seq 1 100); do
        FOCUS_OUT=$("$EMPYRA" focus "$GAME2" 2>&1)
        L=$(cgroup_of "$LATE")
        [ -n "$L" ] && break
        sleep 0.1
done
is "$(weight "$L")" 1 "an app started while another is focused gets the low weight"

kill "${PIDS[@]}" 2>/dev/null
wait_apps
PIDS=()

# The CPU governor extra, on a stand-in cpufreq tree (this VM has none).
FAKE=$(mk_tmpdir)
for c in 0 1; do
        mkdir -p "$FAKE/cpu$c/cpufreq"
        echo powersave >"$FAKE/cpu$c/cpufreq/scaling_governor"
        echo "performance powersave" >"$FAKE/cpu$c/cpufreq/scaling_available_governors"
done
export EMPYRA_TEST_SYSFS_CPU=$FAKE
GOV=$(app_id FocusGov)
start_app "$GOV"
focus_when_up "$GOV"
like "$FOCUS_OUT" "governor: performance on 2 of 2" "focus sets the performance governor (and says so)"
governors() { local f; for f in "$FAKE"/cpu*/cpufreq/scaling_governor; do printf '%s ' "$(cat "$f")"; done; }
is "$(governors)" "performance performance " "... on every CPU"
kill -TERM "${PIDS[0]}"
wait "${PIDS[0]}" 2>/dev/null
PIDS=()
is "$(governors)" "powersave powersave " \
        "the previous governors come back when the focused app exits"
unset EMPYRA_TEST_SYSFS_CPU

# The screensaver extra: empyrad holds an org.freedesktop.ScreenSaver
# inhibition while an app is focused (a test bus and a stand-in service).
HELPER=$(dirname "$EMPYRA")/helpers/fake_screensaver
if have dbus-daemon && [ -x "$HELPER" ]; then
        PRIV=$(mk_tmpdir)
        chmod 700 "$PRIV"
        mkdir -m 700 "$PRIV/run"
        busaddr="unix:path=$PRIV/bus"
        # --print-pid into a file: the forked bus keeps that descriptor open,
        # so a $(...) capture would never end.
        dbus-daemon --session --address="$busaddr" --fork --print-pid >"$PRIV/bus.pid" </dev/null
        buspid=$(cat "$PRIV/bus.pid")
        at_exit "kill $buspid"
        export DBUS_SESSION_BUS_ADDRESS=$busaddr XDG_RUNTIME_DIR=$PRIV/run XDG_STATE_HOME=$PRIV/state \
                XDG_CONFIG_HOME=$PRIV/config
        "$HELPER" "$PRIV/ss.log" </dev/null >/dev/null 2>&1 &
        sspid=$!
        at_exit "kill $sspid"
        for i in $(seq 1 50); do grep -q ready "$PRIV/ss.log" 2>/dev/null && break; sleep 0.1; done
        SS=$(app_id FocusScreen)
        start_app "$SS"
        focus_when_up "$SS"
        like "$FOCUS_OUT" "screensaver: inhibited for $SS" "focus inhibits the screensaver through the session bus"
        like "$(cat "$PRIV/ss.log")" "inhibit $SS is focused" "... the ScreenSaver service got Inhibit"
        "$EMPYRA" focus --clear >/dev/null
        like "$(cat "$PRIV/ss.log")" "uninhibit 42" "--clear releases the inhibition (UnInhibit with its cookie)"
        focus_when_up "$SS"
        kill -TERM "${PIDS[0]}"
        wait "${PIDS[0]}" 2>/dev/null
        PIDS=()
        is "$(grep -c '^uninhibit 42' "$PRIV/ss.log")" 2 "the focused app exiting releases it too"
        for p in $(pgrep -x empyrad); do
                tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "XDG_RUNTIME_DIR=$PRIV/run" && kill "$p"
        done
        unset DBUS_SESSION_BUS_ADDRESS
        GONE=$(app_id FocusNoBus)
        start_app "$GONE"
        focus_when_up "$GONE"
        like "$FOCUS_OUT" "not applied: screensaver inhibit \(no session bus" \
                "without a session bus the screensaver extra is reported as not applied"
        kill "${PIDS[@]}" 2>/dev/null
        wait_apps
        PIDS=()
        kill "$sspid" "$buspid" 2>/dev/null
        wait "$sspid" 2>/dev/null
        unset XDG_RUNTIME_DIR XDG_STATE_HOME XDG_CONFIG_HOME
else
        skip "screensaver inhibit: dbus-daemon or the stand-in service is missing"
fi

AFTER=$(snapshot)
if [ "$BEFORE" = "$AFTER" ]; then
        ok "no cgroup outside Empyra's was created or had its cpu weight changed"
else
        not_ok "no cgroup outside Empyra's was created or had its cpu weight changed"
        diag "$(diff <(printf '%s\n' "$BEFORE") <(printf '%s\n' "$AFTER") | head -20)"
fi
sb_ok "Empyra's parent cgroup is removed once no app uses it" '[ ! -d "$P" ]'
done_testing
