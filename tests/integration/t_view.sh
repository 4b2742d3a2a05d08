#!/bin/bash
# t_view.sh — what the sandbox's filesystem looks like from inside
# (DESIGN.md §4): nothing of the host beyond grants, read-only system
# directories, private scratch space, a minimal /dev and /proc, the app's own
# home, grants at the right places with the right rights, and Empyra's own
# directories and other apps' homes covered whatever is granted.
. "$TESTS/lib.sh"

ME=$(id -u)
APP=$(app_id View)
OTHER=$(app_id Other)
ONE=$(app_id One)

# --- host files outside grants are absent ------------------------------------

HOST_MARK=$(mktemp /tmp/empyra-it-hostfile.XXXXXX)
cleanup_add "$HOST_MARK"
echo host-secret >"$HOST_MARK"
chmod 644 "$HOST_MARK"
ABSENT=(/root /var/log /etc/shadow "$HOST_HOME" "$HOST_MARK")
sb_sh --app="$APP" 'for p in '"${ABSENT[*]}"'; do
        if [ -e "$p" ] || [ -L "$p" ]; then echo "$p present"; else echo "$p absent"; fi; done'
seen=""
for p in "${ABSENT[@]}"; do
        case " $seen " in *" $p "*) continue ;; esac
        seen="$seen $p"
        line=$(printf '%s\n' "$SB_OUT" | grep -F -x -- "$p absent")
        sb_ok "host path $p is absent inside" [ -n "$line" ]
done

# --- read-only system, private scratch --------------------------------------

sb_sh --app="$APP" 'touch /usr/empyra-it-probe 2>&1; echo "rc=$?"'
like "$SB_OUT" 'Read-only file system' "/usr is read-only (touch fails with EROFS)"
sb_sh --app="$APP" 'touch /empyra-it-probe 2>&1; echo "rc=$?"; mkdir /empyra-it-dir 2>&1'
like "$SB_OUT" 'Read-only file system' "/ is read-only (touch / mkdir fail with EROFS)"
unlike "$SB_OUT" 'rc=0' "/ refuses new files"

sb_sh --app="$APP" 'echo "tmp=[$(ls -A /tmp)] vartmp=[$(ls -A /var/tmp)]"
        echo x >/tmp/f && echo x >/var/tmp/f && echo writable'
sb_is "$(printf '%s\n' "$SB_OUT" | head -1)" "tmp=[] vartmp=[]" "/tmp and /var/tmp are empty at start"
like "$SB_OUT" 'writable' "/tmp and /var/tmp are writable"
# A second run starts from empty again: nothing of the first survived.
sb_sh --app="$APP" 'echo "[$(ls -A /tmp /var/tmp 2>&1 | grep -v :)]"'
sb_is "$(printf '%s' "$SB_OUT" | tr -d '\n')" "[]" "/tmp and /var/tmp are private to each run"

# --- /dev, /proc, /sys ---------------------------------------------------------

run_sb --app="$APP" -- ls -A /dev
got=$(printf '%s\n' "$SB_OUT" | sort | tr '\n' ' ')
want=$(printf '%s\n' null zero full random urandom tty pts ptmx shm fd stdin stdout stderr | sort | tr '\n' ' ')
sb_is "$got" "$want" "/dev holds only the minimal set"

run_sb --app="$APP" -- ls /proc
pids=$(printf '%s\n' "$SB_OUT" | grep -cE '^[0-9]+$')
sb_ok "/proc shows only the sandbox's processes ($pids pids, at most 3)" '[ "$pids" -ge 1 ] && [ "$pids" -le 3 ]'
sb_ok "/proc belongs to the sandbox's pid namespace (pid 1 is there)" grep -qx 1 <<<"$SB_OUT"

sb_sh --app="$APP" 'if [ -e /sys ]; then echo present; ls /sys; else echo absent; fi'
sb_is "$SB_OUT" "absent" "there is no /sys"

# --- the app's home -------------------------------------------------------------

sb_sh --app="$APP" 'echo "HOME=$HOME"; echo kept-$$ >"$HOME/persist" && cat "$HOME/persist"'
sb_is "$(printf '%s\n' "$SB_OUT" | head -1)" "HOME=/home/user" "\$HOME is /home/user"
sb_ok "the home is writable" grep -q '^kept-' <<<"$SB_OUT"
first=$(printf '%s\n' "$SB_OUT" | grep '^kept-')
sb_sh --app="$APP" 'cat "$HOME/persist" 2>&1'
sb_is "$SB_OUT" "$first" "the home persists between runs of the same app"
sb_ok "the home lives in \$XDG_DATA_HOME/empyra/apps/ID/home on the host" \
        grep -qx "$first" "$(app_home "$APP")/persist"
sb_sh --app="$OTHER" 'ls -A "$HOME"; cat "$HOME/persist" 2>/dev/null || echo no-file'
sb_is "$SB_OUT" "no-file" "another app has another home"

# --- grants ---------------------------------------------------------------------

RO=$(mk_tmpdir)
echo ro-content >"$RO/file"
chmod 644 "$RO/file"
sb_sh --app="$APP" --filesystem="$RO:ro" "cat '$RO/file'; echo new >'$RO/new' 2>&1 && echo wrote; touch '$RO/file' 2>&1 && echo touched"
like "$SB_OUT" '^ro-content' "--filesystem=DIR:ro is visible"
unlike "$SB_OUT" 'wrote|touched' "--filesystem=DIR:ro refuses writes"
sb_ok "no file appeared in the read-only grant on the host" [ ! -e "$RO/new" ]

RW=$(mk_rwdir)
sb_sh --app="$APP" --filesystem="$RW" "echo rw-content >'$RW/made' && echo wrote"
like "$SB_OUT" 'wrote' "--filesystem=DIR (rw) is writable"
sb_ok "the file written inside appears on the host" grep -qx rw-content "$RW/made"
owner=$(stat -c %u "$RW/made" 2>/dev/null)
if is_root; then
        # As root the app runs as an unprivileged uid of its own.
        isnt "$owner" "0" "as root, a file the app writes in a grant is not owned by root"
else
        is "$owner" "$ME" "the file written in a grant is owned by the invoking uid"
fi

HG=$(mktemp -d "$HOST_HOME/empyra-it-grant.XXXXXX")
cleanup_add "$HG"
chmod 755 "$HG"
echo home-grant >"$HG/file"
chmod 644 "$HG/file"
rel=${HG#"$HOST_HOME"/}
sb_sh --app="$APP" --filesystem="~/$rel:ro" "cat '/home/user/$rel/file' 2>&1; [ -e '$HG' ] && [ '$HG' != '/home/user/$rel' ] && echo host-path-visible"
sb_is "$SB_OUT" "home-grant" "a grant under the host home appears under /home/user at the same relative path"

run_sb --app="$APP" --filesystem=/proc -- true
sb_is "$SB_RC" 125 "--filesystem=/proc is refused (exit 125)"
like "$SB_ERR" '^empyra: ' "the refusal is reported as 'empyra: ...'"

run_sb --app="$APP" --filesystem="/nonexistent-empyra-it-$$" -- true
sb_is "$SB_RC" 0 "a grant of a nonexistent path is skipped (exit 0)"

# --- Empyra's own directories and other apps' homes are covered --------------

# Another app leaves a secret in its home.
sb_sh --app="$OTHER" 'echo other-secret >"$HOME/secret"'
sb_ok "the other app's secret is in its home on the host" grep -qx other-secret "$(app_home "$OTHER")/secret"
sb_ok "the identity key exists on the host" [ -f "$EMP_DATA/identity.key" ]

# Places where Empyra's directories would appear inside for a grant. With the
# anonymous identity the real home shows at /home/user; "host" keeps paths.
inside_home() {
        case "$1" in
        "$HOST_HOME"/*) printf '/home/user/%s' "${1#"$HOST_HOME"/}" ;;
        *) printf '%s' "$1" ;;
        esac
}
OWN=("$EMP_DATA" "$CONFIG_HOME/empyra" "$STATE_HOME/empyra")
HOME_MARK=$(mktemp "$HOST_HOME/empyra-it-mark.XXXXXX")
cleanup_add "$HOME_MARK"
chmod 644 "$HOME_MARK"
echo home-mark >"$HOME_MARK"

for grant in home host; do
        mark=$HOME_MARK
        own=("${OWN[@]}")
        other=$EMP_APPS/$OTHER/home/secret
        if [ $grant = home ]; then
                mark=$(inside_home "$mark")
                other=$(inside_home "$other")
                for i in "${!own[@]}"; do own[i]=$(inside_home "${own[i]}"); done
        fi
        script="cat '$mark' 2>&1"
        for d in "${own[@]}"; do
                script="$script; if [ -d '$d' ]; then echo \"own $d [\$(ls -A '$d' 2>&1 | tr '\n' ' ')]\"; else echo 'own $d absent'; fi"
        done
        script="$script; cat '${own[0]}/identity.key' >/dev/null 2>&1 && echo key-readable || echo key-unreadable"
        script="$script; cat '$other' 2>/dev/null || echo other-unseen"
        script="$script; ls -A '${other%/home/secret}' 2>/dev/null | grep -q . && echo other-dir-listed || echo other-dir-unseen"
        script="$script; sed 's/^/MI /' /proc/self/mountinfo"
        sb_sh --app="$ONE" --filesystem=$grant "$script"
        if is_root; then
                # The app's uid is not root's: root's 0700 home stays shut to it,
                # so only the mount table below shows the covers at work.
                skip "--filesystem=$grant: the real home is visible (control): as root the app's own uid cannot enter root's home"
        else
                sb_ok "--filesystem=$grant: the real home is visible (control)" grep -qx home-mark <<<"$SB_OUT"
        fi
        for d in "${own[@]}"; do
                sb_ok "--filesystem=$grant: $d is covered by a tmpfs" \
                        grep -qE "^MI ([^ ]+ ){4}$d ([^ ]+ )+- tmpfs " <<<"$SB_OUT"
        done
        for d in "${own[@]}"; do
                line=$(printf '%s\n' "$SB_OUT" | grep -F -- "own $d ")
                if [ "$line" = "own $d []" ] || { is_root && [ "$line" = "own $d absent" ]; }; then
                        ok "--filesystem=$grant: $d shows empty"
                else
                        not_ok "--filesystem=$grant: $d shows empty"
                        diag "$line"
                fi
        done
        sb_ok "--filesystem=$grant: the identity key is unreadable" grep -qx key-unreadable <<<"$SB_OUT"
        sb_ok "--filesystem=$grant: another app's home is not visible" \
                grep -qx other-unseen <<<"$SB_OUT"
        sb_ok "--filesystem=$grant: another app's directory is not listed" \
                grep -qx other-dir-unseen <<<"$SB_OUT"
done

done_testing
