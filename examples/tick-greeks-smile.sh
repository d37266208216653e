#!/bin/sh
# tick-greeks-smile.sh: the volatility smile of an option chain from a
# stream of ticks: one tab-separated row per option with a volatility,
# sorted by strike: strike, type, iv (%), delta, tradingsymbol.  Options
# without one are counted on stderr with their reasons.
#
# usage: examples/tick-greeks-smile.sh INSTRUMENTS < ticks.ndjson
set -eu
[ $# -eq 1 ] || { echo "usage: $0 INSTRUMENTS < TICKS" >&2; exit 100; }
[ -r "$1" ] || { echo "$0: cannot read $1" >&2; exit 100; }
tick-greeks -Q -i "$1" --fields iv,delta,strike,instrument_type,tradingsymbol |
	jq -r 'select(has("iv")) |
	    if .iv == null then "no iv: \(.iv_reason)\n" | stderr | empty
	    else [.strike, .instrument_type, (.iv * 10000 | round / 100),
	        (.delta * 1000 | round / 1000), .tradingsymbol] | @tsv end' |
	sort -t "$(printf '\t')" -k1,1n -k2,2
