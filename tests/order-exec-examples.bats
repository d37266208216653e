#!/usr/bin/env bats
# examples/order-exec-*.sh against a real kite-sim.

load helper

setup() {
	require_cmd jq jq
	require_cmd curl curl
}

@test "order-exec-paper.sh: two orders placed, the repeat answered from the journal" {
	run "$KP_ROOT/examples/order-exec-paper.sh" INFY
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 6 ]
	echo "${lines[0]}" | jq -e '.id == "paper-1" and .result == "placed"'
	# the repeat is answered as soon as the first is done
	[ "${lines[1]}" = "${lines[0]}" ]
	echo "${lines[2]}" | jq -e '.id == "paper-2" and .result == "placed"'
	echo "${lines[3]}" | jq -e '.type == "journal" and .intents == 2 and .done == 2'
	tag1=$(echo "${lines[0]}" | jq -r .tag)
	echo "${lines[4]}${lines[5]}" | grep -q "$tag1"
	[ "$(printf '%s\n%s\n' "${lines[4]}" "${lines[5]}" | jq -s '[.[] | select(.tradingsymbol == "INFY")] | length')" = 2 ]
	# the LIMIT buy rests (OPEN), the MARKET sell filled
	printf '%s\n%s\n' "${lines[4]}" "${lines[5]}" | jq -e -s \
		'[.[] | .transaction_type + " " + .status] | sort == ["BUY OPEN", "SELL COMPLETE"]'
}
