#!/usr/bin/env bash
# install.sh - the C package as a user installs it, tested from outside the
# repository (make test-install; make test-chat runs the chat part only):
#
#   1. make install PREFIX=<temporary directory>: libp2p.so.1 with that
#      SONAME and the libp2p.so link, include/p2p.h, lib/pkgconfig/p2p.pc,
#      share/doc/p2p/{LICENSE,THIRD_PARTY_NOTICES.md}; pkg-config reports
#      the version of p2p.h, whose P2P_VERSION_STRING a compiled program
#      prints; a staged install (DESTDIR) lands under DESTDIR and names
#      PREFIX;
#   2. examples/c and examples/chat copied out of the repository and built
#      there with their own Makefiles, through pkg-config alone; hello runs,
#      and tests/pkg/chat_test.py drives two chat instances (Alice and Bob)
#      through invitation, history, lines both ways and whispers;
#   3. make uninstall leaves no file behind.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
mode=${1:-all}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/p2p-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
prefix=$tmp/prefix
fail() { echo "FAIL: $*" >&2; exit 1; }

make -C "$root" --no-print-directory -s install PREFIX="$prefix" >/dev/null
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
version=$(make -C "$root" --no-print-directory -s version)

if [ "$mode" = all ]; then
	for f in lib/libp2p.so.1 include/p2p.h lib/pkgconfig/p2p.pc share/doc/p2p/LICENSE share/doc/p2p/THIRD_PARTY_NOTICES.md; do
		[ -f "$prefix/$f" ] || fail "make install did not install $f"
	done
	[ "$(readlink "$prefix/lib/libp2p.so")" = libp2p.so.1 ] || fail "lib/libp2p.so is not a link to libp2p.so.1"
	readelf -d "$prefix/lib/libp2p.so.1" | grep -q 'SONAME.*\[libp2p.so.1\]' || fail "the SONAME is not libp2p.so.1"
	[ "$(pkg-config --modversion p2p)" = "$version" ] || fail "pkg-config --modversion p2p is not $version"
	echo "installed $version into a temporary PREFIX: $(cd "$prefix" && find . -type f -o -type l | sort | tr '\n' ' ')"

	# A program of its own, outside the repository, through pkg-config only.
	mkdir "$tmp/own"
	cat >"$tmp/own/version.c" <<'C'
#include <stdio.h>
#include <p2p.h>
int main(void) {
    PEER_VERSION_DATA v;
    HRESULT hr = PeerGroupStartup(PEER_GROUP_VERSION, &v);
    printf("%s %d 0x%04x\n", P2P_VERSION_STRING, P2P_VERSION >= 0x010000, v.wVersion);
    return hr == S_OK && PeerGroupShutdown() == S_OK ? 0 : 1;
}
C
	# shellcheck disable=SC2046
	(cd "$tmp/own" && cc -std=c11 -Wall -Wextra -Werror $(pkg-config --cflags p2p) version.c -o version \
		$(pkg-config --libs p2p) -Wl,-rpath,"$(pkg-config --variable=libdir p2p)")
	got=$(P2P_HOME=$tmp/own/home "$tmp/own/version")
	[ "$got" = "$version 1 0x0101" ] || fail "a program built with pkg-config printed '$got', not '$version 1 0x0101'"
	echo "a program built with pkg-config outside the repository prints P2P_VERSION_STRING $version"

	# A staged install: files under DESTDIR, the pc file naming PREFIX.
	make -C "$root" --no-print-directory -s install DESTDIR="$tmp/stage" PREFIX=/usr >/dev/null
	[ -f "$tmp/stage/usr/lib/libp2p.so.1" ] || fail "DESTDIR install: no usr/lib/libp2p.so.1"
	grep -qx 'prefix=/usr' "$tmp/stage/usr/lib/pkgconfig/p2p.pc" || fail "DESTDIR install: p2p.pc does not name /usr"
	echo "a staged install (DESTDIR) lands under DESTDIR and names PREFIX"
fi

# The examples, copied out of the repository, built with their Makefiles.
mkdir "$tmp/src"
cp -r "$root/examples/chat" "$tmp/src/"
make -C "$tmp/src/chat" --no-print-directory -s CFLAGS="-O2 -Wall -Wextra -Werror"
if [ "$mode" = all ]; then
	cp -r "$root/examples/c" "$tmp/src/"
	make -C "$tmp/src/c" --no-print-directory -s CFLAGS="-O2 -Wall -Wextra -Werror"
	out=$(cd "$tmp/src/c" && P2P_HOME=$tmp/src/c/home ./hello)
	grep -qx done <<<"$out" || fail "examples/c/hello did not finish: $out"
	echo "examples/c built outside the repository with its Makefile (pkg-config) and ran"
fi
mkdir "$tmp/chat"
python3 "$root/tests/pkg/chat_test.py" "$tmp/src/chat/chat" "$tmp/chat"

if [ "$mode" = all ]; then
	make -C "$root" --no-print-directory -s uninstall PREFIX="$prefix" >/dev/null
	left=$(cd "$prefix" && find . -type f -o -type l)
	[ -z "$left" ] || fail "make uninstall left: $left"
	echo "make uninstall removed every file"
fi
echo "PASS C package ($mode, $((SECONDS - start)) s)"
