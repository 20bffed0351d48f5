#!/usr/bin/env python3
"""link.py - one host's network link to Redis and PostgreSQL, which the
checker can cut (the host-partition fault, faults.py)

Usage: link.py DIR LISTEN_PORT:TARGET_PORT...

A TCP forwarder on 127.0.0.1: each LISTEN_PORT forwards to TARGET_PORT,
both ways, a thread a direction. A host's pool (master, workers,
committer) reaches Redis and PostgreSQL through its link only, so that
cutting it partitions that host alone (DESIGN §13, "Several hosts"):
while DIR/cut exists nothing is forwarded either way and a new
connection is accepted but not connected onward — packets that vanish,
as when a host's link goes down, not refusals: a client finds out by
its own timeouts. When DIR/cut goes, what was held flows on (TCP
retransmits across a short partition). A target that refuses closes the
client's connection (Redis or PostgreSQL restarted). Ends when DIR/stop
exists, or on SIGTERM.
"""
import os
import socket
import sys
import threading
import time

POLL_S = 0.01


def cut(d):
    return os.path.exists(os.path.join(d, "cut"))


def wait_link(d):
    while cut(d):
        time.sleep(POLL_S)


def close(*socks):
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            s.close()
        except OSError:
            pass


def pump(d, src, dst):
    """src to dst until either ends; held while the link is cut."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            wait_link(d)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        close(src, dst)


def connect(d, client, target):
    wait_link(d)
    try:
        up = socket.create_connection(("127.0.0.1", target), timeout=5)
        up.settimeout(None)
        up.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        close(client)
        return
    threading.Thread(target=pump, args=(d, client, up), daemon=True).start()
    threading.Thread(target=pump, args=(d, up, client), daemon=True).start()


def listen(d, port, target):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(128)
    ls.settimeout(0.2)
    while not os.path.exists(os.path.join(d, "stop")):
        try:
            c, _ = ls.accept()
        except socket.timeout:
            continue
        except OSError:
            break
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=connect, args=(d, c, target), daemon=True).start()


def main():
    d = sys.argv[1]
    pairs = [tuple(int(x) for x in a.split(":")) for a in sys.argv[2:]]
    ths = [threading.Thread(target=listen, args=(d, p, t), daemon=True)
           for p, t in pairs]
    for th in ths:
        th.start()
    while any(th.is_alive() for th in ths):
        time.sleep(0.2)


if __name__ == "__main__":
    main()
