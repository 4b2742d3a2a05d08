#!/bin/bash
# t_exit.sh — the exit status contract of `empyra run` (DESIGN.md §2), error
# messages for bad options and manifests (§3), signal forwarding, and the
# sandbox's pid 1 reaping orphans.
. "$TESTS/lib.sh"

APP=$(app_id Exit)
D=$(mk_tmpdir)

run_sb --app="$APP" -- true
sb_is "$SB_RC" 0 "true exits 0"
run_sb --app="$APP" -- sh -c 'exit 7'
sb_is "$SB_RC" 7 "the program's own status is passed on (7)"
run_sb --app="$APP" -- sh -c 'kill -TERM $$'
sb_is "$SB_RC" 143 "death by SIGTERM gives 128+15"
run_sb --app="$APP" -- sh -c 'kill -KILL $$'
sb_is "$SB_RC" 137 "death by SIGKILL gives 128+9"

run_sb --app="$APP" -- "empyra-it-no-such-program-$$"
sb_is "$SB_RC" 127 "a program that does not exist gives 127"
like "$SB_ERR" 'command not found' "... and says 'command not found'"

printf '#!/bin/sh\necho ran\n' >"$D/noexec"
chmod 644 "$D/noexec"
run_sb --app="$APP" --filesystem="$D:ro" -- "$D/noexec"
sb_is "$SB_RC" 126 "a file without the execute bit gives 126"
unlike "$SB_OUT" 'ran' "... and does not run"

run_sb --app="$APP" --empyra-it-no-such-option -- true
sb_is "$SB_RC" 125 "an unknown option gives 125"
like "$SB_ERR" '^empyra: ' "... with an 'empyra: ' message"
run_sb --app="$APP" --pids=many -- true
sb_is "$SB_RC" 125 "a malformed option value gives 125"

# Line 3 holds the bad key.
M=$D/broken.ini
printf '[Context]\nshared=network;\nsockets=wayland2;\n' >"$M"
run_sb --manifest="$M" -- true
sb_is "$SB_RC" 125 "a broken manifest gives 125"
like "$SB_ERR" "$M:3" "the message names the file and the line ($M:3)"
like "$SB_ERR" 'sockets' "the message names the key (sockets)"
like "$SB_ERR" '^empyra: ' "the message starts with 'empyra: '"

M2=$D/section.ini
printf '[Application]\nname=org.emptest.Section\n[Empyra Foo]\nx=1\n' >"$M2"
run_sb --manifest="$M2" -- true
sb_is "$SB_RC" 125 "an unknown [Empyra Foo] section gives 125"
like "$SB_ERR" 'Empyra Foo' "... and the message names the section"

run_sb --manifest="$D/empyra-it-missing.ini" -- true
sb_is "$SB_RC" 125 "a missing manifest gives 125"

# --- signals sent to the launcher reach the app -------------------------------

# The sandbox's app runs two levels below the launcher (launcher → pid 1 →
# app); wait until a process running sleep is there.
app_started() {
        local launcher=$1 init c
        for init in $(ps -o pid= --ppid "$launcher" 2>/dev/null); do
                for c in $(ps -o pid= --ppid "$init" 2>/dev/null); do
                        [ "$(cat "/proc/$c/comm" 2>/dev/null)" = sleep ] && return 0
                done
        done
        return 1
}

signal_test() {
        local sig=$1 want=$2
        "$EMPYRA" run --app="$APP" -- sleep 30 </dev/null >/dev/null 2>&1 &
        local pid=$! i
        for i in $(seq 1 100); do
                app_started "$pid" && break
                sleep 0.1
        done
        if ! app_started "$pid"; then
                not_ok "SIG$sig to the launcher: the app did not start within 10 s"
                kill -KILL "$pid" 2>/dev/null
                wait "$pid" 2>/dev/null
                return
        fi
        kill -"$sig" "$pid"
        # A generous guard, not a timing assertion.
        for i in $(seq 1 100); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
                not_ok "SIG$sig to the launcher ends the app (still running after 10 s)"
                kill -KILL "$pid" 2>/dev/null
                wait "$pid" 2>/dev/null
                return
        fi
        wait "$pid"
        is "$?" "$want" "SIG$sig to the launcher is forwarded: the app dies of it ($want)"
}
signal_test TERM 143
signal_test INT 130
signal_test HUP 129

# --- pid 1 reaps orphans ----------------------------------------------------------

sb_sh --app="$APP" 'for i in 1 2 3 4 5; do sh -c "sleep 0.2 & true & exit 0"; done
        sleep 1; ps -eo stat=,pid=,comm='
zombies=$(printf '%s\n' "$SB_OUT" | awk '$1 ~ /^Z/' | wc -l)
sb_ok "orphans are reaped: no zombie after they exit" '[ "$SB_RC" -eq 0 ] && [ -n "$SB_OUT" ] && [ "$zombies" -eq 0 ]'

# The app leaving background processes behind still ends the sandbox.
run_sb --app="$APP" -- sh -c 'sleep 30 & exit 3'
sb_is "$SB_RC" 3 "the app's status counts even with a background child left behind"

done_testing
