#!/usr/bin/env bash
# order-exec.sh: order-exec's throughput (intents/s) and the latency it
# adds per order over a bare HTTP request to kite-sim, journal fsync on.
# SPDX-License-Identifier: MIT
#
# kite-sim runs with its order rate limit raised (--orders-per-s) and
# order-exec with its buckets off, so the figures are order-exec's own:
# parse, validate, journal (two fsync'd records before the request, one
# after), the HTTP round trip, the answer.  The comparison is curl
# placing the same number of orders over one kept-alive connection (one
# curl process, --next per request), on the same machine.  The journal
# lives in $KP_BENCH_TMP (/tmp: often tmpfs, where fsync is cheap; the
# figure for a real disk is bounded by its fsync latency).

set -euo pipefail
n=${KP_BENCH_ORDERS:-500}
d=$KP_BENCH_TMP/oe
mkdir -p "$d"
export KITE_API_KEY=benchkey KITE_ACCESS_TOKEN=benchtoken-0123456789
kite-sim -p 0 --port-file "$d/port" --orders-per-s 1000000 \
	>/dev/null 2>"$d/sim.err" &
sim=$!
trap 'kill $sim 2>/dev/null || true; wait $sim 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
	[ -s "$d/port" ] && break
	sleep 0.05
done
export KITE_API_URL=http://127.0.0.1:$(cat "$d/port")

place='{"id":"%s","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"MARKET","market_protection":-1}\n'
for i in $(seq 1 "$n"); do printf "$place" "b$i"; done > "$d/intents"
body='exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&quantity=1&product=CNC&order_type=MARKET&market_protection=-1&validity=DAY'
{
	for i in $(seq 1 "$n"); do
		[ "$i" -gt 1 ] && echo "next"
		echo "url = \"$KITE_API_URL/orders/regular\""
		echo "data = \"$body&tag=c$i\""
		echo "header = \"X-Kite-Version: 3\""
		echo "header = \"Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN\""
		echo "output = \"/dev/null\""
	done
} > "$d/curl.cfg"

t0=$EPOCHREALTIME
curl -s -K "$d/curl.cfg"
t1=$EPOCHREALTIME
order-exec -q -j "$d/journal" --per-second 0 --per-minute 0 --per-day 0 \
	< "$d/intents" > "$d/out" 2>"$d/oe.err"
t2=$EPOCHREALTIME
placed=$(grep -c '"result":"placed"' "$d/out" || true)
if [ "$placed" != "$n" ]; then
	echo "order-exec.sh: $placed of $n placed" >&2
	tail -5 "$d/oe.err" >&2
	exit 1
fi
awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
	curl = (b - a) / n * 1000; oe = (c - b) / n * 1000
	printf "order-exec: orders/s placed, journal fsync on\t%.0f /s\tcurl, one connection: %.0f /s\t%.2fx\n", n / (c - b), n / (b - a), (b - a) / (c - b)
	printf "order-exec: latency per order (ms), added over curl\t%.3f ms (+%.3f)\tcurl %.3f ms\t%.2fx\n", oe, oe - curl, curl, oe / curl
}'
