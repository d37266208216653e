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

# kite-sim's model in jq, from the parameters /sim/smile gives ($m, the
# underlying $u): the price of a CE/PE ($c) of strike $K expiring at
# epoch $x, or a future ($K null), with the underlying at $S at epoch $t.
# Black-Scholes-Merton on the spot, sigma(k,T) = atm + term*T + skew*k +
# curv*k^2 floored at 0.01, k = ln(K/F), F = S*exp((r-q)T), ACT/365.
SIM_MODEL_JQ='
def ncdf(x): ((0 - x) / 1.4142135623730951 | erfc) / 2;
def ist(s): (s[0:19] + "Z" | fromdateiso8601) - 19800;
def model($m; $u; $c; $K; $x; $S; $t):
	((($x - $t) / 31536000) | if . < 0 then 0 else . end) as $T |
	($S * (($m.r - $u.q) * $T | exp)) as $F |
	if $K == null then $F else
	(($K / $F) | log) as $k |
	([$m.atm + $m.term * $T + $m.skew * $k + $m.curv * $k * $k, 0.01] |
	  max) as $v |
	($v * ($T | sqrt)) as $s |
	if $s <= 0 then
		(if $c == "CE" then $F - $K else $K - $F end |
		  if . < 0 then 0 else . end)
	else
		((($F / $K) | log) / $s + $s / 2) as $d1 | ($d1 - $s) as $d2 |
		((0 - $m.r * $T) | exp) * (if $c == "CE" then
		  $F * ncdf($d1) - $K * ncdf($d2) else
		  $K * ncdf(0 - $d2) - $F * ncdf(0 - $d1) end)
	end end;
'

# nfo_csv: the NFO dump's NIFTY rows as NDJSON {token,type,strike,expiry}
# (expiry as the epoch of 15:30 IST on the day).
nifty_nfo() {
	api /instruments/NFO >/dev/null
	awk -F, '$4 == "NIFTY" { print $1, $10, $7, $6 }' "$T/body" |
		while read -r tok ty k ex; do
			printf '{"token":%s,"type":"%s","strike":%s,"expiry":"%s"}\n' \
				"$tok" "$ty" "$k" "$ex"
		done | jq -c '.expiry = ((.expiry + "T15:30:00Z" | fromdateiso8601) - 19800)'
}

@test "historical: option and future candles are the model's price at the index candle of the minute" {
	sim_start --start 2026-11-20T15:00 --carry 0.03
	api /sim/smile >/dev/null
	cp "$T/body" "$T/smile"
	# the carry moves the yield priced with, and /sim/smile says so
	jq -e '.carry == 0.03 and (.q - (0.012 - 0.03) | fabs) < 1e-12 and
		(.underlyings[] | select(.name == "NIFTY") |
		 (.q - (0.012 - 0.03) | fabs) < 1e-12 and .div_yield == 0.012)' "$T/smile"
	q=(-G --data-urlencode "from=2026-11-18 10:00:00" --data-urlencode "to=2026-11-18 10:09:00")
	run api "${q[@]}" /instruments/historical/256265/minute
	[ "$output" = 200 ]
	cp "$T/body" "$T/und"
	[ "$(jq '.data.candles | length' "$T/und")" -eq 10 ]
	nifty_nfo >"$T/nfo"
	s0=$(jq '.data.candles[0][4]' "$T/und")
	# the nearest expiry's six strikes nearest the money, CE and PE, and
	# the nearest future
	x=$(jq -s 'map(select(.type != "FUT") | .expiry) | min' "$T/nfo")
	jq -c --argjson x "$x" --argjson s "$s0" 'select(.type != "FUT" and .expiry == $x) |
		.d = ((.strike - $s) | fabs)' "$T/nfo" | jq -s -c 'sort_by(.d) | .[0:12][]' >"$T/pick"
	jq -c 'select(.type == "FUT")' "$T/nfo" | jq -s -c 'sort_by(.expiry) | .[0]' >>"$T/pick"
	[ "$(wc -l <"$T/pick")" -eq 13 ]
	while read -r o; do
		tok=$(jq .token <<<"$o")
		run api "${q[@]}" "/instruments/historical/$tok/minute"
		[ "$output" = 200 ]
		cp "$T/body" "$T/first"
		# the same request, the same candles
		api "${q[@]}" "/instruments/historical/$tok/minute" >/dev/null
		cmp "$T/first" "$T/body"
		# each close within a tick of the model's price at the index
		# candle's close, at the candle's end
		jq -e -n --slurpfile m "$T/smile" --slurpfile und "$T/und" \
			--slurpfile c "$T/body" --argjson o "$o" "$SIM_MODEL_JQ"'
			$m[0] as $m | ($m.underlyings[] | select(.name == "NIFTY")) as $u |
			$und[0].data.candles as $uc | $c[0].data.candles as $oc |
			($oc | length) == ($uc | length) and
			([range($oc | length) | . as $i |
			  ($oc[$i][0] == $uc[$i][0]) and
			  ((model($m; $u; $o.type; (if $o.type == "FUT" then null
			      else $o.strike end); $o.expiry; $uc[$i][4];
			      ist($uc[$i][0]) + 60) - $oc[$i][4]) | fabs) <= 0.05 and
			  $oc[$i][2] >= $oc[$i][1] and $oc[$i][2] >= $oc[$i][4] and
			  $oc[$i][3] <= $oc[$i][1] and $oc[$i][3] <= $oc[$i][4]]
			 | all)'
	done <"$T/pick"
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

# --- issue 24: market protection, cover orders, freeze and autoslice,
# book lag.  The rules are kite-connect.md 2.3 (FORUM: SEBI algo rules)
# and the MOCK shapes.

# place_v VARIETY FIELDS...: POST /orders/VARIETY; prints the status.
place_v() {
	local v=$1 a=() f
	shift
	for f in "$@"; do a+=(--data-urlencode "$f"); done
	api "${a[@]}" "/orders/$v"
}

# modify ID FIELDS...: PUT /orders/regular/ID; prints the status.
modify() {
	local id=$1 a=() f
	shift
	for f in "$@"; do a+=(--data-urlencode "$f"); done
	api -X PUT "${a[@]}" "/orders/regular/$id"
}

# refused CODE TYPE: the last answer was HTTP CODE with error_type TYPE
# in Kite's envelope (data null).
refused() {
	[ "$output" = "$1" ] || { echo "want $1, got $output: $(body)"; return 1; }
	[ "$(jq -r .status "$T/body")" = error ] || return 1
	[ "$(err_type)" = "$2" ] || { echo "want $2: $(body)"; return 1; }
	jq -e '.data == null and (.message | length > 0)' "$T/body" >/dev/null
}

# NIFTY's nearest future and its lot size.
nifty_fut() {
	api /instruments/NFO >/dev/null
	awk -F, '$4 == "NIFTY" && $10 == "FUT" { print $3, $9; exit }' "$T/body"
}

@test "market protection: MARKET and SL-M need -1 or 0 < p <= 100; LIMIT and SL ignore it" {
	sim_start --start "$START"
	local eq="exchange=NSE tradingsymbol=INFY transaction_type=BUY quantity=1 product=CNC"
	run place $eq order_type=MARKET
	refused 400 InputException
	jq -e '.message | test("market protection")' "$T/body"
	local v
	for v in 0 0.00 101 100.01 -2 1.005 abc; do
		run place $eq order_type=MARKET market_protection=$v
		refused 400 InputException
	done
	run place $eq order_type=MARKET market_protection=-1 tag=auto
	[ "$output" = 200 ]
	auto=$(jq -r .data.order_id "$T/body")
	run place $eq order_type=MARKET market_protection=2.5
	[ "$output" = 200 ]
	pct=$(jq -r .data.order_id "$T/body")
	run place $eq order_type=MARKET market_protection=100
	[ "$output" = 200 ]
	p=$(on_tick "$(last_price INFY)" 1.05)
	run place $eq order_type=SL-M trigger_price="$p"
	refused 400 InputException
	run place $eq order_type=SL-M trigger_price="$p" market_protection=0
	refused 400 InputException
	run place $eq order_type=SL-M trigger_price="$p" market_protection=1
	[ "$output" = 200 ]
	slm=$(jq -r .data.order_id "$T/body")
	# LIMIT and SL: ignored, even 0 or nonsense
	lo=$(on_tick "$(last_price INFY)" 0.9)
	run place $eq order_type=LIMIT price="$lo" market_protection=0
	[ "$output" = 200 ]
	lim=$(jq -r .data.order_id "$T/body")
	run place $eq order_type=SL price="$p" trigger_price="$p" market_protection=abc
	[ "$output" = 200 ]
	sl=$(jq -r .data.order_id "$T/body")
	run api /orders
	[ "$(jq -c --arg i "$auto" '.data[] | select(.order_id == $i) | .tags' "$T/body")" = '["auto","mktp","mktp:2.00"]' ]
	[ "$(jq -c --arg i "$pct" '.data[] | select(.order_id == $i) | [.tags, .market_protection]' "$T/body")" = '[["mktp","mktp:2.50"],2.5]' ]
	[ "$(jq -c --arg i "$lim" '.data[] | select(.order_id == $i) | .tags' "$T/body")" = null ]
	# modify to MARKET or SL-M: the same rule
	run modify "$lim" order_type=MARKET
	refused 400 InputException
	run modify "$lim" order_type=MARKET market_protection=0
	refused 400 InputException
	run modify "$sl" order_type=SL-M
	refused 400 InputException
	run modify "$sl" order_type=SL-M market_protection=-1
	[ "$output" = 200 ]
	run modify "$lim" order_type=MARKET market_protection=3
	[ "$output" = 200 ]
	eventually 5 status_is "$lim" COMPLETE
	# an SL-M keeps its protection through a modification
	run modify "$slm" trigger_price="$(on_tick "$(last_price INFY)" 1.06)"
	[ "$output" = 200 ]
}

@test "cover orders: MARKET or LIMIT entry, trigger_price on the stoploss side; tag <= 20" {
	sim_start --start "$START"
	local co="exchange=NSE tradingsymbol=INFY quantity=1 product=MIS"
	ltp=$(last_price INFY)
	lo=$(on_tick "$ltp" 0.97)
	hi=$(on_tick "$ltp" 1.03)
	run place_v co $co transaction_type=BUY order_type=LIMIT price="$ltp"
	refused 400 InputException
	jq -e '.message | test("trigger_price")' "$T/body"
	run place_v co $co transaction_type=BUY order_type=LIMIT price="$ltp" trigger_price=0
	refused 400 InputException
	run place_v co $co transaction_type=BUY order_type=SL price="$hi" trigger_price="$hi"
	refused 400 InputException
	run place_v co $co transaction_type=BUY order_type=SL-M trigger_price="$lo" market_protection=-1
	refused 400 InputException
	# the stoploss of a BUY is below the entry, of a SELL above it
	run place_v co $co transaction_type=BUY order_type=LIMIT price="$lo" trigger_price="$hi"
	refused 400 InputException
	run place_v co $co transaction_type=SELL order_type=LIMIT price="$hi" trigger_price="$lo"
	refused 400 InputException
	run place_v co $co transaction_type=BUY order_type=LIMIT price="$hi" trigger_price="$lo"
	[ "$output" = 200 ]
	run place_v co $co transaction_type=SELL order_type=MARKET trigger_price="$hi"
	refused 400 InputException
	run place_v co $co transaction_type=SELL order_type=MARKET trigger_price="$hi" market_protection=-1
	[ "$output" = 200 ]
	run place_v co $co transaction_type=SELL order_type=MARKET trigger_price="$lo" market_protection=-1
	refused 400 InputException
	run place_v co $co transaction_type=BUY order_type=LIMIT price="$hi" trigger_price="$lo" tag=abcdefghij0123456789
	[ "$output" = 200 ]
	run place_v co $co transaction_type=BUY order_type=LIMIT price="$hi" trigger_price="$lo" tag=abcdefghij0123456789x
	refused 400 InputException
}

@test "freeze quantity: refused past it without autoslice; autoslice=true slices (MOCK shape, child tags)" {
	sim_start --start "$START"
	read -r sym lot < <(nifty_fut)
	[ "$lot" = 75 ]
	local o="exchange=NFO tradingsymbol=$sym transaction_type=BUY product=NRML order_type=MARKET market_protection=-1"
	# NIFTY's default freeze quantity: 1800 = 24 lots
	run place $o quantity=1875
	refused 400 InputException
	jq -e '.message | test("freeze")' "$T/body"
	run place $o quantity=1875 autoslice=false
	refused 400 InputException
	run place $o quantity=1875 autoslice=yes
	refused 400 InputException
	# at the freeze quantity, autoslice or not: one order, the usual answer
	run place $o quantity=1800 autoslice=true
	[ "$output" = 200 ]
	jq -e '.data | keys == ["order_id"]' "$T/body"
	# 3750 = 1800 + 1800 + 150
	run place $o quantity=3750 autoslice=true tag=slice1
	[ "$output" = 200 ]
	jq -e '.status == "success" and (.data | keys) == ["children","order_id"]
		and (.data.children | length) == 3
		and all(.data.children[]; keys == ["order_id"])' "$T/body"
	parent=$(jq -r .data.order_id "$T/body")
	kids=$(jq -r '.data.children[].order_id' "$T/body" | sort | tr '\n' ' ')
	run api /orders
	[ "$(jq -r --arg p "autoslice:$parent" '[.data[] | select(.tags // [] | index($p))] |
		map(.order_id) | sort | join(" ")' "$T/body") " = "$kids" ]
	[ "$(jq -c --arg p "autoslice:$parent" '[.data[] | select(.tags // [] | index($p))] |
		map([.tag, .tags, .quantity, .status]) | sort_by(.[2])' "$T/body")" = \
		"$(jq -cn --arg p "autoslice:$parent" '[150, 1800, 1800] |
		map(["slice1", ["slice1", "mktp", "mktp:2.00", "autoslice", $p], ., "COMPLETE"])')" ]
	# the parent is not an order
	run api "/orders/$parent"
	refused 400 GeneralException
	# 10 slices are allowed, 11 are not
	run place $o quantity=18075 autoslice=true
	refused 400 InputException
	jq -e '.message | test("10")' "$T/body"
	run place $o quantity=18000 autoslice=true
	[ "$output" = 200 ]
	[ "$(jq '.data.children | length' "$T/body")" -eq 10 ]
	# a modification cannot go past it either
	lo=$(on_tick "$(last_price "$sym")" 0.9)
	sleep 1 # --orders-per-s
	run place exchange=NFO tradingsymbol=$sym transaction_type=BUY product=NRML order_type=LIMIT price="$lo" quantity=75
	[ "$output" = 200 ]
	id=$(jq -r .data.order_id "$T/body")
	run modify "$id" quantity=1875
	refused 400 InputException
	# by control: 0 is no limit; an unknown name is an error
	[ "$(sim_ctl 'freeze-qty NIFTY 0')" = ok ]
	run place $o quantity=1875
	[ "$output" = 200 ]
	[ "$(sim_ctl "freeze-qty $sym 150")" = ok ]
	run place $o quantity=225
	refused 400 InputException
	[[ $(sim_ctl 'freeze-qty NOSUCH 10') == error:* ]]
}

@test "freeze quantity: --freeze-qty NAME=N at the start; unknown names are a usage error" {
	sim_start --start "$START" --freeze-qty NIFTY=150 --freeze-qty BANKNIFTY=0
	read -r sym lot < <(nifty_fut)
	local o="exchange=NFO tradingsymbol=$sym transaction_type=BUY product=NRML order_type=MARKET market_protection=-1"
	run place $o quantity=225
	refused 400 InputException
	run place $o quantity=225 autoslice=true
	[ "$output" = 200 ]
	[ "$(jq '.data.children | length' "$T/body")" -eq 2 ]
	run kite-sim -p 0 --freeze-qty NOSUCH=5
	[ "$status" -eq 100 ]
	run kite-sim -p 0 --freeze-qty NIFTY
	[ "$status" -eq 100 ]
}

@test "autoslice: child-margin-fail N makes the Nth and later children MarginException errors" {
	sim_start --start "$START" --child-margin-fail 3
	read -r sym lot < <(nifty_fut)
	local o="exchange=NFO tradingsymbol=$sym transaction_type=BUY product=NRML order_type=MARKET market_protection=-1"
	run place $o quantity=7200 autoslice=true
	[ "$output" = 200 ]
	jq -e '.data.children | length == 4
		and (.[0] | keys) == ["order_id"] and (.[1] | keys) == ["order_id"]
		and all(.[2:][]; keys == ["error"] and .error.code == 400
			and .error.error_type == "MarginException"
			and .error.data == null
			and (.error.message | test("^Insufficient funds")))' "$T/body"
	parent=$(jq -r .data.order_id "$T/body")
	run api /orders
	[ "$(jq --arg p "autoslice:$parent" '[.data[] | select(.tags // [] | index($p))] | length' "$T/body")" -eq 2 ]
	[ "$(sim_ctl 'child-margin-fail 1')" = ok ]
	run place $o quantity=3600 autoslice=true
	[ "$output" = 200 ]
	jq -e 'all(.data.children[]; .error.error_type == "MarginException")' "$T/body"
	[ "$(sim_ctl 'child-margin-fail 0')" = ok ]
	run place $o quantity=3600 autoslice=true
	[ "$output" = 200 ]
	jq -e 'all(.data.children[]; has("order_id"))' "$T/body"
	[ "$(sim_ctl status | sed 's/^ok //' | jq .faults.child_margin_fail)" -eq 0 ]
}

@test "book-lag-ms: a new order is missing from /orders, /orders/{id}, its trades until N ms; shapes as the MOCKs" {
	M=$KP_TESTDATA/kiteconnect-mocks
	sim_start --start "$START"
	[ "$(sim_ctl 'book-lag-ms 2000')" = ok ]
	t0=$(date +%s%N)
	run place exchange=NSE tradingsymbol=INFY transaction_type=BUY \
		quantity=2 order_type=MARKET market_protection=-1 product=CNC tag=lag1
	[ "$output" = 200 ]
	id=$(jq -r .data.order_id "$T/body")
	run api /orders
	[ "$output" = 200 ]
	[ "$(jq --arg i "$id" '[.data[] | select(.order_id == $i)] | length' "$T/body")" -eq 0 ]
	run api "/orders/$id"
	refused 400 GeneralException
	run api "/orders/$id/trades"
	refused 400 GeneralException
	run api /trades
	[ "$(jq '.data | length' "$T/body")" -eq 0 ]
	# all of that within the lag, or the test proves nothing
	[ $((($(date +%s%N) - t0) / 1000000)) -lt 2000 ]
	eventually 5 status_is "$id" COMPLETE
	[ $((($(date +%s%N) - t0) / 1000000)) -ge 2000 ]
	run api "/orders/$id"
	jq -e --slurpfile m "$M/order_info.json" '.data | type == "array" and
		length >= 4 and .[0].status == "PUT ORDER REQ RECEIVED" and
		all(.[]; keys as $k | ($m[0].data[0] | keys) - $k == [])' "$T/body"
	run api "/orders/$id/trades"
	jq -e --slurpfile m "$M/order_trades.json" '.data | length == 1 and
		all(.[]; keys as $k | ($m[0].data[0] | keys) - $k == [])' "$T/body"
	run api /orders
	[ "$(jq --arg i "$id" '[.data[] | select(.order_id == $i)] | length' "$T/body")" -eq 1 ]
}

@test "book-lag-ms with the ambiguous fault: the order shows up by tag only after the lag" {
	sim_start --start "$START" --book-lag-ms 1500 --ambiguous 1,0
	run place exchange=NSE tradingsymbol=TCS transaction_type=BUY \
		quantity=1 order_type=MARKET market_protection=-1 product=CNC tag=amblag
	[ "$output" = 400 ]
	[ "$(err_type)" = OrderException ]
	run api /orders
	[ "$(jq '[.data[] | select(.tag == "amblag")] | length' "$T/body")" -eq 0 ]
	sleep 1.6
	run api /orders
	[ "$(jq '[.data[] | select(.tag == "amblag")] | length' "$T/body")" -eq 1 ]
}

# The fields of Kite's Position, Holding and segment Margins (gokiteconnect
# portfolio.go and user.go), sorted.
POS_KEYS='["average_price","buy_m2m","buy_price","buy_quantity","buy_value","close_price","day_buy_price","day_buy_quantity","day_buy_value","day_sell_price","day_sell_quantity","day_sell_value","exchange","instrument_token","last_price","m2m","multiplier","overnight_quantity","pnl","product","quantity","realised","sell_m2m","sell_price","sell_quantity","sell_value","tradingsymbol","unrealised","value"]'
HOLD_KEYS='["authorised_date","authorised_quantity","average_price","close_price","collateral_quantity","collateral_type","day_change","day_change_percentage","discrepancy","exchange","instrument_token","isin","last_price","mtf","opening_quantity","pnl","price","product","quantity","realised_quantity","t1_quantity","tradingsymbol","used_quantity"]'
AVAIL_KEYS='["adhoc_margin","cash","collateral","intraday_payin","live_balance","opening_balance"]'
USED_KEYS='["debits","delivery","exposure","holding_sales","liquid_collateral","m2m_realised","m2m_unrealised","option_premium","payout","span","stock_collateral","turnover"]'

# fills: three INFY CNC buys and a MIS sell, a TCS MIS buy then a bigger
# sell; /trades saved in $T/trades
book_fills() {
	local f
	for f in "INFY BUY 3 CNC" "INFY BUY 2 CNC" "INFY SELL 1 MIS" \
		"TCS BUY 2 MIS" "TCS SELL 5 MIS"; do
		set -- $f
		run place exchange=NSE tradingsymbol="$1" transaction_type="$2" \
			quantity="$3" order_type=MARKET market_protection=-1 product="$4"
		[ "$output" = 200 ] || { body; return 1; }
	done
	api /trades >/dev/null
	cp "$T/body" "$T/trades"
}

@test "portfolio/positions: net and day from the fills, in Kite's Position shape" {
	sim_start --start "$START"
	book_fills
	run api /portfolio/positions
	[ "$output" = 200 ]
	jq -e --argjson k "$POS_KEYS" '.status == "success" and
		(.data | keys) == ["day","net"] and .data.day == .data.net and
		(.data.net | length) == 3 and
		all(.data.net[]; keys == $k)' "$T/body"
	# quantities and values per (symbol, product) from /trades
	jq -e --slurpfile t "$T/trades" '
		def near(a; b): ((a - b) | fabs) < 0.001;
		. as $b | [$t[0].data | group_by([.tradingsymbol, .product])[] | {
			s: .[0].tradingsymbol, p: .[0].product,
			bq: ([.[] | select(.transaction_type == "BUY") | .quantity] | add // 0),
			bv: ([.[] | select(.transaction_type == "BUY") | .quantity * .average_price] | add // 0),
			sq: ([.[] | select(.transaction_type == "SELL") | .quantity] | add // 0),
			sv: ([.[] | select(.transaction_type == "SELL") | .quantity * .average_price] | add // 0)}] as $want |
		all($want[]; . as $w | ($b.data.net[] | select(.tradingsymbol == $w.s and .product == $w.p)) as $x |
			$x.buy_quantity == $w.bq and $x.sell_quantity == $w.sq and
			$x.quantity == $w.bq - $w.sq and $x.overnight_quantity == 0 and
			near($x.buy_value; $w.bv) and near($x.sell_value; $w.sv) and
			near($x.value; $w.sv - $w.bv) and
			near($x.pnl; $w.sv - $w.bv + $x.quantity * $x.last_price) and
			near($x.m2m; $x.pnl) and near($x.realised + $x.unrealised; $x.pnl) and
			(if $x.quantity > 0 then near($x.average_price; $w.bv / $w.bq)
			 elif $x.quantity < 0 then near($x.average_price; $w.sv / $w.sq)
			 else $x.average_price == 0 end) and
			near($x.unrealised; $x.quantity * ($x.last_price - $x.average_price)) and
			$x.last_price > 0 and $x.instrument_token > 0)' "$T/body"
	# INFY CNC long 5, INFY MIS short 1, TCS MIS short 3
	[ "$(jq -c '[.data.net[] | [.tradingsymbol, .product, .quantity]]' "$T/body")" = \
		'[["INFY","CNC",5],["INFY","MIS",-1],["TCS","MIS",-3]]' ]
}

@test "portfolio/holdings: a long CNC equity position is held as t1_quantity" {
	sim_start --start "$START"
	run api /portfolio/holdings
	[ "$output" = 200 ]
	[ "$(jq -c .data "$T/body")" = '[]' ]
	book_fills
	run api /portfolio/holdings
	[ "$output" = 200 ]
	jq -e --argjson k "$HOLD_KEYS" '(.data | length) == 1 and
		all(.data[]; keys == $k) and .data[0] as $h |
		$h.tradingsymbol == "INFY" and $h.product == "CNC" and
		$h.t1_quantity == 5 and $h.quantity == 0 and
		((($h.pnl - 5 * ($h.last_price - $h.average_price)) | fabs) < 0.01) and
		((($h.day_change - ($h.last_price - $h.close_price)) | fabs) < 0.001)' "$T/body"
}

@test "user/margins: equity and commodity segments; debits are the net buy value" {
	sim_start --start "$START"
	run api /user/margins
	[ "$output" = 200 ]
	jq -e '.data.equity.net == 1000000 and .data.commodity.net == 500000 and
		.data.equity.utilised.debits == 0' "$T/body"
	book_fills
	run api /portfolio/positions
	cp "$T/body" "$T/pos"
	run api /user/margins
	[ "$output" = 200 ]
	jq -e --argjson a "$AVAIL_KEYS" --argjson u "$USED_KEYS" --slurpfile p "$T/pos" '
		def near(a; b): ((a - b) | fabs) < 0.001;
		(.data | keys) == ["commodity","equity"] and
		all(.data[]; (keys == ["available","enabled","net","utilised"]) and
			(.available | keys) == $a and (.utilised | keys) == $u and .enabled) and
		([$p[0].data.net[] | .buy_value - .sell_value] | add) as $net |
		near(.data.equity.utilised.debits; if $net > 0 then $net else 0 end) and
		near(.data.equity.net; 1000000 - .data.equity.utilised.debits) and
		near(.data.equity.available.live_balance; .data.equity.net) and
		near(.data.equity.utilised.turnover;
			[$p[0].data.net[] | .buy_value + .sell_value] | add) and
		.data.commodity.utilised.debits == 0' "$T/body"
	run api /user/margins/equity
	[ "$output" = 200 ]
	jq -e '.data.available.opening_balance == 1000000' "$T/body"
	run api /user/margins/commodity
	jq -e '.data.net == 500000' "$T/body"
	run api /user/margins/nope
	refused 400 InputException
	run api -X POST /portfolio/positions
	[ "$output" = 405 ]
}
