#!/bin/sh
# mode-count.sh: how many ticks of each mode a capture holds.
#
# usage: examples/mode-count.sh CAPTURE
set -eu
[ $# -eq 1 ] || { echo "usage: $0 CAPTURE" >&2; exit 100; }
[ -r "$1" ] || { echo "$0: cannot read $1" >&2; exit 100; }
kite-stream -r "$1" | jq -r 'select(.type == "tick") | .mode' |
	sort | uniq -c | awk '{ print $2, $1 }'
