"""clients.py - the checker's clients: HTTP, RESP, and reading a page

Standard library only. HTTP goes through http.client to nginx on
127.0.0.1 (one connection a request: quire closes each); every answer
is kept as (status, headers, body). RESP (the Redis protocol) is a
dozen lines over a socket: the faults need CONFIG SET, FLUSHALL,
CLIENT PAUSE and PING, nothing more. The parsers here turn a page or
an API source into the markers the workload wrote (title, body).
"""

import http.client
import re
import socket

MARKER = re.compile(r"mk-[a-z0-9]+-[0-9]+")
TITLE = re.compile(r'<h1 class="post-title">(.*?)</h1>', re.S)
BODY = re.compile(r'<div class="post-body">(.*?)</div>', re.S)
LISTED = re.compile(r'<h2 class="summary-title">.*?<a href="(?:https?://[^/"]*)?'
                    r'/posts/([a-z0-9._-]+)">(.*?)</a>', re.S)


def http_request(port, method, path, headers=None, body=None, timeout=5.0):
    """One request to nginx; (status, {lower-case header: value}, body).
    Raises OSError (timeouts included) when no answer came."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    except http.client.HTTPException as e:
        raise OSError("http: %r" % e)
    finally:
        c.close()


def http_get(port, path, timeout=5.0, headers=None):
    return http_request(port, "GET", path, headers=headers, timeout=timeout)


def first_marker(text):
    m = MARKER.search(text or "")
    return m.group(0) if m else None


def parse_page(html):
    """A post's page: (title marker, body marker), None where absent."""
    t = TITLE.search(html)
    b = BODY.search(html)
    return (first_marker(t.group(1)) if t else None,
            first_marker(b.group(1)) if b else None)


def parse_source(text):
    """An API GET's Markdown source: (title marker, body marker)."""
    title = body = None
    parts = text.split("\n---\n", 1)
    if text.startswith("---\n") and len(parts) == 2:
        for line in parts[0].splitlines():
            if line.startswith("title:"):
                title = first_marker(line)
        body = first_marker(parts[1])
    return title, body


def parse_listing(html):
    """/posts/: {slug: title marker} of every post listed."""
    return {slug: first_marker(title) for slug, title in LISTED.findall(html)}


def source_for(slug, marker):
    """The Markdown a write sends: its marker in the title and the body."""
    return ("---\ntitle: %s %s\ntags: [coherence]\n---\n\n"
            "Written by the coherence checker: %s.\n" % (slug, marker, marker))


def etag_revision(etag):
    """'"12"' -> 12; None for anything else."""
    if etag and len(etag) > 2 and etag[0] == etag[-1] == '"' and etag[1:-1].isdigit():
        return int(etag[1:-1])
    return None


def acknowledged(headers):
    """Quire-Acknowledged: ACKED/LIVE as (acked, live); ("unknown", None)
    when quire could not tell (Redis refused or was down: not a full
    acknowledgement, DESIGN §13); None if absent."""
    v = headers.get("quire-acknowledged")
    if not v:
        return None
    if v.strip() == "unknown":
        return ("unknown", None)
    m = re.match(r"\s*(\d+)\s*/\s*(\d+)\s*$", v)
    return (int(m.group(1)), int(m.group(2))) if m else None


# ------------------------------------------------------------------ RESP

def _resp_encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def _resp_read(f):
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise OSError("redis: connection closed")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError("redis: " + rest.decode(errors="replace"))
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        if len(data) != n + 2:
            raise OSError("redis: short read")
        return data[:-2].decode(errors="replace")
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_resp_read(f) for _ in range(n)]
    raise OSError("redis: unexpected reply %r" % line[:40])


def resp_command(host, port, args, timeout=2.0):
    """One command on a fresh connection; its reply (an error reply
    raises RuntimeError, no answer OSError)."""
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        s.sendall(_resp_encode(args))
        return _resp_read(s.makefile("rb"))
    finally:
        s.close()
