#!/usr/bin/env bash
# tick-publish.sh: tick-publish into a private redis-server (Unix socket).
# SPDX-License-Identifier: MIT
#
# Throughput: 1,000,000 tick lines (kite-stream -r on a mkcap capture: 35%
# full, 30% quote, 20% ltp, 15% index packets) through tick-publish to
# ticks:{instrument_token}, best of 3, beside redis-benchmark -P 64 -n 1M
# PUBLISH of a payload of the same mean size to the same server in the
# same run.  Both share two cores with the server, which is the limit.
#
# Latency: 10,000 lines at 1,000 lines/s, each stamped (CLOCK_MONOTONIC)
# as it is written to tick-publish's stdin; a hiredis subscriber notes
# when it arrives (tests/tools/pubstamp.c).  The same feeder then
# PUBLISHes directly (one connection, no tick-publish), and the added
# latency is the difference of the p99s, each the best of three rounds
# run in turn (other load on a shared machine only ever adds latency).

set -euo pipefail
n=${KP_BENCH_TICKS:-1000000}
rate=${KP_BENCH_RATE:-1000}
secs=${KP_BENCH_LATENCY_SECONDS:-10}
dir=$KP_BENCH_TMP
sock=$dir/redis.sock

for c in redis-server redis-benchmark redis-cli pubstamp; do
	if ! command -v "$c" > /dev/null; then
		echo "tick-publish bench: missing $c" >&2
		exit 1
	fi
done

redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 \
	--save '' --appendonly no --dir "$dir" > "$dir/redis.log" 2>&1 &
rpid=$!
trap 'kill "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
	[[ $(redis-cli -s "$sock" ping 2>/dev/null) == PONG ]] && break
	sleep 0.1
done
export REDIS_URL=unix://$sock

mkcap -s 42 "random:$n:50" > "$dir/tp.cap"
kite-stream -r "$dir/tp.cap" > "$dir/tp.ndjson"
bytes=$(stat -c %s "$dir/tp.ndjson")
lines=$(wc -l < "$dir/tp.ndjson")
mean=$(( bytes / lines - 1 ))

# best SECONDS...: the smallest
best() { printf '%s\n' "$@" | sort -g | head -n 1; }
# run_tp ARGS...: seconds for tick-publish over the lines
run_tp() {
	local t0 t1
	t0=$EPOCHREALTIME
	tick-publish -q "$@" < "$dir/tp.ndjson"
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }'
}

pub=() full=() rb=()
payload=$(head -c "$mean" /dev/zero | tr '\0' x)
for _ in 1 2 3; do
	pub+=("$(run_tp)")
	redis-cli -s "$sock" flushall > /dev/null
	full+=("$(run_tp -x ticks:replay -m 100000 -H ticks:last)")
	redis-cli -s "$sock" flushall > /dev/null
	rb+=("$(redis-benchmark -s "$sock" -P 64 -n "$lines" --csv \
		publish ticks:408065 "$payload" |
		awk -F'"' 'NR == 2 || /PUBLISH|publish/ { v = $4 } END { print v }')")
done
tp_rate=$(awk -v n="$lines" -v s="$(best "${pub[@]}")" \
	'BEGIN { printf "%.0f", n / s }')
full_rate=$(awk -v n="$lines" -v s="$(best "${full[@]}")" \
	'BEGIN { printf "%.0f", n / s }')
rb_rate=$(printf '%s\n' "${rb[@]}" | sort -g | tail -n 1)
echo "tick-publish bench: $lines lines, mean $mean B; tick-publish" \
	"runs (s): ${pub[*]}; with XADD+HSET: ${full[*]};" \
	"redis-benchmark rps: ${rb[*]}" >&2

m() { awk -v v="$1" 'BEGIN { printf "%.2f M/s", v / 1e6 }'; }
printf 'tick-publish: PUBLISH msgs/s, %s ticks of mean %s B, best of 3\t%s\tredis-benchmark -P 64 PUBLISH %s B: %s (target >= 50%%)\t%s\n' \
	"$lines" "$mean" "$(m "$tp_rate")" "$mean" "$(m "$rb_rate")" \
	"$(awk -v a="$tp_rate" -v b="$rb_rate" 'BEGIN { printf "%.0f%%", 100 * a / b }')"
printf 'tick-publish: lines/s with PUBLISH + XADD MAXLEN ~ 100000 + HSET (3 commands a line)\t%s\t-\t-\n' \
	"$(m "$full_rate")"

count=$(awk -v r="$rate" -v s="$secs" 'BEGIN { printf "%d", r * s }')
# latency MODE: "p50 p99 max count" in microseconds
latency() {
	local out=$dir/lat.$1 ready=$dir/ready.$1
	rm -f "$ready"
	pubstamp sub "$sock" ticks:408065 "$count" "$ready" > "$out" &
	local spid=$!
	while [[ ! -e $ready ]]; do sleep 0.05; done
	if [[ $1 == direct ]]; then
		pubstamp direct "$sock" ticks:408065 "$rate" "$count"
	else
		pubstamp feed "$rate" "$count" | tick-publish -q
	fi
	wait "$spid"
	cat "$out"
}
low() { sort -k2,2g | head -n 1; }
: > "$dir/lat.pipe.all"
: > "$dir/lat.direct.all"
for _ in 1 2 3; do
	latency pipe >> "$dir/lat.pipe.all"
	latency direct >> "$dir/lat.direct.all"
done
read -r tp50 tp99 tpmax tpn <<< "$(low < "$dir/lat.pipe.all")"
read -r d50 d99 dmax dn <<< "$(low < "$dir/lat.direct.all")"
echo "tick-publish bench: latency rounds (us: p50 p99 max n): via" \
	"tick-publish $(paste -sd, "$dir/lat.pipe.all"); direct" \
	"$(paste -sd, "$dir/lat.direct.all")" >&2
printf 'tick-publish: p99 latency at %s ticks/s, feeder to subscriber (target: < 1 ms added)\t%s ms (p50 %s ms)\tdirect PUBLISH: p99 %s ms (p50 %s ms)\t%s ms added\n' \
	"$rate" \
	"$(awk -v a="$tp99" 'BEGIN { printf "%.3f", a / 1000 }')" \
	"$(awk -v a="$tp50" 'BEGIN { printf "%.3f", a / 1000 }')" \
	"$(awk -v a="$d99" 'BEGIN { printf "%.3f", a / 1000 }')" \
	"$(awk -v a="$d50" 'BEGIN { printf "%.3f", a / 1000 }')" \
	"$(awk -v a="$tp99" -v b="$d99" 'BEGIN { printf "%+.3f", (a - b) / 1000 }')"
