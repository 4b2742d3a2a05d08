#!/bin/bash
# smoke.sh — a few launches, run by tests/run.sh with the ASan/UBSan build of
# empyra and empyrad: the launcher and the gateway must work and the
# sanitizers must stay silent (empyrad's own report goes to empyrad.log,
# checked after a clean SIGTERM).
. "$TESTS/lib.sh"

APP=$(app_id Smoke)

no_sanitizer_report() {
        if printf '%s\n' "$SB_ERR" | grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:'; then
                not_ok "$1: no sanitizer report"
                diag "$SB_ERR"
        else
                ok "$1: no sanitizer report"
        fi
}

run_sb --app="$APP" -- true
sb_is "$SB_RC" 0 "true exits 0"
no_sanitizer_report "true"

run_sb --app="$APP" -- sh -c 'exit 7'
sb_is "$SB_RC" 7 "the program's exit status (7) is passed on"
no_sanitizer_report "exit 7"

D=$(mk_tmpdir)
echo smoke-content >"$D/file"
chmod 644 "$D/file"
run_sb --app="$APP" --filesystem="$D:ro" -- sh -c "cat '$D/file'; ls -A /dev | wc -l; if [ -e /root ]; then echo root-visible; fi; touch /usr/x 2>/dev/null || echo usr-ro"
sb_is "$(printf '%s\n' "$SB_OUT" | head -1)" smoke-content "a read-only grant is visible"
sb_ok "the host's /root is not visible" '! grep -q root-visible <<<"$SB_OUT"'
sb_ok "/usr is read-only" grep -q usr-ro <<<"$SB_OUT"
no_sanitizer_report "file view"

run_sb --app="$APP" --filesystem=/proc -- true
sb_is "$SB_RC" 125 "a refused grant exits 125"
no_sanitizer_report "refused grant"

run_sb --app="$APP" --manifest="$D/missing.ini" -- true
sb_is "$SB_RC" 125 "a missing manifest exits 125"
no_sanitizer_report "missing manifest"

# The gateway: brokered files and the network, through the ASan empyrad
# (started on demand from beside the ASan empyra), in private directories.
export XDG_RUNTIME_DIR=$(mk_tmpdir) XDG_CONFIG_HOME=$(mk_tmpdir) XDG_STATE_HOME=$(mk_tmpdir)
chmod 700 "$XDG_RUNTIME_DIR"
at_exit stop_daemon
"$EMPYRA" allow "$APP" "filesystem:$D" >/dev/null
run_sb --app="$APP" --files=brokered -- sh -c "cat /etc/hostname; cat '$D/file'; cat /no/such 2>/dev/null; true"
sb_is "$SB_OUT" "empyra
smoke-content" "brokered: a file in the view and an allowed host file"
no_sanitizer_report "brokered"
run_sb --app="$APP" --share=network -- sh -c "getent hosts localhost >/dev/null; exec 3<>/dev/tcp/127.0.0.1/9 || true"
no_sanitizer_report "network gateway"
# UDP: a pair (peer from the factory, host socket, relay), then its teardown.
"$EMPYRA" allow "$APP" network:loopback >/dev/null
run_sb --app="$APP" --share=network -- python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"x", ("127.0.0.1", 9))
s.connect(("127.0.0.1", 9))
s.send(b"y")
print("sent")'
sb_is "$SB_OUT" "sent" "network gateway: UDP through a pair"
no_sanitizer_report "network gateway UDP"
stop_daemon
if grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' \
        "$XDG_RUNTIME_DIR/empyra/empyrad.log" 2>/dev/null; then
        not_ok "empyrad: no sanitizer report"
        diag "$(cat "$XDG_RUNTIME_DIR/empyra/empyrad.log")"
else
        ok "empyrad: no sanitizer report"
fi

done_testing
