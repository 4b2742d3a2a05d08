#!/bin/bash
# t_hardening.sh — what the app may not do (DESIGN.md §4, §5): no
# capabilities, no_new_privs, seccomp, Landlock, a non-root uid, no setuid
# elevation, no namespaces or mounts, ptrace only inside, no leaked fds.
. "$TESTS/lib.sh"

APP=$(app_id Hardening)
PG=$(probe_grant)

# --- credentials and process state -------------------------------------------

run_sb --app="$APP" -- cat /proc/self/status
for f in CapInh CapPrm CapEff CapBnd CapAmb; do
        v=$(printf '%s\n' "$SB_OUT" | awk -v k="$f:" '$1 == k {print $2}')
        sb_is "$v" 0000000000000000 "$f is empty"
done
sb_is "$(printf '%s\n' "$SB_OUT" | awk '$1 == "NoNewPrivs:" {print $2}')" 1 "no_new_privs is set"
sb_is "$(printf '%s\n' "$SB_OUT" | awk '$1 == "Seccomp:" {print $2}')" 2 "a seccomp filter is installed (mode 2)"
uids=$(printf '%s\n' "$SB_OUT" | awk '$1 == "Uid:" {print $2, $3, $4, $5}')
sb_ok "no uid of the app (real, effective, saved, fs) is 0 ($uids)" \
        '[ -n "$uids" ] && ! grep -qw 0 <<<"$uids"'

sb_sh --app="$APP" 'id -u; cat /proc/self/uid_map'
inner=$(printf '%s\n' "$SB_OUT" | head -1)
isnt "$inner" 0 "id -u inside is not 0"
# The inside uid seen from the host, through the namespace's map.
outer=$(printf '%s\n' "$SB_OUT" | tail -n +2 | awk -v u="$inner" \
        'u >= $1 && u < $1 + $3 {print $2 + (u - $1); exit}')
if [ -n "$outer" ] && [ "$outer" != 0 ]; then
        ok "the app's uid maps to host uid $outer, not root"
else
        not_ok "the app's uid maps to a non-root host uid"
        diag_sb
fi
if ! is_root; then
        is "$outer" "$(id -u)" "the app's uid is the invoking user's on the host"
fi

# --- Landlock ------------------------------------------------------------------

sb_sh --app="$APP" 'echo "run-owner=$(stat -c %u /run) me=$(id -u)"
        touch /run/empyra-it 2>&1; echo "run-rc=$?"
        touch "/run/user/$(id -u)/empyra-it" && echo rundir-writable'
me=$(printf '%s\n' "$SB_OUT" | sed -n 's/^run-owner=\([0-9]*\) me=\([0-9]*\)$/\1 \2/p')
sb_ok "/run belongs to the app (so only Landlock can refuse writes there)" \
        '[ -n "$me" ] && [ "${me% *}" = "${me#* }" ]'
like "$SB_OUT" "/run/empyra-it.*Permission denied" "Landlock refuses a file in /run (EACCES)"
like "$SB_OUT" 'run-rc=[1-9]' "touch /run/x fails"
like "$SB_OUT" 'rundir-writable' "/run/user/\$UID is writable"

# --- seccomp ---------------------------------------------------------------------

seccomp_run() {
        local desc=$1
        shift
        run_sb --app="$APP" "$PG" "$@"
        if [ "$SB_RC" -eq 0 ] && printf '%s\n' "$SB_OUT" | grep -q '^ok '; then
                ok "$desc"
        else
                not_ok "$desc (exit $SB_RC)"
                printf '%s\n' "$SB_OUT" | grep '^not ok' | while IFS= read -r l; do diag "probe: $l"; done
                [ -n "$SB_ERR" ] && diag "stderr:" "$SB_ERR"
        fi
}
if [ -x "$PROBES/seccomp_probe" ]; then
        seccomp_run "seccomp probe: every refused call refused, allowed ones allowed" -- "$PROBES/seccomp_probe"
        seccomp_run "seccomp probe with --allow=multiarch: i386 entry works, the rest unchanged" \
                --allow=multiarch -- "$PROBES/seccomp_probe" --multiarch
        seccomp_run "seccomp probe with --allow=nested: namespaces reach the kernel" \
                --allow=nested -- "$PROBES/seccomp_probe" --nested
else
        not_ok "seccomp probe present at $PROBES/seccomp_probe"
fi

# --- no elevation, no namespaces, no mounts -------------------------------------

sb_sh --app="$APP" 'su -c "id -u" root </dev/null 2>&1; echo "su-rc=$?"'
like "$SB_OUT" 'su-rc=[1-9]' "setuid su does not run a root command"
unlike "$SB_OUT" '^0$' "setuid su does not reach uid 0"
run_sb --app="$APP" -- cat /proc/self/mountinfo
usr=$(printf '%s\n' "$SB_OUT" | awk '$5 == "/usr" {print $6}' | tail -1)
like "$usr" '(^|,)nosuid(,|$)' "/usr is mounted nosuid ($usr)"
like "$usr" '(^|,)ro(,|$)' "/usr is mounted read-only ($usr)"
suid_rw=$(printf '%s\n' "$SB_OUT" | awk '$6 !~ /(^|,)nosuid(,|$)/ {print $5}' | tr '\n' ' ')
sb_is "$suid_rw" "" "every mount in the sandbox is nosuid"

sb_sh --app="$APP" 'unshare -U true 2>&1; echo "rc=$?"'
like "$SB_OUT" 'rc=[1-9]' "a new user namespace is refused (unshare -U)"
sb_sh --app="$APP" 'unshare -m true 2>&1; echo "rc=$?"'
like "$SB_OUT" 'rc=[1-9]' "a new mount namespace is refused (unshare -m)"

sb_sh --app="$APP" 'mount -t tmpfs none /tmp 2>&1; echo "rc=$?"
        python3 -c "
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
r = libc.mount(b\"none\", b\"/tmp\", b\"tmpfs\", 0, None)
print(\"mount-syscall\", r, os.strerror(ctypes.get_errno()))"'
like "$SB_OUT" 'rc=[1-9]' "mount(8) fails"
like "$SB_OUT" 'mount-syscall -1 Operation not permitted' "the mount syscall itself is refused (EPERM)"

# --- ptrace ------------------------------------------------------------------------

if [ -x "$PROBES/ptrace_probe" ]; then
        run_sb --app="$APP" "$PG" -- "$PROBES/ptrace_probe"
        sb_ok "ptrace works on the app's own children (TRACEME, GETREGS, PEEKUSER, CONT)" \
                '[ "$SB_RC" -eq 0 ] && [ "$SB_OUT" = ok ]'
        run_sb --app="$APP" "$PG" -- "$PROBES/ptrace_probe" --pid1
        sb_ok "the app cannot ptrace the sandbox's pid 1" "[ \"\$SB_RC\" -eq 0 ] && grep -q '^ok pid1' <<<\"\$SB_OUT\""
else
        not_ok "ptrace probe present at $PROBES/ptrace_probe"
fi
sb_sh --app="$APP" 'cat /proc/1/environ >/dev/null 2>&1 && echo readable || echo unreadable'
sb_is "$SB_OUT" unreadable "/proc/1/environ is unreadable"

# --- fds, /proc, sockets ----------------------------------------------------------

LEAK=$(mk_tmpdir)/leak
src=/etc/hostname
[ -r "$src" ] || src=/dev/null
exec 7<"$src" 9>"$LEAK"
run_sb --app="$APP" -- ls /proc/self/fd
exec 7<&- 9>&-
sb_is "$(printf '%s\n' "$SB_OUT" | sort -n | tr '\n' ' ')" "0 1 2 3 " \
        "no fd leaks in: only stdio and ls's own directory fd"

sb_sh --app="$APP" 'if (: >/proc/sysrq-trigger) 2>/dev/null; then echo writable; else echo refused; fi'
sb_is "$SB_OUT" refused "/proc/sysrq-trigger is not writable"

sb_sh --app="$APP" 'python3 -c "import socket; socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)" 2>&1; echo "rc=$?"'
like "$SB_OUT" 'rc=[1-9]' "an AF_NETLINK socket is refused"
like "$SB_OUT" 'Errno (97|1)\]' "AF_NETLINK fails with EAFNOSUPPORT or EPERM"
sb_sh --app="$APP" 'python3 -c "import socket; socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); print(\"unix-ok\")"'
sb_is "$SB_OUT" unix-ok "an AF_UNIX socket still works"

done_testing
