#!/bin/sh
# tick-publish-snapshot.sh: publish a capture's ticks to Redis, one
# channel per instrument, status lines on kitepipe:status, and keep the
# latest tick of each instrument in a hash (default ticks:last).
#
# usage: examples/tick-publish-snapshot.sh CAPTURE [HASH]
# Redis: REDIS_URL (default redis://127.0.0.1:6379).
set -eu
[ $# -ge 1 ] && [ $# -le 2 ] ||
	{ echo "usage: $0 CAPTURE [HASH]" >&2; exit 100; }
[ -r "$1" ] || { echo "$0: cannot read $1" >&2; exit 100; }
kite-stream -r "$1" |
	tick-publish -q -c 'ticks:{instrument_token}' -f 'kitepipe:{type}' \
		-H "${2:-ticks:last}"
