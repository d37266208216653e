#!/usr/bin/env bash
# kite-stream.sh: kite-stream -r decoding a capture to NDJSON, on one core.
# SPDX-License-Identifier: MIT
#
# The capture holds 1,000,000 packets in messages of 50: 35% full, 30%
# quote, 20% ltp, 15% index packets, over NSE, NFO, CDS, BSE, BFO, BCD and
# MCX (tests/tools/mkcap.c).  Output goes to /dev/null; the best and the
# median of 7 runs are reported, since a shared VM's timings wander.
# Comparison: Zerodha's Go client parses and JSON-encodes about 0.3 M
# packets/s on such a capture here, its Python client about 0.07 M/s
# (figures from the issue; those clients are not installed here).

set -euo pipefail
n=${KP_BENCH_PACKETS:-1000000}
cap=$KP_BENCH_TMP/mixed.cap
mkcap -s 42 "random:$n:50" > "$cap"
bytes=$(stat -c %s "$cap")
outbytes=$(kite-stream -r "$cap" | wc -c)

times=()
for _ in 1 2 3 4 5 6 7; do
	t0=$EPOCHREALTIME
	taskset -c 0 kite-stream -r "$cap" > /dev/null
	t1=$EPOCHREALTIME
	times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')")
done
sorted=$(printf '%s\n' "${times[@]}" | sort -g)
best=$(head -n 1 <<<"$sorted")
median=$(sed -n 4p <<<"$sorted")

# rate COUNT SECONDS: millions per second, 2 decimals
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.2f", n / s / 1e6 }'; }
echo "kite-stream: $n packets, capture $bytes B, NDJSON $outbytes B;" \
	"runs (s): ${times[*]}" >&2
printf 'kite-stream -r: packets/s decoded to NDJSON, best of 7\t%s M/s\tGo client ~0.3 M/s; Python ~0.07 M/s; target 4 M/s\t%sx Go\n' \
	"$(rate "$n" "$best")" "$(awk -v n="$n" -v s="$best" 'BEGIN { printf "%.1f", n / s / 300000 }')"
printf 'kite-stream -r: packets/s, median of 7\t%s M/s\t-\t-\n' \
	"$(rate "$n" "$median")"
printf 'kite-stream -r: capture MB/s in, NDJSON MB/s out (best)\t%s in, %s out\t-\t-\n' \
	"$(rate "$bytes" "$best")" "$(rate "$outbytes" "$best")"

# Instructions per packet under callgrind: repeatable whatever the VM is
# doing, so a change in the decoder shows here even when timings wander.
if command -v valgrind > /dev/null; then
	small=$KP_BENCH_TMP/small.cap
	mkcap -s 42 random:100000:50 > "$small"
	ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		kite-stream -r "$small" 2>&1 > /dev/null |
		awk '/Collected/ { print $NF }')
	printf 'kite-stream -r: instructions per packet (callgrind)\t%s\t-\t-\n' \
		"$(awk -v i="$ir" 'BEGIN { printf "%.0f", i / 100000 }')"
else
	printf 'kite-stream -r: instructions per packet (callgrind)\tno valgrind (apt-get install valgrind)\t-\t-\n'
fi
