#!/bin/sh
# watch-instrument.sh: one instrument, live, as a line per tick: time,
# last price, change %, volume (and, for options through tick-greeks,
# IV % and delta).  Status lines (reconnects, gaps) are shown too.
#
# usage: examples/watch-instrument.sh TOKEN [INSTRUMENTS]
#   INSTRUMENTS: instr-sync's NDJSON, to add IV and delta to an option.
# Uses KITE_WS_URL, KITE_API_KEY, KITE_ACCESS_TOKEN(_FILE).
set -eu
[ $# -ge 1 ] || { echo "usage: $0 TOKEN [INSTRUMENTS]" >&2; exit 100; }
if [ -n "${2:-}" ]; then
	# the option's underlying must be in the stream for its IV
	und=$(jq -r --argjson t "$1" 'select(.instrument_token == $t) | .name' "$2")
	case $und in
	NIFTY) extra=256265 ;; BANKNIFTY) extra=260105 ;;
	*) extra=$(jq -r --arg n "$und" 'select(.tradingsymbol == $n and
		.exchange == "NSE") | .instrument_token' "$2" | head -n 1) ;;
	esac
	kite-stream -q "$1:full" ${extra:+"$extra:ltp"} |
		tick-greeks -i "$2" --fields iv,delta
else
	kite-stream -q "$1:full"
fi | jq --unbuffered -r --argjson t "$1" '
	if .type == "status" then "-- \(.event) \(.reason // "")"
	elif .type == "tick" and .instrument_token == $t then
		[(.exchange_timestamp // .receive_timestamp | floor | todate),
		 .last_price, .change, .volume_traded,
		 (if has("iv") then (if .iv then (.iv * 10000 | round / 100)
			else "-" end) else empty end),
		 (if has("delta") then (if .delta then (.delta * 1000 | round / 1000)
			else "-" end) else empty end)]
		| @tsv
	else empty end'
