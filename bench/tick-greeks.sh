#!/usr/bin/env bash
# tick-greeks.sh: implied-volatility solves/s on bench_cases.csv (one
# thread, tests/tools/ivbench) beside the QuantLib and scipy figures of
# options-math.md (measured on this machine kind), and tick-greeks' option
# ticks/s end to end (NDJSON in, enriched NDJSON out).
# SPDX-License-Identifier: MIT
#
# Targets (issue 5): >= 3 M IV/s, >= 1 M option ticks/s.

set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
data=${KP_TESTDATA:-$root/../shared/testdata}/greeks/bench_cases.csv
t=$KP_BENCH_TMP

# ivbench prints the mean rate over the run and the rate of its fastest
# pass over all the cases: on a shared machine the mean measures what the
# other processes left us, the fastest pass the core's own speed.
read -r ivmean worst fails ivs < <(ivbench "$data" "${KP_BENCH_SECS:-3}")
echo "ivbench: worst relative error vs sigma $worst, failures $fails" >&2
r() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }
printf 'IV solves/s (LBR, 1 thread, fastest pass over all cases)\t%s\t%s\t%s\n' \
	"$ivs" "QuantLib Newton 730000" "$(r "$ivs" 730000)"
printf 'IV solves/s (mean over the run)\t%s\t%s\t%s\n' "$ivmean" \
	"QuantLib Newton 730000" "$(r "$ivmean" 730000)"
printf 'IV solves/s vs QuantLib Brent\t%s\t49000\t%s\n' "$ivs" \
	"$(r "$ivs" 49000)"
printf 'IV solves/s vs scipy brentq (erfc)\t%s\t142000\t%s\n' "$ivs" \
	"$(r "$ivs" 142000)"

# The filter: every bench case as a full-ish option tick after its spot,
# end to end: the whole process, its start and the load of the 20,002
# instruments included (about 30 ms), NDJSON from a file in and the
# enriched NDJSON to a file out.  1,000,000 ticks (KP_BENCH_TICKS) so
# that the start is a small part; best of KP_BENCH_RUNS runs (default
# 3), as the other programs on a shared machine only ever slow a run.
n=${KP_BENCH_TICKS:-1000000}
{
	echo 'instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange'
	echo '256265,1,NIFTY 50,NIFTY 50,0,,0,0,0,EQ,INDICES,NSE'
	awk -F, 'NR > 1 { k = ($1 == "C" ? "CE" : "PE")
		printf "%d,1,NIFTYB%d%s,NIFTY,0,2025-12-30,%s,0.05,75,%s,NFO-OPT,NFO\n", \
		    5000000 + NR, NR, k, $3, k }' "$data"
} >"$t/instr.csv"
awk -F, -v n="$n" 'NR > 1 { row[NR] = $0; m = NR }
END {
	for (i = 0; i < n; i++) {
		split(row[2 + i % (m - 1)], f, ",")
		printf "{\"type\":\"tick\",\"mode\":\"quote\",\"instrument_token\":%d,\"segment\":\"nfo-opt\",\"tradable\":true,\"last_price\":%s,\"last_traded_quantity\":75,\"average_traded_price\":%s,\"volume_traded\":120000,\"total_buy_quantity\":5000,\"total_sell_quantity\":6000,\"ohlc\":{\"open\":1,\"high\":2,\"low\":1,\"close\":1},\"change\":0.5,\"receive_timestamp\":%.6f}\n", \
		    5000000 + 2 + i % (m - 1), f[8], f[8], 1767088800 - f[4] * 31536000
	}
}' "$data" >"$t/ticks"
{ echo '{"type":"tick","instrument_token":256265,"last_price":24000}'; cat "$t/ticks"; } >"$t/in"
best=
for ((i = 0; i < ${KP_BENCH_RUNS:-3}; i++)); do
	s=$(date +%s.%N)
	tick-greeks -Q -i "$t/instr.csv" <"$t/in" >"$t/out"
	e=$(date +%s.%N)
	secs=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f", e - s }')
	echo "tick-greeks: run $((i + 1)): $secs s" >&2
	best=$(awk -v a="${best:-$secs}" -v b="$secs" \
	    'BEGIN { print (b < a ? b : a) }')
done
got=$(grep -c '"iv":' "$t/out" || true)
tps=$(awk -v n="$n" -v s="$best" 'BEGIN { printf "%.0f", n / s }')
echo "tick-greeks: $got of $n ticks enriched" >&2
rm -f "$t/in" "$t/ticks" "$t/out"
printf 'tick-greeks option ticks/s\t%s\ttarget 1000000\t%s\n' "$tps" \
	"$(r "$tps" 1000000)"
