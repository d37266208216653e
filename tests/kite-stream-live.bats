#!/usr/bin/env bats
# kite-stream's live client against kite-sim: modes, the pool and its
# limits, reconnects, the watchdog, refused credentials, SIGHUP,
# malformed messages, order updates, capture and replay, a slow reader.

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
	require_cmd curl curl
	KS_PID=
}

teardown() {
	if [ -n "$KS_PID" ]; then
		kill "$KS_PID" 2>/dev/null || true
		wait "$KS_PID" 2>/dev/null || true
	fi
	sim_stop
}

# buy_infy TAG: a market order on kite-sim; prints the HTTP status.
buy_infy() {
	curl -sS -o "$T/body" -w '%{http_code}' \
		-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		-H 'X-Kite-Version: 3' --data-urlencode exchange=NSE \
		--data-urlencode tradingsymbol=INFY \
		--data-urlencode transaction_type=BUY --data-urlencode quantity=1 \
		--data-urlencode order_type=MARKET --data-urlencode product=CNC \
		--data-urlencode market_protection=-1 \
		--data-urlencode "tag=$1" "$KITE_API_URL/orders/regular"
}

@test "live: each mode's ticks for the tokens asked, status lines first" {
	sim_start
	ks_start $NIFTY $RELIANCE:full $INFY:ltp $BANK:ltp
	eventually 20 has ".type==\"tick\" and .instrument_token==$INFY" 2
	eventually 20 has ".type==\"tick\" and .instrument_token==$RELIANCE" 2
	eventually 20 has ".type==\"tick\" and .instrument_token==$NIFTY" 2
	ks_stop
	[ "$(head -n 1 "$T/out" | jq -r .event)" = connected ]
	run jq -r -c 'select(.type == "status") | [.event, .count]' "$T/out"
	[ "${lines[1]}" = '["subscribed",4]' ]
	# Kite sends a new subscription in quote mode until the mode message
	# that follows it is applied (a message already built may still be
	# on its way): once an instrument's first tick in its mode came,
	# every later one is in that mode
	in_mode() {
		jq -r --argjson t "$1" 'select(.type=="tick" and .instrument_token==$t) | .mode' "$T/out" |
			sed -n "/^$2\$/,\$p" | sort -u | tr '\n' ' '
	}
	[ "$(in_mode $RELIANCE full)" = "full " ]
	[ "$(in_mode $INFY ltp)" = "ltp " ]
	[ "$(in_mode $NIFTY quote)" = "quote " ]
	[ "$(count ".type==\"tick\" and ([.instrument_token]|inside([$NIFTY,$RELIANCE,$INFY,$BANK])|not)")" -eq 0 ]
	# full ticks carry depth, index ticks do not have volume
	has ".type==\"tick\" and .instrument_token==$RELIANCE and (.depth.buy|length)==5"
}

@test "live: readiness on -d only once subscribed" {
	sim_start
	exec 7>"$T/ready"
	kite-stream -d 7 $NIFTY >"$T/out" 2>"$T/err" &
	KS_PID=$!
	exec 7>&-
	eventually 20 test -s "$T/ready"
	grep -q '"event":"subscribed"' "$T/out"
	ks_stop
}

@test "live: usage errors and missing credentials exit 100" {
	run kite-stream -m nope 1
	[ "$status" -eq 100 ]
	run env -u KITE_API_KEY kite-stream 1
	[ "$status" -eq 100 ]
	[[ $output == *KITE_API_KEY* ]]
	run env -u KITE_ACCESS_TOKEN kite-stream 1
	[ "$status" -eq 100 ]
	run kite-stream 12x
	[ "$status" -eq 100 ]
	[[ $output == *"12x"* ]]
}

@test "live: 7,000 tokens spread over 3 connections; 10,000 refused" {
	sim_start
	# tokens from kite-sim's own universe, as a subscription file
	curl -sS -H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$KITE_API_URL/instruments" | tail -n +2 | cut -d, -f1 >"$T/all"
	n=$(wc -l <"$T/all")
	# pad with tokens kite-sim does not know (Kite ignores them too)
	{ cat "$T/all"; seq 900000001 900010000; } | head -n 7000 >"$T/subs"
	{ cat "$T/all"; seq 900000001 900010000; } | head -n 10000 >"$T/subs10k"
	[ "$(wc -l <"$T/subs")" -eq 7000 ]
	run kite-stream -m ltp -f "$T/subs10k"
	[ "$status" -eq 100 ]
	[[ $output == *"10000 instruments do not fit in 3 connections of 3000"* ]]
	ks_start -m ltp -f "$T/subs"
	eventually 30 has '.event=="subscribed"' 3
	ks_stop
	run jq -s -c '[.[]|select(.event=="subscribed")|.count]|sort' "$T/out"
	[ "$output" = "[2333,2333,2334]" ]
	[ "$(count '.event=="connected"')" -eq 3 ]
	echo "universe $n"
}

@test "live: a dropped connection is reconnected and resubscribed" {
	sim_start
	ks_start -B 1s $INFY:ltp
	eventually 20 has ".type==\"tick\""
	sim_ctl drop >/dev/null
	eventually 20 has '.event=="disconnected"'
	eventually 20 has '.event=="subscribed"' 2
	n=$(count '.type=="tick"')
	eventually 20 has '.type=="tick"' $((n + 2))
	ks_stop
	# the gap is visible: disconnected, connected, subscribed in order
	run jq -r 'select(.type=="status")|.event' "$T/out"
	[ "${lines[*]}" = "connected subscribed disconnected connected subscribed" ]
}

@test "live: a stall is detected within the watchdog time" {
	sim_start
	ks_start -W 1500ms -B 500ms $INFY:ltp
	eventually 20 has '.event=="subscribed"'
	sim_ctl "stall on" >/dev/null
	start=$(date +%s)
	eventually 20 has '.event=="stale"'
	stale=$(date +%s)
	sim_ctl "stall off" >/dev/null
	eventually 20 has '.event=="subscribed"' 2
	ks_stop
	# generous: 1.5 s of silence, checked every 50 ms, on a busy machine
	[ $((stale - start)) -le 10 ]
	has '.event=="stale" and .silent_ms>=1500'
}

@test "live: 403 is said once, no storm; a new token file recovers" {
	sim_start --refuse-auth
	printf '%s\n' "$KITE_ACCESS_TOKEN" >"$T/token"
	KITE_ACCESS_TOKEN_FILE=$T/token KITE_ACCESS_TOKEN= \
		env -u KITE_ACCESS_TOKEN kite-stream -B 200ms $INFY:ltp \
		>"$T/out" 2>"$T/err" &
	KS_PID=$!
	eventually 20 has '.event=="disconnected"'
	sleep 3
	# no reconnect storm: one attempt while refused, however long
	[ "$(count '.event=="disconnected"')" -eq 1 ]
	[ "$(grep -c 'credentials refused' "$T/err")" -eq 1 ]
	grep -qF "warning: connection 0: credentials refused (HTTP 403) for the access token in $T/token; waiting for a new one (the file changes, or SIGHUP)" "$T/err"
	has '.event=="disconnected" and (.reason|test("403"))'
	sim_ctl "refuse-auth off" >/dev/null
	sleep 1.1
	printf '%s\n' "$KITE_ACCESS_TOKEN" >"$T/token.new"
	mv "$T/token.new" "$T/token"
	eventually 20 has '.event=="subscribed"'
	eventually 20 has '.type=="tick"'
	ks_stop
	run ! grep -qF "$KITE_ACCESS_TOKEN" "$T/err"
}

@test "live: 403 with the token from KITE_ACCESS_TOKEN names that variable, never the token" {
	sim_start --refuse-auth
	KITE_ACCESS_TOKEN_FILE= ks_start -B 200ms $INFY:ltp
	eventually 20 has '.event=="disconnected"'
	eventually 10 grep -q 'credentials refused' "$T/err"
	ks_stop
	grep -qF 'warning: connection 0: credentials refused (HTTP 403) for the access token in KITE_ACCESS_TOKEN; waiting (restart with a new one, or give it in KITE_ACCESS_TOKEN_FILE to renew without a restart)' "$T/err"
	[ "$(grep -c 'credentials refused' "$T/err")" -eq 1 ]
	run ! grep -qF "$KITE_ACCESS_TOKEN" "$T/err"
}

@test "live: SIGHUP applies only the difference, on the same connection" {
	sim_start
	printf '%s ltp\n%s full # comment\n' $INFY $RELIANCE >"$T/subs"
	ks_start -f "$T/subs"
	eventually 20 has ".type==\"tick\" and .instrument_token==$RELIANCE"
	printf '# now\n%s quote\n%s ltp\n' $RELIANCE $NIFTY >"$T/subs"
	kill -HUP "$KS_PID"
	eventually 20 has ".type==\"tick\" and .instrument_token==$NIFTY"
	eventually 20 has ".type==\"tick\" and .instrument_token==$RELIANCE and .mode==\"quote\""
	sleep 1.5
	n=$(wc -l <"$T/out")
	sleep 2.5
	ks_stop
	# no reconnect, and after the change no INFY and no full RELIANCE
	[ "$(count '.event=="connected"')" -eq 1 ]
	tail -n +$((n + 1)) "$T/out" >"$T/late"
	[ "$(jq -c "select(.instrument_token==$INFY)" "$T/late" | wc -l)" -eq 0 ]
	[ "$(jq -c "select(.instrument_token==$RELIANCE and .mode==\"full\")" "$T/late" | wc -l)" -eq 0 ]
	[ "$(jq -c "select(.instrument_token==$NIFTY)" "$T/late" | wc -l)" -gt 0 ]
	grep -q 'SIGHUP: connection 0: 1 unsubscribed, 1 subscribed, 2 mode changes' "$T/err"
}

@test "live: malformed messages are counted and survived" {
	sim_start --malformed 1
	ks_start -s 1s $INFY:full $RELIANCE:full
	eventually 20 grep -q 'kite-stream: warning: ' "$T/err"
	sim_ctl "malformed 0" >/dev/null
	# every warning about a message names its connection
	grep 'kite-stream: warning: ' "$T/err" >"$T/warn"
	run ! grep -v '^kite-stream: warning: connection 0: ' "$T/warn"
	n=$(count '.type=="tick"')
	eventually 20 has '.type=="tick"' $((n + 2))
	eventually 20 grep -q '"bad_parts":[1-9]' "$T/err"
	ks_stop
	[ "$(count '.event=="disconnected"')" -eq 0 ]
}

@test "live: order updates arrive as order lines" {
	sim_start
	ks_start $INFY:ltp
	eventually 20 has '.event=="subscribed"'
	code=$(buy_infy ksorder1)
	[ "$code" = 200 ]
	id=$(jq -r .data.order_id "$T/body")
	eventually 20 has ".type==\"order\" and .data.order_id==\"$id\" and .data.status==\"COMPLETE\""
	ks_stop
	has ".type==\"order\" and .data.tag==\"ksorder1\" and (.receive_timestamp|type)==\"number\""
}

@test "live: an order update that comes on 3 connections is written once" {
	sim_start
	ks_start -N 1 -s 1h -w "$T/day.cap" $INFY:ltp $NIFTY:ltp $RELIANCE:ltp
	eventually 20 has '.event=="subscribed"' 3
	[ "$(count '.event=="connected"')" -eq 3 ]
	code=$(buy_infy ks3conn)
	[ "$code" = 200 ]
	id=$(jq -r .data.order_id "$T/body")
	eventually 20 has ".type==\"order\" and .data.order_id==\"$id\" and .data.status==\"COMPLETE\""
	# kite-sim sends each update on every connection: all three came
	# (the capture holds every copy), one of each was written
	sleep 1
	kill -USR1 "$KS_PID"
	eventually 10 grep -q '"order_copies":' "$T/err"
	ks_stop
	kite-stream -r "$T/day.cap" -v >"$T/replay" 2>"$T/replay.err"
	diff "$T/out" "$T/replay"
	run -0 jq -c "select(.type==\"order\" and .data.order_id==\"$id\") | .data.status" "$T/out"
	[ "${#lines[@]}" -ge 2 ]
	# distinct updates (statuses) are all there, each once
	[ "$(printf '%s\n' "${lines[@]}" | sort | uniq -d)" = "" ]
	[ "${lines[-1]}" = '"COMPLETE"' ]
	n=${#lines[@]}
	grep -q "\"order_copies\":$((2 * n))," "$T/err"
	grep -q "\"order_copies\":$((2 * n))," "$T/replay.err"
}

@test "live: -w capture, then -r on it reproduces the same lines" {
	sim_start
	ks_start -w "$T/day.cap" $INFY:full $NIFTY:quote
	eventually 20 has '.type=="tick"' 6
	sim_ctl drop >/dev/null
	eventually 20 has '.event=="subscribed"' 2
	ks_stop
	kite-stream -r "$T/day.cap" >"$T/replay"
	diff "$T/out" "$T/replay"
}

@test "live: a reader that stops for 10 s: memory bounded, order updates kept" {
	sim_start --flat-out
	mkfifo "$T/fifo"
	kite-stream -o 256k -m full -s 1s $INFY $RELIANCE $NIFTY $BANK \
		>"$T/fifo" 2>"$T/err" &
	KS_PID=$!
	# the reader opens the pipe and reads nothing for 10 s
	exec 8<"$T/fifo"
	sleep 2
	code=$(buy_infy slowread)
	[ "$code" = 200 ]
	sleep 8
	rss1=$(ps -o rss= -p "$KS_PID")
	sleep 1
	rss2=$(ps -o rss= -p "$KS_PID")
	# now read everything, then stop
	cat <&8 >"$T/out" &
	cat_pid=$!
	sleep 2
	kill -TERM "$KS_PID"
	wait "$KS_PID"
	KS_PID=
	exec 8<&-
	wait "$cat_pid"
	echo "rss $rss1 $rss2 kB" >&3
	# a 256 KiB buffer plus the program: far below 64 MB, and not growing
	[ "$rss2" -lt 65536 ]
	[ $((rss2 - rss1)) -lt 4096 ]
	has '.type=="order" and .data.tag=="slowread"' 1
	has '.event=="conflated" and .count>0'
	grep -q '"conflated":[1-9]' "$T/err"
}

@test "live: the control socket takes Kite's messages and answers each" {
	sim_start
	ks_start -c "$T/ks.ctl" $INFY:ltp
	eventually 20 has '.event=="subscribed"'
	[ "$(stat -c %a "$T/ks.ctl")" = 600 ]
	printf '%s\n' "{\"a\":\"subscribe\",\"v\":[$NIFTY,$RELIANCE]}" \
		"{\"a\":\"mode\",\"v\":[\"full\",[$RELIANCE]]}" \
		"{\"a\":\"unsubscribe\",\"v\":[$INFY]}" \
		'{"a":"bogus"}' 'not json' '{"a":"subscribe","v":["x"]}' |
		oe-uclient "$T/ks.ctl" >"$T/answers"
	run cat "$T/answers"
	[ "${#lines[@]}" -eq 6 ]
	[ "$(jq -c '[.ok,.a,.count,.total]' <<<"${lines[0]}")" = '[true,"subscribe",2,3]' ]
	[ "$(jq -c '[.ok,.a,.count,.total]' <<<"${lines[1]}")" = '[true,"mode",1,3]' ]
	[ "$(jq -c '[.ok,.a,.count,.total]' <<<"${lines[2]}")" = '[true,"unsubscribe",1,2]' ]
	for i in 3 4 5; do
		[ "$(jq -r .ok <<<"${lines[$i]}")" = false ]
		[ -n "$(jq -r .error <<<"${lines[$i]}")" ]
	done
	eventually 20 has ".type==\"tick\" and .instrument_token==$RELIANCE and .mode==\"full\""
	eventually 20 has ".type==\"tick\" and .instrument_token==$NIFTY"
	ks_stop
	[ "$(count '.event=="connected"')" -eq 1 ]
	[ ! -e "$T/ks.ctl" ]
}
