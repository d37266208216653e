#!/bin/sh
# kite-sim-smile.sh: start a private kite-sim, and print the volatility
# smile it prices NIFTY's next monthly options with: one tab-separated
# row per strike, "strike<TAB>sigma", from /sim/smile and /sim/instruments.
#
# usage: examples/kite-sim-smile.sh [ATM,SKEW,CURV]   (kite-sim's --smile)
set -eu
smile=${1:-0.13,-0.4,2}
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
kite-sim -q -p 0 --port-file "$dir/port" --smile "$smile" >/dev/null &
pid=$!
i=0
while [ ! -s "$dir/port" ]; do
	i=$((i + 1))
	[ "$i" -lt 200 ] || { echo "$0: kite-sim did not start" >&2; exit 111; }
	sleep 0.05
done
url=http://127.0.0.1:$(cat "$dir/port")
curl -sS "$url/sim/smile" > "$dir/smile.json"
curl -sS "$url/sim/instruments" > "$dir/all"
jq -c 'select(.name == "NIFTY" and .instrument_type == "CE")' "$dir/all" > "$dir/ce"
# the nearest monthly expiry: the first future's
exp=$(jq -r 'select(.name == "NIFTY" and .instrument_type == "FUT")
	| .expiry_day' "$dir/all" | sort -n | head -1)
jq -r --slurpfile m "$dir/smile.json" --argjson e "$exp" '
	($m[0]) as $s | ($s.underlyings[0]) as $u |
	select(.expiry_day == $e) |
	($u.spot * ((($s.r - $u.q) * .t) | exp)) as $f |
	((.strike / $f) | log) as $k |
	[.strike, ($s.atm + $s.term * .t + $s.skew * $k + $s.curv * $k * $k)
	    | if . < 0.01 then 0.01 else . end]
	| "\(.[0])\t\(.[1] * 10000 | round / 10000)"' "$dir/ce"
