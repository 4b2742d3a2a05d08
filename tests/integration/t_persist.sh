#!/bin/bash
# t_persist.sh — persistent directories (DESIGN.md §3 persistent=, §4): they
# live in the app's own home on the host, also when the real home is granted,
# and a symlink the app planted there never redirects them onto the host.
. "$TESTS/lib.sh"

APP=$(app_id Persist)
AHOME=$(app_home "$APP")

# --- --persist with the real home granted ---------------------------------------

REAL=$HOST_HOME/.example
real_before=absent
[ -e "$REAL" ] && real_before=present
if is_root; then
        # The app's uid cannot enter root's 0700 home, so it cannot reach
        # ~/.example there; the launch itself must still work.
        run_sb --app="$APP" --persist=.example --filesystem=home -- true
        sb_is "$SB_RC" 0 "--persist=.example --filesystem=home launches as root (exit 0)"
        skip "--persist with --filesystem=home, file lands in the app's home: as root the app's uid cannot enter root's home"
        skip "--persist with --filesystem=home, real home untouched: as root the app's uid cannot enter root's home"
else
        run_sb --app="$APP" --persist=.example --filesystem=home -- sh -c 'echo persisted >"$HOME/.example/empyra-it-file" && echo wrote'
        sb_is "$SB_RC" 0 "--persist=.example --filesystem=home launches (exit 0)"
        sb_ok "a file written to ~/.example lands in the app's own home on the host" \
                grep -qsx persisted "$AHOME/.example/empyra-it-file"
        sb_ok "... and not in the real home" [ ! -e "$REAL/empyra-it-file" ]
fi
if [ "$real_before" = absent ]; then
        # The launcher may leave an empty mount point there; nothing more.
        if [ -e "$REAL" ] || [ -L "$REAL" ]; then
                diag "the launch created $REAL in the real home (a mount point)"
        fi
        sb_ok "nothing of the app's data reached the real home's ~/.example" \
                '[ ! -L "$REAL" ] && [ -z "$(ls -A "$REAL" 2>/dev/null)" ]'
        # If the launcher made one, it is ours to remove.
        [ -d "$REAL" ] && rmdir "$REAL" 2>/dev/null
fi

# Without a home grant it is simply part of the app's home.
run_sb --app="$APP" --persist=.example -- sh -c 'echo again >"$HOME/.example/second" && echo wrote'
sb_is "$SB_OUT" wrote "--persist=.example without a home grant: writable"
sb_ok "... and kept in the app's home on the host" grep -qsx again "$AHOME/.example/second"

# --- symlink attacks ---------------------------------------------------------------

# evil_run LINK TARGET PERSIST DESC: the app plants LINK -> TARGET in its home
# on one run; the next launch with --persist=PERSIST must refuse, and the host
# TARGET must stay as it was.
evil_run() {
        local link=$1 target=$2 persist=$3 desc=$4 grant
        local app
        EVIL_N=$((EVIL_N + 1))
        app=$(app_id "Evil$EVIL_N")
        local existed=absent
        [ -e "$target" ] && existed=present
        sb_sh --app="$app" "mkdir -p \"\$HOME/$(dirname "$link")\" && ln -s '$target' \"\$HOME/$link\" && echo planted"
        if [ "$SB_OUT" != planted ]; then
                not_ok "$desc: planting the symlink"
                diag_sb
                return
        fi
        sb_ok "$desc: the planted symlink is in the app's home on the host" [ -L "$(app_home "$app")/$link" ]
        for grant in "" "--filesystem=home"; do
                run_sb --app="$app" --persist="$persist" ${grant:+"$grant"} -- \
                        sh -c "echo pwned >\"\$HOME/$persist/pwned\" 2>/dev/null; echo ran"
                sb_is "$SB_RC" 125 "$desc${grant:+ with $grant}: the launch is refused (exit 125)"
                like "$SB_ERR" 'symlink|refus' "$desc${grant:+ with $grant}: the message says it refuses a symlink"
                if [ "$existed" = absent ]; then
                        sb_ok "$desc${grant:+ with $grant}: the host target was not created" \
                                '[ ! -e "$target" ] && [ ! -L "$target" ]'
                else
                        sb_ok "$desc${grant:+ with $grant}: nothing was written into the host target" \
                                [ -z "$(ls -A "$target")" ]
                fi
        done
}
EVIL_N=0
T1=$(mktemp -u /tmp/evil-target-XXXXXX)
cleanup_add "$T1"
evil_run .example "$T1" .example "symlink ~/.example -> host $T1"

T2=$(mktemp -u /tmp/evil-target-XXXXXX)
cleanup_add "$T2"
evil_run .config "$T2" .config/app "symlink in a nested path (~/.config -> host $T2, --persist=.config/app)"

T3=$(mk_rwdir)
evil_run .local/state "$T3" .local/state "symlink at the end of a nested path (~/.local/state -> existing host dir)"

T4=$(mk_rwdir)
evil_run .cache/sub "$T4" .cache/sub/deeper "symlink in the middle of a nested path (~/.cache/sub -> existing host dir)"

# --- a grant's mount point inside the app's home ----------------------------------

# A grant under the host home is mounted inside the app's own home, so the
# launcher makes its mount point there; a symlink the app planted at that
# place must refuse the launch, not redirect the mount point onto the host.
mkdir -p "$HOST_HOME/empyra-it-grant-$$" && cleanup_add "$HOST_HOME/empyra-it-grant-$$"
echo granted >"$HOST_HOME/empyra-it-grant-$$/f"
GAPP=$(app_id GrantLink)
T5=$(mktemp -u /tmp/evil-target-XXXXXX)
cleanup_add "$T5"
sb_sh --app="$GAPP" "ln -s '$T5' \"\$HOME/empyra-it-grant-$$\" && echo planted"
sb_is "$SB_OUT" planted "the app plants a symlink where a later grant's mount point goes"
run_sb --app="$GAPP" --filesystem="~/empyra-it-grant-$$:ro" -- cat "/home/user/empyra-it-grant-$$/f"
sb_is "$SB_RC" 125 "a grant whose mount point is a planted symlink: the launch is refused (exit 125)"
like "$SB_ERR" 'symlink|refus' "... and the message says it refuses the symlink"
sb_ok "... and the symlink's host target was not created" '[ ! -e "$T5" ] && [ ! -L "$T5" ]'
OKAPP=$(app_id GrantOk)
run_sb --app="$OKAPP" --filesystem="~/empyra-it-grant-$$:ro" -- cat "/home/user/empyra-it-grant-$$/f"
sb_is "$SB_OUT" granted "without a planted symlink the same grant is visible under /home/user"

done_testing
