#!/bin/bash
# t_integrity_tpm.sh — TPM anchoring with a real software TPM: swtpm over TCP
# (its own state dir and ports), empyra-integrityd --tpm-tcti, a sandbox
# asking for a report; the verifier accepts the quote and rejects it when the
# quote, the PCR values, the attestation key or the report are altered. The
# quote is also checked independently with openssl.
. "$(dirname "$0")/lib.sh"

BIN_DIR=$(cd "$(dirname "$EMPYRA")" && pwd)
INTEGRITYD=${INTEGRITYD:-$BIN_DIR/empyra-integrityd}
if ! command -v swtpm >/dev/null; then
        skip "swtpm is not installed (apt-get install swtpm swtpm-tools): TPM anchoring not tested"
        done_testing
fi
if [ ! -x "$INTEGRITYD" ]; then
        not_ok "empyra-integrityd built at $INTEGRITYD"
        done_testing
fi

T=$(mk_tmpdir)
mkdir -p "$T/tpm"
# swtpm on a free pair of loopback ports (other runs may hold some).
PORT=
for _ in 1 2 3 4 5 6 7 8; do
        p=$((20000 + RANDOM % 30000))
        if swtpm socket --tpm2 --tpmstate dir="$T/tpm" --server type=tcp,port=$p,bindaddr=127.0.0.1 \
                --ctrl type=tcp,port=$((p + 1)),bindaddr=127.0.0.1 --flags not-need-init,startup-clear \
                --daemon --pid file="$T/tpm/pid" 2>"$T/swtpm.err"; then
                PORT=$p
                break
        fi
done
if [ -z "$PORT" ]; then
        not_ok "swtpm starts on a loopback port"
        diag "$(cat "$T/swtpm.err")"
        done_testing
fi
at_exit "kill \$(cat '$T/tpm/pid')"
ok "swtpm runs on 127.0.0.1:$PORT"

SOCK=$T/integrity.sock
export EMPYRA_INTEGRITY_SOCKET=$SOCK
"$INTEGRITYD" --socket "$SOCK" --state-dir "$T/state" --tpm-tcti "swtpm:host=127.0.0.1,port=$PORT" \
        2>"$T/daemon.log" &
DPID=$!
at_exit "kill $DPID; wait $DPID"
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
check "the daemon starts with --tpm-tcti and listens" test -S "$SOCK"
like "$(cat "$T/daemon.log")" 'anchored in the TPM at swtpm:' "the daemon says reports are anchored in the TPM"

nonce() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
body() {
        python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); b=json.loads(e["body"]); print(eval(sys.argv[2]))' "$@" 2>&1
}

APP=$(app_id tpm)
printf '[Application]\nname=%s\n[Empyra Integrity]\nfiles=%s=sha256:%s;\n' "$APP" "$EMPYRA" "$(sha "$EMPYRA")" >"$T/app.ini"
chmod -R a+rX "$T/app.ini"
N=$(nonce)
run_sb --manifest="$T/app.ini" --filesystem="$BIN_DIR:ro" -- "$EMPYRA" attest --nonce "$N"
printf '%s\n' "$SB_OUT" >"$T/r.json"
sb_ok "a sandbox gets a report from the TPM-anchored service" '[ "$SB_RC" -eq 0 ]'
is "$(body "$T/r.json" 'b["assurance"]')" tpm_anchored "the report says tpm_anchored"
like "$(python3 -c 'import json,sys; print(sorted(json.load(open(sys.argv[1]))["tpm"]))' "$T/r.json" 2>&1)" \
        "'ak'.*'pcrs'.*'quoted'.*'sig_r'.*'sig_s'" "the report carries the quote, its signature, the PCR values and the key"

PK=$("$EMPYRA" attest pubkey --app "$APP")
AK=$("$EMPYRA" attest pubkey --tpm)
like "$AK" '^[0-9a-f]{128}$' "empyra attest pubkey --tpm prints the attestation key"
run_sb --manifest="$T/app.ini" --filesystem="$BIN_DIR:ro" -- "$EMPYRA" attest pubkey --tpm --socket /run/empyra/integrity.sock
isnt "$SB_RC" 0 "a sandboxed app cannot fetch the attestation key"

"$EMPYRA" attest verify "$T/r.json" --pubkey "$PK" --nonce "$N" --tpm-ak "$AK" >"$T/v.out"
rc=$?
sb_ok "verify with the pinned attestation key: authentic (exit 0 or 1)" '[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ]'
like "$(cat "$T/v.out")" 'tpm: quote ok over this report.*pinned' "the verifier checked the quote under the pinned key"
like "$(cat "$T/v.out")" 'assurance: tpm_anchored' "the verifier names the assurance"

# The quote, checked without Empyra's code: openssl's ECDSA over the quoted
# bytes, and the report's hash as the quote's extra data.
python3 - "$T/r.json" "$T" <<'EOF' >"$T/py.out" 2>&1
import binascii, hashlib, json, sys
e = json.load(open(sys.argv[1])); d = sys.argv[2]; t = e["tpm"]
q = binascii.unhexlify(t["quoted"])
open(d + "/quoted.bin", "wb").write(q)
def der_int(b):
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80:
        b = b"\0" + b
    return b"\x02" + bytes([len(b)]) + b
r = der_int(binascii.unhexlify(t["sig_r"])); s = der_int(binascii.unhexlify(t["sig_s"]))
open(d + "/sig.der", "wb").write(b"\x30" + bytes([len(r) + len(s)]) + r + s)
open(d + "/ak.der", "wb").write(binascii.unhexlify("3059301306072a8648ce3d020106082a8648ce3d030107034200") + b"\x04" + binascii.unhexlify(t["ak"]))
mh = hashlib.sha256(b"empyra-integrity-report/v1\0" + e["body"].encode()).digest()
print("extra data is the report's hash:", mh in q)
EOF
is "$(cat "$T/py.out")" "extra data is the report's hash: True" "the quote's qualifying data is sha256 of the signed report"
if command -v openssl >/dev/null; then
        out=$(openssl pkey -pubin -inform DER -in "$T/ak.der" -out "$T/ak.pem" 2>&1 &&
                openssl dgst -sha256 -verify "$T/ak.pem" -signature "$T/sig.der" "$T/quoted.bin" 2>&1)
        is "$out" "Verified OK" "openssl verifies the quote's signature with the attestation key"
else
        skip "openssl not installed: independent check of the quote signature"
fi

# alter FILE PYTHON: rewrite the report's envelope (e) and verify it.
alter() {
        python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); exec(sys.argv[3]); json.dump(e, open(sys.argv[2],"w"))' \
                "$T/r.json" "$T/alt.json" "$1"
        "$EMPYRA" attest verify "$T/alt.json" --pubkey "$PK" --nonce "$N" --tpm-ak "$AK" >"$T/v.out"
}
flip='lambda h, i: h[:i] + ("0" if h[i] != "0" else "1") + h[i+1:]'
alter "f=$flip; q=e['tpm']['quoted']; e['tpm']['quoted']=f(q, len(q)-80)"
is "$?" 3 "a quote with one byte changed is rejected"
like "$(cat "$T/v.out")" '^tpm: ' "the rejection names the TPM quote"
alter "f=$flip; e['tpm']['pcrs']['0']=f(e['tpm']['pcrs']['0'], 5)"
is "$?" 3 "a changed PCR value is rejected"
like "$(cat "$T/v.out")" 'PCR values are not the quoted ones' "the rejection names the PCR values"
alter "f=$flip; e['tpm']['sig_s']=f(e['tpm']['sig_s'], 10)"
is "$?" 3 "a changed quote signature is rejected"
alter "del e['tpm']"
is "$?" 3 "a tpm_anchored report without its quote is rejected"
"$EMPYRA" attest verify "$T/r.json" --pubkey "$PK" --nonce "$N" --tpm-ak "$(printf '%s' "$AK" | tr 0-9a-f 1-9a-f0)" >"$T/v.out"
is "$?" 3 "the quote under another attestation key than the pinned one is rejected"
# A quote lifted from one report into another: its qualifying data differs.
N2=$(nonce)
run_sb --manifest="$T/app.ini" --filesystem="$BIN_DIR:ro" -- "$EMPYRA" attest --nonce "$N2"
printf '%s\n' "$SB_OUT" >"$T/r2.json"
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); b["tpm"]=a["tpm"]; json.dump(b, open(sys.argv[3],"w"))' \
        "$T/r.json" "$T/r2.json" "$T/mixed.json"
"$EMPYRA" attest verify "$T/mixed.json" --pubkey "$PK" --nonce "$N2" --tpm-ak "$AK" >"$T/v.out"
is "$?" 3 "a quote moved from another report is rejected"
like "$(cat "$T/v.out")" 'qualifying data differs' "the rejection says the quote is not over this report"
"$EMPYRA" attest verify "$T/r2.json" --pubkey "$PK" --nonce "$N2" --tpm-ak "$AK" >/dev/null
rc=$?
sb_ok "the second report itself verifies" '[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ]'

[ "$T_FAILED" -gt 0 ] && diag "daemon log:" "$(tail -20 "$T/daemon.log")"
done_testing
