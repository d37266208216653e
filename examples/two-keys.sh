#!/bin/sh
# two-keys.sh: more instruments than one API key may stream (3 x 3000):
# one kite-stream over several accounts (kite-stream -A), the
# instruments balanced over them, into tick-greeks | tick-publish and
# Redis.  When an account fails (its token refused, its connections
# down), its instruments move to the others within seconds, each move a
# "moved" status line (published on kitepipe:status); those that fit
# nowhere are named in an "unplaced" one.  Rewriting an account's token
# file brings it back, and it takes its share again without a gap.
# ACCOUNTS has one "NAME API_KEY TOKEN_FILE" a line (kite-stream(1));
# KITE_WS_URL and REDIS_URL as usual.  SIGTERM stops everything.
#
# usage: examples/two-keys.sh ACCOUNTS SUBSCRIPTIONS INSTRUMENTS
set -eu
[ $# -eq 3 ] || { echo "usage: $0 ACCOUNTS SUBSCRIPTIONS INSTRUMENTS" >&2; exit 100; }
dir=$(mktemp -d)
mkfifo "$dir/ticks"
kite-stream -q -A "$1" -S balance -f "$2" >"$dir/ticks" &
ks=$!
# stopping kite-stream stops the rest: EOF flows down the pipeline
trap 'kill -TERM $ks 2>/dev/null || true; wait; rm -rf "$dir"' EXIT
trap 'exit 0' TERM INT
tick-greeks -Q -i "$3" <"$dir/ticks" |
	tick-publish -q -H ticks:last -f 'kitepipe:{type}' &
wait
