# kite-sim.bash: start and stop a private kite-sim for tests ("load kite-sim"
# after "load helper").  Free port (-p 0, read back from --port-file), a
# control socket in $T, demo-independent credentials.
# SPDX-License-Identifier: MIT
#
#   sim_start [ARGS...]  start kite-sim; exports SIM_PID, SIM_PORT, SIM_CTL,
#                        KITE_WS_URL, KITE_API_URL, KITE_API_KEY,
#                        KITE_ACCESS_TOKEN, KITE_API_SECRET; logs in
#                        $T/sim.err
#   sim_stop             SIGTERM it and wait (call from teardown); fails
#                        unless it exits 0 (so sanitizer reports fail)
#   sim_ctl LINE...      send control lines over HTTP (POST /sim/control);
#                        prints the answers

export KITE_API_KEY=${SIM_API_KEY:-testkey}
export KITE_ACCESS_TOKEN=${SIM_ACCESS_TOKEN:-testtoken-0123456789}
export KITE_API_SECRET=${SIM_API_SECRET:-testsecret}

sim_start() {
	require_cmd curl curl || return 1
	rm -f "$T/sim.port"
	SIM_CTL=$T/sim.ctl
	kite-sim -p 0 --port-file "$T/sim.port" -c "$SIM_CTL" "$@" \
		>"$T/sim.out" 2>"$T/sim.err" &
	SIM_PID=$!
	local i
	for i in $(seq 1 200); do
		[ -s "$T/sim.port" ] && break
		if ! kill -0 "$SIM_PID" 2>/dev/null; then
			echo "kite-sim exited early:" >&2
			cat "$T/sim.err" >&2
			return 1
		fi
		sleep 0.05
	done
	[ -s "$T/sim.port" ] || { echo "kite-sim: no port" >&2; return 1; }
	SIM_PORT=$(cat "$T/sim.port")
	export SIM_PID SIM_PORT SIM_CTL
	export KITE_WS_URL=ws://127.0.0.1:$SIM_PORT
	export KITE_API_URL=http://127.0.0.1:$SIM_PORT
}

sim_stop() {
	local rc=0
	if [ -n "${SIM_PID:-}" ]; then
		kill "$SIM_PID" 2>/dev/null || true
		wait "$SIM_PID" 2>/dev/null || rc=$?
		SIM_PID=
		if [ "$rc" -ne 0 ]; then
			echo "kite-sim exited $rc:" >&2
			tail -n 40 "$T/sim.err" >&2
			return 1
		fi
	fi
}

sim_ctl() {
	local l
	for l in "$@"; do
		curl -sS -m 10 -X POST --data-binary "$l" \
			-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
			"$KITE_API_URL/sim/control"
	done
}
