#!/usr/bin/env bats
# End to end: kite-sim -> kite-stream -> tick-greeks -> tick-publish ->
# Redis -> ws-fanout -> a WebSocket client receiving NIFTY option ticks
# whose IV matches kite-sim's smile, through a SIGHUP, a dropped Kite
# connection and a Redis restart.

load helper
load services
load kite-sim
bats_require_minimum_version 1.5.0

setup() {
	require_cmd jq jq
	require_cmd curl curl
	require_cmd openssl openssl
	PIPE_PID= FAN_PID= CLI_PID= STAT_PID=
}

teardown() {
	local p
	for p in $CLI_PID $STAT_PID $FAN_PID; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [ -n "$PIPE_PID" ]; then
		pkill -TERM -P "$PIPE_PID" 2>/dev/null || true
		wait "$PIPE_PID" 2>/dev/null || true
	fi
	sim_stop
	kp_services_stop
}

# ticks_of TOKEN [AFTER_US]: ticks the client got for TOKEN after AFTER_US.
ticks_of() {
	awk -v a="${2:-0}" '$1 > a { $1 = ""; print }' "$T/client" |
		jq -c --argjson t "$1" 'select(.type == "tick" and .data.instrument_token == $t)' |
		wc -l
}
got() { [ "$(ticks_of "$@")" -ge 2 ]; }
now_us() { echo $(( $(date +%s%N) / 1000 )); }

@test "e2e: option ticks with the smile's IV, through SIGHUP, a Kite drop and a Redis restart" {
	kp_redis_start
	sim_start
	instr-sync >"$T/instruments.ndjson"
	instr-sync --chain NIFTY --strikes 3 --expiries 1 --subs full >"$T/subs"
	mapfile -t opts < <(grep -E '^[0-9]+ ' "$T/subs" | cut -d' ' -f1 |
		grep -v -x -e 256265 |
		while read -r t; do
			jq -r --argjson t "$t" 'select(.instrument_token == $t and
				(.instrument_type == "CE" or .instrument_type == "PE")) |
				.instrument_token' "$T/instruments.ndjson"
		done)
	[ "${#opts[@]}" -ge 10 ]
	# one more option of the same expiry, added later by SIGHUP
	exp=$(jq -r --argjson t "${opts[0]}" 'select(.instrument_token == $t) | .expiry' "$T/instruments.ndjson")
	# (the strike next above the chain's highest, so near the money)
	top=$(jq -r --arg e "$exp" --argjson o "[$(printf '%s,' "${opts[@]}" | sed 's/,$//')]" '
		select(.instrument_type == "CE" and .name == "NIFTY" and .expiry == $e and
		(.instrument_token as $t | $o | index($t))) | .strike' \
		"$T/instruments.ndjson" | sort -g | tail -n 1)
	late=$(jq -r --arg e "$exp" --argjson k "$top" 'select(.name == "NIFTY" and
		.expiry == $e and .instrument_type == "CE" and .strike > $k) |
		"\(.strike) \(.instrument_token)"' "$T/instruments.ndjson" |
		sort -g | head -n 1 | cut -d' ' -f2)
	[ -n "$late" ]
	read -r r q < <(curl -fsS "$KITE_API_URL/sim/smile" |
		jq -r '[.r, (.underlyings[] | select(.name == "NIFTY") | .q)] | @tsv')

	# the pipeline, as in make demo
	exec 7>"$T/ready"
	(kite-stream -d 7 -W 3s -B 500ms -f "$T/subs" 2>"$T/ks.err" |
		tick-greeks -r "$r" -q "$q" -i "$T/instruments.ndjson" 2>"$T/tg.err" |
		tick-publish -H ticks:last -f 'kitepipe:{type}' 7>&- 2>"$T/tp.err") &
	PIPE_PID=$!
	exec 7>&-
	eventually 30 test -s "$T/ready"
	# status lines reach Redis on the fallback channel
	redis-cli -s "${REDIS_URL#unix://}" --raw SUBSCRIBE kitepipe:status >"$T/status" &
	STAT_PID=$!

	head -c 48 /dev/urandom | base64 >"$T/secret"
	port=$(_kp_free_port)
	exec 8>"$T/fready"
	ws-fanout -K "$T/secret" -p "$port" -d 8 2>"$T/wf.err" &
	FAN_PID=$!
	exec 8>&-
	eventually 20 test -s "$T/fready"
	"$KP_ROOT/examples/ws-fanout-token.sh" "$T/secret" e2e 10 >"$T/tok"
	list=$(printf '%s,' "${opts[@]}" "$late")
	wsc -a "$T/tok" -t 120s \
		-s "{\"action\":\"subscribe\",\"tokens\":[${list%,}]}" \
		"ws://127.0.0.1:$port/" >"$T/client" 2>"$T/wsc.err" &
	CLI_PID=$!
	eventually 30 got "${opts[0]}"
	[ "$(ticks_of "$late")" -eq 0 ]

	# SIGHUP: a new option in the file reaches the client
	echo "$late full" >>"$T/subs"
	kill -HUP "$(pgrep -P "$PIPE_PID" -x kite-stream)"
	eventually 30 got "$late"

	# Kite drops the connection: kite-stream reconnects, ticks go on
	t=$(now_us)
	sim_ctl drop >/dev/null
	eventually 30 grep -q '"event":"disconnected"' "$T/status"
	eventually 30 got "${opts[1]}" "$t"
	eventually 30 got "$late" "$t"
	eventually 10 grep -q '"event":"subscribed".*"count":' <(sed -n '/disconnected/,$p' "$T/status")

	# Redis restarts: tick-publish and ws-fanout reconnect, the client
	# keeps its connection and gets ticks again
	kill "$STAT_PID" 2>/dev/null || true
	STAT_PID=
	kp_redis_restart
	t=$(now_us)
	eventually 40 got "${opts[2]}" "$t"
	run ! grep -q ' close ' "$T/client"

	# every option tick with a price of 20 ticks or more has the smile's IV:
	# sigma = atm + term T + skew k + curv k^2, k = ln(K / (S e^((r-q) T))),
	# within what rounding the price to the 0.05 tick allows (half a tick
	# over vega, vega being per volatility point) plus 0.002 for the
	# underlying's own rounding
	curl -fsS "$KITE_API_URL/sim/smile" >"$T/smile"
	cut -d' ' -f2- "$T/client" |
		jq -c 'select(.type == "tick" and (.data.iv | type) == "number" and .data.last_price >= 1) | .data' \
		>"$T/opt"
	[ "$(wc -l <"$T/opt")" -ge 50 ]
	jq -s -c --slurpfile s "$T/smile" --argjson r "$r" --argjson q "$q" '
		$s[0] as $m |
		[.[] | (.strike / (.underlying_price * ((($r - $q) * .time_to_expiry) | exp)) | log) as $k |
			($m.atm + $m.term * .time_to_expiry + $m.skew * $k + $m.curv * $k * $k) as $want |
			{t: .tradingsymbol, iv, want: $want, err: ((.iv - $want) | fabs),
			 allowed: (0.002 + 1.5 * 0.025 / (.vega * 100))}] |
		map(select(.err > .allowed))' "$T/opt" >"$T/bad"
	cat "$T/bad" >&2
	[ "$(cat "$T/bad")" = "[]" ]
	# tick-publish counted the Redis gap, nothing was dropped
	run ! grep -q 'dropped=[1-9]' "$T/tp.err"
}
