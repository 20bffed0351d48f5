#!/bin/bash
# test_install.sh - `make install` puts in place what an operator needs:
# the three programs (and they run), the templates and the stylesheet, the man
# pages (rendering without a warning) and the example systemd units
# (which systemd-analyze verify accepts)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# A DESTDIR install relinks nothing when the build is current, but give a
# loaded machine room (lib.sh's watchdog reads T_TIMEOUT).
# shellcheck disable=SC2034
T_TIMEOUT=${QUIRE_TEST_TIMEOUT:-180}

if ! command -v make >/dev/null 2>&1; then
	echo "$T_NAME: SKIP: make is not installed"
	exit 77
fi
if [[ ! -f $QUIRE_BUILDDIR/Makefile || ! -w $QUIRE_BUILDDIR ]]; then
	echo "$T_NAME: SKIP: $QUIRE_BUILDDIR is not a writable, configured build tree"
	exit 77
fi
if ! command -v groff >/dev/null 2>&1; then
	echo "$T_NAME: SKIP: groff is not installed (groff-base)"
	exit 77
fi

t_init
root=$T_DIR/root

# The enclosing make's jobserver and flags belong to it, not to this make.
t_log "make install DESTDIR=$root"
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	make -C "$QUIRE_BUILDDIR" install DESTDIR="$root" >"$T_DIR/install.log" 2>&1; then
	ok "make install DESTDIR=... succeeds"
else
	fail "make install DESTDIR=... failed: $(tail -n 5 "$T_DIR/install.log")"
	t_done
fi

# installed NAME-PATTERN: the one installed file whose path matches the
# find(1) -path pattern (the prefix is whatever configure was given).
installed() {
	find "$root" -path "$1" -print | head -n 1
}
version=$(sed -n 's/^PACKAGE_VERSION = //p' "$QUIRE_BUILDDIR/Makefile")

# ---- the programs
for prog in quire.fcgi quirectl quire-deploy; do
	bin=$(installed "*/bin/$prog")
	if [[ -z $bin || ! -x $bin ]]; then
		fail "$prog is installed in a bin directory"
		continue
	fi
	ok "$prog is installed as ${bin#"$root"}"
	out=$("$bin" --version 2>&1)
	check "$prog --version prints \"$prog $version\" (got \"$out\")" \
		test "$out" = "$prog $version"
done

# ---- the man pages: present, rendering with no warning, of this version
for page in man8/quire.fcgi.8 man1/quirectl.1 man1/quire-deploy.1; do
	man=$(installed "*/man/$page")
	if [[ -z $man ]]; then
		fail "$page is installed"
		continue
	fi
	ok "$page is installed as ${man#"$root"}"
	warnings=$(groff -man -Tutf8 -ww -z "$man" 2>&1)
	check "$page renders with no groff warning${warnings:+: $warnings}" \
		test -z "$warnings"
	check "$page names version $version in its header" \
		grep -q "^\.TH .*\"quire $version\"" "$man"
	check "$page is the one in doc/" cmp -s "$man" "$QUIRE_SRCDIR/doc/${page#*/}"
done

# ---- templates and static files: the same files as the repository's
# same_files SRC DEST: DEST holds exactly the files of SRC, byte for byte.
same_files() {
	local f
	[[ -d $2 ]] || return 1
	diff <(cd "$1" && find . -type f | sort) <(cd "$2" && find . -type f | sort) \
		>"$T_DIR/diff.out" || return 1
	while IFS= read -r f; do
		cmp -s "$1/$f" "$2/$f" || { echo "differs: $f" >"$T_DIR/diff.out"; return 1; }
	done < <(cd "$1" && find . -type f)
}
tdir=$(installed "*/share/quire/templates")
if [[ -n $tdir ]] && same_files "$QUIRE_SRCDIR/templates" "$tdir"; then
	ok "the installed templates are the repository's templates/ ($(find "$tdir" -type f | wc -l) files)"
else
	fail "the installed templates (${tdir:-none}) differ from templates/: $(head -n 5 "$T_DIR/diff.out" 2>/dev/null)"
fi
sdir=$(installed "*/share/quire/static")
if [[ -n $sdir ]] && same_files "$QUIRE_SRCDIR/static" "$sdir"; then
	ok "the installed static files are the repository's static/"
else
	fail "the installed static files (${sdir:-none}) differ from static/: $(head -n 5 "$T_DIR/diff.out" 2>/dev/null)"
fi

# ---- the operator's examples
for f in quire.service quire-spawn-fcgi.service quire-deployer.service quire.env.example; do
	ex=$(installed "*/share/doc/quire/examples/$f")
	check "examples/$f is installed" test -n "$ex"
done

# The units as systemd reads them (no systemd runs here to start them):
# every directive known, every command executable once installed. The
# installed programs stand in for /usr/local/bin's.
if command -v systemd-analyze >/dev/null 2>&1; then
	fcgi_bin=$(installed "*/bin/quire.fcgi")
	ctl_bin=$(installed "*/bin/quirectl")
	for f in quire.service quire-spawn-fcgi.service quire-deployer.service; do
		ex=$(installed "*/share/doc/quire/examples/$f")
		[[ -n $ex ]] || continue
		sed "s|/usr/local/bin/quire.fcgi|$fcgi_bin|g; s|/usr/local/bin/quirectl|$ctl_bin|g" \
			"$ex" >"$T_DIR/$f"
		systemd-analyze verify --man=no "$T_DIR/$f" >"$T_DIR/verify.out" 2>&1
		check "systemd-analyze verify $f: no complaint" test ! -s "$T_DIR/verify.out"
		sed 's/^/  /' "$T_DIR/verify.out"
	done
else
	t_log "systemd-analyze is not installed: the units' syntax is not checked"
fi

t_done
