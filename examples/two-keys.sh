#!/bin/sh
# two-keys.sh: more instruments than one API key may stream (3 x 3000):
# two API keys, each with its own kite-stream and half of the
# subscriptions, each feeding its own tick-greeks | tick-publish into the
# same Redis (Redis is where they meet; consumers never know there were
# two).  Index underlyings (tokens 256265 and 260105, when listed) go to
# both halves, since tick-greeks needs an option's underlying in its own
# stream.  Each ENVFILE sets KITE_API_KEY and KITE_ACCESS_TOKEN_FILE (and
# KITE_WS_URL); SIGTERM stops everything.
#
# usage: examples/two-keys.sh ENVFILE1 ENVFILE2 SUBSCRIPTIONS INSTRUMENTS
# Uses REDIS_URL.
set -eu
[ $# -eq 4 ] || { echo "usage: $0 ENV1 ENV2 SUBSCRIPTIONS INSTRUMENTS" >&2; exit 100; }
dir=$(mktemp -d)
# stopping kite-stream stops the rest: EOF flows down each pipeline
trap 'pkill -TERM -f "kite-stream -q -f $dir/subs"; wait; rm -rf "$dir"' EXIT
trap 'exit 0' TERM INT
sed 's/#.*//' "$3" | awk -v d="$dir" 'NF {
	if ($1 == 256265 || $1 == 260105) { print > (d "/subs1"); print > (d "/subs2") }
	else print > (d "/subs" (n++ % 2 + 1)) }'
half() {
	(set -a; . "$1"; exec kite-stream -q -f "$2") |
		tick-greeks -Q -i "$3" | tick-publish -q -H ticks:last -f 'kitepipe:{type}'
}
half "$1" "$dir/subs1" "$4" &
p1=$!
half "$2" "$dir/subs2" "$4" &
p2=$!
wait $p1 $p2
