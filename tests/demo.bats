#!/usr/bin/env bats
# make demo (mk/demo.sh): everything comes up, ticks flow from kite-sim
# through the pipeline into Redis and out of ws-fanout, the printed URL
# and redis-cli line work, and stopping leaves no process behind: SIGINT,
# SIGTERM and SIGHUP to make or to mk/demo.sh, and the terminal closing.

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
	# a make demo that did not stop: its whole process group goes (never
	# a pattern: an empty one would match every process)
	if [[ ${MK:-} =~ ^[0-9]+$ ]] && [ "$MK" -gt 1 ]; then
		kill -KILL -- "-$MK" 2>/dev/null || true
	fi
	case ${DIR:-} in
	/tmp/kitepipe-demo.?*) rm -rf "$DIR" ;;
	esac
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

# demo_start: make demo in a process group of its own (job control: make
# is its leader, and SIGINT is not ignored as in a plain background job),
# until it prints its banner; sets MK (make's pid = the group), DIR (the
# scratch dir) and SCRIPT (mk/demo.sh's pid).
demo_start() {
	set -m
	KP_DEMO_SECONDS=600 KP_DEMO_PORT=$(( 10000 + RANDOM % 20000 )) \
		make -s -C "$KP_ROOT" demo B="$B" >"$T/out" 2>"$T/err" 3>&- &
	MK=$!
	DIR=/nonexistent
	set +m
	DEMO=$MK
	for _ in $(seq 600); do
		grep -q 'Ctrl-C stops everything' "$T/out" && break
		kill -0 "$MK" 2>/dev/null || { cat "$T/err" >&2; return 1; }
		sleep 0.1
	done
	grep -q 'Ctrl-C stops everything' "$T/out" || { cat "$T/err" >&2; return 1; }
	DIR=$(sed -n 's/^kitepipe demo is running (scratch dir \(.*\))\.$/\1/p' "$T/out")
	[ -d "$DIR" ]
	SCRIPT=$(pgrep -P "$MK" -f 'mk/demo.sh')
	# every part runs in make's process group
	for p in kite-sim redis-server kite-stream tick-greeks tick-publish \
		ws-fanout; do
		in_group | grep -q "^$p\$" || { echo "$p not running" >&2; return 1; }
	done
}

# in_group: the names of the processes in make's group, and of any that
# names the scratch dir
in_group() {
	ps -eo pid=,pgid=,comm=,args= | G=$MK D=${DIR:-/nonexistent} awk \
		'$2 == ENVIRON["G"] || index($0, ENVIRON["D"]) { print $3 }'
}

# demo_stopped: make exits within 20 s; nothing of the demo is left and
# its scratch dir is gone
demo_stopped() {
	local left
	for _ in $(seq 200); do
		kill -0 "$MK" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$MK" 2>/dev/null; then
		echo "make demo still running after 20 s: $(in_group | tr '\n' ' ')" >&2
		return 1
	fi
	wait "$MK" || true
	DEMO=
	left=$(in_group)
	[ -z "$left" ] || { echo "left behind: $left" >&2; return 1; }
	[ ! -e "$DIR" ] || { echo "$DIR is still there" >&2; return 1; }
	# (no terminal, no message: demo_stopped_quiet)
	[ -n "${QUIET:-}" ] || grep -q 'demo: stopped' "$T/err"
}

@test "demo: SIGINT to make, then to the script, stops everything" {
	demo_start
	kill -INT "$MK"
	demo_stopped
	demo_start
	kill -INT "$SCRIPT"
	demo_stopped
}

@test "demo: SIGTERM to make, then to the script, stops everything" {
	demo_start
	kill -TERM "$MK"
	demo_stopped
	demo_start
	kill -TERM "$SCRIPT"
	demo_stopped
}

@test "demo: SIGHUP to make, then to the script, stops everything" {
	demo_start
	kill -HUP "$MK"
	demo_stopped
	demo_start
	kill -HUP "$SCRIPT"
	demo_stopped
}

@test "demo: the terminal closing stops everything" {
	require_cmd python3 python3
	# make demo on a pseudo-terminal of its own (make leads its session);
	# closing the master hangs the terminal up: SIGHUP to the foreground
	# group and to make
	python3 - "$KP_ROOT" "$B" "$T/tty" >"$T/mk.pid" 2>"$T/py.err" <<'PY' &
import os, pty, sys, time
root, b, log = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.environ["KP_DEMO_SECONDS"] = "600"
    os.execvp("make", ["make", "-s", "-C", root, "demo", "B=" + b])
print(pid, flush=True)
out, end = b"", time.time() + 60
while b"Ctrl-C stops everything" not in out and time.time() < end:
    try:
        out += os.read(fd, 4096)
    except OSError:
        break
open(log, "wb").write(out)
time.sleep(0.5)
os.close(fd)
os.waitpid(pid, 0)
PY
	PY=$!
	for _ in $(seq 600); do
		[ -s "$T/tty" ] && break
		sleep 0.1
	done
	MK=$(cat "$T/mk.pid")
	DIR=$(tr -d '\r' <"$T/tty" |
		sed -n 's/^kitepipe demo is running (scratch dir \(.*\))\.$/\1/p')
	[ -n "$DIR" ] || { cat "$T/tty" "$T/py.err" >&2; false; }
	in_group | grep -qx ws-fanout
	in_group | grep -qx kite-stream
	QUIET=1 demo_stopped
	wait "$PY"
}
