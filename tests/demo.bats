#!/usr/bin/env bats
# make demo (mk/demo.sh): everything comes up, ticks flow from kite-sim
# through the pipeline into Redis and out of ws-fanout, the printed URL
# and redis-cli line work, and stopping leaves no process behind.

load helper
bats_require_minimum_version 1.5.0

setup() {
	require_cmd jq jq
	require_cmd curl curl
	require_cmd redis-server redis-server
	require_cmd redis-cli redis-tools
	require_cmd openssl openssl
}

teardown() {
	[ -n "${DEMO:-}" ] && kill -TERM "$DEMO" 2>/dev/null || true
	[ -n "${DEMO:-}" ] && wait "$DEMO" 2>/dev/null || true
}

@test "demo: up, ticks through Redis and ws-fanout, page served, clean stop" {
	KP_DEMO_PORT=$(( 10000 + RANDOM % 20000 )) KP_DEMO_SECONDS=600 \
		KP_DEMO_SIM_ARGS="--riskfree 0.071 --divyield 0.017 --carry 0.004" \
		bash "$KP_ROOT/mk/demo.sh" >"$T/out" 2>"$T/err" &
	DEMO=$!
	for _ in $(seq 300); do
		grep -q 'Ctrl-C stops everything' "$T/out" && break
		kill -0 "$DEMO" || { cat "$T/err" >&2; false; }
		sleep 0.1
	done
	grep -q 'Ctrl-C stops everything' "$T/out"
	url=$(sed -n 's/^  The live option chain: *//p' "$T/out")
	sock=$(sed -n "s/^  Watch the ticks: *redis-cli -s \([^ ]*\) .*/\1/p" "$T/out")
	dir=$(dirname "$sock")
	base=${url%%/#*}
	[[ $url == http://127.0.0.1:*/#token=*.*.* ]]
	# the page and /health, and the chain the page draws
	curl -fsS "$base/health" >/dev/null
	curl -fsS "$base/" | grep -qi '<html'
	[ "$(curl -fsS "$base/chain" | jq -s 'length')" -gt 10 ]
	# ticks of the chain arrive in Redis's last-value hash
	for _ in $(seq 100); do
		n=$(redis-cli -s "$sock" HLEN ticks:last)
		[ "$n" -gt 10 ] && break
		sleep 0.2
	done
	[ "$n" -gt 10 ]
	redis-cli -s "$sock" HVALS ticks:last | head -n 1 | jq -e '.type == "tick"'
	# option ticks carry tick-greeks' implied volatility
	for _ in $(seq 100); do
		n=$(redis-cli -s "$sock" HVALS ticks:last |
			jq -s '[.[] | select((.iv | type) == "number")] | length')
		[ "$n" -gt 5 ] && break
		sleep 0.2
	done
	[ "$n" -gt 5 ]
	# tick-greeks prices with kite-sim's r and NIFTY's q (dividend yield
	# less the carry), as /sim/smile gives them, not its own defaults
	sim=$(sed -n 's/^  Kite (simulated): *KITE_API_URL=\([^ ]*\) .*/\1/p' "$T/out")
	smile=$(curl -fsS -H "Authorization: token kitesim:kitesim-access-token" "$sim/sim/smile")
	jq -e '.r == 0.071 and (.underlyings[] | select(.name == "NIFTY") |
		(.q - 0.013 | fabs) < 1e-12)' <<<"$smile"
	tg=$(pgrep -f "tick-greeks -i $dir/" | head -n 1)
	args=$(tr '\0' ' ' <"/proc/$tg/cmdline")
	r=$(sed -n 's/.* -r \([^ ]*\) .*/\1/p' <<<"$args")
	q=$(sed -n 's/.* -q \([^ ]*\) .*/\1/p' <<<"$args")
	jq -e -n --argjson s "$smile" --argjson r "$r" --argjson q "$q" \
		'$r == $s.r and $q == ($s.underlyings[] | select(.name == "NIFTY") | .q)'
	# a WebSocket client with the demo token gets ticks
	tok=${url#*#token=}
	some=$(redis-cli -s "$sock" HKEYS ticks:last | head -n 1)
	printf '%s\n' "$tok" >"$T/tok"
	run timeout 30 wsc -a "$T/tok" -t 20s -c 3 \
		-s "{\"action\":\"subscribe\",\"tokens\":[$some]}" \
		"ws://${base#http://}/"
	echo "$output" | grep -q '"type":"tick"'
	# stop: nothing is left
	pids=$(pgrep -f "$dir" || true)
	kill -TERM "$DEMO"
	wait "$DEMO"
	DEMO=
	[ ! -e "$dir" ]
	for p in $pids; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$p" 2>/dev/null; then
			echo "left behind: $(tr '\0' ' ' <"/proc/$p/cmdline")" >&2
			false
		fi
	done
}
