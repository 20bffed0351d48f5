"""planted.py - a build of quire with a planted bug, to prove the checker finds it

Each planted/NAME.patch is a small, plausible defect. build() copies
the tree's tracked files (as they are in the work tree) into a scratch
folder under $QUIRE_PLANTED_DIR (default /tmp/quire-planted), applies
the patch there, configures and builds the three programs; the real
tree is never touched. A build is kept, named by the patch's and the
sources' hash, and reused by the next run of the same variant.
"""

import hashlib
import os
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
PATCHES = os.path.join(HERE, "planted")


def names():
    return sorted(f[:-6] for f in os.listdir(PATCHES) if f.endswith(".patch"))


def describe(name):
    """The patch's first line: what the bug is."""
    with open(os.path.join(PATCHES, name + ".patch")) as f:
        return f.readline().strip()


def build(name, srcdir, log):
    """(srcdir, builddir) of the planted variant, built if need be."""
    patch = os.path.join(PATCHES, name + ".patch")
    if not os.path.exists(patch):
        raise RuntimeError("no planted bug %r (known: %s)" % (name, ", ".join(names())))
    files = subprocess.run(["git", "-C", srcdir, "ls-files", "-z"], check=True,
                           capture_output=True).stdout.decode().split("\0")
    files = [f for f in files if f and os.path.isfile(os.path.join(srcdir, f))]
    digest = hashlib.sha256(open(patch, "rb").read())
    for f in files:
        if f.startswith("fcgi/") or f in ("configure.ac", "Makefile.am"):
            with open(os.path.join(srcdir, f), "rb") as fh:
                digest.update(f.encode() + b"\0" + fh.read())
    root = os.path.join(os.environ.get("QUIRE_PLANTED_DIR", "/tmp/quire-planted"),
                        "%s-%s" % (name, digest.hexdigest()[:12]))
    tree = os.path.join(root, "src")
    if os.path.exists(os.path.join(tree, "fcgi", "quire-deploy")) and \
            os.path.exists(os.path.join(root, "built")):
        log("reusing %s" % tree)
        return tree, tree
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(tree)
    for f in files:
        dst = os.path.join(tree, f)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(os.path.join(srcdir, f), dst)
    with open(os.path.join(root, "build.log"), "wb") as out:
        def sh(*argv, stdin=None):
            if subprocess.run(argv, cwd=tree, stdin=stdin, stdout=out,
                              stderr=subprocess.STDOUT).returncode != 0:
                raise RuntimeError("planted %s: %s failed (%s/build.log)" %
                                   (name, " ".join(argv), root))
        with open(patch, "rb") as p:
            sh("patch", "-p1", stdin=p)
        sh("autoreconf", "-fi")
        sh("./configure")
        sh("make", "-j2", "fcgi/quire.fcgi", "fcgi/quirectl", "fcgi/quire-deploy")
    open(os.path.join(root, "built"), "w").close()
    log("built %s" % tree)
    return tree, tree
