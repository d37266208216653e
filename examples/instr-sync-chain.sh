#!/bin/sh
# instr-sync-chain.sh: keep kite-stream's subscription file on the option
# chain of NAME as the market moves (the strike rebalancer): pick the
# STRIKES either side of the money for the nearest expiry and replace
# FILE atomically, only when it changed, then tell kite-stream to reload
# (SIGHUP to PID, when given).  Run it from cron every few minutes.
#
# usage: examples/instr-sync-chain.sh NAME FILE [STRIKES [SPOT [PID]]]
#   SPOT: the spot price; default the dump's last_price of the future.
# Uses KITE_API_URL, KITE_API_KEY and KITE_ACCESS_TOKEN like instr-sync.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 NAME FILE [STRIKES [SPOT [PID]]]" >&2; exit 100; }
name=$1 file=$2 strikes=${3:-10} spot=${4:-} pid=${5:-}
tmp=$file.tmp.$$
trap 'rm -f "$tmp"' EXIT
instr-sync -x NFO --chain "$name" --strikes "$strikes" --subs full \
	${spot:+--spot "$spot"} >"$tmp"
# the underlying index is on NSE, not NFO: add it, in ltp mode
instr-sync -x NSE --chain "$name" --strikes 0 --subs ltp |
	grep -v '^#' >>"$tmp" || true
if [ -f "$file" ] && cmp -s "$tmp" "$file"; then
	exit 0
fi
mv "$tmp" "$file"
[ -z "$pid" ] || kill -HUP "$pid"
