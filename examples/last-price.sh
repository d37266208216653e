#!/bin/sh
# last-price.sh: the last traded price of one instrument in a capture, at
# each exchange timestamp: "epoch-seconds price" rows.
#
# usage: examples/last-price.sh CAPTURE TOKEN
set -eu
[ $# -eq 2 ] || { echo "usage: $0 CAPTURE TOKEN" >&2; exit 100; }
[ -r "$1" ] || { echo "$0: cannot read $1" >&2; exit 100; }
kite-stream -r "$1" |
	jq -r --argjson tok "$2" 'select(.type == "tick" and
		.instrument_token == $tok)
		| "\(.exchange_timestamp // .receive_timestamp) \(.last_price)"'
