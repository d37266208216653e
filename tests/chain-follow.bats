#!/usr/bin/env bats
# chain-follow between a real kite-stream -c and kite-sim, whose index is
# driven with the move and trend controls: the subscribed set (asked of
# kite-stream with {"a":"list"}) follows the money, stays put when the
# price sits on a strike boundary, starts from live spot, rolls past an
# expiry, and reloads the list on SIGHUP.  Expected sets are worked out
# from kite-sim's instrument list and the strike step (50), never from
# chain-follow's own output.

load helper
load kite-sim
bats_require_minimum_version 1.5.0

NIFTY=256265

setup() {
	require_cmd jq jq
	require_cmd curl curl
	CF_PID= KS_PID= EX_PID=
}

teardown() {
	local p
	[ -z "${EX_PID:-}" ] || kill -TERM -- "-$EX_PID" 2>/dev/null || true
	for p in ${KS_PID:-} ${CF_PID:-} ${EX_PID:-}; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	sim_stop
}

# list_csv: kite-sim's instrument dump (Kite's CSV) into $T/instr.csv
list_csv() {
	curl -sS -m 10 -f -o "$T/instr.csv" -H "X-Kite-Version: 3" \
		-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$KITE_API_URL/instruments"
}

# follow CF_ARGS...: kite-stream -c on the index, its ticks through
# chain-follow (stdout $T/out, stderr $T/cf.err); waits for the first
# status line
follow() {
	list_csv
	mkfifo "$T/pipe"
	chain-follow -c "$T/ks.ctl" -i "$T/instr.csv" -u NIFTY "$@" \
		<"$T/pipe" >"$T/out" 2>"$T/cf.err" &
	CF_PID=$!
	kite-stream -c "$T/ks.ctl" "$NIFTY" 2>"$T/ks.err" \
		> >(tee "$T/ks.out" >"$T/pipe") &
	KS_PID=$!
	eventually 20 has_status 1
}

# reason_is R: the last status line's reason is R
reason_is() { [ "$(last_status | jq -r .reason)" = "$1" ]; }
# option_ticks N: at least N ticks of options (not the index) in $T/out
option_ticks() {
	[ "$(jq -c 'select(.type == "tick" and .instrument_token != 256265)' \
		"$T/out" | wc -l)" -ge "$1" ]
}
# tick_tokens N: ticks of at least N instruments in $T/out
tick_tokens() {
	[ "$(jq -r 'select(.type == "tick") | .instrument_token' "$T/out" |
		sort -u | wc -l)" -ge "$1" ]
}

statuses() { jq -c 'select(.program == "chain-follow")' "$T/out"; }
has_status() { [ "$(statuses | wc -l)" -ge "$1" ]; }
last_status() { statuses | tail -n 1; }

# held: the option tokens kite-stream holds (the index left out), sorted
held() {
	kite-ctl -c "$T/ks.ctl" list |
		jq -r --argjson u "$NIFTY" '.v[][0] | select(. != $u)' | sort -n
}

# expect CENTRE N EXPIRY...: the NIFTY CE and PE tokens of the N strikes
# either side of CENTRE (step 50) of the given expiries, sorted
expect() {
	local c=$1 n=$2
	shift 2
	awk -F, -v c="$c" -v n="$n" -v ex="$*" '
	BEGIN { split(ex, e, " "); for (i in e) want[e[i]] = 1 }
	$4 == "NIFTY" && ($10 == "CE" || $10 == "PE") && ($6 in want) &&
	    $7 >= c - 50 * n && $7 <= c + 50 * n { print $1 }' \
		"$T/instr.csv" | sort -n
}

# holds CENTRE N: kite-stream holds exactly the chain around CENTRE of
# the expiries of chain-follow's last status line
holds() {
	local ex
	ex=$(last_status | jq -r '.expiries | join(" ")')
	[ -n "$ex" ] && [ "$(held)" = "$(expect "$1" "$2" $ex)" ]
}

@test "chain-follow: -h 0; no arguments, a bad number, a missing list: 100" {
	run -0 chain-follow -h
	[[ ${lines[0]} == "usage: chain-follow"* ]]
	run -100 chain-follow
	run -100 chain-follow -c x -i /dev/null -u NIFTY -n lots
	run -100 chain-follow -c x -i /dev/null -u NIFTY -H 0.2
	run -100 --separate-stderr chain-follow -c x -i "$T/none.csv" -u NIFTY
	[[ $stderr == *"none.csv"* ]]
	echo instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange >"$T/empty.csv"
	run -100 --separate-stderr chain-follow -c x -i "$T/empty.csv" -u NIFTY
	[[ $stderr == *"no "* ]]
}

@test "starts from live spot, not the list: the chain around the index as it is" {
	sim_start
	[ "$(sim_ctl 'move NIFTY 24812')" = ok ]
	follow -n 2 -k 1
	st=$(last_status)
	[ "$(jq -r .reason <<<"$st")" = start ]
	[ "$(jq .centre <<<"$st")" = 24800 ]
	awk -v s="$(jq .spot <<<"$st")" 'BEGIN { exit !(s > 24800 && s < 24825) }'
	eventually 5 holds 24800 2
	[ "$(held | wc -l)" -eq 10 ]
	# every line of kite-stream passed on: ticks of the chain arrive
	eventually 10 option_ticks 10
	# kite-stream ends: chain-follow drains and exits 0, having passed on
	# every line as it came, its own status lines added
	kill -TERM "$KS_PID"
	wait "$KS_PID"
	KS_PID=
	rc=0
	wait "$CF_PID" || rc=$?
	CF_PID=
	[ "$rc" -eq 0 ]
	[ "$(jq -c 'select(.program != "chain-follow")' "$T/out" | md5sum)" = \
		"$(jq -c . "$T/ks.out" | md5sum)" ]
	cmp <(grep -v '"program":"chain-follow"' "$T/out") "$T/ks.out"
}

@test "moved across several strikes: kite-stream holds the N strikes around the money" {
	sim_start
	[ "$(sim_ctl 'move NIFTY 24350')" = ok ]
	follow -n 3 -k 2
	eventually 5 holds 24350 3
	for lv in 24500 24740 24010 24460; do
		[ "$(sim_ctl "move NIFTY $lv")" = ok ]
		c=$(( (lv + 25) / 50 * 50 ))
		eventually 5 holds "$c" 3
	done
	# a trend of 200 points a second for 3 s: it keeps up
	[ "$(sim_ctl 'trend NIFTY -200/s')" = ok ]
	sleep 3
	[ "$(sim_ctl 'trend NIFTY 0')" = ok ]
	sleep 1.5
	spot=$(jq -r 'select(.instrument_token == 256265) | .last_price' "$T/out" | tail -n 1)
	c=$(awk -v s="$spot" 'BEGIN { printf "%d", int((s + 25) / 50) * 50 }')
	[ "$c" -lt 24000 ]
	eventually 5 holds "$c" 3
	[ "$(last_status | jq .centre)" = "$c" ]
}

# oscillate A B: the index between A and B, 8 times, 1.2 s apart (a tick
# a second); then the subscribe and unsubscribe messages chain-follow sent
oscillate() {
	local i
	for i in 1 2 3 4; do
		sim_ctl "move NIFTY $1" >/dev/null
		sleep 1.2
		sim_ctl "move NIFTY $2" >/dev/null
		sleep 1.2
	done
	kill -USR1 "$CF_PID"
	eventually 5 grep -q '"type":"stats"' "$T/cf.err"
	grep '"type":"stats"' "$T/cf.err" | tail -n 1 |
		jq '.subscribe_msgs + .unsubscribe_msgs'
}

@test "a price on a strike boundary: no flapping (bounded messages), unlike -H 0.5" {
	sim_start
	[ "$(sim_ctl 'move NIFTY 24222')" = ok ]
	follow -n 2 -k 1
	msgs=$(oscillate 24222 24228)
	# the index and the first chain (2 subscribes), nothing after
	[ "$msgs" -le 2 ]
	[ "$(statuses | wc -l)" -eq 1 ]
	eventually 5 holds 24200 2
}

@test "-H 0.5 (no hysteresis): the same boundary flaps, so the test above can tell" {
	sim_start
	[ "$(sim_ctl 'move NIFTY 24222')" = ok ]
	follow -n 2 -k 1 -H 0.5
	msgs=$(oscillate 24222 24228)
	[ "$msgs" -ge 8 ]
	[ "$(statuses | wc -l)" -ge 5 ]
}

@test "expiry roll: at 15:30 IST of expiry day the next expiries are subscribed" {
	# a Tuesday expiry, 20 simulated seconds before 15:30 IST, twice as fast
	sim_start --start 2026-12-08T15:29:40 --speed 2
	follow -n 1 -k 2
	first=$(last_status | jq -c .expiries)
	[ "$first" = '["2026-12-08","2026-12-15"]' ]
	eventually 5 holds "$(last_status | jq .centre)" 1
	eventually 30 reason_is roll
	[ "$(last_status | jq -c .expiries)" = '["2026-12-15","2026-12-22"]' ]
	# exactly the new chain: none of the expired one left
	eventually 5 holds "$(last_status | jq .centre)" 1
}

@test "SIGHUP reads the list again: options gone from it are dropped" {
	sim_start
	[ "$(sim_ctl 'move NIFTY 24300')" = ok ]
	follow -n 1 -k 1
	first=$(last_status | jq -r '.expiries[0]')
	eventually 5 holds 24300 1
	# the list without the first expiry
	awk -F, -v d="$first" '$6 != d' "$T/instr.csv" >"$T/next.csv"
	mv "$T/next.csv" "$T/instr.csv"
	kill -HUP "$CF_PID"
	eventually 10 reason_is reload
	[ "$(last_status | jq -r '.expiries[0]')" != "$first" ]
	eventually 5 holds 24300 1
}

@test "examples/chain-follow.sh: ticks of the chain around the index and a status line" {
	sim_start
	[ "$(sim_ctl 'move NIFTY 24600')" = ok ]
	list_csv
	setsid "$KP_ROOT/examples/chain-follow.sh" "$T/instr.csv" "$NIFTY" \
		NIFTY 1 1 >"$T/out" 2>"$T/ex.err" &
	EX_PID=$!
	eventually 20 has_status 1
	[ "$(last_status | jq .centre)" = 24600 ]
	eventually 10 tick_tokens 7
	sleep 1.5
	# exactly the index and the 3 strikes' CE and PE
	[ "$(jq -r 'select(.type == "tick") | .instrument_token' "$T/out" |
		sort -u | wc -l)" -eq 7 ]
	run -100 "$KP_ROOT/examples/chain-follow.sh"
}
