#!/usr/bin/env bats
# examples/: every example runs, on captures of Zerodha's published
# packets, and prints the values Zerodha documents for them.

load helper

setup() {
	require_cmd jq jq
	M=$KP_TESTDATA/kiteconnect-mocks
	mkcap packet:"$M/ticker_full.packet" \
		raw:"$KP_TESTDATA/websocket_ticks.bin" heartbeat \
		packet:"$M/ticker_quote.packet" > "$T/x.cap"
}

@test "decode-capture.sh: token, mode, price, change per tick" {
	run "$KP_ROOT/examples/decode-capture.sh" "$T/x.cap"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	[ "${lines[0]}" = "$(printf '408065\tfull\t1573.7\t0.376324')" ]
	[ "${lines[1]}" = "$(printf '408065\tfull\t1299.05\t2.118544')" ]
	[ "${lines[2]}" = "$(printf '2953217\tfull\t3209.4\t1.629221')" ]
	[ "${lines[3]}" = "$(printf '408065\tquote\t1573.15\t0.341243')" ]
}

@test "last-price.sh: one instrument's prices by exchange time" {
	run "$KP_ROOT/examples/last-price.sh" "$T/x.cap" 2953217
	[ "$status" -eq 0 ]
	[ "$output" = "1612777254 3209.4" ]
}

@test "mode-count.sh: ticks per mode" {
	run "$KP_ROOT/examples/mode-count.sh" "$T/x.cap"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "full 3" ]
	[ "${lines[1]}" = "quote 1" ]
}

@test "examples: a missing capture is a clear error, exit 100" {
	for ex in decode-capture mode-count; do
		run "$KP_ROOT/examples/$ex.sh" "$T/none.cap"
		[ "$status" -eq 100 ]
		[[ $output == *"cannot read $T/none.cap"* ]]
	done
	run "$KP_ROOT/examples/last-price.sh" "$T/none.cap" 1
	[ "$status" -eq 100 ]
	run "$KP_ROOT/examples/last-price.sh"
	[ "$status" -eq 100 ]
	[[ $output == *usage* ]]
}
