#!/bin/sh
# demo.sh — `make demo`: run real programs in an Empyra sandbox and show, from
# inside, what they can and cannot see. Nothing here needs the network.
set -u
E="$(cd "$(dirname "$0")/.." && pwd)/build/empyra"
DEMO=$(mktemp -d /tmp/empyra-demo.XXXXXX)
trap 'rm -rf "$DEMO"' EXIT
mkdir -p "$DEMO/photos" "$DEMO/notes"
echo "a holiday photo" > "$DEMO/photos/beach.txt"
echo "secret: the host's private notes" > "$DEMO/notes/diary.txt"
echo "host-only file" > /tmp/empyra-demo-host-file.$$

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "The host, for comparison"
echo "hostname: $(hostname)   uid: $(id -u)   machine-id: $(cat /etc/machine-id 2>/dev/null)"

say "The sandbox Empyra builds (empyra run --verbose, abridged)"
"$E" run --verbose --app=org.empyra.Demo --filesystem="$DEMO/photos:ro" -- /bin/true 2>&1 |
        grep -vE '^  (ro-bind  /etc/|file     /etc/|symlink  /(etc|dev|lib|bin|sbin))'

say "Inside: identity, view, privileges (the app was granted $DEMO/photos read-only)"
"$E" run --app=org.empyra.Demo --filesystem="$DEMO/photos:ro" -- /bin/bash -c '
        check() { if eval "$2" >/dev/null 2>&1; then echo "  [can]    $1"; else echo "  [cannot] $1"; fi; }
        echo "whoami: $(id -un) (uid $(id -u))  hostname: $(hostname)  HOME=$HOME"
        echo "machine-id: $(cat /etc/machine-id)  (per app, not the host'"'"'s)"
        echo "processes visible: $(ls /proc | grep -c "^[0-9]")"
        echo "/ contains: $(ls / | tr "\n" " ")"
        grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status | sed "s/^/  /"
        check "read the granted photo"                "cat '"$DEMO"'/photos/beach.txt"
        check "modify the granted photo (read-only)"  "echo x >> '"$DEMO"'/photos/beach.txt"
        check "read the ungranted notes"              "cat '"$DEMO"'/notes/diary.txt"
        check "see the host /tmp file"                "cat /tmp/empyra-demo-host-file.'"$$"'"
        check "read /etc/shadow"                      "cat /etc/shadow"
        check "write into /usr"                       "touch /usr/evil"
        check "write its own home"                    "touch ~/saved-game"
        check "create a user namespace"               "unshare -U true"
        check "mount a filesystem"                    "mount -t tmpfs none /tmp"
        check "open a netlink socket"                 "python3 -c \"import socket; socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)\""
        check "reach the network (no grant)"          "python3 -c \"import socket; socket.create_connection((\\\"127.0.0.53\\\", 53), 1)\""
        check "run python3"                           "python3 -c \"print(42)\""
        echo "network interfaces: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\n" " ")"
'
echo "exit status: $?"

say "Exit status and signals pass through"
"$E" run -- /bin/sh -c 'exit 7'; echo "sh -c 'exit 7'          -> $?"
"$E" run -- /bin/sh -c 'kill -TERM $$'; echo "sh killed by SIGTERM     -> $? (128+15)"
"$E" run -- /no/such/program 2>/dev/null; echo "missing program          -> $?"

say "A broken manifest is refused with file, line and key"
printf '[Application]\nname=org.empyra.Broken\n[Context]\nsockets=wayland;telepathy;\n' > "$DEMO/broken.ini"
"$E" run --manifest="$DEMO/broken.ini" -- /bin/true; echo "exit status: $?"
rm -f /tmp/empyra-demo-host-file.$$

if [ "$(id -u)" -eq 0 ]; then
        say "Focus: the app in front gets the CPU (empyra focus)"
        "$E" run --app=org.empyra.DemoGame -- sleep 5 </dev/null >/dev/null 2>&1 &
        g=$!
        "$E" run --app=org.empyra.DemoBackground -- sleep 5 </dev/null >/dev/null 2>&1 &
        b=$!
        sleep 0.5
        "$E" ps
        "$E" focus org.empyra.DemoGame
        echo "--- clear:"
        "$E" focus --clear | head -3
        kill $g $b 2>/dev/null
        wait 2>/dev/null

        say "The gateway daemon: user rules and a tamper-evident audit log"
        # A private empyrad for the demo: its own runtime, config and state dirs.
        mkdir -m 700 "$DEMO/run"
        export XDG_RUNTIME_DIR="$DEMO/run" XDG_CONFIG_HOME="$DEMO/config" XDG_STATE_HOME="$DEMO/state"
        "$E" allow org.empyra.Demo 'network:*.example.com:443'
        "$E" deny org.empyra.Demo network:lan --for=1h
        "$E" audit --app org.empyra.Demo
        "$E" audit verify
fi

say "Brokered files: a host file outside the view, asked for at run time"
# A private empyrad for the rest of the demo: its own runtime, config and state dirs.
[ -d "$DEMO/run" ] || mkdir -m 700 "$DEMO/run"
export XDG_RUNTIME_DIR="$DEMO/run" XDG_CONFIG_HOME="$DEMO/config" XDG_STATE_HOME="$DEMO/state"
mkdir -p "$DEMO/docs" && echo "a note on the host" >"$DEMO/docs/note.txt" && chmod -R a+rX "$DEMO/docs"
echo "--- no rule and no prompt UI running: an ask is denied at once"
"$E" run --app=org.empyra.Reader --files=brokered -- cat "$DEMO/docs/note.txt"; echo "exit status: $?"
echo "--- after: empyra allow org.empyra.Reader filesystem:$DEMO/docs"
"$E" allow org.empyra.Reader "filesystem:$DEMO/docs" >/dev/null
"$E" run --app=org.empyra.Reader --files=brokered -- cat "$DEMO/docs/note.txt"; echo "exit status: $?"

say "The network gateway: connections decided per destination"
python3 -m http.server 18765 --bind 127.0.0.1 >/dev/null 2>&1 &
web=$!
sleep 0.5
FETCH='import urllib.request,sys
try: print("HTTP", urllib.request.urlopen("http://127.0.0.1:18765/", timeout=5).status)
except Exception as e: print("refused:", e)'
echo "--- without shared=network: only the app's own loopback exists"
"$E" run --app=org.empyra.Fetch -- python3 -c "$FETCH"
echo "--- shared=network: the host's own services are asked about (no UI: denied)"
"$E" run --app=org.empyra.Fetch --share=network -- python3 -c "$FETCH"
echo "--- after: empyra allow org.empyra.Fetch network:loopback"
"$E" allow org.empyra.Fetch network:loopback >/dev/null
"$E" run --app=org.empyra.Fetch --share=network -- python3 -c "$FETCH"
python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 18766))
while True:
    d, a = s.recvfrom(2048)
    s.sendto(b"echo:" + d, a)' >/dev/null 2>&1 &
echoer=$!
sleep 0.3
UDPQ='import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b"hello", ("127.0.0.1", 18766))
try:
    d, a = s.recvfrom(2048)
    print("UDP answer", d.decode(), "from", a)
except OSError as e:
    print("no answer:", e)'
echo "--- UDP too: the same rule lets the app's datagram out and the answer back"
"$E" run --app=org.empyra.Fetch --share=network -- python3 -c "$UDPQ"
"$E" net org.empyra.Fetch
kill $web $echoer 2>/dev/null
"$E" audit verify
for p in $(pgrep -x empyrad); do
        if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "XDG_RUNTIME_DIR=$DEMO/run"; then
                kill "$p"
        fi
done
