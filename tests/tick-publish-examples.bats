#!/usr/bin/env bats
# examples/tick-publish-*.sh against a real redis-server, on captures of
# Zerodha's published packets; expected prices are Zerodha's.

load helper
load services

setup() {
	require_cmd jq jq
	require_cmd redis-cli redis-tools
	M=$KP_TESTDATA/kiteconnect-mocks
	mkcap packet:"$M/ticker_full.packet" \
		raw:"$KP_TESTDATA/websocket_ticks.bin" heartbeat \
		packet:"$M/ticker_quote.packet" >"$T/x.cap"
	kp_redis_start
}

teardown() {
	kp_services_stop
}

@test "tick-publish-snapshot.sh, tick-publish-last.sh: last prices" {
	run "$KP_ROOT/examples/tick-publish-snapshot.sh" "$T/x.cap"
	[ "$status" -eq 0 ]
	run "$KP_ROOT/examples/tick-publish-last.sh" 408065
	[ "$status" -eq 0 ]
	[ "$output" = "408065 1573.15" ]
	run "$KP_ROOT/examples/tick-publish-last.sh" 2953217
	[ "$status" -eq 0 ]
	[ "$output" = "2953217 3209.4" ]
	[ "$(redis-cli -s "$KP_REDIS_SOCK" hlen ticks:last)" -eq 2 ]
}

@test "tick-publish examples: another hash, a database, errors" {
	export REDIS_URL="unix://$KP_REDIS_SOCK?db=5"
	run "$KP_ROOT/examples/tick-publish-snapshot.sh" "$T/x.cap" snap
	[ "$status" -eq 0 ]
	[ "$(redis-cli -s "$KP_REDIS_SOCK" -n 5 hlen snap)" -eq 2 ]
	run "$KP_ROOT/examples/tick-publish-last.sh" 408065 snap
	[ "$output" = "408065 1573.15" ]
	run "$KP_ROOT/examples/tick-publish-last.sh" 1 snap
	[ "$status" -eq 1 ]
	[[ $output == *"no tick of 1 in snap"* ]]
	run "$KP_ROOT/examples/tick-publish-snapshot.sh" "$T/none.cap"
	[ "$status" -eq 100 ]
	[[ $output == *"cannot read $T/none.cap"* ]]
	run "$KP_ROOT/examples/tick-publish-last.sh"
	[ "$status" -eq 100 ]
	[[ $output == *usage* ]]
}
