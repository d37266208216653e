#!/bin/sh
# replay-day.sh: a recorded day through the pipeline again: decode the
# capture, add IV and Greeks, publish to Redis, exactly as the live run
# did (the receive times are the recorded ones).  A replay runs as fast
# as the disk gives it, so tick-greeks uses every CPU (-j 0, up to 4): the
# output is the same bytes as with one thread.
#
# usage: examples/replay-day.sh CAPTURE INSTRUMENTS
# Uses REDIS_URL.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 CAPTURE INSTRUMENTS" >&2; exit 100; }
kite-stream -r "$1" | tick-greeks -j 0 -i "$2" | tick-publish -f 'kitepipe:{type}'
