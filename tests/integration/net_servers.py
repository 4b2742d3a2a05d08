#!/usr/bin/env python3
"""net_servers.py LOG READY NAME=HOST:PORT[/udp] ... — stand-in servers for
t_net.sh: each answers any line with its NAME and logs every connection or
datagram it got as "NAME tcp|udp" to LOG. READY is written once all listen."""
import selectors
import socket
import sys

log = open(sys.argv[1], "a", buffering=1)
sel = selectors.DefaultSelector()
for spec in sys.argv[3:]:
    name, where = spec.split("=", 1)
    udp = where.endswith("/udp")
    where = where[:-4] if udp else where
    host, port = where.rsplit(":", 1)
    host = host.strip("[]")
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port)))
    if not udp:
        s.listen(64)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, (name, udp, True))
open(sys.argv[2], "w").write("ready\n")

while True:
    for key, _ in sel.select():
        name, udp, listening = key.data
        s = key.fileobj
        try:
            if udp:
                data, peer = s.recvfrom(2048)
                log.write(f"{name} udp\n")
                s.sendto(name.encode() + b"\n", peer)
            elif listening:
                c, _ = s.accept()
                log.write(f"{name} tcp\n")
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ, (name, False, False))
            else:
                data = s.recv(2048)
                if data:
                    s.send(name.encode() + b"\n")
                else:
                    sel.unregister(s)
                    s.close()
        except OSError:
            try:
                sel.unregister(s)
                s.close()
            except Exception:
                pass
