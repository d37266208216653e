#!/usr/bin/env bats
# examples/kite-sim-*.sh run against a real kite-sim and print what the
# options given to them say.

load helper

setup() {
	require_cmd jq jq
	require_cmd curl curl
}

@test "kite-sim-smile.sh: a flat smile is flat; a skew is higher below the money" {
	run "$KP_ROOT/examples/kite-sim-smile.sh" 0.2,0,0
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 41 ]
	[ "$(cut -f2 <<<"$output" | sort -u)" = 0.2 ]
	run "$KP_ROOT/examples/kite-sim-smile.sh" 0.15,-0.5,0
	[ "$status" -eq 0 ]
	first=$(head -1 <<<"$output" | cut -f2)
	last=$(tail -1 <<<"$output" | cut -f2)
	awk -v a="$first" -v b="$last" 'BEGIN { exit !(a > 0.15 && b < 0.15) }'
}

@test "kite-sim-faults.sh: each command answers ok and shows in the faults" {
	run "$KP_ROOT/examples/kite-sim-faults.sh" "http-429 0.5" "stall on" "bogus"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "http-429 0.5: ok" ]
	[ "${lines[1]}" = "stall on: ok" ]
	[[ ${lines[2]} == "bogus: error: "* ]]
	[ "$(jq .http_429 <<<"${lines[3]}")" = 0.5 ]
	[ "$(jq .stall <<<"${lines[3]}")" = true ]
}
