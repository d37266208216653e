#!/bin/sh
# deps.sh: make sure the Debian 12 packages kitepipe needs are installed.
# SPDX-License-Identifier: MIT
#
# usage: sh mk/deps.sh [-n | -v]
#
# Prints nothing and exits 0 when every package is installed (-v: one line).
# As root, installs the missing ones with apt-get and exits with its status.
# Otherwise (or with -n, which never installs) prints the missing ones and
# the command that installs them, and exits 1. KP_DEPS_EXTRA adds package
# names to the list (the tests use it).

set -u

PKGS='
build-essential
pkg-config
clang
libclang-rt-14-dev
libwebsockets-dev
libcurl4-openssl-dev
libhiredis-dev
libpq-dev
libssl-dev
libjansson-dev
libcjose-dev
libcsv-dev
zlib1g-dev
redis-server
redis-tools
postgresql
postgresql-client
bats
jq
mandoc
procps
valgrind
curl
xxd
python3
chromium
imagemagick
openssl
s6
'
# build-essential .. libclang-rt-14-dev: compilers, pkg-config, and the
#   clang runtimes behind SAN=1 with clang and make fuzz (libFuzzer).
# libwebsockets-dev .. zlib1g-dev: the libraries the programs link.
# redis-server .. postgresql-client: the real servers the tests start.
# bats .. valgrind: the test runner and the tools the tests and benchmarks
#   use (jq, mandoc -Tlint, pgrep/ps for the service harness, callgrind's
#   instruction counts in make bench).
# curl .. chromium: demos and tests of the HTTP and WebSocket endpoints
#   (xxd for binary frames, headless chromium for the option-chain page).
# imagemagick: the page test reads the screenshot's pixels (convert);
#   openssl: tests sign JWTs and the login example hashes with it.
# s6: the supervision test runs s6-svscan on contrib/s6.

verbose=0
install=1
case ${1-} in
-n)
	install=0
	;;
-v)
	verbose=1
	;;
'')
	;;
*)
	echo "usage: sh mk/deps.sh [-n | -v]" >&2
	exit 100
	;;
esac

missing=
n=0
for p in $PKGS ${KP_DEPS_EXTRA-}; do
	n=$((n + 1))
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	if [ "$s" != "install ok installed" ]; then
		missing="$missing $p"
	fi
done
missing=${missing# }

if [ -z "$missing" ]; then
	if [ "$verbose" = 1 ]; then
		echo "deps: all $n packages are installed"
	fi
	exit 0
fi

if [ "$(id -u)" != 0 ] || [ "$install" = 0 ]; then
	echo "deps: missing: $missing" >&2
	echo "deps: to install them, run:" >&2
	echo "sudo apt-get update && sudo apt-get install -y $missing" >&2
	exit 1
fi

echo "deps: installing: $missing" >&2
apt-get update || exit
# $missing is a list of package names: split it on purpose.
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	$missing
