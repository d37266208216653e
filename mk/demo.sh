#!/usr/bin/env bash
# demo.sh: make demo.  The whole toolchain on one machine, against
# kite-sim, in a scratch directory:
#
#   redis-server (private, Unix socket)
#   kite-sim (ticker + REST on loopback)
#   instr-sync: kite-sim's instrument list, and a NIFTY chain around the
#     money as kite-stream's subscription file
#   kite-stream | tick-greeks | tick-publish   (tick-greeks when built,
#     with kite-sim's rate and NIFTY's yield, read from /sim/smile)
#   ws-fanout with a demo HS256 key
#
# It prints the URL of the live option-chain page (with a demo token) and
# a redis-cli line to watch the ticks.  Ctrl-C (or SIGTERM) stops
# everything and leaves no process behind.
#
# Environment: B (build dir, default build); KP_DEMO_SECONDS: stop by
# itself after that many seconds (the test uses it); KP_DEMO_PORT: the
# page's port (default: a free one from 8080); KP_DEMO_SIM_ARGS: more
# kite-sim options, split on blanks (--riskfree R --divyield Q --carry C
# ...).
# SPDX-License-Identifier: MIT

set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
B=${B:-build}
case $B in /*) ;; *) B=$root/$B ;; esac
export PATH=$B/bin:$PATH LC_ALL=C

dir=$(mktemp -d /tmp/kitepipe-demo.XXXXXX)
pids=()

stop() {
	local p
	trap - EXIT INT TERM
	echo "demo: stopping" >&2
	for p in "${pids[@]}"; do
		pkill -TERM -P "$p" 2>/dev/null || true
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	echo "demo: stopped; logs were in $dir" >&2
	rm -rf "$dir"
}
trap stop EXIT
trap 'exit 0' INT TERM

die() {
	echo "demo: $*" >&2
	exit 1
}

# free_port FROM: the first port from FROM that nothing listens on.
free_port() {
	local p=$1
	while (exec 9<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do
		p=$((p + 1))
	done
	echo "$p"
}

# wait_for FILE SECONDS WHAT: until FILE is non-empty.
wait_for() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	die "$3 did not start; see $dir"
}

for p in kite-sim kite-stream tick-publish instr-sync ws-fanout; do
	command -v "$p" >/dev/null || die "$p is not built (run make)"
done
command -v redis-server >/dev/null || die "redis-server missing (make deps)"
command -v curl >/dev/null || die "curl missing (make deps)"

# Redis -----------------------------------------------------------------
redis-server --port 0 --unixsocket "$dir/redis.sock" --save '' \
	--appendonly no --dir "$dir" >"$dir/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
	redis-cli -s "$dir/redis.sock" ping >/dev/null 2>&1 && break
	sleep 0.1
done
export REDIS_URL=unix://$dir/redis.sock

# kite-sim --------------------------------------------------------------
export KITE_API_KEY=kitesim KITE_ACCESS_TOKEN=kitesim-access-token
export KITE_API_SECRET=kitesim-secret
read -r -a sim_args <<<"${KP_DEMO_SIM_ARGS:-}"
kite-sim -q -p 0 --port-file "$dir/sim.port" ${sim_args[@]+"${sim_args[@]}"} \
	>"$dir/sim.out" 2>"$dir/sim.log" &
pids+=($!)
wait_for "$dir/sim.port" 10 kite-sim
sim=$(cat "$dir/sim.port")
export KITE_API_URL=http://127.0.0.1:$sim KITE_WS_URL=ws://127.0.0.1:$sim
# the model's rate and NIFTY's yield (dividends less any carry), for
# tick-greeks
curl -fsS -H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
	"$KITE_API_URL/sim/smile" >"$dir/smile.json" ||
	die "kite-sim's /sim/smile did not answer"
rate=$(jq -e .r "$dir/smile.json") &&
	yield=$(jq -e '.underlyings[] | select(.name == "NIFTY") | .q' \
		"$dir/smile.json") || die "no r or NIFTY q in /sim/smile"

# instruments and the chain ----------------------------------------------
instr-sync >"$dir/instruments.ndjson" 2>"$dir/instr-sync.log" ||
	die "instr-sync failed: $(cat "$dir/instr-sync.log")"
instr-sync --chain NIFTY --strikes 8 --expiries 1 --subs full \
	>"$dir/subs" 2>>"$dir/instr-sync.log" ||
	die "instr-sync --chain failed: $(cat "$dir/instr-sync.log")"
# the page's chain: the options of the subscription file
cut -d' ' -f1 "$dir/subs" | grep -E '^[0-9]+$' >"$dir/tokens"
jq -c --argjson t "$(jq -R tonumber "$dir/tokens" | jq -s -c .)" \
	'select(.instrument_token as $x | any($t[]; . == $x))' \
	"$dir/instruments.ndjson" >"$dir/chain.ndjson"

# the pipeline -----------------------------------------------------------
if command -v tick-greeks >/dev/null; then
	greeks=(tick-greeks -i "$dir/instruments.ndjson" -r "$rate" -q "$yield")
else
	echo "demo: tick-greeks is not built yet: the page shows prices," \
		"not IV" >&2
	greeks=(cat)
fi
exec 7>"$dir/stream.ready"
(kite-stream -d 7 -f "$dir/subs" 2>"$dir/kite-stream.log" |
	"${greeks[@]}" 2>"$dir/tick-greeks.log" |
	tick-publish -H ticks:last 7>&- 2>"$dir/tick-publish.log") &
pids+=($!)
exec 7>&-
wait_for "$dir/stream.ready" 20 "the kite-stream pipeline"

# ws-fanout --------------------------------------------------------------
head -c 48 /dev/urandom | base64 >"$dir/jwt.secret"
port=${KP_DEMO_PORT:-$(free_port 8080)}
exec 8>"$dir/fanout.ready"
ws-fanout -K "$dir/jwt.secret" -p "$port" --chain "$dir/chain.ndjson" \
	-d 8 2>"$dir/ws-fanout.log" &
pids+=($!)
exec 8>&-
wait_for "$dir/fanout.ready" 10 ws-fanout
token=$("$root/examples/ws-fanout-token.sh" "$dir/jwt.secret" demo 480)

cat <<EOF

kitepipe demo is running (scratch dir $dir).

  The live option chain:  http://127.0.0.1:$port/#token=$token
  Watch the ticks:        redis-cli -s $dir/redis.sock PSUBSCRIBE 'ticks:*'
  Kite (simulated):       KITE_API_URL=$KITE_API_URL KITE_WS_URL=$KITE_WS_URL
  Instruments:            $(wc -l <"$dir/subs") in $dir/subs

Ctrl-C stops everything.
EOF

# wait (not a foreground sleep) so that a signal is handled at once
sleep "${KP_DEMO_SECONDS:-2147483647}" &
pids+=($!)
wait $!
