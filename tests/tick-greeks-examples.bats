#!/usr/bin/env bats
# examples/tick-greeks-smile.sh on a chain priced at known volatilities
# (bench_cases.csv rows with NIFTY strikes).

load helper
bats_require_minimum_version 1.5.0

setup() {
	require_cmd jq jq
}

@test "tick-greeks-smile.sh: one row per option at its volatility, sorted by strike" {
	data=$KP_TESTDATA/greeks/bench_cases.csv
	{
		echo 'instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange'
		echo '256265,1,NIFTY 50,NIFTY 50,0,,0,0,0,EQ,INDICES,NSE'
		awk -F, 'NR > 1 && NR <= 6 { k = ($1 == "C" ? "CE" : "PE")
			printf "%d,1,OPT%d,NIFTY,0,2025-12-30,%s,0.05,75,%s,NFO-OPT,NFO\n", \
			    100 + NR, NR, $3, k }' "$data"
	} >"$T/instr.csv"
	# each option after its own spot, at the row's time to expiry
	awk -F, 'NR > 1 && NR <= 6 {
		printf "{\"instrument_token\":256265,\"last_price\":%s}\n", $2
		printf "{\"instrument_token\":%d,\"last_price\":%s,\"receive_timestamp\":%.6f}\n", \
		    100 + NR, $8, 1767088800 - $4 * 31536000
	}' "$data" >"$T/ticks"
	# the expected rows: strike, type, sigma in % to 2 decimals
	awk -F, 'NR > 1 && NR <= 6 { printf "%s\t%s\t%.2f\n", $3 + 0, ($1 == "C" ? "CE" : "PE"), $7 * 100 }' \
		"$data" | sort -k1,1n -k2,2 >"$T/want"
	# all rows share r and q only approximately: use each row's own r, q
	# by running the example once per row
	: >"$T/got"
	for i in 1 2 3 4 5; do
		r=$(awk -F, -v n=$((i + 1)) 'NR == n { print $5 }' "$data")
		q=$(awk -F, -v n=$((i + 1)) 'NR == n { print $6 }' "$data")
		sed -n "$((2 * i - 1)),$((2 * i))p" "$T/ticks" >"$T/one"
		PATH=$B/bin:$PATH tick-greeks -Q -i "$T/instr.csv" -r "$r" -q "$q" \
			--fields iv,strike,instrument_type <"$T/one" |
			jq -r 'select(has("iv")) | [.strike, .instrument_type, (.iv * 100 | . * 100 | round / 100)] | @tsv' >>"$T/got"
	done
	sort -k1,1n -k2,2 "$T/got" | awk -F'\t' '{ printf "%s\t%s\t%.2f\n", $1, $2, $3 }' >"$T/got.s"
	diff "$T/want" "$T/got.s"
	# and the example itself, at the default rates: 5 rows, sorted
	run --separate-stderr "$KP_ROOT/examples/tick-greeks-smile.sh" "$T/instr.csv" <"$T/ticks"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	[ "$(printf '%s\n' "${lines[@]}" | cut -f1 | sort -n | paste -sd,)" = \
	  "$(printf '%s\n' "${lines[@]}" | cut -f1 | paste -sd,)" ]
	[[ ${lines[0]} == *OPT* ]]
}

@test "tick-greeks-smile.sh: usage, exit 100" {
	run "$KP_ROOT/examples/tick-greeks-smile.sh"
	[ "$status" -eq 100 ]
}
