#!/usr/bin/env bats
# examples/ws-fanout-*.sh run as documented.

load helper
load services
load ws-fanout

setup() {
	require_cmd jq jq
	require_cmd openssl openssl
	WF_PID=
	M=$KP_TESTDATA/kiteconnect-mocks
}

teardown() {
	wf_stop
	if [[ -n ${EX_PID-} ]]; then
		# the script's pipeline: its children, then the script
		pkill -TERM -P "$EX_PID" 2>/dev/null || true
		kill "$EX_PID" 2>/dev/null || true
		wait "$EX_PID" 2>/dev/null || true
	fi
}

@test "ws-fanout-replay.sh: a capture's last tick per token as the snapshot" {
	mkcap packet:"$M/ticker_full.packet" \
		raw:"$KP_TESTDATA/websocket_ticks.bin" heartbeat \
		packet:"$M/ticker_quote.packet" >"$T/x.cap"
	port=$(_kp_free_port)
	"$KP_ROOT/examples/ws-fanout-replay.sh" "$T/x.cap" "$port" \
		2>"$T/ex.log" 3>&- &
	EX_PID=$!
	for ((i = 0; i < 600; i++)); do
		curl -sf "http://127.0.0.1:$port/stats" |
			jq -e '.ticks_in == 4' >/dev/null 2>&1 && break
		sleep 0.1
	done
	run wsc -s '{"action":"subscribe","tokens":[408065,2953217]}' -c 4 \
		-t 20s "ws://127.0.0.1:$port/"
	[ "$status" -eq 0 ]
	# Zerodha's documented prices: 408065's last tick is the quote
	# packet's 1573.15, 2953217's is 3209.4
	[ "$(sed -n 3p <<<"$output" | cut -d' ' -f2- | jq .data.last_price)" \
		= 1573.15 ]
	[ "$(sed -n 4p <<<"$output" | cut -d' ' -f2- | jq .data.last_price)" \
		= 3209.4 ]
}

@test "ws-fanout-replay.sh: a missing capture is exit 100" {
	run "$KP_ROOT/examples/ws-fanout-replay.sh" "$T/none.cap"
	[ "$status" -eq 100 ]
}

@test "ws-fanout-token.sh: its token is accepted, a tampered one is not" {
	head -c 40 /dev/urandom | od -An -v -tx1 | tr -d ' \n' >"$T/secret"
	echo >>"$T/secret"
	wf_start -i -K "$T/secret" --iss me --aud ticks
	"$KP_ROOT/examples/ws-fanout-token.sh" "$T/secret" alice 5 me ticks \
		>"$T/tok"
	run wsc -a "$T/tok" -c 1 -t 10s "ws://127.0.0.1:$WF_PORT/"
	[ "$status" -eq 0 ]
	[ "$(cut -d' ' -f2- <<<"$output" | jq -r .sub)" = alice ]
	"$KP_ROOT/examples/ws-fanout-token.sh" "$T/secret" bob 5 me web \
		>"$T/tok2"
	run wsc -a "$T/tok2" -c 1 -t 10s "ws://127.0.0.1:$WF_PORT/"
	[ "$status" -ne 0 ]
	grep -q "wrong audience" "$T/wf.log"
}
