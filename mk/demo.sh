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
# a redis-cli line to watch the ticks.  Ctrl-C, SIGTERM or SIGHUP (the
# terminal closing), to this script or to the make running it, stop
# everything, at any point of the start: every process it started is
# stopped (SIGTERM, then SIGKILL after 5 s) and the scratch dir removed.
# GNU make passes SIGTERM on to its recipe but keeps SIGINT and SIGHUP to
# itself (it expects the terminal to have sent them to the whole process
# group) and waits for the recipe: a watcher notices that make has
# stopped catching them (its SigCgt in /proc) and stops the demo.
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
watcher=

# descendants PID: PID's descendants, one a line, children first
descendants() {
	local c
	for c in $(pgrep -P "$1"); do
		echo "$c"
		descendants "$c"
	done
}

# running PID: PID exists and is not a zombie
running() {
	local st=
	read -r _ _ st _ <"/proc/$1/stat" 2>/dev/null
	[ -n "$st" ] && [ "$st" != Z ]
}

# stop: every process this script started (the watcher first), then the
# scratch dir; quiet when the terminal is gone (writes fail, never stop it)
stop() {
	local p all i
	set +e
	trap '' INT TERM HUP
	trap - EXIT
	echo "demo: stopping" >&2 2>/dev/null
	# (no "wait PID" in a trap: bash may wait there for any child)
	[ -z "$watcher" ] || kill -TERM "$watcher" 2>/dev/null
	all=$(descendants $$)
	# all at once: kite-stream drains, tick-publish flushes, and
	# nothing depends on the order
	for p in $all; do
		kill -TERM "$p" 2>/dev/null
	done
	for ((i = 0; i < 50; i++)); do
		[ -z "$(for p in $all; do running "$p" && echo "$p"; done)" ] &&
			break
		sleep 0.1
	done
	for p in $all; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	# and until the grandchildren init inherited are reaped
	for ((i = 0; i < 30; i++)); do
		[ -z "$(for p in $all; do [ -e "/proc/$p" ] && echo "$p"; done)" ] &&
			break
		sleep 0.1
	done
	echo "demo: stopped; logs were in $dir (removed)" >&2 2>/dev/null
	rm -rf "$dir"
}
trap stop EXIT
trap 'exit 0' INT TERM HUP

# watch_make: when this script runs under make (its parent), stop it
# (SIGTERM to $$) once make handles SIGINT, SIGTERM or SIGHUP, which it
# shows by no longer catching that signal; or once make is gone.  Only
# builtins (it sleeps by reading a FIFO nobody writes), so that it never
# leaves a child behind when it is killed.
watch_make() {
	local want
	exec 9<>"$dir/watch.fifo"
	sigcgt "$1" || return 0
	want=$cgt
	while ! read -r -t 0.3 -u 9 _; do
		sigcgt "$1" || break
		# SIGHUP, SIGINT, SIGTERM: bits 0, 1 and 14
		(((want & 0x4003) == (cgt & 0x4003))) || break
	done
	kill -TERM $$ 2>/dev/null
}

# sigcgt PID: cgt=PID's caught signals (as a shell number); 1 when gone
sigcgt() {
	local k v
	cgt=
	while read -r k v; do
		[ "$k" = SigCgt: ] && cgt=0x$v
	done <"/proc/$1/status" 2>/dev/null
	[ -n "$cgt" ]
}
if [ "$(cat "/proc/$PPID/comm" 2>/dev/null)" = make ]; then
	mkfifo "$dir/watch.fifo"
	watch_make "$PPID" </dev/null >/dev/null 2>&1 &
	watcher=$!
fi

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
exec 7>&-
wait_for "$dir/stream.ready" 20 "the kite-stream pipeline"

# ws-fanout --------------------------------------------------------------
head -c 48 /dev/urandom | base64 >"$dir/jwt.secret"
port=${KP_DEMO_PORT:-$(free_port 8080)}
exec 8>"$dir/fanout.ready"
ws-fanout -K "$dir/jwt.secret" -p "$port" --chain "$dir/chain.ndjson" \
	-d 8 2>"$dir/ws-fanout.log" &
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
wait $!
