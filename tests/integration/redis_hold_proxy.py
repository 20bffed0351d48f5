#!/usr/bin/env python3
"""redis_hold_proxy.py - a TCP proxy to Redis that holds a whole rewrite's
first store (test_rewrite_race.sh)

Usage: redis_hold_proxy.py LISTEN_PORT REDIS_PORT DIR

Forwards every connection both ways. The first chunk a client sends that
holds a store of a whole rewrite (a MULTI, or the rewrite's compare
script being loaded) is held, and DIR/holding written, until DIR/release
exists: the client has read PostgreSQL by then and not yet written what
it read. Ends when DIR/stop exists. Listens on 127.0.0.1 only.
"""
import os
import socket
import sys
import threading
import time

MARKS = (b"MULTI", b"'revision', 'hash'")


def pipe(src, dst, hold, state):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if hold and not state["held"] and any(m in data for m in MARKS):
                state["held"] = True
                open(os.path.join(state["dir"], "holding"), "w").close()
                release = os.path.join(state["dir"], "release")
                deadline = time.monotonic() + 30
                while not os.path.exists(release) and time.monotonic() < deadline:
                    time.sleep(0.01)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    port, redis_port, d = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    state = {"held": False, "dir": d}
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    ls.settimeout(0.2)
    while not os.path.exists(os.path.join(d, "stop")):
        try:
            c, _ = ls.accept()
        except socket.timeout:
            continue
        s = socket.create_connection(("127.0.0.1", redis_port))
        threading.Thread(target=pipe, args=(c, s, True, state), daemon=True).start()
        threading.Thread(target=pipe, args=(s, c, False, state), daemon=True).start()


if __name__ == "__main__":
    main()
