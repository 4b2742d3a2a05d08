#!/bin/bash
# t_net.sh — the network gateway (DESIGN.md §5, §6): every app has a network
# namespace of its own; with shared=network its connects trap to empyrad,
# which decides per destination (classes apart, rules from the user and the
# manifest, ask) and connects for it. As root the whole test runs in a network
# namespace it creates, with veth interfaces carrying a stand-in "LAN"
# (10.77.0.1) and "internet" (203.0.113.1, 2001:db8::1) address; as a user,
# the loopback parts run against servers on the host's loopback. No traffic
# ever leaves this machine.
. "$TESTS/lib.sh"

if is_root && [ -z "${T_NET_INNER:-}" ]; then
        # (lib.sh's exit trap would print a plan here too: the inner run's counts)
        trap - EXIT
        exec env T_NET_INNER=1 unshare --net --mount bash "$0" "$@"
fi

PROBE=$PROBES/net_probe
# A private runtime dir: the empyrad of this test must live in this namespace.
export XDG_RUNTIME_DIR=$(mk_tmpdir)
chmod 700 "$XDG_RUNTIME_DIR"
export XDG_CONFIG_HOME=$(mk_tmpdir) XDG_STATE_HOME=$(mk_tmpdir)

at_exit 'stop_daemon'

W=$(mk_tmpdir)
if is_root; then
        ip link set lo up
        ip link add v0 type veth peer name v1
        ip addr add 203.0.113.1/24 dev v0
        ip addr add 10.77.0.1/24 dev v1
        ip link set v0 up
        ip link set v1 up
        ip -6 addr add 2001:db8::1/64 dev v0 nodad
        INET=203.0.113.1 INET2=203.0.113.2 LAN=10.77.0.1
        ip addr add 203.0.113.2/24 dev v0
        SERVERS=(inet=203.0.113.1:8080 inet2=203.0.113.2:8080 lan=10.77.0.1:8080 host=127.0.0.1:8081
                inet6=[2001:db8::1]:8080 udpinet=203.0.113.1:5353/udp udpinet2=203.0.113.2:5353/udp
                udp6=[2001:db8::1]:5353/udp udplan=10.77.0.1:5353/udp hostudp=127.0.0.1:8081/udp)
        P_INET=8080 P_HOST=8081
        # Names come from a hosts file of the test's own (a private mount
        # namespace), and nothing is ever asked of a real DNS server.
        printf '127.0.0.1 localhost\n203.0.113.1 www.inet.test\n203.0.113.2 api.other.test\n' >"$W/hosts"
        printf 'nameserver 127.0.0.1\n' >"$W/resolv.conf"
        mount --bind "$W/hosts" /etc/hosts
        mount --bind "$W/resolv.conf" /etc/resolv.conf
else
        # Ports of our own on the host's loopback.
        P_HOST=$((20000 + $$ % 20000))
        SERVERS=(host=127.0.0.1:$P_HOST hostudp=127.0.0.1:$P_HOST/udp)
fi
python3 "$TESTS/net_servers.py" "$W/server.log" "$W/ready" "${SERVERS[@]}" 2>"$W/server.err" &
SRV=$!
at_exit "kill $SRV 2>/dev/null"
for i in $(seq 1 100); do [ -s "$W/ready" ] && break; sleep 0.05; done
check "the stand-in servers listen" test -s "$W/ready"
served() { grep -c "^$1 " "$W/server.log"; }

APP=$(app_id Net)
N=(--app="$APP" "$(probe_grant)")
S=("${N[@]}" --share=network)

# --- without shared=network: the app's own loopback only, nothing traps ----------------------------
run_sb "${N[@]}" -- "$PROBE" tcp 127.0.0.1 "$P_HOST"
sb_is "$SB_OUT" "err:ECONNREFUSED" "without shared=network the host's loopback services are not there"
run_sb "${N[@]}" -- "$PROBE" own-loopback
sb_is "$SB_OUT" "ok:self" "... and the app's own loopback works"
is "$(daemon_pids)" "" "... and no empyrad was needed"
if is_root; then
        run_sb "${N[@]}" -- "$PROBE" tcp "$INET" "$P_INET"
        sb_is "$SB_OUT" "err:ENETUNREACH" "without shared=network nothing outside is reachable"
fi
run_sb "${N[@]}" -- "$PROBE" families
sb_is "$SB_OUT" "packet=EAFNOSUPPORT
netlink=EAFNOSUPPORT
vsock=EAFNOSUPPORT" "AF_PACKET, AF_NETLINK and vsock sockets are refused"

# --- with shared=network --------------------------------------------------------------------------
run_sb "${S[@]}" -- "$PROBE" own-loopback
sb_is "$SB_OUT" "ok:self" "shared=network: the app's own loopback still works natively"
run_sb "${S[@]}" -- "$PROBE" tcp 127.0.0.1 "$P_HOST"
sb_is "$SB_OUT" "err:EPERM" "the host's loopback services: ask by default, denied with no UI (EPERM)"
is "$(served host)" 0 "... the host service was never reached"
like "$("$EMPYRA" audit --app "$APP")" "deny network:127.0.0.1:$P_HOST no-ui" "... and the decision is logged"
"$EMPYRA" allow "$APP" network:loopback >/dev/null
run_sb "${S[@]}" -- "$PROBE" tcp 127.0.0.1 "$P_HOST"
sb_is "$SB_OUT" "ok:host" "allowing network:loopback reaches the host's service, data both ways"
"$EMPYRA" deny "$APP" "network:127.0.0.1:$P_HOST" >/dev/null
run_sb "${S[@]}" -- "$PROBE" tcp 127.0.0.1 "$P_HOST"
sb_is "$SB_OUT" "err:EPERM" "a rule for the exact host:port beats the class rule"
"$EMPYRA" reset "$APP" >/dev/null
"$EMPYRA" allow "$APP" network:loopback >/dev/null
run_sb "${S[@]}" -- "$PROBE" tcp-nonblock 127.0.0.1 "$P_HOST"
sb_is "$SB_OUT" "immediate
ok:host" "a non-blocking connect gets 0 once the gateway's connection is established"
# UDP: the host's loopback is a class apart (ask, denied with no UI); once
# allowed, connected and unconnected datagrams reach it and come back.
"$EMPYRA" reset "$APP" >/dev/null
run_sb "${S[@]}" -- "$PROBE" udp 127.0.0.1 "$P_HOST"
sb_is "$SB_OUT" "err:EPERM" "UDP connect to a host loopback service: ask by default, denied with no UI (EPERM)"
like "$("$EMPYRA" audit --app "$APP")" "deny network:127.0.0.1:$P_HOST no-ui" "... with a log line"
run_sb "${S[@]}" -- "$PROBE" udp-to 127.0.0.1 "$P_HOST" 2
sb_is "$SB_OUT" "err:EPERM" "an unconnected UDP send there is refused the same way"
is "$(served hostudp)" 0 "... and the host's service never got a datagram"
"$EMPYRA" allow "$APP" network:loopback >/dev/null
run_sb "${S[@]}" -- "$PROBE" udp-peer 127.0.0.1 "$P_HOST"
sb_is "$SB_OUT" "ok:hostudp
from=127.0.0.1:$P_HOST" "allowed: connected UDP reaches the host's service, data both ways, getpeername as asked"
run_sb "${S[@]}" -- "$PROBE" udp-to 127.0.0.1 "$P_HOST" 3
sb_is "$SB_OUT" "ok:hostudp x3" "... and unconnected sendto() datagrams, each answered"
run_sb "${S[@]}" -- "$PROBE" udp-msg 127.0.0.1 "$P_HOST"
sb_is "$SB_OUT" "ok:hostudp x1
from=127.0.0.1:$P_HOST" "... and sendmsg() with a name; the answer comes from the service's address"
run_sb "${S[@]}" -- "$PROBE" udp-mmsg 127.0.0.1 "$P_HOST"
sb_is "$SB_OUT" "ok:hostudp x3
from=127.0.0.1:$P_HOST" "... and a sendmmsg() batch"
MANY='import socket, sys
port = int(sys.argv[1])
def ask(s):
    s.settimeout(3)
    s.sendto(b"x\n", ("127.0.0.1", port))
    return s.recv(64).decode().strip()
out = []
for i in range(3):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    out.append(ask(s))
    s.close()
a, b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
out += [ask(a), ask(b), ask(a)]
print(" ".join(out))'
run_sb "${S[@]}" -- python3 -c "$MANY" "$P_HOST"
sb_is "$SB_OUT" "hostudp hostudp hostudp hostudp hostudp hostudp" \
        "several sockets to one destination, one after another and at once, each get their answers"
for fd in 3 5 9; do
        run_sb "${S[@]}" -- "$PROBE" udp-msg-at "$fd" 127.0.0.1 "$P_HOST"
        sb_is "$SB_OUT" "ok:hostudp x1
from=127.0.0.1:$P_HOST" "sendmsg() with a name from a socket at fd $fd is decided like any other (no fd is exempt)"
done
run_sb "${S[@]}" -- "$PROBE" tcp-thread 127.0.0.1 "$P_HOST"
sb_is "$SB_OUT" "ok:host" "a connect from a thread other than the main one goes through (the gateway finds its socket)"
run_sb "${S[@]}" -- "$PROBE" udp-thread 127.0.0.1 "$P_HOST"
sb_is "$SB_OUT" "ok:hostudp" "... and a UDP connect from such a thread"
like "$("$EMPYRA" audit --app "$APP" --json | grep '"protocol":"udp"' | tail -1)" \
        "\"decision\":\"allow\".*\"address\":\"127.0.0.1\",\"port\":$P_HOST,\"protocol\":\"udp\"" \
        "UDP decisions are logged with address, port and protocol"
"$EMPYRA" reset "$APP" >/dev/null
"$EMPYRA" allow "$APP" network:loopback >/dev/null
run_sb "${S[@]}" -- "$PROBE" unix-msg
sb_is "$SB_OUT" "ok:fd passed" "sendmsg() on a Unix socket, passing an fd, is untouched"
audit=$("$EMPYRA" audit --app "$APP" --json | grep '"protocol":"tcp"' | tail -1)
like "$audit" "\"address\":\"127.0.0.1\",\"port\":$P_HOST,\"protocol\":\"tcp\"" \
        "the log line names address, port and protocol"

if is_root; then
        run_sb "${S[@]}" -- "$PROBE" tcp "$INET" "$P_INET"
        sb_is "$SB_OUT" "ok:inet" "an internet address is allowed by default, data both ways"
        run_sb "${S[@]}" -- "$PROBE" tcp "$LAN" "$P_INET"
        sb_is "$SB_OUT" "err:EPERM" "a LAN address is decided apart: ask, denied with no UI"
        "$EMPYRA" allow "$APP" network:lan >/dev/null
        run_sb "${S[@]}" -- "$PROBE" tcp "$LAN" "$P_INET"
        sb_is "$SB_OUT" "ok:lan" "... and allowed by a network:lan rule"
        "$EMPYRA" deny "$APP" "network:$INET:$P_INET" >/dev/null
        run_sb "${S[@]}" -- "$PROBE" tcp "$INET" "$P_INET"
        sb_is "$SB_OUT" "err:EPERM" "a denied destination gets EPERM"
        run_sb "${S[@]}" -- "$PROBE" tcp6 "::ffff:$INET" "$P_INET"
        sb_is "$SB_OUT" "err:EPERM" "... also when written as an IPv4-mapped IPv6 address"
        run_sb "${S[@]}" -- "$PROBE" tcp6 2001:db8::1 "$P_INET"
        sb_is "$SB_OUT" "ok:inet6" "IPv6 to an internet address works"
        "$EMPYRA" deny "$APP" "network:[2001:db8::1]:*" >/dev/null
        run_sb "${S[@]}" -- "$PROBE" tcp6 2001:db8::1 "$P_INET"
        sb_is "$SB_OUT" "err:EPERM" "... and a [v6]:* rule denies it"
        # UDP to the internet (allowed by default) and its decisions.
        "$EMPYRA" reset "$APP" >/dev/null
        run_sb "${S[@]}" -- "$PROBE" udp-peer "$INET" 5353
        sb_is "$SB_OUT" "ok:udpinet
from=$INET:5353" "UDP to an internet address is allowed by default: connected, data both ways"
        run_sb "${S[@]}" -- "$PROBE" udp-msg 2001:db8::1 5353
        sb_is "$SB_OUT" "ok:udp6 x1
from=2001:db8::1:5353" "UDP over IPv6: sendmsg() with a name, answered from the server's address"
        run_sb "${S[@]}" -- "$PROBE" udp6 "::ffff:$INET" 5353
        sb_is "$SB_OUT" "ok:udpinet
from=::ffff:$INET:5353" "UDP to an IPv4-mapped address from an IPv6 socket"
        run_sb "${S[@]}" -- "$PROBE" udp-to "$LAN" 5353 1
        sb_is "$SB_OUT" "err:EPERM" "UDP to a LAN address: decided apart (ask, denied with no UI)"
        is "$(served udplan)" 0 "... the LAN server never got a datagram"
        "$EMPYRA" deny "$APP" "network:$INET2:5353" >/dev/null
        run_sb "${S[@]}" -- "$PROBE" udp-to "$INET2" 5353 3
        sb_is "$SB_OUT" "err:EPERM" "a denied UDP destination gets EPERM"
        run_sb "${S[@]}" -- "$PROBE" udp6-msg "::ffff:$INET2" 5353
        sb_is "$SB_OUT" "err:EPERM" "... also as an IPv4-mapped address in sendmsg()"
        is "$(served udpinet2)" 0 "... the denied server never got a datagram"
        before=$(served udpinet)
        run_sb "${S[@]}" -- "$PROBE" race-udp "$INET" "$INET2" 5353 2000
        like "$SB_OUT" "^answered udpinet=some" "a thread rewriting the address of unconnected sends: the allowed one is answered"
        unlike "$SB_OUT" "ALSO answered" "... and no answer ever comes from the denied one"
        is "$(served udpinet2)" 0 "... which never got a datagram"
        diag "UDP address race: $SB_OUT ($(($(served udpinet) - before)) reached the allowed server)"
        # 1 line for the rule set, 1 per run (3 runs): not one per datagram.
        n=$("$EMPYRA" audit --app "$APP" | grep -c "deny network:$INET2:5353 user")
        check "repeated UDP denials are logged once per running app ($n lines for 2000 racing sends)" test "$n" -le 4
        "$EMPYRA" deny "$APP" "network:$INET:5353" >/dev/null
        run_sb "${S[@]}" -- "$PROBE" udp "$INET" 5353
        sb_is "$SB_OUT" "err:EPERM" "a denied UDP connect gets EPERM"
        "$EMPYRA" reset "$APP" >/dev/null
        # A host connection cannot be re-aimed: not disconnected, not reconnected.
        "$EMPYRA" deny "$APP" "network:$INET:$P_INET" >/dev/null
        before=$(served inet)
        run_sb "${S[@]}" -- "$PROBE" reaim "$INET2" "$P_INET" "$INET"
        sb_is "$SB_OUT" "first=ok
unspec=EOPNOTSUPP
second=EISCONN" "a gateway connection cannot be disconnected (AF_UNSPEC) and aimed elsewhere"
        is "$(served inet)" "$before" "... (the denied server saw no connection)"
        "$EMPYRA" reset "$APP" "network:$INET:$P_INET" >/dev/null
        "$EMPYRA" deny "$APP" "network:$INET:$P_INET" >/dev/null
        before=$(served inet)
        run_sb "${S[@]}" -- "$PROBE" race-addr "$INET2" "$INET" "$P_INET" 300
        like "$SB_OUT" "^answered (inet2|-)=[0-9]+ -=0 " "a thread rewriting the address during a trapped connect never reaches the denied one"
        is "$(served inet)" "$before" "... (the denied server saw no connection)"
        diag "address race: $SB_OUT"
        run_sb "${S[@]}" -- "$PROBE" race-swap "$INET2" "$INET" "$P_INET" 300
        is "$(served inet)" "$before" "... nor with another thread dup2()ing sockets onto the fd"
        diag "address + fd race: $SB_OUT"

        # Names: the app's resolver is the gateway.
        "$EMPYRA" reset "$APP" >/dev/null
        run_sb "${S[@]}" -- cat /etc/resolv.conf
        sb_is "$SB_OUT" "nameserver 127.0.0.53" "the app's resolv.conf names the gateway on its own loopback"
        run_sb "${S[@]}" -- getent hosts www.inet.test
        sb_ok "names resolve through the gateway" 'printf "%s" "$SB_OUT" | grep -q "^203.0.113.1 *www.inet.test"'
        run_sb "${S[@]}" -- getent hosts nothere.test
        sb_is "$SB_RC" 2 "an unknown name: not found"
        NAMECON='import socket,sys
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5); s.send(b"x\n"); print("ok:" + s.recv(64).decode().strip())
except OSError as e:
    print("err:" + str(e.errno))'
        run_sb "${S[@]}" -- python3 -c "$NAMECON" www.inet.test "$P_INET"
        sb_is "$SB_OUT" "ok:inet" "a connect by name works"
        like "$("$EMPYRA" audit --app "$APP" --json | tail -1)" '"name":"www.inet.test","address":"203.0.113.1"' \
                "... and the log shows the name with the address"
        "$EMPYRA" deny "$APP" 'network:*.inet.test:*' >/dev/null
        run_sb "${S[@]}" -- python3 -c "$NAMECON" www.inet.test "$P_INET"
        sb_is "$SB_OUT" "err:1" "a wildcard name rule (deny *.inet.test) applies to the name the app asked for"
        run_sb "${S[@]}" -- python3 -c "$NAMECON" api.other.test "$P_INET"
        sb_is "$SB_OUT" "ok:inet2" "... and not to other names"
        "$EMPYRA" reset "$APP" >/dev/null

        # Manifest rules, and provider=none.
        MF=$W/net.ini
        printf '[Application]\nname=%s\n[Context]\nshared=network;\n[Empyra Network]\nrules=deny %s:*;\n' \
                "$APP" "$INET2" >"$MF"
        "$EMPYRA" reset "$APP" >/dev/null
        run_sb --manifest="$MF" "$(probe_grant)" -- "$PROBE" tcp "$INET2" "$P_INET"
        sb_is "$SB_OUT" "err:EPERM" "[Empyra Network] rules= from the manifest deny a destination"
        run_sb --manifest="$MF" "$(probe_grant)" -- "$PROBE" tcp "$INET" "$P_INET"
        sb_is "$SB_OUT" "ok:inet" "... and leave the others to the defaults"
        "$EMPYRA" allow "$APP" "network:$INET2:$P_INET" >/dev/null
        run_sb --manifest="$MF" "$(probe_grant)" -- "$PROBE" tcp "$INET2" "$P_INET"
        sb_is "$SB_OUT" "ok:inet2" "a user rule beats the manifest's"
        # A changed manifest: what it newly requests starts as ask.
        MAPP=$(app_id NetManifest)
        printf '[Application]\nname=%s\n[Context]\nshared=network;\n[Empyra Network]\nrules=allow lan;\n' \
                "$MAPP" >"$W/first.ini"
        run_sb --manifest="$W/first.ini" "$(probe_grant)" -- "$PROBE" tcp "$LAN" "$P_INET"
        sb_is "$SB_OUT" "ok:lan" "a manifest's rules hold as installed (allow lan, first launch)"
        printf '[Application]\nname=%s\n[Context]\nshared=network;\n[Empyra Network]\nrules=allow lan;allow 192.168.0.0/16:*;\n' \
                "$MAPP" >"$W/second.ini"
        run_sb --manifest="$W/second.ini" "$(probe_grant)" -- "$PROBE" tcp "$LAN" "$P_INET"
        sb_is "$SB_OUT" "ok:lan" "an updated manifest keeps what it granted before"
        printf '[Application]\nname=%s\n[Context]\nshared=network;\n[Empyra Network]\nrules=allow lan;allow 192.168.0.0/16:*;allow loopback;\n' \
                "$MAPP" >"$W/third.ini"
        run_sb --manifest="$W/third.ini" "$(probe_grant)" -- "$PROBE" tcp 127.0.0.1 "$P_HOST"
        sb_is "$SB_OUT" "err:EPERM" "a permission newly requested by a changed manifest starts as ask (denied with no UI)"
        like "$("$EMPYRA" audit --app "$MAPP")" "ask network:loopback manifest-changed" "... and the change is logged"
        "$EMPYRA" allow "$MAPP" network:loopback >/dev/null
        run_sb --manifest="$W/third.ini" "$(probe_grant)" -- "$PROBE" tcp 127.0.0.1 "$P_HOST"
        sb_is "$SB_OUT" "ok:host" "... until the user allows it"

        printf '[Application]\nname=%s\n[Context]\nshared=network;\n[Empyra Network]\nprovider=none\n' "$APP" >"$MF"
        run_sb --manifest="$MF" "$(probe_grant)" -- "$PROBE" tcp "$INET" "$P_INET"
        sb_is "$SB_OUT" "err:EPERM" "provider=none refuses every connection"
        run_sb --manifest="$MF" -- getent hosts www.inet.test
        isnt "$SB_RC" 0 "... and resolves no name"

        # A SOCKS5 provider (microsocks, started here): every TCP connection
        # goes through it, names resolved by the proxy.
        if have microsocks; then
                microsocks -i 127.0.0.1 -p 1080 >"$W/socks.log" 2>&1 &
                SOCKS=$!
                at_exit "kill $SOCKS 2>/dev/null"
                for i in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/1080) 2>/dev/null && break; sleep 0.05; done
                printf '[Application]\nname=%s\n[Context]\nshared=network;\n[Empyra Network]\nprovider=socks5://127.0.0.1:1080\n' \
                        "$APP" >"$MF"
                run_sb --manifest="$MF" -- getent hosts www.inet.test
                sb_ok "socks5: the resolver answers with a stand-in address (198.18/15), resolving nothing itself" \
                        'printf "%s" "$SB_OUT" | grep -q "^198\.1[89]\.[0-9.]* *www.inet.test"'
                before=$(served inet)
                run_sb --manifest="$MF" -- python3 -c "$NAMECON" www.inet.test "$P_INET"
                sb_is "$SB_OUT" "ok:inet" "socks5: a connect by name reaches the server, data both ways"
                like "$(cat "$W/socks.log")" "connected to www.inet.test:$P_INET" "... through the proxy, which got the name"
                run_sb --manifest="$MF" "$(probe_grant)" -- "$PROBE" tcp "$INET" "$P_INET"
                sb_is "$SB_OUT" "ok:inet" "socks5: a connect to an address goes through the proxy too"
                is "$(grep -c "connected to" "$W/socks.log")" 2 "... every TCP connection went through it"
                is "$(($(served inet) - before))" 2 "... and the server saw exactly those two"
                run_sb --manifest="$MF" "$(probe_grant)" -- "$PROBE" tcp-nonblock "$INET" "$P_INET"
                sb_is "$SB_OUT" "immediate
ok:inet" "socks5: a non-blocking connect gets 0 once the gateway finished the handshake"
                before=$(served udpinet)
                run_sb --manifest="$MF" "$(probe_grant)" -- "$PROBE" udp "$INET" 5353
                sb_is "$SB_OUT" "err:EPERM" "socks5: UDP is refused (the proxy carries TCP only)"
                run_sb --manifest="$MF" "$(probe_grant)" -- "$PROBE" udp-to "$INET" 5353 1
                sb_is "$SB_OUT" "err:EPERM" "... unconnected sends too"
                is "$(served udpinet)" "$before" "... and no datagram went out directly"
                like "$("$EMPYRA" audit --app "$APP")" "deny network:$INET:5353 provider-socks5-no-udp" \
                        "... with a clear log line"
                kill "$SOCKS" 2>/dev/null
        else
                skip "socks5 provider: microsocks is not installed"
        fi
        like "$("$EMPYRA" audit --app "$APP")" "deny network:$INET:$P_INET provider-none" "... and says so in the log"
else
        skip "internet and LAN classes: need a network namespace with veth interfaces (root)"
fi

# --- listening ------------------------------------------------------------------------------------------
P_APP=$((P_HOST + 7))
# host_reach PORT: what a client on the host gets from 127.0.0.1:PORT.
host_reach() {
        python3 -c 'import socket,sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3); print(s.recv(16).decode().strip() or "EOF")
except OSError as e:
    print("refused")' "$1"
}
# serve_bg ADDR PORT: the probe serving in a sandbox, in the background, until it listens.
serve_bg() {
        timeout -k 5 "$SB_TIMEOUT" "$EMPYRA" run "${S[@]}" -- "$PROBE" serve "$1" "$2" </dev/null >"$W/serve.out" 2>&1 &
        BG=$!
        for i in $(seq 1 100); do grep -q "listening\|err" "$W/serve.out" && break; sleep 0.05; done
}
"$EMPYRA" reset "$APP" >/dev/null
serve_bg 127.0.0.1 "$P_APP"
is "$(head -1 "$W/serve.out")" "listening" "an app serves on its own loopback without asking"
is "$(host_reach "$P_APP")" "refused" "... which the host cannot reach"
kill "$BG" 2>/dev/null
wait "$BG" 2>/dev/null
"$EMPYRA" allow "$APP" "network:listen:$P_APP" >/dev/null
serve_bg 127.0.0.1 "$P_APP"
is "$(host_reach "$P_APP")" "app" "allowed network:listen:PORT, the app serves on the host's loopback"
wait "$BG" 2>/dev/null
# A granted listener whose read side is shut down is disconnected by the
# kernel: it must not become a host socket the app can aim anywhere.
"$EMPYRA" reset "$APP" "network:loopback" >/dev/null 2>&1
before=$(served host)
run_sb "${S[@]}" -- "$PROBE" listen-escape 127.0.0.1 "$P_APP" 127.0.0.1 "$P_HOST"
sb_is "$SB_OUT" "shutdown=ok
connect=EISCONN
fastopen=EOPNOTSUPP
listening=yes" "a granted listener shut down (SHUT_RD) stays a listener: connect and TCP Fast Open cannot aim it elsewhere"
is "$(served host)" "$before" "... and the (not allowed) host service saw no connection"
serve_bg 0.0.0.0 "$((P_APP + 1))"
is "$(cat "$W/serve.out")" "err:EPERM" "serving on every interface without a grant: EPERM"
wait "$BG" 2>/dev/null
like "$("$EMPYRA" audit --app "$APP")" "deny network:listen:$((P_APP + 1)) no-ui" "... logged"

# --- ask answered by a UI -----------------------------------------------------------------------------
"$EMPYRA" reset "$APP" >/dev/null
PFIFO=$W/fifo
mkfifo "$PFIFO"
"$EMPYRA" prompt --json <>"$PFIFO" >"$W/prompt.out" 2>&1 &
PROMPTER=$!
at_exit "kill $PROMPTER 2>/dev/null"
for i in $(seq 1 100); do "$EMPYRA" call io.empyra.Prompts.List 2>/dev/null | grep -q '"watchers": [1-9]' && break; sleep 0.05; done
# A UDP send to ask about waits for the answer; 'allow once' lets it (and
# the rest of its socket's datagrams there) through, stores nothing.
timeout -k 5 "$SB_TIMEOUT" "$EMPYRA" run "${S[@]}" -- "$PROBE" udp-to 127.0.0.1 "$P_HOST" 2 </dev/null >"$W/app.out" 2>&1 &
BG=$!
for i in $(seq 1 200); do grep -q '^{"prompt"' "$W/prompt.out" && break; sleep 0.05; done
like "$(cat "$W/prompt.out")" "\"access\":\"send\".*\"permission\":\"network:127.0.0.1:$P_HOST\"" \
        "a UDP send to ask about reaches the UI with its destination"
answer "$PFIFO" y
wait "$BG"
is "$(cat "$W/app.out")" "ok:hostudp x2" "answered 'allow once': the datagrams go through and are answered"
unlike "$("$EMPYRA" perms "$APP")" "network:127.0.0.1:$P_HOST" "... and no rule is stored"
timeout -k 5 "$SB_TIMEOUT" "$EMPYRA" run "${S[@]}" -- "$PROBE" tcp 127.0.0.1 "$P_HOST" </dev/null >"$W/app.out" 2>&1 &
BG=$!
for i in $(seq 1 200); do [ "$(grep -c '^{"prompt"' "$W/prompt.out")" -ge 2 ] && break; sleep 0.05; done
like "$(grep '^{"prompt"' "$W/prompt.out" | tail -1)" "\"access\":\"connect\".*\"permission\":\"network:127.0.0.1:$P_HOST\"" \
        "a connect to ask about reaches the UI with its destination"
answer "$PFIFO" a
wait "$BG"
is "$(cat "$W/app.out")" "ok:host" "answered 'allow always': the connect goes through"
like "$("$EMPYRA" perms "$APP")" "allow  network:127.0.0.1:$P_HOST" "... and the rule is stored"
kill "$PROMPTER" 2>/dev/null

"$EMPYRA" net "$APP" --provider=none >/dev/null
is "$?" 0 "empyra net ID --provider=none is accepted"
run_sb "${S[@]}" -- "$PROBE" tcp 127.0.0.1 "$P_HOST"
sb_is "$SB_OUT" "err:EPERM" "empyra net ID --provider=none cuts the app off at its next launch"
like "$("$EMPYRA" net "$APP")" "provider none" "... and empyra net shows the user's choice"
"$EMPYRA" net "$APP" --provider=manifest >/dev/null
run_sb "${S[@]}" -- "$PROBE" tcp 127.0.0.1 "$P_HOST"
sb_is "$SB_OUT" "ok:host" "--provider=manifest gives the choice back to the manifest"
"$EMPYRA" net "$APP" --provider=socks5://bad >/dev/null 2>&1
is "$?" 1 "a malformed provider is refused"
out=$("$EMPYRA" net "$APP")
like "$out" "allow  network:127.0.0.1:$P_HOST" "empyra net ID shows the app's network rules"
like "$out" "allow tcp 127.0.0.1 port $P_HOST \(prompt\)" "... and its recent connections with their source"

"$EMPYRA" audit verify >/dev/null
is "$?" 0 "the audit log verifies intact"
stop_daemon
done_testing
