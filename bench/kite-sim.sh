#!/usr/bin/env bash
# kite-sim.sh: how many ticks/s kite-sim emits flat out to one client, and
# what it costs when idle or ticking at Kite's pace.
# SPDX-License-Identifier: MIT
#
# One kws client (tests/tools/kws -q: decodes with lib's decoder, prints
# nothing) subscribes to N NIFTY options; kite-sim --flat-out sends a new
# message of all N as soon as the socket takes the last one.  Both
# processes share the machine, so this is a lower bound of what kite-sim
# can emit.  Comparison: Kite itself streams at most 3000 instruments per
# connection, 3 connections per api_key, and a few ticks/s per instrument
# (kite-connect.md section 1.1); there is no published rate to compare.

set -euo pipefail
secs=${KP_BENCH_SECS:-5}
t=$KP_BENCH_TMP
export KITE_API_KEY=benchkey KITE_ACCESS_TOKEN=benchtoken

start() {
	rm -f "$t/port"
	kite-sim -q -p 0 --port-file "$t/port" "$@" > /dev/null 2>> "$t/sim.err" &
	pid=$!
	for _ in $(seq 1 200); do [ -s "$t/port" ] && break; sleep 0.05; done
	export KITE_WS_URL=ws://127.0.0.1:$(cat "$t/port")
	export KITE_API_URL=http://127.0.0.1:$(cat "$t/port")
}
stop() { kill "$pid"; wait "$pid" || true; }
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

tokens() {
	curl -sS "$KITE_API_URL/sim/instruments" |
		jq -r 'select(.name == "NIFTY" and .strike > 0) | .instrument_token' |
		head -"$1" | paste -sd, -
}

flat() {	# N MODE -> ticks/s
	start --flat-out
	toks=$(tokens "$1")
	kws -q -t "$secs" "{\"a\":\"subscribe\",\"v\":[$toks]}" \
		"{\"a\":\"mode\",\"v\":[\"$2\",[$toks]]}" 2> "$t/kws.err" || true
	stop
	ticks=$(sed -n 's/.*ticks=\([0-9]*\).*/\1/p' "$t/kws.err")
	awk -v n="$ticks" -v s="$secs" 'BEGIN { printf "%.2f", n / s / 1e6 }'
}

f=$(flat 500 full)
printf 'kite-sim --flat-out: full ticks/s to one client (500 options)\t%s M/s\tKite: no published rate (3000 instr x 3 conns)\t-\n' "$f"
q=$(flat 500 quote)
printf 'kite-sim --flat-out: quote ticks/s to one client (500 options)\t%s M/s\t-\t-\n' "$q"

# idle: nothing subscribed, one client connected (heartbeats only)
start
kws -q -t $((secs * 2 + 2)) > /dev/null 2>&1 &
k=$!
sleep 1
a=$(cpu "$pid")
sleep $((secs * 2))
b=$(cpu "$pid")
wait "$k" || true
printf 'kite-sim: CPU %% of a core, idle (one client, nothing subscribed)\t%s%%\tissue target < 2%%\t-\n' \
	"$(awk -v d=$((b - a)) -v s=$((secs * 2)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", 100 * d / hz / s }')"

# Kite's pace: 1000 instruments in full mode at 1 tick/s
toks=$(tokens 1000)
kws -q -t $((secs * 2 + 2)) "{\"a\":\"subscribe\",\"v\":[$toks]}" \
	"{\"a\":\"mode\",\"v\":[\"full\",[$toks]]}" > /dev/null 2>&1 &
k=$!
sleep 1
a=$(cpu "$pid")
sleep $((secs * 2))
b=$(cpu "$pid")
wait "$k" || true
stop
printf 'kite-sim: CPU %% of a core, 1000 instruments full at 1 tick/s\t%s%%\t-\t-\n' \
	"$(awk -v d=$((b - a)) -v s=$((secs * 2)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", 100 * d / hz / s }')"
