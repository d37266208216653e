#!/usr/bin/env bats
# examples/kite-sim-paper-order.sh against a real kite-sim.

load helper
load kite-sim

setup() {
	require_cmd jq jq
	require_cmd curl curl
	sim_start
}

teardown() {
	sim_stop
}

@test "kite-sim-paper-order.sh: a MARKET order is COMPLETE with its tag" {
	run "$KP_ROOT/examples/kite-sim-paper-order.sh" RELIANCE 5
	[ "$status" -eq 0 ]
	IFS=$'\t' read -r id st tag qty avg <<<"${lines[0]}"
	[[ $id =~ ^[0-9]{15}$ ]]
	[ "$st" = COMPLETE ]
	[ "$tag" = example ]
	[ "$qty" = 5 ]
	awk -v a="$avg" 'BEGIN { exit !(a > 0) }'
	[ "${lines[1]}" = "PUT ORDER REQ RECEIVED" ]
	[ "${lines[-1]}" = COMPLETE ]
}

@test "kite-sim-paper-order.sh: an unknown symbol is refused, exit 1" {
	run "$KP_ROOT/examples/kite-sim-paper-order.sh" NOSUCH
	[ "$status" -eq 1 ]
}

@test "kite-sim-paper-order.sh: no KITE_API_URL, no request" {
	KITE_API_URL= run "$KP_ROOT/examples/kite-sim-paper-order.sh"
	[ "$status" -ne 0 ]
	[[ $output == *KITE_API_URL* ]]
}
