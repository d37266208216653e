#!/bin/sh
# chain-follow.sh: the option chain of NAME, following the market:
# kite-stream with a control socket, its ticks through chain-follow, which
# keeps the STRIKES either side of the money of the EXPIRIES nearest
# expiries subscribed as the index moves (no cron, no restart).  Writes
# the ticks and chain-follow's status lines on stdout, until interrupted.
#
# usage: examples/chain-follow.sh LIST TOKEN [NAME [STRIKES [EXPIRIES]]]
#   LIST: Kite's instruments CSV with the options, e.g. instr-sync --csv
#   TOKEN: the underlying's instrument token (NIFTY 50: 256265)
# Uses KITE_API_KEY, KITE_ACCESS_TOKEN (and KITE_WS_URL) like kite-stream.
set -eu
[ $# -ge 2 ] || {
	echo "usage: $0 LIST TOKEN [NAME [STRIKES [EXPIRIES]]]" >&2
	exit 100
}
[ -r "$1" ] || { echo "$0: $1: no such list" >&2; exit 100; }
list=$1 token=$2 name=${3:-NIFTY} strikes=${4:-10} expiries=${5:-1}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# kite-stream starts on the underlying; chain-follow adds the chain
kite-stream -c "$dir/ctl" "$token" |
	chain-follow -c "$dir/ctl" -i "$list" -t "$token" -u "$name" \
		-n "$strikes" -k "$expiries"
