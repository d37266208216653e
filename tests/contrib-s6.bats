#!/usr/bin/env bats
# contrib/s6 under a real s6-svscan: kite-sim, the ingest pipeline
# (kite-stream | tick-publish into a private redis-server), ws-fanout and
# order-exec come up and signal readiness, a killed kite-stream is restarted, and a
# clean shutdown leaves no process behind.

load helper
load services
load kite-sim
load order-exec
bats_require_minimum_version 1.5.0

setup() {
	require_cmd s6-svscan s6
	require_cmd jq jq
	require_cmd curl curl
	kp_redis_start
	SVC=$T/svc
	cp -R "$KP_ROOT/contrib/s6" "$SVC"
	rm -rf "$SVC/instr-sync"	# runs on a schedule; not part of this test
	E=$T/env
	mkdir -p "$E" "$T/state"
	simport=$(_kp_free_port)
	wsport=$(_kp_free_port)
	printf '%s' s6key >"$E/KITE_API_KEY"
	printf '%s' s6-access-token >"$E/KITE_ACCESS_TOKEN"
	printf '%s' s6secret >"$E/KITE_API_SECRET"
	printf '%s' "$simport" >"$E/KITE_SIM_PORT"
	printf '%s' "ws://127.0.0.1:$simport" >"$E/KITE_WS_URL"
	printf '%s' "$REDIS_URL" >"$E/REDIS_URL"
	printf '%s' "$wsport" >"$E/KITEPIPE_WS_PORT"
	printf '%s' "$T/subs" >"$E/KITEPIPE_SUBS"
	printf '%s' "http://127.0.0.1:$simport" >"$E/KITE_API_URL"
	printf '%s' "$T/state" >"$E/KITEPIPE_STATE"
	head -c 48 /dev/urandom | base64 >"$T/jwt.secret"
	printf '%s' "$T/jwt.secret" >"$E/KITEPIPE_JWT_SECRET_FILE"
	printf '256265 full\n408065 quote\n' >"$T/subs"
	# the instrument list tick-greeks needs, from a kite-sim like the
	# supervised one (same seed, same universe)
	KITE_API_KEY=s6key KITE_ACCESS_TOKEN=s6-access-token sim_start
	KITE_API_KEY=s6key KITE_ACCESS_TOKEN=s6-access-token \
		instr-sync >"$T/instruments.ndjson"
	sim_stop
	printf '%s' "$T/instruments.ndjson" >"$E/KITEPIPE_INSTRUMENTS"
	# an option of the chain, to see tick-greeks at work
	opt=$(jq -r 'select(.name=="NIFTY" and .instrument_type=="CE") |
		.instrument_token' "$T/instruments.ndjson" | head -n 1)
	printf '%s full\n' "$opt" >>"$T/subs"
	SCAN_PID=
}

teardown() {
	if [ -n "$SCAN_PID" ]; then
		s6-svscanctl -t "$SVC" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 "$SCAN_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$SCAN_PID" 2>/dev/null || true
	fi
	pkill -9 -f "$SVC" 2>/dev/null || true
	# the services' own command lines do not name $SVC
	pkill -9 -f "kite-sim -d 3 -p $simport\$" 2>/dev/null || true
	pkill -9 -f "kite-stream -d 3 -f $T/subs" 2>/dev/null || true
	pkill -9 -f "order-exec -d 3 -j $T/state/" 2>/dev/null || true
	kp_services_stop
}

up() {
	for _ in $(seq 100); do
		[ -e "$SVC/$1/supervise/status" ] && break
		sleep 0.1
	done
	s6-svwait -U -t 30000 "$SVC/$1"
}
pid_of() { s6-svstat -o pid "$SVC/$1"; }

# desc PID: PID's descendants, one a line.
desc() {
	local c
	for c in $(pgrep -P "$1"); do
		echo "$c"
		desc "$c"
	done
}

# gone PID...: wait (up to 15 s) until every PID has exited.
gone() {
	local p i
	for p in "$@"; do
		for ((i = 0; i < 150; i++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$p" 2>/dev/null; then
			echo "still running: $p $(cat "/proc/$p/cmdline" | tr '\0' ' ')" >&2
			return 1
		fi
	done
}

@test "s6: readiness, restart after a kill, clean shutdown" {
	KITEPIPE_ENVDIR=$E s6-svscan "$SVC" >"$T/scan.log" 2>&1 &
	SCAN_PID=$!
	up kite-sim
	up kitepipe-stream
	up ws-fanout
	up order-exec
	# order-exec takes an intent on its socket and places it with the
	# supervised kite-sim; its journal is in the state directory
	place s6o1 | timeout 30 oe-uclient "$T/state/order-exec.sock" >"$T/answers"
	jq -e -s 'length == 1 and .[0].result == "placed"' "$T/answers"
	KITE_API_URL=http://127.0.0.1:$simport KITE_API_KEY=s6key \
		KITE_ACCESS_TOKEN=s6-access-token one_order_each "$T/answers" s6o1
	[ -s "$T/state/orders.journal" ]
	# ticks reach Redis through the supervised pipeline
	timeout 20 redis-cli -s "${REDIS_URL#unix://}" --raw \
		SUBSCRIBE ticks:256265 | head -n 6 >"$T/sub" || true
	[ "$(sed -n 6p "$T/sub" | jq -r .instrument_token)" = 256265 ]
	timeout 20 redis-cli -s "${REDIS_URL#unix://}" --raw \
		SUBSCRIBE "ticks:$opt" | head -n 6 >"$T/sub" || true
	sed -n 6p "$T/sub" | jq -e '.iv_reason != null or (.iv | type) == "number"'

	curl -fsS "http://127.0.0.1:$(cat "$E/KITEPIPE_WS_PORT")/health" >/dev/null
	# logs go through s6-log, with timestamps
	grep -q '^20[0-9-]* [0-9:.]*  kite-stream: info: ready' \
		"$SVC/kitepipe-stream/log/main/current"
	# kill -9 kite-stream (the service's process): its tick-publish sees
	# EOF and exits, and s6 starts the pair again
	ks=$(pid_of kitepipe-stream)
	tp=$(desc "$ks")
	grep -q tick-greeks < <(for p in $tp; do cat "/proc/$p/comm"; done)
	grep -q tick-publish < <(for p in $tp; do cat "/proc/$p/comm"; done)
	kill -9 "$ks"
	for _ in $(seq 100); do
		new=$(pid_of kitepipe-stream)
		[ "$new" != "$ks" ] && [ "$new" != -1 ] && break
		sleep 0.1
	done
	[ "$new" != "$ks" ]
	up kitepipe-stream
	gone "$tp"
	[ "$(cat "/proc/$new/comm")" = kite-stream ]
	tp=$(desc "$new")
	# clean shutdown: everything exits, nothing is left
	pids="$(pid_of kite-sim) $new $(pid_of ws-fanout) $(pid_of order-exec)"
	pids="$pids $tp"
	[ "$(wc -w <<<"$pids")" -ge 6 ]
	s6-svscanctl -t "$SVC"
	gone "$SCAN_PID"
	SCAN_PID=
	gone $pids
	[ -z "$(pgrep -f "s6-supervise $SVC")" ]
	[ -z "$(pgrep -f "kite-sim -d 3 -p $simport\$")" ]
	[ -z "$(pgrep -f "kite-stream -d 3 -f $T/subs")" ]
	[ -z "$(pgrep -f "s6-log .*$SVC")" ]
	[ -z "$(pgrep -f "order-exec -d 3 -j $T/state/")" ]
	# order-exec drained and removed its socket
	[ ! -e "$T/state/order-exec.sock" ]
	# tick-publish drained: the last line in its log is not an error
	run ! grep -q 'tick-publish: fatal' "$SVC/kitepipe-stream/log/main/current"
}
