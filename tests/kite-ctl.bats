#!/usr/bin/env bats
# kite-ctl against a real kite-stream -c connected to kite-sim: subscribe,
# unsubscribe and mode change what kite-stream writes; refusals exit 1,
# usage errors 100, an unreachable or silent socket 111.

load helper
load kite-sim
load kite-stream
bats_require_minimum_version 1.5.0

NIFTY=256265
BANK=260105
RELIANCE=738561
INFY=408065

setup() {
	require_cmd jq jq
	KS_PID=
}

teardown() {
	[ -z "${KS_PID:-}" ] || kill -CONT "$KS_PID" 2>/dev/null || true
	ks_reap
	sim_stop
}

# after N JQ: lines past line N of $T/out matching the jq condition;
# after_has N JQ [MIN]: at least MIN (1) of them
after() { tail -n "+$(($1 + 1))" "$T/out" | jq -c "select($2)" | wc -l; }
after_has() { [ "$(after "$1" "$2")" -ge "${3:-1}" ]; }
lines_out() { wc -l <"$T/out"; }

# ks_ctl ARGS...: kite-stream with a control socket, subscribed
ks_ctl() {
	sim_start
	ks_start -c "$T/ks.ctl" "$@"
	eventually 20 has '.event=="subscribed"'
}

@test "kite-ctl: subscribe brings ticks, mode changes them, unsubscribe stops them" {
	ks_ctl $INFY:ltp
	run -0 kite-ctl -c "$T/ks.ctl" subscribe $NIFTY $RELIANCE:full
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -c '[.ok,.a,.count,.total]' <<<"${lines[0]}")" = '[true,"subscribe",2,3]' ]
	[ "$(jq -c '[.ok,.a,.count,.total]' <<<"${lines[1]}")" = '[true,"mode",1,3]' ]
	eventually 20 has ".type==\"tick\" and .instrument_token==$NIFTY"
	eventually 20 has ".type==\"tick\" and .instrument_token==$RELIANCE and .mode==\"full\""

	run -0 kite-ctl -c "$T/ks.ctl" mode ltp $RELIANCE
	[ "$(jq -c '[.ok,.a,.count,.total]' <<<"$output")" = '[true,"mode",1,3]' ]
	n=$(lines_out)
	eventually 20 after_has "$n" ".type==\"tick\" and .instrument_token==$RELIANCE and .mode==\"ltp\""

	run -0 kite-ctl -c "$T/ks.ctl" unsubscribe $NIFTY
	[ "$(jq -c '[.ok,.a,.count,.total]' <<<"$output")" = '[true,"unsubscribe",1,2]' ]
	# ticks already on their way may still come; then none
	sleep 1
	n=$(lines_out)
	eventually 20 after_has "$n" ".type==\"tick\" and .instrument_token==$INFY" 2
	[ "$(after "$n" ".type==\"tick\" and .instrument_token==$NIFTY")" -eq 0 ]
	ks_stop
	[ "$(count '.event=="connected"')" -eq 1 ]
}

@test "kite-ctl: KITE_STREAM_CONTROL is the default socket, -c wins; -p plain answers" {
	ks_ctl $INFY
	KITE_STREAM_CONTROL=$T/ks.ctl run -0 kite-ctl -p subscribe $NIFTY
	[ "$output" = "a=subscribe count=1 total=2" ]
	KITE_STREAM_CONTROL=$T/nowhere run -0 kite-ctl -c "$T/ks.ctl" -p unsubscribe $NIFTY
	[ "$output" = "a=unsubscribe count=1 total=1" ]
	KITE_STREAM_CONTROL=$T/ks.ctl run -0 kite-ctl --plain mode full $INFY
	[ "$output" = "a=mode count=1 total=1" ]
}

@test "kite-ctl: a request kite-stream refuses exits 1 with its reason, nothing changed" {
	ks_ctl -C 1 -N 2 $INFY
	run -1 --separate-stderr kite-ctl -c "$T/ks.ctl" subscribe $NIFTY $RELIANCE
	[ "$(jq -r .ok <<<"$output")" = false ]
	[[ $(jq -r .error <<<"$output") == *"more instruments than 1 connections of 2 hold"* ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "kite-ctl: warning: kite-stream refused subscribe: "*"nothing changed" ]]
	# -p: nothing on stdout; -q: nothing on stderr either
	run -1 --separate-stderr kite-ctl -c "$T/ks.ctl" -p -q subscribe $NIFTY $RELIANCE
	[ -z "$output" ]
	[ -z "$stderr" ]
	run -0 kite-ctl -c "$T/ks.ctl" subscribe $NIFTY
	[ "$(jq -c '[.ok,.total]' <<<"$output")" = '[true,2]' ]
	# one refused request of several: 1, every answer printed
	run -1 --separate-stderr kite-ctl -c "$T/ks.ctl" subscribe $NIFTY $BANK:full
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -r .ok <<<"${lines[0]}")" = false ]
}

@test "kite-ctl: list shows the subscriptions and their modes; stats kite-stream's counters" {
	ks_ctl $INFY:ltp $NIFTY:full
	run -0 --separate-stderr kite-ctl -c "$T/ks.ctl" list
	[ "$(jq -c '[.ok,.a,.total,.v]' <<<"$output")" = "[true,\"list\",2,[[$NIFTY,\"full\"],[$INFY,\"ltp\"]]]" ]
	run -0 kite-ctl -c "$T/ks.ctl" subscribe $RELIANCE:quote
	run -0 kite-ctl -c "$T/ks.ctl" unsubscribe $INFY
	run -0 kite-ctl -c "$T/ks.ctl" list
	[ "$(jq -c '.v' <<<"$output")" = "[[$NIFTY,\"full\"],[$RELIANCE,\"quote\"]]" ]
	eventually 20 has ".type==\"tick\" and .instrument_token==$RELIANCE"
	run -0 kite-ctl -c "$T/ks.ctl" stats
	jq -e '.ok == true and .a == "stats" and .type == "stats" and
		.program == "kite-stream" and .connects >= 1 and .packets > 0' <<<"$output"
	# the counters move
	p1=$(jq .packets <<<"$output")
	eventually 20 bash -c "[ \"\$(kite-ctl -c '$T/ks.ctl' stats | jq .packets)\" -gt $p1 ]"
	# values are refused: these reads take none (asked by hand, since
	# kite-ctl refuses to send them)
	require_cmd python3 python3
	timeout 10 python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"{\"a\":\"list\",\"v\":[1]}\n"); print(s.makefile().readline(), end="")' "$T/ks.ctl" >"$T/ans"
	[ "$(jq -c '[.ok,.error]' "$T/ans")" = '[false,"list: takes no values"]' ]
}

@test "kite-ctl: a missing socket exits 111 with one line" {
	run -111 --separate-stderr kite-ctl -c "$T/none.ctl" subscribe $NIFTY
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$stderr" = "kite-ctl: fatal: unable to connect to $T/none.ctl: No such file or directory" ]
	# a file that is not a socket, a socket nobody listens on
	: >"$T/plain"
	run -111 kite-ctl -c "$T/plain" list
	[[ $output == *"unable to connect to $T/plain: Connection refused" ]]
	KITE_STREAM_CONTROL=$T/none.ctl run -111 kite-ctl stats
}

@test "kite-ctl: a kite-stream that does not answer is a timeout, 111, after -t" {
	ks_ctl $INFY
	kill -STOP "$KS_PID"
	s=$SECONDS
	run -111 --separate-stderr kite-ctl -t 500ms -c "$T/ks.ctl" subscribe $NIFTY
	[ $((SECONDS - s)) -le 3 ]
	[ "$stderr" = "kite-ctl: fatal: unable to read the answer to subscribe from $T/ks.ctl: Connection timed out" ]
	kill -CONT "$KS_PID"
	# a kite-stream that comes back still took the request
	run -0 kite-ctl -c "$T/ks.ctl" -p unsubscribe $NIFTY
	[ "$output" = "a=unsubscribe count=1 total=1" ]
}

@test "kite-ctl: -h 0; usage errors 100 before any connection" {
	run -0 kite-ctl -h
	[[ ${lines[0]} == "usage: kite-ctl "* ]]
	[[ $output == *KITE_STREAM_CONTROL* ]]
	c=(-c "$T/none.ctl")
	run -100 kite-ctl
	run -100 kite-ctl "${c[@]}"
	run -100 --separate-stderr kite-ctl "${c[@]}" frob 1
	[ "${stderr_lines[0]}" = "kite-ctl: fatal: frob: unknown command" ]
	[[ ${stderr_lines[1]} == "usage: kite-ctl "* ]]
	run -100 kite-ctl "${c[@]}" subscribe
	run -100 kite-ctl "${c[@]}" subscribe x
	run -100 kite-ctl "${c[@]}" subscribe 0
	run -100 kite-ctl "${c[@]}" subscribe 4294967296
	run -100 kite-ctl "${c[@]}" subscribe 1:fast
	run -100 kite-ctl "${c[@]}" unsubscribe 1:full
	run -100 kite-ctl "${c[@]}" mode fast 1
	run -100 kite-ctl "${c[@]}" mode full
	run -100 kite-ctl "${c[@]}" list 1
	run -100 kite-ctl "${c[@]}" -t 0 list
	run -100 kite-ctl "${c[@]}" -t soon list
	run -100 kite-ctl -x list
	KITE_STREAM_CONTROL= run -100 --separate-stderr kite-ctl list
	[[ ${stderr_lines[0]} == *"no socket: give -c SOCKET or set KITE_STREAM_CONTROL" ]]
}

@test "kite-ctl-watchlist.sh: a watchlist file in, then out" {
	ks_ctl $INFY:ltp
	printf '%s\n' '# the watchlist' $NIFTY "  $RELIANCE full  # reliance" '' \
		"$BANK:ltp" >"$T/watch"
	export KITE_STREAM_CONTROL=$T/ks.ctl
	run -0 "$KP_ROOT/examples/kite-ctl-watchlist.sh" subscribe "$T/watch"
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[0]}" = "a=subscribe count=3 total=4" ]
	[ "${lines[1]}" = "a=mode count=1 total=4" ]
	[ "${lines[2]}" = "a=mode count=1 total=4" ]
	eventually 20 has ".type==\"tick\" and .instrument_token==$RELIANCE and .mode==\"full\""
	eventually 20 has ".type==\"tick\" and .instrument_token==$BANK and .mode==\"ltp\""
	run -0 "$KP_ROOT/examples/kite-ctl-watchlist.sh" unsubscribe "$T/watch"
	[ "$output" = "a=unsubscribe count=3 total=1" ]
	run -100 "$KP_ROOT/examples/kite-ctl-watchlist.sh" subscribe "$T/none"
	[[ $output == *"cannot read $T/none"* ]]
	run -100 "$KP_ROOT/examples/kite-ctl-watchlist.sh" list "$T/watch"
	[[ $output == *usage* ]]
	KITE_STREAM_CONTROL=$T/none.ctl run -111 "$KP_ROOT/examples/kite-ctl-watchlist.sh" subscribe "$T/watch"
}

@test "kite-ctl: an answer that is not one (not JSON, no \"ok\", over 1 MiB, none) is 111" {
	require_cmd python3 python3
	# fake SOCKET ANSWER: a server that reads a request and sends ANSWER
	fake() {
		rm -f "$1"
		python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
open(sys.argv[1] + ".up", "w").close()
c, _ = s.accept()
c.recv(4096)
try:
    c.sendall(sys.argv[2].encode().replace(b"BIG", b"x" * (2 << 20)))
except OSError:
    pass
c.close()
' "$1" "$2" &
		eventually 10 test -e "$1.up"
		rm -f "$1.up"
	}
	fake "$T/f.ctl" $'not json\n'
	run -111 --separate-stderr kite-ctl -c "$T/f.ctl" list
	[ -z "$output" ]
	[[ $stderr == "kite-ctl: fatal: unable to read the answer to list from $T/f.ctl: not JSON: "* ]]
	fake "$T/f.ctl" $'{"a":"list"}\n'
	run -111 --separate-stderr kite-ctl -c "$T/f.ctl" list
	[[ $stderr == *'not an object with "ok"' ]]
	fake "$T/f.ctl" '{"ok":true,"v":"BIG"}'
	run -111 --separate-stderr kite-ctl -c "$T/f.ctl" list
	[[ $stderr == *"longer than 1048576 bytes" ]]
	fake "$T/f.ctl" ''
	run -111 --separate-stderr kite-ctl -c "$T/f.ctl" list
	[[ $stderr == *"closed by kite-stream" ]]
	# and a good one, with a list in it, for the plain form
	fake "$T/f.ctl" $'{"ok":true,"a":"list","v":[[256265,"quote"]],"e":"x\\ny"}\n'
	run -0 --separate-stderr kite-ctl -p -c "$T/f.ctl" list
	[ "$output" = 'a=list v=[[256265,"quote"]] e=x?y' ]
	wait
}
