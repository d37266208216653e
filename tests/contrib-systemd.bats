#!/usr/bin/env bats
# contrib/systemd without systemd: each unit's ExecStart= is run as the unit
# would run it (tests/unit-exec: EnvironmentFile, Environment,
# WorkingDirectory, the State/Runtime directories, $$ and ${VAR}, the
# specifiers), with a test environment file pointing at a kite-sim and a
# redis-server of the harness, and NOTIFY_SOCKET set to a datagram socket
# this test reads: every Type=notify unit sends READY=1, and then works.

load helper
load services
load kite-sim
load order-exec
bats_require_minimum_version 1.5.0

setup() {
	require_cmd python3 python3
	require_cmd jq jq
	require_cmd curl curl
	UNITS=$KP_ROOT/contrib/systemd
	ENVF=$T/env
	ROOT=$T/root
	mkdir -p "$ROOT"
	: >"$ENVF"
	UNIT_PID=
	NOTIFY_PID=
	notify_listen
}

teardown() {
	if [ -n "$UNIT_PID" ]; then
		kill "$UNIT_PID" 2>/dev/null || true
		wait "$UNIT_PID" 2>/dev/null || true
	fi
	# what a unit started beside its main process (the pipeline's
	# tick-greeks and tick-publish) names this test's files
	pkill -f "$T/" 2>/dev/null || true
	[ -z "$NOTIFY_PID" ] || kill "$NOTIFY_PID" 2>/dev/null || true
	sim_stop || true
	kp_services_stop
}

# notify_listen: a Unix datagram socket at $T/notify.sock whose messages
# go to $T/notify.log, one a line (what systemd's NOTIFY_SOCKET is).
notify_listen() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    m = s.recv(4096).decode(errors="replace")
    sys.stdout.write(m.replace("\n", " ") + "\n")
    sys.stdout.flush()
' "$T/notify.sock" >"$T/notify.log" 2>"$T/notify.err" &
	NOTIFY_PID=$!
	for _ in $(seq 100); do
		[ -S "$T/notify.sock" ] && return 0
		sleep 0.05
	done
	cat "$T/notify.err" >&2
	return 1
}

# ux ARGS...: tests/unit-exec with this test's environment file, root and
# build
ux() { "$KP_ROOT/tests/unit-exec" -E "$ENVF" -r "$ROOT" -b "$B/bin" "$@"; }

# setenv VAR VALUE: a line of the unit's EnvironmentFile
setenv() { printf '%s=%s\n' "$1" "$2" >>"$ENVF"; }

# unit_start NAME: run NAME.service's ExecStart in the background, its
# stderr in $T/NAME.log
unit_start() {
	(NOTIFY_SOCKET=$T/notify.sock exec "$KP_ROOT/tests/unit-exec" \
		-E "$ENVF" -r "$ROOT" -b "$B/bin" "$UNITS/$1.service") \
		2>"$T/$1.log" 3>&- &
	UNIT_PID=$!
}

# ready NAME: wait (up to 30 s) for READY=1 from the unit's processes
ready() {
	for _ in $(seq 300); do
		grep -qx 'READY=1' "$T/notify.log" && return 0
		if ! kill -0 "$UNIT_PID" 2>/dev/null; then
			echo "$1 exited before READY=1:" >&2
			cat "$T/$1.log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "$1: no READY=1 in 30 s" >&2
	cat "$T/$1.log" >&2
	return 1
}

# unit_stop: SIGTERM (systemctl stop) and the exit status must be 0
unit_stop() {
	local rc=0
	kill -TERM "$UNIT_PID"
	wait "$UNIT_PID" || rc=$?
	UNIT_PID=
	[ "$rc" = 0 ] || { echo "exit $rc" >&2; return 1; }
}

@test "systemd: every unit parses; Type=notify where the program speaks sd_notify" {
	for u in "$UNITS"/*.service; do
		ux -n "$u" >"$T/cmd"
		a0=$(jq -r '.argv[0]' "$T/cmd")
		[ -x "$a0" ] || { echo "$u: $a0 not executable" >&2; false; }
	done
	# order-exec's journal in the state directory, its socket in the
	# runtime directory
	ux -n "$UNITS/order-exec.service" >"$T/cmd"
	jq -e --arg r "$ROOT" '.argv == [$ENV.B + "/bin/order-exec",
		"-j", $r + "/lib/kitepipe/orders.journal",
		"-l", $r + "/run/kitepipe/order-exec.sock"]' "$T/cmd"
	# $$ is a literal $ for the shell
	ux -n "$UNITS/kite-sim.service" >"$T/cmd"
	jq -e '.argv[2] | test("-p \"\\$\\{KITE_SIM_PORT:-8765\\}\"$")' "$T/cmd"
	for u in kite-sim kitepipe-stream ws-fanout order-exec; do
		grep -qx 'Type=notify' "$UNITS/$u.service"
		grep -qx 'RestartPreventExitStatus=100' "$UNITS/$u.service"
	done
}

@test "systemd: kite-sim.service is ready and answers REST" {
	port=$(_kp_free_port)
	setenv KITE_API_KEY sdkey
	setenv KITE_ACCESS_TOKEN sd-access-token
	setenv KITE_API_SECRET sdsecret
	setenv KITE_SIM_PORT "$port"
	unit_start kite-sim
	ready kite-sim
	curl -fsS -H "Authorization: token sdkey:sd-access-token" \
		"http://127.0.0.1:$port/orders" | jq -e '.status == "success"'
	unit_stop
	grep -qx 'STOPPING=1' "$T/notify.log"
}

@test "systemd: order-exec.service is ready, places an order, holds its journal" {
	sim_start
	setenv KITE_API_KEY "$KITE_API_KEY"
	setenv KITE_ACCESS_TOKEN "$KITE_ACCESS_TOKEN"
	setenv KITE_API_URL "$KITE_API_URL"
	unit_start order-exec
	ready order-exec
	sock=$ROOT/run/kitepipe/order-exec.sock
	[ -S "$sock" ]
	place sd1 | timeout 30 oe-uclient "$sock" >"$T/answers"
	jq -e -s 'length == 1 and .[0].result == "placed"' "$T/answers"
	one_order_each "$T/answers" sd1
	[ -s "$ROOT/lib/kitepipe/orders.journal" ]
	# a second one on the same journal exits 111 (temporary: systemd
	# tries again RestartSec later) and leaves the first alone
	first=$UNIT_PID
	NOTIFY_SOCKET= run -111 ux "$UNITS/order-exec.service"
	[[ $output == *"one order-exec per journal"* ]]
	kill -0 "$first"
	UNIT_PID=$first
	unit_stop
	[ ! -e "$sock" ]
}

@test "systemd: ws-fanout.service is ready once it listens, /health answers" {
	kp_redis_start
	port=$(_kp_free_port)
	head -c 48 /dev/urandom | base64 >"$T/jwt.secret"
	setenv REDIS_URL "$REDIS_URL"
	setenv KITEPIPE_JWT_SECRET_FILE "$T/jwt.secret"
	setenv KITEPIPE_WS_PORT "$port"
	unit_start ws-fanout
	ready ws-fanout
	curl -fsS "http://127.0.0.1:$port/health" >/dev/null
	unit_stop
}

@test "systemd: kitepipe-stream.service is ready, ticks reach Redis" {
	kp_redis_start
	sim_start
	instr-sync >"$T/instruments.ndjson"
	printf '256265 full\n408065 quote\n' >"$T/subs"
	printf '%s' "$KITE_ACCESS_TOKEN" >"$T/token"
	setenv KITE_WS_URL "$KITE_WS_URL"
	setenv KITE_API_KEY "$KITE_API_KEY"
	setenv KITE_ACCESS_TOKEN_FILE "$T/token"
	setenv REDIS_URL "$REDIS_URL"
	setenv KITEPIPE_SUBS "$T/subs"
	setenv KITEPIPE_INSTRUMENTS "$T/instruments.ndjson"
	unit_start kitepipe-stream
	ready kitepipe-stream
	timeout 20 redis-cli -s "${REDIS_URL#unix://}" --raw \
		SUBSCRIBE ticks:256265 | head -n 6 >"$T/sub" || true
	[ "$(sed -n 6p "$T/sub" | jq -r .instrument_token)" = 256265 ]
	unit_stop
}
