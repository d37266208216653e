#!/bin/sh
# candles-greeks.sh: an option's historical candles with IV and Greeks
# (the old service's /history?oi=true): both the option's and its
# underlying's candles from Kite's historical API, merged by time
# (underlying first) and run through tick-greeks, which prices each
# option candle against the underlying's close at that minute.
#
# usage: examples/candles-greeks.sh OPTION_TOKEN UNDERLYING_TOKEN FROM TO
#            INSTRUMENTS [INTERVAL [TICK-GREEKS-OPTION...]]
#   FROM, TO: "YYYY-MM-DD HH:MM:SS" (IST); INTERVAL default minute; the
#   options after it go to tick-greeks (-r RATE -q YIELD, --model ...).
# Uses KITE_API_URL, KITE_API_KEY, KITE_ACCESS_TOKEN.
#
# Against kite-sim, price with its rate and yield (GET /sim/smile):
#   s=$(curl -fsS -H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
#	"$KITE_API_URL/sim/smile")
#   examples/candles-greeks.sh ... minute -r "$(echo "$s" | jq .r)" \
#	-q "$(echo "$s" | jq '.underlyings[] | select(.name == "NIFTY") | .q')"
set -eu
[ $# -ge 5 ] || {
	echo "usage: $0 OPTION UNDERLYING FROM TO INSTRUMENTS" \
		"[INTERVAL [TICK-GREEKS-OPTION...]]" >&2
	exit 100
}
url=${KITE_API_URL:-https://api.kite.trade}
candles() {
	curl -fsS -G -H 'X-Kite-Version: 3' \
		-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		--data-urlencode "from=$3" --data-urlencode "to=$4" \
		--data-urlencode "oi=$5" \
		"$url/instruments/historical/$1/$2" |
		jq -c --argjson t "$1" --argjson o "$6" '.data.candles[] |
			{instrument_token: $t, timestamp: .[0], open: .[1],
			 high: .[2], low: .[3], close: .[4], volume: .[5],
			 order: $o} + (if length > 6 then {oi: .[6]} else {} end)'
}
iv=${6:-minute}
opt=$1 und=$2 from=$3 to=$4 ins=$5
shift $(($# < 6 ? $# : 6))
{
	candles "$und" "$iv" "$from" "$to" 0 0
	candles "$opt" "$iv" "$from" "$to" 1 1
} | jq -s -c 'sort_by(.timestamp, .order)[] | del(.order)' |
	tick-greeks -i "$ins" "$@" |
	jq -c --argjson t "$opt" 'select(.instrument_token == $t)'
