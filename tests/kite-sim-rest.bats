#!/usr/bin/env bats
# kite-sim's REST API (kite-connect.md section 2) seen from curl: auth,
# envelopes, the instruments dump (gzip, conditional GET), orders with
# paper fills and order updates on the ticker (tests/tools/kws), the
# session token, historical candles and the HTTP faults.  Expected values
# come from Kite's documented protocol and the requests sent, never from
# output kite-sim produced earlier.

load helper
load kite-sim
bats_require_minimum_version 1.5.0

# A Wednesday in market hours, so the market is open and candles exist.
START=2026-11-18T10:00

setup() {
	require_cmd jq jq
	require_cmd curl curl
	require_cmd sha256sum coreutils
	require_cmd gzip gzip
}

teardown() {
	sim_stop
	if [ -n "${BG:-}" ]; then
		kill "$BG" 2>/dev/null || true
		wait "$BG" 2>/dev/null || true
	fi
}

# api [CURL ARGS...] PATH: body in $T/body, prints the HTTP status.
api() {
	local path=${*: -1}
	curl -sS -m 20 -o "$T/body" -w '%{http_code}' \
		-H "X-Kite-Version: 3" \
		-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"${@:1:$#-1}" "$KITE_API_URL$path"
}

# place FIELDS...: POST /orders/regular; prints the HTTP status.
place() {
	local a=() f
	for f in "$@"; do a+=(--data-urlencode "$f"); done
	api "${a[@]}" /orders/regular
}

body() { cat "$T/body"; }
err_type() { jq -r .error_type "$T/body"; }

# A tradeable NFO future and its lot size, from the CSV dump.
fut() {
	api /instruments/NFO >/dev/null
	awk -F, '$10 == "FUT" { print $3, $9; exit }' "$T/body"
}

# A price near the market for a tradingsymbol: the dump's last_price.
last_price() {
	api /instruments >/dev/null
	awk -F, -v s="$1" '$3 == s { print $5; exit }' "$T/body"
}

# on_tick PRICE FACTOR: PRICE * FACTOR, down to the 0.05 tick.
on_tick() {
	awk -v p="$1" -v f="$2" 'BEGIN { printf "%.2f", int(p * f * 20) / 20 }'
}

eventually() {
	local n=$(($1 * 10)) i
	shift
	for i in $(seq 1 "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

status_is() {
	api "/orders/$1" >/dev/null
	[ "$(jq -r '.data[-1].status' "$T/body")" = "$2" ]
}

@test "auth: no header, a wrong token, refuse-auth: 403 TokenException" {
	sim_start --start "$START"
	run curl -sS -m 10 -o "$T/b" -w '%{http_code}' "$KITE_API_URL/orders"
	[ "$output" = 403 ]
	[ "$(jq -r .status "$T/b")" = error ]
	[ "$(jq -r .error_type "$T/b")" = TokenException ]
	KITE_ACCESS_TOKEN=wrong run api /orders
	[ "$output" = 403 ]
	[ "$(err_type)" = TokenException ]
	KITE_API_KEY=wrong run api /orders
	[ "$output" = 403 ]
	run api /orders
	[ "$output" = 200 ]
	[ "$(jq -r .status "$T/body")" = success ]
	[ "$(jq -r '.data | type' "$T/body")" = array ]
	run curl -sS -m 10 -o "$T/body" -w '%{http_code}' -H "X-Kite-Version: 2" \
		-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$KITE_API_URL/orders"
	[ "$output" = 400 ]
	[ "$(err_type)" = InputException ]
	[ "$(sim_ctl 'refuse-auth on')" = ok ]
	run api /orders
	[ "$output" = 403 ]
	[ "$(err_type)" = TokenException ]
	[ "$(sim_ctl 'refuse-auth off')" = ok ]
	run api /orders
	[ "$output" = 200 ]
}

@test "unknown path: 404 in Kite's error envelope" {
	sim_start
	run api /no/such/thing
	[ "$output" = 404 ]
	[ "$(jq -r .status "$T/body")" = error ]
	[ "$(err_type)" = GeneralException ]
	[ -n "$(jq -r .message "$T/body")" ]
	# a known path with the wrong method
	run api -X DELETE /instruments
	[ "$output" = 405 ]
	[ "$(jq -r .status "$T/body")" = error ]
	run api -X PATCH /orders
	[ "$output" = 405 ]
	run api /user/profile
	[ "$output" = 200 ]
	[ -n "$(jq -r .data.user_id "$T/body")" ]
}

@test "instruments: Kite's 12 columns for exactly the simulated universe" {
	sim_start
	run api /instruments
	[ "$output" = 200 ]
	[ "$(head -n 1 "$T/body")" = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange" ]
	cp "$T/body" "$T/all.csv"
	# every row has 12 fields; the tokens are the ticker's universe
	[ "$(awk -F, 'NR > 1 && NF != 12' "$T/all.csv" | wc -l)" -eq 0 ]
	curl -sS -m 10 "$KITE_API_URL/sim/instruments" |
		jq -r .instrument_token | sort >"$T/want"
	tail -n +2 "$T/all.csv" | cut -d, -f1 | sort >"$T/got"
	[ -s "$T/want" ]
	diff "$T/want" "$T/got"
	# exchange_token is token >> 8
	awk -F, 'NR > 1 && int($1 / 256) != $2 { bad++ } END { exit bad }' "$T/all.csv"
	grep -q '^256265,1001,NIFTY 50,' "$T/all.csv"
	# per exchange: only its rows
	run api /instruments/NFO
	[ "$output" = 200 ]
	[ "$(tail -n +2 "$T/body" | cut -d, -f12 | sort -u)" = NFO ]
	[ "$(($(wc -l <"$T/body") - 1))" -eq "$(grep -c ',NFO$' "$T/all.csv")" ]
	# an exchange Kite lists but the sim lacks: the header alone
	run api /instruments/MCX
	[ "$output" = 200 ]
	[ "$(wc -l <"$T/body")" -eq 1 ]
	run api /instruments/XYZ
	[ "$output" = 400 ]
	[ "$(err_type)" = InputException ]
}

@test "instruments: gzip when asked, the same CSV inside" {
	sim_start
	api /instruments >/dev/null
	cp "$T/body" "$T/plain.csv"
	curl -sS -m 10 -D "$T/hdr" -o "$T/gz" -H "Accept-Encoding: gzip" \
		-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$KITE_API_URL/instruments"
	grep -qi '^content-encoding: gzip' "$T/hdr"
	grep -qi '^content-type: text/csv' "$T/hdr"
	gzip -dc "$T/gz" >"$T/unz.csv"
	cmp "$T/plain.csv" "$T/unz.csv"
}

@test "instruments: conditional GET with ETag or Last-Modified is 304" {
	sim_start
	curl -sS -m 10 -D "$T/hdr" -o /dev/null \
		-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$KITE_API_URL/instruments"
	etag=$(grep -i '^etag:' "$T/hdr" | cut -d' ' -f2- | tr -d '\r')
	lm=$(grep -i '^last-modified:' "$T/hdr" | cut -d' ' -f2- | tr -d '\r')
	[ -n "$etag" ] && [ -n "$lm" ]
	run api -H "If-None-Match: $etag" /instruments
	[ "$output" = 304 ]
	[ ! -s "$T/body" ]
	run api -H "If-None-Match: W/\"other\", $etag" /instruments
	[ "$output" = 304 ]
	run api -H "If-None-Match: \"other\"" /instruments
	[ "$output" = 200 ]
	run api -H "If-Modified-Since: $lm" /instruments
	[ "$output" = 304 ]
	run api -H "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT" /instruments
	[ "$output" = 200 ]
	[ "$(wc -l <"$T/body")" -gt 1 ]
}

@test "orders: a MARKET order fills at once; book, history, trades, tag" {
	sim_start --start "$START"
	run place exchange=NSE tradingsymbol=INFY transaction_type=BUY \
		quantity=3 order_type=MARKET market_protection=-1 product=CNC tag=mkt1
	[ "$output" = 200 ]
	id=$(jq -r .data.order_id "$T/body")
	[[ $id =~ ^[0-9]{15,}$ ]]
	run place exchange=NSE tradingsymbol=INFY transaction_type=SELL \
		quantity=1 order_type=MARKET market_protection=-1 product=MIS
	[ "$output" = 200 ]
	id2=$(jq -r .data.order_id "$T/body")
	[[ $id2 > $id ]] && [ "${#id2}" -eq "${#id}" ]
	run api /orders
	[ "$output" = 200 ]
	[ "$(jq -r --arg i "$id" '.data[] | select(.order_id == $i) |
		[.status, .tag, .filled_quantity, .pending_quantity,
		 .transaction_type, .tradingsymbol, .instrument_token] | @tsv' \
		"$T/body")" = "$(printf 'COMPLETE\tmkt1\t3\t0\tBUY\tINFY\t408065')" ]
	avg=$(jq -r --arg i "$id" '.data[] | select(.order_id == $i) | .average_price' "$T/body")
	# on the 0.05 tick and positive
	awk -v a="$avg" 'BEGIN { p = int(a * 100 + 0.5); exit !(p > 0 && p % 5 == 0) }'
	run api "/orders/$id"
	[ "$output" = 200 ]
	[ "$(jq -r '.data[0].status' "$T/body")" = "PUT ORDER REQ RECEIVED" ]
	[ "$(jq -r '.data[-1].status' "$T/body")" = COMPLETE ]
	jq -e '[.data[].status] | index("OPEN") != null' "$T/body"
	run api "/orders/$id/trades"
	[ "$output" = 200 ]
	[ "$(jq -r '.data | length' "$T/body")" -eq 1 ]
	[ "$(jq -r '.data[0].quantity' "$T/body")" -eq 3 ]
	[ "$(jq -r '.data[0].average_price' "$T/body")" = "$avg" ]
	run api /trades
	[ "$(jq -r '.data | length' "$T/body")" -eq 2 ]
	run api /orders/999999999999999
	[ "$output" = 400 ]
	[ "$(jq -r .status "$T/body")" = error ]
}

@test "orders: validated like Kite, 400 InputException with a message" {
	sim_start --start "$START"
	read -r sym lot < <(fut)
	[ -n "$sym" ] && [ "$lot" -gt 1 ]
	ok="exchange=NFO tradingsymbol=$sym transaction_type=BUY"
	bad=(
		"tradingsymbol=$sym transaction_type=BUY quantity=$lot order_type=MARKET market_protection=-1 product=NRML"
		"exchange=XXX tradingsymbol=$sym transaction_type=BUY quantity=$lot order_type=MARKET market_protection=-1 product=NRML"
		"exchange=NFO tradingsymbol=NOSUCH transaction_type=BUY quantity=$lot order_type=MARKET market_protection=-1 product=NRML"
		"$ok quantity=$lot order_type=MARKET market_protection=-1 product=CNC"
		"$ok quantity=$lot order_type=MARKET market_protection=-1"
		"exchange=NFO tradingsymbol=$sym transaction_type=HOLD quantity=$lot order_type=MARKET market_protection=-1 product=NRML"
		"$ok product=NRML quantity=$lot order_type=STOP"
		"$ok product=NRML quantity=$((lot + 1)) order_type=MARKET market_protection=-1"
		"$ok product=NRML quantity=0 order_type=MARKET market_protection=-1"
		"$ok product=NRML quantity=$lot order_type=LIMIT"
		"$ok product=NRML quantity=$lot order_type=LIMIT price=100.03"
		"$ok product=NRML quantity=$lot order_type=SL price=100"
		"$ok product=NRML quantity=$lot order_type=SL-M"
		"$ok product=NRML quantity=$lot order_type=MARKET market_protection=-1 validity=GTC"
		"$ok product=NRML quantity=$lot order_type=MARKET market_protection=-1 tag=abcdefghijklmnopqrstu"
		"$ok product=NRML quantity=$lot order_type=MARKET market_protection=-1 tag=bad\"tag"
	)
	for b in "${bad[@]}"; do
		read -ra f <<<"$b"
		run place "${f[@]}"
		echo "$b -> $output $(body)"
		[ "$output" = 400 ]
		[ "$(err_type)" = InputException ]
		[ -n "$(jq -r .message "$T/body")" ]
	done
	# an index is not tradeable
	run place exchange=NSE "tradingsymbol=NIFTY 50" transaction_type=BUY \
		quantity=1 order_type=MARKET market_protection=-1 product=CNC
	[ "$output" = 400 ]
	[ "$(err_type)" = InputException ]
	# garbage form encoding
	run api --data-binary 'exchange=%zz&x' /orders/regular
	[ "$output" = 400 ]
	[ "$(err_type)" = InputException ]
	run api --data "exchange=NSE" /orders/bogus
	[ "$output" = 400 ]
	# nothing above reached the book
	run api /orders
	[ "$(jq -r '.data | length' "$T/body")" -eq 0 ]
	# and the same order, well formed, goes through
	run place $ok product=NRML quantity=$lot order_type=MARKET market_protection=-1 tag=ok-1
	[ "$output" = 200 ]
}

@test "orders: a resting LIMIT fills when the market crosses; updates on the ticker" {
	sim_start --start "$START" --speed 600
	kws -m 100 -t 60 >"$T/kws.out" 2>"$T/kws.err" &
	BG=$!
	eventually 10 grep -q 'texts=\|connected' "$T/kws.err" || true
	sleep 0.5
	p=$(last_price INFY)
	buy=$(awk -v p="$p" 'BEGIN { printf "%.2f", p - 0.05 }')
	sell=$(awk -v p="$p" 'BEGIN { printf "%.2f", p + 0.05 }')
	run place exchange=NSE tradingsymbol=INFY transaction_type=BUY \
		quantity=1 order_type=LIMIT price="$buy" product=CNC tag=lb
	[ "$output" = 200 ]
	b=$(jq -r .data.order_id "$T/body")
	run place exchange=NSE tradingsymbol=INFY transaction_type=SELL \
		quantity=1 order_type=LIMIT price="$sell" product=CNC tag=ls
	[ "$output" = 200 ]
	s=$(jq -r .data.order_id "$T/body")
	eventually 60 status_is "$b" COMPLETE
	eventually 60 status_is "$s" COMPLETE
	# a resting order that was crossed fills at its own price, unless it
	# was marketable on arrival (then at the market, at least as good)
	api "/orders/$b" >/dev/null
	awk -v a="$(jq -r '.data[-1].average_price' "$T/body")" -v l="$buy" \
		'BEGIN { exit !(a <= l + 0.001) }'
	api "/orders/$s" >/dev/null
	awk -v a="$(jq -r '.data[-1].average_price' "$T/body")" -v l="$sell" \
		'BEGIN { exit !(a >= l - 0.001) }'
	# the ticker carried Kite's order updates, postback shape
	eventually 20 grep -q "\"order_id\":\"$s\".*\"status\":\"COMPLETE\"" "$T/kws.out"
	grep "\"order_id\":\"$b\"" "$T/kws.out" | grep '"status":"COMPLETE"' |
		head -n 1 | jq -e --arg b "$b" '.type == "order" and
		.data.order_id == $b and .data.tag == "lb" and
		.data.unfilled_quantity == 0 and (.data.checksum | length) == 64'
	# the checksum is SHA-256(order_id + order_timestamp + api_secret)
	line=$(grep "\"order_id\":\"$b\"" "$T/kws.out" | head -n 1)
	ts=$(jq -r .data.order_timestamp <<<"$line")
	want=$(printf '%s%s%s' "$b" "$ts" "$KITE_API_SECRET" | sha256sum | cut -d' ' -f1)
	[ "$(jq -r .data.checksum <<<"$line")" = "$want" ]
}

@test "orders: modify and cancel an open order; complete ones are OrderException" {
	sim_start --start "$START"
	p=$(last_price INFY)
	far=$(on_tick "$p" 0.9)
	run place exchange=NSE tradingsymbol=INFY transaction_type=BUY \
		quantity=2 order_type=LIMIT price="$far" product=CNC tag=mod
	[ "$output" = 200 ]
	id=$(jq -r .data.order_id "$T/body")
	status_is "$id" OPEN
	run api -X PUT --data "quantity=4&price=$far" "/orders/regular/$id"
	[ "$output" = 200 ]
	[ "$(jq -r .data.order_id "$T/body")" = "$id" ]
	api /orders >/dev/null
	[ "$(jq -r --arg i "$id" '.data[] | select(.order_id == $i) |
		[.status, .quantity, .modified, .tag] | @tsv' "$T/body")" = \
		"$(printf 'OPEN\t4\ttrue\tmod')" ]
	api "/orders/$id" >/dev/null
	jq -e '[.data[].status] | index("MODIFIED") != null' "$T/body"
	run api -X PUT --data "price=1.03" "/orders/regular/$id"
	[ "$output" = 400 ]
	run api -X DELETE "/orders/regular/$id"
	[ "$output" = 200 ]
	status_is "$id" CANCELLED
	api /orders >/dev/null
	[ "$(jq -r --arg i "$id" '.data[] | select(.order_id == $i) |
		.cancelled_quantity' "$T/body")" -eq 4 ]
	run api -X DELETE "/orders/regular/$id"
	[ "$output" = 400 ]
	[ "$(err_type)" = OrderException ]
	run place exchange=NSE tradingsymbol=INFY transaction_type=BUY \
		quantity=1 order_type=MARKET market_protection=-1 product=CNC
	done_id=$(jq -r .data.order_id "$T/body")
	run api -X PUT --data "quantity=2" "/orders/regular/$done_id"
	[ "$output" = 400 ]
	[ "$(err_type)" = OrderException ]
	run api -X DELETE "/orders/regular/123456789012345"
	[ "$output" = 400 ]
}

@test "orders: SL-M waits in TRIGGER PENDING, triggers, fills; IOC LIMIT is cancelled" {
	sim_start --start "$START"
	p=$(last_price RELIANCE)
	hi=$(on_tick "$p" 1.1)
	lo=$(on_tick "$p" 0.9)
	run place exchange=NSE tradingsymbol=RELIANCE transaction_type=BUY \
		quantity=1 order_type=SL-M market_protection=5 trigger_price="$hi" product=MIS
	[ "$output" = 200 ]
	id=$(jq -r .data.order_id "$T/body")
	status_is "$id" "TRIGGER PENDING"
	# a buy stop below the market triggers at once
	run api -X PUT --data "trigger_price=$lo" "/orders/regular/$id"
	[ "$output" = 200 ]
	eventually 10 status_is "$id" COMPLETE
	run place exchange=NSE tradingsymbol=RELIANCE transaction_type=BUY \
		quantity=1 order_type=LIMIT price="$lo" validity=IOC product=MIS
	[ "$output" = 200 ]
	status_is "$(jq -r .data.order_id "$T/body")" CANCELLED
}

@test "orders: a price past the circuit band is accepted, then REJECTED" {
	sim_start --start "$START"
	p=$(last_price TCS)
	half=$(on_tick "$p" 0.5)
	run place exchange=NSE tradingsymbol=TCS transaction_type=BUY \
		quantity=1 order_type=LIMIT price="$half" product=CNC tag=rej
	[ "$output" = 200 ]
	id=$(jq -r .data.order_id "$T/body")
	api /orders >/dev/null
	[ "$(jq -r --arg i "$id" '.data[] | select(.order_id == $i) |
		[.status, .filled_quantity, .pending_quantity, .tag] | @tsv' \
		"$T/body")" = "$(printf 'REJECTED\t0\t0\trej')" ]
	[ -n "$(jq -r --arg i "$id" '.data[] | select(.order_id == $i) |
		.status_message // empty' "$T/body")" ]
	run api -X DELETE "/orders/regular/$id"
	[ "$output" = 400 ]
	[ "$(err_type)" = OrderException ]
}

@test "quote, quote/ohlc, quote/ltp: keyed as asked, unknown ones absent" {
	sim_start --start "$START"
	run api -G --data-urlencode "i=NSE:INFY" --data-urlencode "i=NSE:NIFTY 50" \
		--data-urlencode "i=NSE:NOSUCH" --data-urlencode "i=738561" /quote/ltp
	[ "$output" = 200 ]
	[ "$(jq -r '.data | keys | join(",")' "$T/body")" = "738561,NSE:INFY,NSE:NIFTY 50" ]
	[ "$(jq -r '.data["NSE:INFY"].instrument_token' "$T/body")" = 408065 ]
	[ "$(jq -r '.data["738561"].instrument_token' "$T/body")" = 738561 ]
	jq -e '.data[] | .last_price > 0' "$T/body"
	run api -G --data-urlencode "i=NSE:INFY" /quote/ohlc
	[ "$output" = 200 ]
	jq -e '.data["NSE:INFY"].ohlc | .high >= .low and .close > 0' "$T/body"
	run api -G --data-urlencode "i=NSE:TCS" /quote
	[ "$output" = 200 ]
	jq -e '.data["NSE:TCS"] | (.depth.buy | length) == 5 and
		(.depth.sell | length) == 5 and .lower_circuit_limit < .ohlc.close
		and .upper_circuit_limit > .ohlc.close and has("timestamp")' "$T/body"
	# the circuit limits are the ones orders are checked against
	up=$(jq -r '.data["NSE:TCS"].upper_circuit_limit' "$T/body")
	over=$(awk -v u="$up" 'BEGIN { printf "%.2f", u + 0.05 }')
	run place exchange=NSE tradingsymbol=TCS transaction_type=SELL \
		quantity=1 order_type=LIMIT price="$over" product=CNC
	status_is "$(jq -r .data.order_id "$T/body")" REJECTED
	run place exchange=NSE tradingsymbol=TCS transaction_type=SELL \
		quantity=1 order_type=LIMIT price="$up" product=CNC
	status_is "$(jq -r .data.order_id "$T/body")" OPEN
	run api /quote/ltp
	[ "$output" = 400 ]
	[ "$(err_type)" = InputException ]
	run api /quote/bogus?i=NSE:INFY
	[ "$output" = 404 ]
}

@test "orders: past --orders-per-s, 429 Too many requests" {
	sim_start --orders-per-s 2
	args=()
	for i in 1 2 3 4 5 6; do
		args+=(--next -sS -m 10 -o "$T/r$i" -w '%{http_code}\n'
			-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN"
			--data "exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&quantity=1&order_type=MARKET&market_protection=-1&product=CNC"
			"$KITE_API_URL/orders/regular")
	done
	curl "${args[@]:1}" >"$T/codes"
	grep -qx 429 "$T/codes"
	grep -qx 200 "$T/codes"
	i=$(grep -nx 429 "$T/codes" | head -n 1 | cut -d: -f1)
	[ "$(jq -r .message "$T/r$i")" = "Too many requests" ]
	[ "$(jq -r .error_type "$T/r$i")" = NetworkException ]
	# what was refused is not in the book
	api /orders >/dev/null
	[ "$(jq -r '.data | length' "$T/body")" -eq "$(grep -cx 200 "$T/codes")" ]
}

@test "session: the SHA-256 checksum is checked; a request token is single use" {
	sim_start
	sum=$(printf '%s%s%s' "$KITE_API_KEY" rt-1 "$KITE_API_SECRET" | sha256sum | cut -d' ' -f1)
	run curl -sS -m 10 -o "$T/body" -w '%{http_code}' \
		--data "api_key=$KITE_API_KEY&request_token=rt-1&checksum=$sum" \
		"$KITE_API_URL/session/token"
	[ "$output" = 200 ]
	[ "$(jq -r .data.access_token "$T/body")" = "$KITE_ACCESS_TOKEN" ]
	[ "$(jq -r .data.api_key "$T/body")" = "$KITE_API_KEY" ]
	jq -e '.data | has("user_id") and has("public_token") and has("login_time")' "$T/body"
	run curl -sS -m 10 -o "$T/body" -w '%{http_code}' \
		--data "api_key=$KITE_API_KEY&request_token=rt-1&checksum=$sum" \
		"$KITE_API_URL/session/token"
	[ "$output" = 403 ]
	[ "$(err_type)" = TokenException ]
	bad=$(printf '%s%s%s' "$KITE_API_KEY" rt-2 wrongsecret | sha256sum | cut -d' ' -f1)
	run curl -sS -m 10 -o "$T/body" -w '%{http_code}' \
		--data "api_key=$KITE_API_KEY&request_token=rt-2&checksum=$bad" \
		"$KITE_API_URL/session/token"
	[ "$output" = 403 ]
	[ "$(err_type)" = TokenException ]
	run curl -sS -m 10 -o "$T/body" -w '%{http_code}' \
		--data "api_key=$KITE_API_KEY&request_token=rt-3" \
		"$KITE_API_URL/session/token"
	[ "$output" = 400 ]
	[ "$(err_type)" = InputException ]
	run curl -sS -m 10 -X DELETE \
		"$KITE_API_URL/session/token?api_key=$KITE_API_KEY&access_token=$KITE_ACCESS_TOKEN"
	[ "$output" = '{"status":"success","data":true}' ]
}

@test "session: Kite's documented check value" {
	# kite-connect.md 2.2: "xxx"+"yyy"+"zzz"
	KITE_API_KEY=xxx KITE_API_SECRET=zzz sim_start
	run curl -sS -m 10 -o "$T/body" -w '%{http_code}' \
		--data "api_key=xxx&request_token=yyy&checksum=cc6c955cadf2cc09442c0848ce8e165b8f9aa5974916de7186a9e1b6c4e7937e" \
		"$KITE_API_URL/session/token"
	[ "$output" = 200 ]
}

@test "historical: minute candles in market hours, deterministic, oi=1" {
	sim_start --start 2026-11-20T15:00
	q=(-G --data-urlencode "from=2026-11-18 09:15:00" --data-urlencode "to=2026-11-18 09:24:00")
	run api "${q[@]}" /instruments/historical/256265/minute
	[ "$output" = 200 ]
	[ "$(jq -r '.data.candles | length' "$T/body")" -eq 10 ]
	[ "$(jq -r '.data.candles[0][0]' "$T/body")" = "2026-11-18T09:15:00+0530" ]
	[ "$(jq -r '.data.candles[9][0]' "$T/body")" = "2026-11-18T09:24:00+0530" ]
	jq -e '.data.candles | all(length == 6 and .[2] >= .[1] and .[2] >= .[4]
		and .[3] <= .[1] and .[3] <= .[4] and .[3] > 0)' "$T/body"
	cp "$T/body" "$T/first"
	api "${q[@]}" /instruments/historical/256265/minute >/dev/null
	cmp "$T/first" "$T/body"
	read -r sym lot < <(fut)
	api /instruments/NFO >/dev/null
	tok=$(awk -F, -v s="$sym" '$3 == s { print $1 }' "$T/body")
	run api "${q[@]}" -d oi=1 "/instruments/historical/$tok/5minute"
	[ "$output" = 200 ]
	[ "$(jq -r '.data.candles | length' "$T/body")" -eq 2 ]
	jq -e '.data.candles | all(length == 7 and .[6] > 0 and .[5] > 0)' "$T/body"
	# a weekend has no candles; day candles carry the date
	run api -G --data-urlencode "from=2026-11-14" --data-urlencode "to=2026-11-15" \
		/instruments/historical/256265/minute
	[ "$(jq -r '.data.candles | length' "$T/body")" -eq 0 ]
	run api -G --data-urlencode "from=2026-11-16" --data-urlencode "to=2026-11-20" \
		/instruments/historical/738561/day
	[ "$(jq -r '[.data.candles[][0]] | join(" ")' "$T/body")" = \
		"2026-11-16T00:00:00+0530 2026-11-17T00:00:00+0530 2026-11-18T00:00:00+0530 2026-11-19T00:00:00+0530 2026-11-20T00:00:00+0530" ]
	# days are continuous: each opens at the previous close
	jq -e '.data.candles as $c | [range(1; $c | length) |
		$c[.][1] == $c[. - 1][4]] | all' "$T/body"
	# nothing after the simulated now
	run api -G --data-urlencode "from=2026-11-20 15:00:00" \
		--data-urlencode "to=2026-11-20 15:29:00" /instruments/historical/256265/minute
	n=$(jq -r '.data.candles | length' "$T/body")
	[ "$n" -ge 1 ] && [ "$n" -le 30 ]
}

@test "historical: range limits, bad interval, token and dates are InputException" {
	sim_start
	run api -G --data-urlencode "from=2026-01-01 09:15:00" \
		--data-urlencode "to=2026-03-15 09:15:00" /instruments/historical/256265/minute
	[ "$output" = 400 ]
	[ "$(err_type)" = InputException ]
	[[ $(jq -r .message "$T/body") == *"60 days"* ]]
	run api -G --data-urlencode "from=2026-01-01" --data-urlencode "to=2026-03-15" \
		/instruments/historical/256265/15minute
	[ "$output" = 200 ]
	run api -G --data-urlencode "from=2026-01-01" --data-urlencode "to=2026-03-15" \
		/instruments/historical/256265/fortnight
	[ "$output" = 400 ]
	run api -G --data-urlencode "from=2026-01-01" --data-urlencode "to=2026-03-15" \
		/instruments/historical/1/day
	[ "$output" = 400 ]
	run api -G --data-urlencode "from=yesterday" --data-urlencode "to=2026-03-15" \
		/instruments/historical/256265/day
	[ "$output" = 400 ]
	run api -G --data-urlencode "from=2026-03-15" --data-urlencode "to=2026-01-15" \
		/instruments/historical/256265/day
	[ "$output" = 400 ]
	run api /instruments/historical/256265/day
	[ "$output" = 400 ]
}

@test "faults: http-429 and http-5xx with probability 1, then off" {
	sim_start
	[ "$(sim_ctl 'http-429 1')" = ok ]
	run api /orders
	[ "$output" = 429 ]
	[ "$(err_type)" = NetworkException ]
	[ "$(jq -r .message "$T/body")" = "Too many requests" ]
	[ "$(sim_ctl 'http-429 0')" = ok ]
	[ "$(sim_ctl 'http-5xx 1')" = ok ]
	run api /instruments
	[ "$output" = 503 ]
	[ "$(jq -r .status "$T/body")" = error ]
	[ "$(sim_ctl 'http-5xx 0')" = ok ]
	run api /orders
	[ "$output" = 200 ]
}

@test "faults: delay-ms holds every answer (a short client timeout fires)" {
	sim_start --delay-ms 5000
	run curl -sS -m 0.5 -H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$KITE_API_URL/orders"
	[ "$status" -eq 28 ]
	[ "$(sim_ctl 'delay-ms 0')" = ok ]
	run api /orders
	[ "$output" = 200 ]
}

@test "faults: ambiguous placement records the order; it is in GET /orders by tag" {
	sim_start --start "$START"
	[ "$(sim_ctl 'ambiguous 1 never')" = ok ]
	run curl -sS -m 1 -H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		--data "exchange=NSE&tradingsymbol=TCS&transaction_type=BUY&quantity=1&order_type=MARKET&market_protection=-1&product=CNC&tag=amb42" \
		"$KITE_API_URL/orders/regular"
	[ "$status" -eq 28 ]
	run api /orders
	[ "$output" = 200 ]
	[ "$(jq -r '[.data[] | select(.tag == "amb42")] | length' "$T/body")" -eq 1 ]
	[ "$(jq -r '.data[] | select(.tag == "amb42") | .status' "$T/body")" = COMPLETE ]
	# only one placement was affected
	run place exchange=NSE tradingsymbol=TCS transaction_type=BUY \
		quantity=1 order_type=MARKET market_protection=-1 product=CNC tag=after
	[ "$output" = 200 ]
	# a finite ambiguous delay: answered late, still recorded once
	[ "$(sim_ctl 'ambiguous 1 1500')" = ok ]
	run curl -sS -m 0.3 -H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		--data "exchange=NSE&tradingsymbol=TCS&transaction_type=BUY&quantity=1&order_type=MARKET&market_protection=-1&product=CNC&tag=amb43" \
		"$KITE_API_URL/orders/regular"
	[ "$status" -eq 28 ]
	api /orders >/dev/null
	[ "$(jq -r '[.data[] | select(.tag == "amb43")] | length' "$T/body")" -eq 1 ]
	grep -q 'ambiguous placement' "$T/sim.err"
	# ms 0: Kite's "timed out" 400 at once, and yet the order stands
	[ "$(sim_ctl 'ambiguous 1 0')" = ok ]
	run place exchange=NSE tradingsymbol=TCS transaction_type=BUY \
		quantity=1 order_type=MARKET market_protection=-1 product=CNC tag=amb44
	[ "$output" = 400 ]
	[[ $(jq -r .message "$T/body") == *"check the order book"* ]]
	api /orders >/dev/null
	[ "$(jq -r '[.data[] | select(.tag == "amb44")] | length' "$T/body")" -eq 1 ]
	# the fault is spent: the next placement is answered normally
	run place exchange=NSE tradingsymbol=TCS transaction_type=BUY \
		quantity=1 order_type=MARKET market_protection=-1 product=CNC tag=amb45
	[ "$output" = 200 ]
}
