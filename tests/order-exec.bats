#!/usr/bin/env bats
# order-exec against kite-sim: placements, duplicates, ambiguous answers,
# crashes at every step, 429 storms, the breaker, final errors, malformed
# intents and concurrent socket clients.  What counts is the order book
# (GET /orders on kite-sim, by our tag), never order-exec's own word.

load helper
load kite-sim
load order-exec
bats_require_minimum_version 1.5.0

@test "order-exec: -h, and usage errors exit 100" {
	run order-exec -h
	[ "$status" -eq 0 ]
	[[ $output == *"-j FILE"* ]]
	run order-exec
	[ "$status" -eq 100 ]
	run order-exec -j "$J" -m 999
	[ "$status" -eq 100 ]
	# the options added with market protection, stats and reconciling
	run order-exec -j "$J" --market-protection 0
	[ "$status" -eq 100 ]
	[[ $output == *"--market-protection 0"* ]]
	run order-exec -j "$J" --market-protection 101
	[ "$status" -eq 100 ]
	run order-exec -j "$J" -s soon
	[ "$status" -eq 100 ]
	KITEPIPE_STATS_INTERVAL=soon run order-exec -j "$J"
	[ "$status" -eq 100 ]
	run order-exec -j "$J" --reconcile-window forever
	[ "$status" -eq 100 ]
	run order-exec -j "$J" --reconcile-polls 3
	[ "$status" -eq 100 ]
	[ ! -e "$J" ]	# nothing opened on a usage error
}

@test "order-exec: malformed intents are answered invalid with line numbers, never sent" {
	sim_start
	run --separate-stderr oe <<-'EOF'
	{"id":"a","op":"place","variety":"regular"}
	not json

	{"id":"b","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"LIMIT"}
	{"id":"bad id!","op":"cancel"}
	{"id":"c","op":"cancel","variety":"regular","order_id":"1","quantiy":2}
	EOF
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -s 'length')" = 5 ]
	[ "$(echo "$output" | jq -s '[.[] | select(.result == "invalid")] | length')" = 5 ]
	[ "$(echo "$output" | jq -c -s '[.[].line]')" = "[1,2,4,5,6]" ]
	echo "$output" | jq -e -s '.[3].id == null and .[0].id == "a"'
	echo "$output" | jq -e -s '.[2].error | test("price")'
	[[ $stderr == *"line 6: invalid intent: quantiy: unknown field"* ]]
	run curl -sS -H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" "$KITE_API_URL/orders"
	[ "$(echo "$output" | jq '.data | length')" = 0 ]
}

@test "order-exec: places orders, one per id, with a tag derived from the id" {
	sim_start
	run --separate-stderr oe < <(place p1; place p2 3)
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -s 'length')" = 2 ]
	echo "$output" | jq -e -s 'all(.[]; .result == "placed" and (.order_id | length) > 0 and (.tag | test("^[0-9a-z]{1,20}$")))'
	echo "$output" > "$T/out"
	one_order_each "$T/out" p1 p2
	run order-exec -j "$J" --status
	[ "$status" -eq 0 ]
	echo "${lines[0]}" | jq -e '.intents == 2 and .done == 2 and .unknown == 0'
}

@test "order-exec: a duplicate id gets the first result, in the same run and after a restart" {
	sim_start
	run --separate-stderr oe < <(place d1; place d1 5)
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "${lines[1]}" ]
	first=${lines[0]}
	run --separate-stderr oe < <(place d1 7)
	[ "$status" -eq 0 ]
	[ "$output" = "$first" ]
	echo "$first" > "$T/out"
	one_order_each "$T/out" d1
}

@test "order-exec: a placement answered after the client's timeout gives one order" {
	sim_start
	[ "$(sim_ctl 'ambiguous 1 3000')" = ok ]
	run --separate-stderr oe -t 1s < <(place a1; place a2)
	[ "$status" -eq 0 ]
	echo "$output" > "$T/out"
	echo "$output" | jq -e -s '.[0].reconciled == true'
	one_order_each "$T/out" a1 a2
	[[ $stderr == *"unknown outcome id=a1"* ]]
}

@test "order-exec: a placement never answered gives one order" {
	sim_start
	[ "$(sim_ctl 'ambiguous 2 never')" = ok ]
	run --separate-stderr oe -t 1s < <(place n1; place n2; place n3)
	[ "$status" -eq 0 ]
	echo "$output" > "$T/out"
	one_order_each "$T/out" n1 n2 n3
}

@test "order-exec: kill -9 at each step, then a restart: at most one order and one result per id" {
	sim_start
	local at k=0
	for at in accepted presend sent done; do
		k=$((k + 1))
		J=$T/journal-$at
		run --separate-stderr env KP_ORDER_EXEC_CRASH_AT=$at order-exec -j "$J" \
			--reconcile-window 1s < <(place "$at-1"; place "$at-2")
		[ "$status" -eq 137 ] || { echo "$at: status $status" >&2; false; }
		[[ $stderr == *"crash hook: SIGKILL at $at"* ]]
		run --separate-stderr oe < <(place "$at-1"; place "$at-2")
		[ "$status" -eq 0 ] || { echo "$stderr" >&2; false; }
		echo "$output" > "$T/out-$at"
		[ "$(jq -s 'length' "$T/out-$at")" = 2 ]
		if [ "$at" = presend ]; then
			# the journal says it was sent; nothing proves it was
			# not, so it is not sent again
			dead_maybe_no_order "$T/out-$at" "$at-1"
			one_order_each "$T/out-$at" "$at-2"
		else
			one_order_each "$T/out-$at" "$at-1" "$at-2"
		fi
	done
}

@test "order-exec: a 429 storm is absorbed (rate limiter, retries)" {
	sim_start
	[ "$(sim_ctl 'http-429 0.5')" = ok ]
	ids=()
	for i in $(seq 1 12); do ids+=("s$i"); done
	run --separate-stderr oe -a 40 < <(for id in "${ids[@]}"; do place "$id"; done)
	[ "$status" -eq 0 ]
	echo "$output" > "$T/out"
	[ "$(sim_ctl 'http-429 0')" = ok ]	# for our own look at the book
	one_order_each "$T/out" "${ids[@]}"
	echo "$stderr" | grep '"type":"stats"' | jq -e '.http_429 > 0 and .placed == 12'
}

@test "order-exec: a 5xx burst opens the breaker, a probe closes it; an unknown place is never resent" {
	sim_start
	[ "$(sim_ctl 'http-5xx 1')" = ok ]
	mkfifo "$T/in"
	order-exec -j "$J" --reconcile-window 1s \
		--backoff-base 20ms --backoff-cap 200ms --breaker 3 \
		--breaker-cooldown 300ms -a 50 <"$T/in" >"$T/out" 2>"$T/err" 3>&- &
	OE_PID=$!
	exec 7>"$T/in"
	place b1 >&7
	eventually 30 grep -q "breaker open" "$T/err"
	place b2 >&7
	eventually 30 grep -q '"id":"b2","result":"busy","reason":"breaker open"' "$T/out"
	[ "$(sim_ctl 'http-5xx 0')" = ok ]
	# kite-sim's 503 placed nothing, but a 503 proves nothing: b1 is
	# looked for until the window ends, then dead, never sent again
	eventually 30 grep -q '"id":"b1","result":"dead"' "$T/out"
	place b3 >&7
	exec 7>&-
	wait "$OE_PID"
	OE_PID=
	grep -q "breaker closed" "$T/err"
	dead_maybe_no_order "$T/out" b1
	one_order_each "$T/out" b3
	[ "$(grep -c '"id":"b1"' "$T/out")" = 1 ]
}

@test "order-exec: an InputException is final, not retried" {
	sim_start
	run --separate-stderr oe <<-'EOF'
	{"id":"x1","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"NOSUCHSYMBOL","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"MARKET","market_protection":-1}
	EOF
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.result == "rejected" and .error_type == "InputException"'
	echo "$stderr" | grep '"type":"stats"' | jq -e '.requests == 1 and .retries == 0'
}

@test "order-exec: concurrent clients on the socket each get their own results" {
	sim_start
	# order-exec itself in the background (not the oe function), so that
	# OE_PID is its pid and teardown's kill reaches it
	order-exec -j "$J" -l "$T/sock" </dev/null >"$T/stdout" 2>"$T/err" 3>&- &
	OE_PID=$!
	eventually 20 test -S "$T/sock"
	[ "$(stat -c %a "$T/sock")" = 600 ]
	for c in 1 2 3; do
		(for i in 1 2 3 4; do place "c$c-$i"; done) | oe-uclient "$T/sock" >"$T/c$c" 3>&- &
		eval "P$c=\$!"
	done
	wait "$P1" "$P2" "$P3"
	for c in 1 2 3; do
		[ "$(jq -s 'length' "$T/c$c")" = 4 ]
		jq -e -s --arg p "c$c-" 'all(.[]; .id | startswith($p))' "$T/c$c"
		one_order_each "$T/c$c" "c$c-1" "c$c-2" "c$c-3" "c$c-4"
	done
	grep -q "connected uid=$(id -u)" "$T/err"
	[ ! -s "$T/stdout" ]
}

@test "order-exec: retries used up go to the dead letters, and --status shows them" {
	KITE_API_KEY=k KITE_ACCESS_TOKEN=t0123456789 KITE_API_URL=http://127.0.0.1:1 \
		run --separate-stderr oe -a 2 < <(place z1)
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.result == "dead" and .attempts == 2 and .maybe_placed == false'
	run order-exec -j "$J" --status
	[ "$status" -eq 0 ]
	echo "${lines[0]}" | jq -e '.done == 1'
	echo "${lines[1]}" | jq -e '.type == "dead" and .answer.id == "z1" and .intent.tradingsymbol == "INFY"'
	[[ $stderr != *t0123456789* ]]
}

# resting_order ID: places a LIMIT buy of 2 INFY 10% under the market (it
# rests, inside the circuit band); sets oid, px and px2 (px + one tick).
resting_order() {
	local ltp
	ltp=$(curl -sS -H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$KITE_API_URL/quote/ltp?i=NSE:INFY" | jq '.data["NSE:INFY"].last_price')
	px=$(awk -v l="$ltp" 'BEGIN { printf "%.2f", int(l * 0.9 * 20) / 20 }')
	px2=$(awk -v p="$px" 'BEGIN { printf "%.2f", p + 0.05 }')
	run --separate-stderr oe < <(printf '{"id":"%s","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":2,"product":"CNC","order_type":"LIMIT","price":%s}\n' "$1" "$px")
	[ "$status" -eq 0 ]
	oid=$(echo "$output" | jq -r 'select(.result == "placed") | .order_id')
	[ -n "$oid" ]
}

# book_order OID: kite-sim's book entry for that order
book_order() {
	curl -sS -m 10 -H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$KITE_API_URL/orders" | jq --arg o "$1" '[.data[] | select(.order_id == $o)]'
}

@test "order-exec: modify and cancel an open order; a second cancel of it is rejected" {
	sim_start
	resting_order l1
	run --separate-stderr oe < <(
		printf '{"id":"m1","op":"modify","variety":"regular","order_id":"%s","price":"%s","quantity":3}\n' "$oid" "$px2"
		printf '{"id":"c1","op":"cancel","variety":"regular","order_id":"%s"}\n' "$oid")
	[ "$status" -eq 0 ]
	echo "${lines[0]}" | jq -e --arg o "$oid" '.id == "m1" and .result == "modified" and .order_id == $o'
	echo "${lines[1]}" | jq -e --arg o "$oid" '.id == "c1" and .result == "cancelled" and .order_id == $o'
	book_order "$oid" | jq -e '.[0] | .status == "CANCELLED" and .quantity == 3'
	run --separate-stderr oe < <(printf '{"id":"c2","op":"cancel","variety":"regular","order_id":"%s"}\n' "$oid")
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.result == "rejected" and (.error_type | length) > 0'
}

@test "order-exec: a full queue answers busy at once, and the id can come back" {
	sim_start
	[ "$(sim_ctl 'ambiguous 1 1500')" = ok ]
	run --separate-stderr oe -Q 1 < <(place q1; place q2)
	[ "$status" -eq 0 ]
	echo "${lines[0]}" | jq -e '.id == "q2" and .result == "busy" and .reason == "queue full"'
	echo "${lines[1]}" | jq -e '.id == "q1" and .result == "placed"'
	run --separate-stderr oe -Q 1 < <(place q2)
	echo "$output" | jq -e '.id == "q2" and .result == "placed"'
	echo "$output" > "$T/out"
	one_order_each "$T/out" q2
}

# token_hold HOW: an intent refused for its token (403 TokenException) is
# held with every intent after it, each answered "waiting" once, until the
# token is renewed (HOW: sighup, or file: the token file rewritten); then
# they go in order.  Secrets never reach the log.
token_hold() {
	sim_start
	good=$KITE_ACCESS_TOKEN
	echo "wrong-token-0123456789" > "$T/token"
	mkfifo "$T/in"
	KITE_ACCESS_TOKEN= KITE_ACCESS_TOKEN_FILE=$T/token \
		order-exec -j "$J" <"$T/in" >"$T/out" 2>"$T/err" 3>&- &
	OE_PID=$!
	exec 7>"$T/in"
	place h1 >&7
	eventually 30 grep -q '"id":"h1"' "$T/out"
	place h2 >&7
	eventually 30 grep -q '"id":"h2"' "$T/out"
	sleep 0.3	# time for a wrong answer to show
	[ "$(grep -c . "$T/out")" = 2 ]
	jq -e -s 'map(.result) == ["waiting", "waiting"] and .[0].id == "h1" and .[1].id == "h2"' "$T/out"
	[ "$(book_tags | wc -l)" = 0 ]
	if [ "$1" = sighup ]; then
		echo "$good" > "$T/token"
		kill -HUP "$OE_PID"
	else
		echo "$good" > "$T/token.new"
		mv "$T/token.new" "$T/token"
	fi
	eventually 30 grep -q "credentials reloaded" "$T/err"
	exec 7>&-
	wait "$OE_PID"
	OE_PID=
	one_order_each "$T/out" h1 h2
	# one waiting and one final line each, h1 placed before h2
	[ "$(grep -c . "$T/out")" = 4 ]
	[ "$(jq -r 'select(.result == "placed") | .id' "$T/out" | tr '\n' ' ')" = "h1 h2 " ]
	run ! grep -q -e wrong-token -e "$good" "$T/err"
}

@test "order-exec: a refused token holds the intents (waiting) until SIGHUP, then they go in order" {
	token_hold sighup
}

@test "order-exec: a refused token holds the intents until the token file is rewritten" {
	token_hold file
}

@test "order-exec: a modify whose answer is lost is resent; the order carries the values" {
	sim_start
	resting_order l2
	# kite-sim applies the modification but answers after 3 s; the
	# client gives up at 1 s, so the outcome is unknown
	[ "$(sim_ctl 'ambiguous 1 3000')" = ok ]
	run --separate-stderr oe -t 1s < <(
		printf '{"id":"m2","op":"modify","variety":"regular","order_id":"%s","price":"%s","quantity":5}\n' "$oid" "$px2")
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg o "$oid" '.id == "m2" and .result == "modified" and .order_id == $o'
	[[ $stderr == *"outcome unknown; modify is resent"* ]]
	# one order, with the absolute values the intent set, modified twice
	# (the lost attempt and the resend) and still open
	book_order "$oid" | jq -e --argjson p "$px2" 'length == 1 and (.[0] | .status == "OPEN" and .quantity == 5 and .price == $p)'
	[ "$(curl -sS -H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$KITE_API_URL/orders/$oid" | jq '[.data[] | select(.status == "MODIFIED")] | length')" = 2 ]
}

@test "order-exec: a cancel whose answer is lost is settled by the book as cancelled" {
	sim_start
	resting_order l3
	[ "$(sim_ctl 'ambiguous 1 3000')" = ok ]
	run --separate-stderr oe -t 1s < <(
		printf '{"id":"c3","op":"cancel","variety":"regular","order_id":"%s"}\n' "$oid")
	[ "$status" -eq 0 ]
	# the resend finds the order already CANCELLED (kite-sim refuses it);
	# the order book says the first attempt worked
	echo "$output" | jq -e --arg o "$oid" '.id == "c3" and .result == "cancelled" and .order_id == $o and .reconciled == true'
	[[ $stderr == *"outcome unknown; cancel is resent"* ]]
	book_order "$oid" | jq -e 'length == 1 and .[0].status == "CANCELLED"'
}

@test "order-exec: a cancel refused for an order cancelled elsewhere is rejected, not settled" {
	sim_start
	resting_order l4
	# cancelled by someone else first: order-exec's own single attempt is
	# refused, and it must not claim it cancelled the order
	run --separate-stderr oe < <(printf '{"id":"c4","op":"cancel","variety":"regular","order_id":"%s"}\n' "$oid")
	echo "$output" | jq -e '.result == "cancelled"'
	run --separate-stderr oe < <(printf '{"id":"c5","op":"cancel","variety":"regular","order_id":"%s"}\n' "$oid")
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.id == "c5" and .result == "rejected" and .error_type == "OrderException" and (has("reconciled") | not)'
}

@test "order-exec: a tag already held by another id in the journal: the next salt, one order" {
	sim_start
	run --separate-stderr oe < <(place s1)
	[ "$status" -eq 0 ]
	t0=$(echo "$output" | jq -r .tag)
	[ "$(orders_tagged "$t0")" = 1 ]
	# A journal in which id "other" holds s1's first tag: rename s1 in
	# every record, each line re-checksummed (crc32 of the JSON).
	python3 - "$J" "$T/j2" <<'PY'
import sys, zlib
out = open(sys.argv[2], "w")
for line in open(sys.argv[1]):
    body = line[9:].rstrip("\n").replace('"id":"s1"', '"id":"other"')
    out.write("%08x %s\n" % (zlib.crc32(body.encode()), body))
PY
	grep -q '"id":"other"' "$T/j2"
	J=$T/j2
	run --separate-stderr oe < <(place s1)
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.id == "s1" and .result == "placed"'
	t1=$(echo "$output" | jq -r .tag)
	[ "$t1" != "$t0" ]
	[[ $stderr == *"tag $t0 taken by id=other; trying the next salt"* ]]
	echo "$output" > "$T/out"
	one_order_each "$T/out" s1
	# the journal's own entry is untouched: still one order under t0
	[ "$(orders_tagged "$t0")" = 1 ]
	# and the salted tag is stable across a restart: a repeat of s1 is a
	# duplicate answered from the journal, not a new order
	run --separate-stderr oe < <(place s1)
	echo "$output" | jq -e --arg t "$t1" '.result == "placed" and .tag == $t'
	[ "$(orders_tagged "$t1")" = 1 ]
}

@test "order-exec: status reads an order's history and fills, fresh each time, never journaled" {
	sim_start
	run --separate-stderr oe < <(place st1 3)
	[ "$status" -eq 0 ]
	oid=$(echo "$output" | jq -r .order_id)
	local before
	before=$(grep -c . "$J")
	run --separate-stderr oe < <(printf '{"id":"q1","op":"status","order_id":"%s"}\n' "$oid"
		printf '{"id":"q1","op":"status","order_id":"%s"}\n' "$oid")
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	# what kite-sim's own endpoints say, summed by hand
	hist=$(curl -sS -H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" "$KITE_API_URL/orders/$oid")
	trades=$(curl -sS -H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" "$KITE_API_URL/orders/$oid/trades")
	echo "${lines[0]}" | jq -e --argjson h "$hist" --argjson t "$trades" --arg o "$oid" '
		.id == "q1" and .result == "status" and .order_id == $o and
		.state == $h.data[-1].status and .state == "COMPLETE" and
		.filled_quantity == 3 and .quantity == 3 and
		.states == [$h.data[].status] and
		.traded_quantity == ([$t.data[].quantity] | add) and .traded_quantity == 3 and
		(.trades | length) == ($t.data | length) and
		.average_price == $h.data[-1].average_price'
	[ "${lines[0]}" = "${lines[1]}" ]
	# reads leave no trace in the journal
	[ "$(grep -c . "$J")" = "$before" ]
	# an order Kite does not know: Kite's answer, passed on
	run --separate-stderr oe < <(printf '{"id":"q2","op":"status","order_id":"999"}\n')
	echo "$output" | jq -e '.id == "q2" and .result == "rejected" and .http == 400 and .error_type == "GeneralException"'
	# a resting order: open, nothing filled
	resting_order st2
	run --separate-stderr oe < <(printf '{"id":"q3","op":"status","order_id":"%s"}\n' "$oid")
	echo "$output" | jq -e '.state == "OPEN" and .filled_quantity == 0 and .trades == [] and .traded_quantity == 0'
}

@test "order-exec: requests carry X-Kite-Version 3, the token header and a User-Agent naming kitepipe and its version" {
	require_cmd python3 python3
	# a one-shot HTTP server that records the request's headers
	python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        open(sys.argv[2], "w").write(str(self.headers))
        body = b"{\"status\":\"error\",\"message\":\"no\",\"error_type\":\"GeneralException\",\"data\":null}"
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.handle_request()
' "$T/port" "$T/headers" &
	local py=$!
	eventually 10 test -s "$T/port"
	KITE_API_KEY=k KITE_ACCESS_TOKEN=t0123456789 KITE_API_URL=http://127.0.0.1:$(cat "$T/port") \
		run --separate-stderr oe < <(echo '{"id":"u1","op":"status","order_id":"1"}')
	wait "$py"
	echo "$output" | jq -e '.result == "rejected" and .http == 400'
	grep -qx 'X-Kite-Version: 3' <(tr -d '\r' <"$T/headers")
	grep -qx 'Authorization: token k:t0123456789' <(tr -d '\r' <"$T/headers")
	version=$(sed -n 's/^#define KP_VERSION "\([^"]*\)".*/\1/p' lib/kp.h)
	[ -n "$version" ]
	grep -qx "User-Agent: kitepipe-order-exec/$version" <(tr -d '\r' <"$T/headers")
}

@test "order-exec: -s writes the stats line on a timer, -P a Prometheus textfile that follows the conventions" {
	sim_start
	mkfifo "$T/in"
	oe -s 200ms -P "$T/oe.prom" <"$T/in" >"$T/out" 2>"$T/err" 3>&- &
	OE_PID=$!
	exec 7>"$T/in"
	place p1 >&7
	eventually 20 grep -q '"id":"p1","result":"placed"' "$T/out"
	eventually 20 grep -qx 'kitepipe_order_exec_placed_total 1' "$T/oe.prom"
	n=$(grep -c '"type":"stats"' "$T/err")
	sleep 0.5
	[ "$(grep -c '"type":"stats"' "$T/err")" -gt "$n" ]
	prom_check "$T/oe.prom"
	# the checker itself fails on what it is there for
	printf '# HELP x_total_total t\n# TYPE x_total_total counter\nx_total_total 1\n' >"$T/bad.prom"
	run prom_check "$T/bad.prom"
	[ "$status" -eq 1 ]
	[[ $output == *"_total twice"* ]]
	exec 7>&-
	wait "$OE_PID"
	OE_PID=
}
