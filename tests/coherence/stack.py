"""stack.py - the whole quire stack on loopback, started and stopped by PID

What tests/integration/lib.sh, lib_pg.sh, lib_redis.sh and
deploy/render-conf do, in Python, for one checker run: a PostgreSQL
cluster made by initdb (unix socket and 127.0.0.1), redis-server,
quire.fcgi under spawn-fcgi -n (N workers, the write API on its own
socket, a token file of mode 0600), nginx in front, and the deployer
(`quirectl serve DIR`). With several hosts (--hosts), each host is a
quire pool and an nginx of its own against the one Redis and the one
PostgreSQL, as a site outgrowing one machine runs them (DESIGN §13,
"Several hosts"), on loopback ports of their own. Everything lives under the run's folder; every
process started is recorded by PID and stopped by that PID, newest
first, also when the run fails or is interrupted. The fault injector
(faults.py) uses the restart functions here.
"""

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

from clients import http_get, resp_command

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port(taken):
    """A TCP port on 127.0.0.1 that nothing listens on now and that this
    run has not handed out before (the web server binds only later)."""
    for _ in range(50):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port not in taken:
            taken.add(port)
            return port
    raise RuntimeError("no free port")


def alive(pid):
    """Whether PID exists and is not a zombie."""
    if not pid:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children(pid):
    """The direct children of PID as (pid, comm) pairs."""
    out = []
    for d in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(d) as f:
                head, tail = f.read().rsplit(")", 1)
        except OSError:
            continue
        fields = tail.split()
        if fields[0] != "Z" and int(fields[1]) == pid:
            out.append((int(d.split("/")[2]), head.split("(", 1)[1]))
    return sorted(out)


def wait_until(pred, seconds, step=0.05):
    """Calls pred until it is true or seconds have passed; its last value."""
    end = time.monotonic() + seconds
    while True:
        v = pred()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


class Binaries:
    """Where the programs and the tree's files are: QUIRE_BUILDDIR (or
    the build given) for the binaries, QUIRE_SRCDIR for the rest."""

    def __init__(self, srcdir, builddir):
        self.srcdir = srcdir
        self.builddir = builddir
        self.fcgi = os.path.join(builddir, "fcgi", "quire.fcgi")
        self.quirectl = os.path.join(builddir, "fcgi", "quirectl")
        self.deploy = os.path.join(builddir, "fcgi", "quire-deploy")
        self.templates = os.path.join(srcdir, "templates")
        self.static = os.path.join(srcdir, "static")
        self.render_conf = os.path.join(srcdir, "deploy", "render-conf")
        self.nginx_conf = os.path.join(srcdir, "deploy", "nginx.conf.in")
        pg = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                    key=lambda p: int(p.split("/")[4]))
        self.pg_bin = os.path.dirname(pg[-1]) if pg else None

    def missing(self):
        """What is not there, as a list of names."""
        out = [p for p in (self.fcgi, self.quirectl, self.deploy)
               if not os.access(p, os.X_OK)]
        for tool in ("spawn-fcgi", "nginx", "redis-server"):
            if not shutil.which(tool, path=os.environ.get("PATH", "") +
                                ":/usr/sbin:/sbin"):
                out.append(tool)
        if not self.pg_bin:
            out.append("postgresql")
        return out


def faketime_lib():
    """libfaketime's preload library, or None."""
    found = glob.glob("/usr/lib/*/faketime/libfaketime.so.1") + \
        glob.glob("/usr/lib/faketime/libfaketime.so.1")
    return found[0] if found else None


class Host:
    """One web host: a quire pool (master, workers, committer, the write
    API) and the nginx in front of it, with the files they make. Host 1
    keeps the run folder's own names (a run of one host is what it was
    before hosts); host K > 1 lives in DIR/hK."""

    def __init__(self, dir, k):
        self.k = k
        self.name = "h%d" % k
        self.dir = dir if k == 1 else os.path.join(dir, self.name)
        self.suffix = "" if k == 1 else "-" + self.name   # of its logs
        self.sock = os.path.join(self.dir, "quire.sock")
        self.api_sock = os.path.join(self.dir, "quire-api.sock")
        self.pid_file = os.path.join(self.dir, "quire.pid")
        self.edge_sock = os.path.join(self.dir, "edge-purge.sock")
        self.edge_keys = os.path.join(self.dir, "edge.keys")
        self.clock_file = os.path.join(self.dir, "faketime")
        self.http_port = self.master = self.nginx = None
        # its link to Redis and PostgreSQL (link.py), when links are on
        self.link_dir = os.path.join(self.dir, "link")
        self.link = self.redis_link = self.pg_link = None


class Stack:
    """One stack under dir. start() brings it up; stop() ends every
    process it started, by PID. The attributes name the pieces the
    clients and the faults need; those of a host (master, http_port...)
    are host 1's, and hosts lists them all."""

    def __init__(self, bins, dir, workers, log, edge=False, hosts=1, links=False):
        self.bins = bins
        self.dir = dir
        self.workers = workers
        # nginx's edge cache above the workers (DESIGN §6, "The edge
        # cache"): the readers' pages then come from it
        self.edge = edge
        self.hosts = [Host(dir, k) for k in range(1, hosts + 1)]
        # each host's pool reaches the tiers through a link of its own,
        # which the host-partition fault cuts (link.py)
        self.links = links
        self._next = 0          # the host port() gives next
        self.log = log
        self.ports = set()
        self.pids = []          # (pid, name), in start order
        self.procs = {}         # pid -> Popen, to reap
        self.token = "coherence-%s" % os.urandom(12).hex()
        self.content = os.path.join(dir, "content")
        self.deploy_sock = os.path.join(dir, "deploy.sock")
        self.pg_data = os.path.join(dir, "pg", "data")
        self.pg_sockdir = os.path.join(dir, "pg", "sock")
        self.pg_port = self.redis_port = None
        self.pg_pid = self.redis_pid = None
        self.deployer = None
        self.env = None
        self.faketime = None    # libfaketime's path: the pools' clocks move

    # Host 1's pieces, by the names a run of one host has always used.
    master = property(lambda self: self.hosts[0].master)
    http_port = property(lambda self: self.hosts[0].http_port)
    pid_file = property(lambda self: self.hosts[0].pid_file)

    def port(self):
        """The port of the host a client asks next: the hosts in turn,
        as a load balancer spreads requests (one host: always its)."""
        h = self.hosts[self._next % len(self.hosts)]
        self._next += 1
        return h.http_port

    def pick_host(self, rng):
        """The host a fault strikes: drawn from rng, which is not drawn
        from at all with one host (a seed's plan of one host stays
        what it was)."""
        return self.hosts[0] if len(self.hosts) == 1 else rng.choice(self.hosts)

    # ------------------------------------------------------------- helpers

    def _spawn(self, name, argv, env=None, logname=None):
        out = open(os.path.join(self.dir, (logname or name) + ".log"), "ab")
        p = subprocess.Popen(argv, env=env or self.env, stdout=out,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             close_fds=True)
        out.close()
        self.pids.append((p.pid, name))
        self.procs[p.pid] = p
        return p.pid

    def _reap(self):
        for pid, p in list(self.procs.items()):
            if p.poll() is not None:
                del self.procs[pid]

    def kill(self, pid, sig=signal.SIGKILL):
        """Sends sig to pid, one of ours or a child of one of ours."""
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
        self._reap()

    def stop_pid(self, pid, name, seconds=5, sig=signal.SIGTERM):
        """sig, a bounded wait, then SIGKILL. True if it ended on sig."""
        if not alive(pid):
            self._reap()
            return True
        self.kill(pid, sig)
        if wait_until(lambda: (self._reap(), not alive(pid))[1], seconds):
            return True
        self.log("%s (pid %d) still there after %ds: SIGKILL" % (name, pid, seconds))
        self.kill(pid, signal.SIGKILL)
        wait_until(lambda: (self._reap(), not alive(pid))[1], 2)
        return False

    def _as_pg_owner(self, argv):
        return ["runuser", "-u", "postgres", "--"] + argv if os.geteuid() == 0 else argv

    # -------------------------------------------------------------- pieces

    def start_pg(self):
        os.makedirs(self.pg_data, exist_ok=True)
        os.makedirs(self.pg_sockdir, exist_ok=True)
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "postgres:", os.path.join(self.dir, "pg")],
                           check=True)
        os.chmod(self.pg_data, 0o700)
        with open(os.path.join(self.dir, "postgres.log"), "ab") as out:
            subprocess.run(self._as_pg_owner(
                [os.path.join(self.bins.pg_bin, "initdb"), "-D", self.pg_data,
                 "-U", "postgres", "-A", "trust", "-E", "UTF8",
                 "--locale=C.UTF-8", "--no-sync"]), stdout=out,
                stderr=subprocess.STDOUT, check=True)
        self.pg_port = free_port(self.ports)
        self.launch_pg()
        self.psql("CREATE DATABASE quire", db="postgres")

    def launch_pg(self):
        """postgres on the data dir and port (again, after a crash)."""
        try:
            os.unlink(os.path.join(self.pg_data, "postmaster.pid"))
        except OSError:
            pass
        runner = self._spawn("postgres", self._as_pg_owner(
            [os.path.join(self.bins.pg_bin, "postgres"), "-D", self.pg_data,
             "-k", self.pg_sockdir, "-p", str(self.pg_port),
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=on"]))
        pidfile = os.path.join(self.pg_data, "postmaster.pid")

        def postmaster():
            try:
                with open(pidfile) as f:
                    pid = int(f.readline())
                return pid if alive(pid) else None
            except (OSError, ValueError):
                return None
        pid = wait_until(postmaster, 15)
        if not pid:
            raise RuntimeError("postgres did not start (postgres.log)")
        self.pg_pid = pid
        self.pids.append((pid, "postmaster"))
        if not wait_until(self.pg_ready, 30, 0.1):
            raise RuntimeError("postgres did not accept connections")
        return runner

    def pg_ready(self):
        return subprocess.run(
            [os.path.join(self.bins.pg_bin, "pg_isready"), "-q", "-h",
             self.pg_sockdir, "-p", str(self.pg_port), "-U", "postgres",
             "-d", "postgres", "-t", "1"]).returncode == 0

    def psql(self, sql, db="quire", timeout=20):
        """Runs sql; its unaligned rows as lists of fields ('|' apart)."""
        r = subprocess.run(
            [os.path.join(self.bins.pg_bin, "psql"), "-X", "-q", "-At",
             "-h", self.pg_sockdir, "-p", str(self.pg_port), "-U", "postgres",
             "-d", db, "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("psql: %s" % r.stderr.strip())
        return [line.split("|") for line in r.stdout.splitlines()]

    def start_redis(self):
        if not self.redis_port:
            self.redis_port = free_port(self.ports)
        os.makedirs(os.path.join(self.dir, "redis"), exist_ok=True)
        self.redis_pid = self._spawn("redis", [
            "redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--daemonize", "no",
            "--dir", os.path.join(self.dir, "redis")])
        if not wait_until(self.redis_ping, 10, 0.05):
            raise RuntimeError("redis did not answer PONG")

    def redis(self, *args, timeout=2.0):
        return resp_command("127.0.0.1", self.redis_port, args, timeout)

    def redis_ping(self):
        try:
            return self.redis("PING") == "PONG"
        except (OSError, RuntimeError):
            return False

    def start_link(self, h):
        """h's link to Redis and PostgreSQL: link.py on two ports."""
        os.makedirs(h.link_dir, exist_ok=True)
        for name in ("cut", "stop"):
            try:
                os.unlink(os.path.join(h.link_dir, name))
            except OSError:
                pass
        h.redis_link = free_port(self.ports)
        h.pg_link = free_port(self.ports)
        h.link = self._spawn("link", [
            sys.executable, os.path.join(HERE, "link.py"), h.link_dir,
            "%d:%d" % (h.redis_link, self.redis_port),
            "%d:%d" % (h.pg_link, self.pg_port)], logname="link" + h.suffix)

        def listening():
            try:
                for port in (h.redis_link, h.pg_link):
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True
            except OSError:
                return False
        if not wait_until(listening, 10):
            raise RuntimeError("the link of %s did not listen (link%s.log)" % (h.name, h.suffix))

    def cut(self, h, down):
        """h's link down (nothing forwarded) or up again."""
        flag = os.path.join(h.link_dir, "cut")
        if down:
            open(flag, "w").close()
        else:
            try:
                os.unlink(flag)
            except OSError:
                pass

    def start_quire(self, h):
        os.makedirs(h.dir, exist_ok=True)
        os.chmod(h.dir, 0o755)
        tokens = os.path.join(self.dir, "tokens")
        with open(tokens, "w") as f:
            f.write(self.token + "\n")
        os.chmod(tokens, 0o600)
        env = dict(self.env)
        env.update({
            "QUIRE_CONTENT_DIR": os.path.join(self.dir, "no-such-dir"),
            "QUIRE_TEMPLATES_DIR": self.bins.templates,
            # one site, whichever host serves it: host 1's address
            "QUIRE_SITE_URL": "http://127.0.0.1:%d" % self.http_port,
            "QUIRE_WORKERS": str(self.workers),
            "QUIRE_API_LISTEN": h.api_sock,
            "QUIRE_API_TOKEN_FILE": tokens,
            "QUIRE_POSTS_PER_PAGE": "100",
        })
        if h.link:
            env.update({
                "QUIRE_DATABASE_URL": "postgresql://postgres@127.0.0.1:%d/quire" % h.pg_link,
                "QUIRE_REDIS_URL": "redis://127.0.0.1:%d/0" % h.redis_link,
            })
        if self.edge:
            # The key log, written by quire's user (www-data when root).
            open(h.edge_keys, "a").close()
            if os.geteuid() == 0:
                shutil.chown(h.edge_keys, "www-data", "www-data")
            env.update({"QUIRE_EDGE_PURGE": h.edge_sock,
                        "QUIRE_EDGE_KEYS": h.edge_keys})
        if self.faketime:
            # The pool's clock, off by what its clock file says
            # (set_clock); the monotonic clock stays true, as a host's
            # does when NTP or an operator steps its wall clock.
            if not os.path.exists(h.clock_file):
                self.set_clock("+0", h)
            env.update({
                "LD_PRELOAD": self.faketime,
                "FAKETIME_TIMESTAMP_FILE": h.clock_file,
                "FAKETIME_CACHE_DURATION": "1",
                "FAKETIME_DONT_FAKE_MONOTONIC": "1",
                # a sanitizer build refuses a library preloaded before
                # its runtime unless told the order is fine
                "ASAN_OPTIONS": ":".join(filter(None, [
                    os.environ.get("ASAN_OPTIONS"),
                    "verify_asan_link_order=0"])),
            })
        owner = ["-U", "www-data", "-G", "www-data"] if os.geteuid() == 0 else []
        h.master = self._spawn("quire", [
            "spawn-fcgi", "-n", "-s", h.sock, "-M", "0660"] + owner +
            ["--", self.bins.fcgi], env=env, logname="quire" + h.suffix)
        with open(h.pid_file, "w") as f:
            f.write("%d\n" % h.master)
        if not wait_until(lambda: os.path.exists(h.sock) or not alive(h.master), 10):
            raise RuntimeError("quire did not make its socket (quire%s.log)" % h.suffix)

    def set_clock(self, offset, h=None):
        """A pool's clock offset, libfaketime's "+30s" / "-20s" (host
        1's unless h)."""
        h = h or self.hosts[0]
        tmp = h.clock_file + ".new"
        with open(tmp, "w") as f:
            f.write(offset + "\n")
        os.replace(tmp, h.clock_file)

    def start_nginx(self, h):
        conf = os.path.join(h.dir, "nginx.conf")
        subprocess.run([self.bins.render_conf, self.bins.nginx_conf, conf,
                        str(h.http_port), h.dir, h.sock, self.bins.static,
                        "", h.api_sock] + (["", "", "edge"] if self.edge else []),
                       check=True, env=self.env)
        h.nginx = self._spawn("nginx", [
            "nginx", "-c", conf, "-p", h.dir + "/", "-e",
            os.path.join(h.dir, "nginx-error.log")], logname="nginx" + h.suffix)

    def start_deployer(self):
        try:
            os.unlink(self.deploy_sock)
        except OSError:
            pass
        self.deployer = self._spawn("deployer", [
            self.bins.quirectl, "serve", self.content])
        if not wait_until(lambda: os.path.exists(self.deploy_sock) or
                          not alive(self.deployer), 10):
            raise RuntimeError("the deployer made no socket (deployer.log)")

    # -------------------------------------------------------------- whole

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        os.makedirs(os.path.join(self.content, "posts"), exist_ok=True)
        for h in self.hosts:
            h.http_port = free_port(self.ports)
        self.env = dict(os.environ)
        self.env["PATH"] = self.env.get("PATH", "") + ":/usr/sbin:/sbin"
        self.start_pg()
        self.start_redis()
        self.env.update({
            "QUIRE_DATABASE_URL": "postgresql://postgres@127.0.0.1:%d/quire" % self.pg_port,
            "QUIRE_REDIS_URL": "redis://127.0.0.1:%d/0" % self.redis_port,
            "QUIRE_DEPLOY_SOCKET": self.deploy_sock,
            "QUIRE_PID_FILE": self.pid_file,
            "QUIRE_CACHE_DIR": os.path.join(self.dir, "cache"),
        })
        r = subprocess.run([self.bins.quirectl, "migrate"], env=self.env,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("quirectl migrate: %s" % r.stderr.strip())
        self.start_deployer()
        for h in self.hosts:
            if self.links:
                self.start_link(h)
            self.start_quire(h)
            self.start_nginx(h)
        if not wait_until(self.healthy, 20, 0.1):
            raise RuntimeError("the stack did not become healthy")

    def worker_pids(self, h=None):
        """The workers of host h, or of every host."""
        return [p for x in ([h] if h else self.hosts)
                for p, comm in children(x.master) if comm != "quire-commit"]

    def committer_pid(self, h=None):
        for p, comm in children((h or self.hosts[0]).master):
            if comm == "quire-commit":
                return p
        return None

    def healthy(self):
        """Every piece up: each host's /healthz answers and its master has
        its workers and committer, Redis and PostgreSQL answer, the
        deployer listens."""
        for h in self.hosts:
            if not alive(h.master) or len(self.worker_pids(h)) != self.workers:
                return False
            if not self.committer_pid(h):
                return False
        if not alive(self.deployer):
            return False
        if not self.redis_ping() or not self.pg_ready():
            return False
        try:
            return all(http_get(h.http_port, "/healthz", timeout=2)[0] == 200
                       for h in self.hosts)
        except OSError:
            return False

    def stop(self):
        """Every process started, newest first, by PID; the master's
        children by theirs if they outlive it."""
        self._reap()
        kids = []
        for pid, name in reversed(self.pids):
            if not alive(pid):
                continue
            kids += [p for p, _ in children(pid)]
            # A fast shutdown for PostgreSQL: SIGTERM waits for clients.
            sig = signal.SIGINT if name == "postmaster" else signal.SIGTERM
            self.stop_pid(pid, name, 10, sig)
        for pid in kids:
            if alive(pid):
                self.log("left-over child %d: SIGKILL" % pid)
                self.kill(pid)
        for p in self.procs.values():
            try:
                p.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
