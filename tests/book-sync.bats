#!/usr/bin/env bats
# book-sync: orders, trades, positions, holdings and margins from kite-sim
# (paper orders placed through order-exec) as NDJSON and synced into a
# private PostgreSQL; the tables are compared with kite-sim's answers
# (curl + jq), reruns, a kill -9 before COMMIT and --follow.

load helper
load services
load kite-sim
load order-exec
load kite-stream
bats_require_minimum_version 1.5.0

# A weekday in market hours; --speed 0.001 holds prices still for the
# length of a test (one model step per 250 s), so what book-sync stored
# and what curl reads later are the same book.
START=2026-11-18T10:00

setup_file() {
	require_cmd jq jq
	require_cmd curl curl
	kp_pg_start
}

teardown_file() {
	kp_services_stop
}

setup() {
	J=$T/journal
	KS_PID=
	TAIL=
	PGOPTIONS=--client-min-messages=warning psql -X -q -c "DROP TABLE IF EXISTS book_orders, book_trades,
		book_positions, book_holdings, book_margins, book_runs,
		book_schema_version"
	sim_start --start "$START" --speed 0.001
}

teardown() {
	[ -z "${TAIL:-}" ] || kill "$TAIL" 2>/dev/null || true
	ks_reap
	sim_stop
}

q() {
	psql -X -At -v ON_ERROR_STOP=1 -c "$1"
}

# kite ENDPOINT: the data of kite-sim's answer
kite() {
	curl -sS -m 10 -H "X-Kite-Version: 3" \
		-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$KITE_API_URL$1" | jq -c .data
}

# intent ID SYMBOL SIDE QTY PRODUCT: a MARKET intent for order-exec
intent() {
	printf '{"id":"%s","op":"place","variety":"regular","exchange":"NSE",' "$1"
	printf '"tradingsymbol":"%s","transaction_type":"%s","quantity":%s,' "$2" "$3" "$4"
	printf '"product":"%s","order_type":"MARKET","market_protection":-1}\n' "$5"
}

# paper: a few fills through order-exec (two symbols, CNC and MIS)
paper() {
	{
		intent b1 INFY BUY 3 CNC
		intent b2 INFY BUY 2 CNC
		intent s1 INFY SELL 1 MIS
		intent b3 TCS BUY 4 MIS
	} | oe >"$T/oe.out" 2>"$T/oe.err"
	[ "$(jq -s '[.[] | select(.result == "placed")] | length' "$T/oe.out")" = 4 ] ||
		{ cat "$T/oe.out" "$T/oe.err"; return 1; }
}

# The book in the tables and in kite-sim, normalized, must be equal.
tables_match() {
	local a b
	a=$(q "SELECT coalesce(jsonb_agg(data), '[]') FROM book_orders" | jq -S -c 'sort_by(.order_id)')
	b=$(kite /orders | jq -S -c 'sort_by(.order_id)')
	[ "$a" = "$b" ] || { echo "orders differ: $a / $b"; return 1; }
	a=$(q "SELECT coalesce(jsonb_agg(data), '[]') FROM book_trades" | jq -S -c 'sort_by(.trade_id)')
	b=$(kite /trades | jq -S -c 'sort_by(.trade_id)')
	[ "$a" = "$b" ] || { echo "trades differ: $a / $b"; return 1; }
	for k in net day; do
		a=$(q "SELECT coalesce(jsonb_agg(data), '[]') FROM book_positions WHERE kind = '$k'" |
			jq -S -c 'sort_by(.exchange, .tradingsymbol, .product)')
		b=$(kite /portfolio/positions | jq -S -c --arg k $k '.[$k] | sort_by(.exchange, .tradingsymbol, .product)')
		[ "$a" = "$b" ] || { echo "$k positions differ: $a / $b"; return 1; }
	done
	a=$(q "SELECT coalesce(jsonb_agg(data), '[]') FROM book_holdings" | jq -S -c 'sort_by(.exchange, .tradingsymbol)')
	b=$(kite /portfolio/holdings | jq -S -c 'sort_by(.exchange, .tradingsymbol)')
	[ "$a" = "$b" ] || { echo "holdings differ: $a / $b"; return 1; }
	a=$(q "SELECT coalesce(jsonb_object_agg(segment, data), '{}') FROM book_margins" | jq -S -c .)
	b=$(kite /user/margins | jq -S -c .)
	[ "$a" = "$b" ] || { echo "margins differ: $a / $b"; return 1; }
}

# dump: every book row with its timestamps, in key order
dump() {
	q "SELECT order_id, data, source, first_seen, updated_at FROM book_orders ORDER BY 1;
	   SELECT order_id, trade_id, data, updated_at FROM book_trades ORDER BY 1, 2;
	   SELECT kind, exchange, tradingsymbol, product, data, updated_at FROM book_positions ORDER BY 1, 2, 3, 4;
	   SELECT exchange, tradingsymbol, data, updated_at FROM book_holdings ORDER BY 1, 2;
	   SELECT segment, data, updated_at FROM book_margins ORDER BY 1"
}

@test "book-sync: -h; usage, credentials and network errors exit 100 and 111" {
	run book-sync -h
	[ "$status" -eq 0 ]
	[[ $output == *"--follow"* && $output == *"--sync"* ]]
	run book-sync --bogus
	[ "$status" -eq 100 ]
	run book-sync --follow
	[ "$status" -eq 100 ]
	run book-sync extra
	[ "$status" -eq 100 ]
	run env -u KITE_ACCESS_TOKEN -u KITE_ACCESS_TOKEN_FILE book-sync
	[ "$status" -eq 100 ]
	run --separate-stderr env KITE_ACCESS_TOKEN=wrong book-sync
	[ "$status" -eq 100 ]
	[[ $stderr == *"HTTP 403"* ]]
	[[ $stderr != *wrong* ]]
	run env KITE_API_URL=http://127.0.0.1:1 book-sync --retries 0
	[ "$status" -eq 111 ]
	run book-sync --sync --db "host=/nonexistent-dir"
	[ "$status" -eq 111 ]
}

@test "book-sync: NDJSON, one line per record with its type, as kite-sim's book" {
	paper
	run --separate-stderr book-sync
	[ "$status" -eq 0 ]
	echo "$output" >"$T/out"
	[ "$(jq -c -s '[.[] | select(.type == "order") | .data] | sort_by(.order_id)' "$T/out")" = \
		"$(kite /orders | jq -c 'sort_by(.order_id)')" ]
	[ "$(jq -c -s '[.[] | select(.type == "trade") | .data] | sort_by(.trade_id)' "$T/out")" = \
		"$(kite /trades | jq -c 'sort_by(.trade_id)')" ]
	[ "$(jq -c -s '{net: [.[] | select(.type == "position" and .kind == "net") | .data],
		day: [.[] | select(.type == "position" and .kind == "day") | .data]}' "$T/out")" = \
		"$(kite /portfolio/positions | jq -c '{net, day}')" ]
	[ "$(jq -c -s '[.[] | select(.type == "holding") | .data]' "$T/out")" = "$(kite /portfolio/holdings)" ]
	[ "$(jq -c -s '[.[] | select(.type == "margins") | {key: .segment, value: .data}] | from_entries' "$T/out")" = \
		"$(kite /user/margins)" ]
	# 4 orders, 4 trades, 3 positions twice, 1 holding, 2 segments
	[ "$(wc -l <"$T/out")" -eq 17 ]
	# numbers as Kite wrote them: no float noise, no exponents
	run ! grep -E '[0-9]e[+-]?[0-9]|\.[0-9]*0000' "$T/out"
}

@test "book-sync --sync: the tables hold kite-sim's book exactly; schema version and run recorded" {
	paper
	run --separate-stderr book-sync --sync
	[ "$status" -eq 0 ]
	[[ $stderr == *"synced orders=4 trades=4 positions=6 holdings=1 margins=2 rejected=0"* ]]
	tables_match
	[ "$(q 'SELECT max(version) FROM book_schema_version')" = 1 ]
	[ "$(q "SELECT mode, orders, trades, positions, holdings, margins, rejected, inserted, updated, deleted FROM book_runs")" = \
		"sync|4|4|6|1|2|0|17|0|0" ]
	# typed columns come from the records
	[ "$(q "SELECT quantity FROM book_positions WHERE kind = 'net' AND tradingsymbol = 'INFY' AND product = 'CNC'")" = 5 ]
	[ "$(q "SELECT count(*) FROM book_orders WHERE status = 'COMPLETE' AND source = 'rest'")" = 4 ]
	[ "$(q "SELECT t1_quantity FROM book_holdings")" = 5 ]
	[ "$(q "SELECT net + debits = 1000000 FROM book_margins WHERE segment = 'equity'")" = t ]
}

@test "book-sync --sync: a rerun changes nothing; new fills change only what they touch" {
	paper
	book-sync -q --sync
	dump >"$T/d1"
	run book-sync --sync
	[ "$status" -eq 0 ]
	dump >"$T/d2"
	cmp "$T/d1" "$T/d2"
	[ "$(q "SELECT inserted, updated, deleted FROM book_runs ORDER BY id DESC LIMIT 1")" = "0|0|0" ]
	[ "$(q 'SELECT count(*) FROM book_runs')" = 2 ]
	# a TCS sell flattens the TCS position: one order, one trade new;
	# the TCS positions, the equity margin change
	intent s2 TCS SELL 4 MIS | oe >/dev/null 2>&1
	run book-sync --sync
	[ "$status" -eq 0 ]
	tables_match
	[ "$(q "SELECT inserted, updated, deleted FROM book_runs ORDER BY id DESC LIMIT 1")" = "2|3|0" ]
	[ "$(q "SELECT quantity FROM book_positions WHERE kind = 'net' AND tradingsymbol = 'TCS'")" = 0 ]
}

@test "book-sync --sync: a position that is gone from Kite's answer is deleted" {
	paper
	book-sync -q --sync
	[ "$(q "SELECT count(*) FROM book_positions")" = 6 ]
	# a stale row, as if a position of an earlier day were still stored
	q "INSERT INTO book_positions (kind, exchange, tradingsymbol, product, data)
	   VALUES ('net', 'NSE', 'RELIANCE', 'CNC', '{\"quantity\": 1}')" >/dev/null
	run book-sync --sync
	[ "$status" -eq 0 ]
	[ "$(q "SELECT count(*) FROM book_positions WHERE tradingsymbol = 'RELIANCE'")" = 0 ]
	[ "$(q "SELECT deleted FROM book_runs ORDER BY id DESC LIMIT 1")" = 1 ]
	tables_match
}

@test "book-sync --sync: kill -9 before COMMIT leaves the previous book" {
	paper
	book-sync -q --sync
	dump >"$T/d1"
	intent s2 TCS SELL 4 MIS | oe >/dev/null 2>&1
	run env KP_BOOK_SYNC_CRASH_AT=commit book-sync --sync
	[ "$status" -eq 137 ]
	dump >"$T/d2"
	cmp "$T/d1" "$T/d2"
	[ "$(q 'SELECT count(*) FROM book_runs')" = 1 ]
	# a run killed mid-request changes nothing either
	sim_ctl "delay-ms 5000" >/dev/null
	book-sync --sync 2>/dev/null & pid=$!
	sleep 1
	kill -9 "$pid"
	wait "$pid" || true
	sim_ctl "delay-ms 0" >/dev/null
	dump >"$T/d3"
	cmp "$T/d1" "$T/d3"
	# the next run brings the book up to date
	run book-sync --sync
	[ "$status" -eq 0 ]
	tables_match
}

# postback ORDER_ID: kite-sim's order as kite-stream's line carries it
# (the postback fields added)
postback() {
	kite /orders | jq -c --arg i "$1" '.[] | select(.order_id == $i) |
		{type: "order", data: (. + {user_id: "KS1234", unfilled_quantity: 0,
		app_id: 1234, checksum: "x"})}'
}

@test "book-sync --sync --follow: order lines keep book_orders current between runs" {
	paper
	book-sync -q --sync
	# a LIMIT buy far under the market rests OPEN; no sync run sees it
	ltp=$(kite '/quote/ltp?i=NSE:INFY' | jq '.["NSE:INFY"].last_price')
	px=$(awk -v l="$ltp" 'BEGIN { printf "%.2f", int(l * 0.9 * 20) / 20 }')
	printf '{"id":"l1","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"LIMIT","price":%s}\n' "$px" |
		oe >"$T/oe.out" 2>/dev/null
	id=$(jq -r .order_id "$T/oe.out")
	[[ $id =~ ^[0-9]+$ ]]
	postback "$id" >"$T/open"
	{
		echo '{"type":"tick","instrument_token":408065}'
		cat "$T/open"
	} | book-sync --sync --follow
	[ "$(q "SELECT status, source FROM book_orders WHERE order_id = '$id'")" = "OPEN|stream" ]
	# what the stream stored is what /orders shows: a sync changes nothing
	run book-sync --sync
	[ "$status" -eq 0 ]
	[ "$(q "SELECT inserted, updated FROM book_runs WHERE mode = 'sync' ORDER BY id DESC LIMIT 1")" = "0|0" ]
	tables_match
	# cancelled: the update is applied; a late OPEN after it is not; a bad
	# line is counted (exit 1) and the others still go in
	curl -sS -X DELETE -H "X-Kite-Version: 3" \
		-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$KITE_API_URL/orders/regular/$id" >/dev/null
	run --separate-stderr book-sync --sync --follow < <(postback "$id"; echo 'not json'; cat "$T/open")
	[ "$status" -eq 1 ]
	[[ $stderr == *"line 2: not JSON"* ]]
	[ "$(q "SELECT status FROM book_orders WHERE order_id = '$id'")" = CANCELLED ]
	[ "$(q "SELECT orders, rejected, inserted, updated FROM book_runs WHERE mode = 'follow' ORDER BY id DESC LIMIT 1")" = "2|1|0|1" ]
	tables_match
}

# orders_match: book_orders holds exactly kite-sim's /orders
orders_match() {
	local a b
	a=$(q "SELECT coalesce(jsonb_agg(data), '[]') FROM book_orders" | jq -S -c 'sort_by(.order_id)')
	b=$(kite /orders | jq -S -c 'sort_by(.order_id)')
	[ "$a" = "$b" ] || { echo "orders differ: $a / $b"; return 1; }
}

@test "kite-stream | book-sync --sync --follow: live order updates fill book_orders as /orders shows them" {
	mkfifo "$T/f"
	book-sync --sync --follow <"$T/f" 2>"$T/bs.err" & BS=$!
	ks_start 408065:ltp
	tail -n +1 -f "$T/out" >"$T/f" & TAIL=$!
	eventually 20 has '.event=="subscribed"'
	paper
	eventually 20 has '.type=="order" and .data.status=="COMPLETE"' 4
	eventually 20 test "$(q "SELECT count(*) FROM book_orders WHERE status = 'COMPLETE'")" = 4
	kill "$TAIL"; TAIL=
	wait "$BS"
	ks_stop
	orders_match
	[ "$(q "SELECT count(*) FROM book_orders WHERE source = 'stream'")" = 4 ]
	[ "$(q "SELECT mode, rejected FROM book_runs")" = "follow|0" ]
	grep -q "followed orders=" "$T/bs.err"
	# the sync that follows finds the orders current
	run book-sync --sync
	[ "$status" -eq 0 ]
	[ "$(q "SELECT count(*) FROM book_orders WHERE source = 'stream'")" = 4 ]
	tables_match
}

# fake_kite DIR: a loopback HTTP server (python3) answering GET /PATH with
# DIR/PATH (slashes as _), 200; KITE_API_URL points at it; FAKE_PID
fake_kite() {
	require_cmd python3 python3
	python3 -c '
import http.server, sys, os
d = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = open(os.path.join(d, self.path.strip("/").replace("/", "_")), "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(os.path.join(d, "port"), "w").write(str(s.server_port))
s.serve_forever()' "$1" & FAKE_PID=$!
	eventually 10 test -s "$1/port"
	export KITE_API_URL=http://127.0.0.1:$(cat "$1/port")
}

@test "book-sync --sync: bad records are rejected one by one, the rest synced, exit 1" {
	sim_stop
	d=$T/fake
	mkdir "$d"
	M=$KP_TESTDATA/kiteconnect-mocks
	# Kite's mock orders, then one without an order_id and one whose
	# quantity is a string
	jq -c '.data += [{"status": "OPEN"}, {"order_id": "x1", "quantity": "ten"}]' \
		"$M/orders.json" >"$d/orders"
	cp "$M/trades.json" "$d/trades"
	echo '{"status":"success","data":{"net":[],"day":[{"exchange":"NSE"}]}}' >"$d/portfolio_positions"
	echo '{"status":"success","data":[]}' >"$d/portfolio_holdings"
	echo '{"status":"success","data":{"equity":{"net":1.5},"commodity":{"net":"a"}}}' >"$d/user_margins"
	fake_kite "$d"
	run --separate-stderr book-sync --sync
	kill "$FAKE_PID"
	[ "$status" -eq 1 ]
	n=$(jq '.data | length' "$M/orders.json")
	[[ $stderr == *"rejected order $((n + 1)) (?): order: order_id is not a string"* ]]
	[[ $stderr == *"rejected order $((n + 2)) (x1): order: quantity is not a number"* ]]
	[[ $stderr == *"rejected position 1 (NSE): position: tradingsymbol is not a string"* ]]
	[[ $stderr == *"rejected margins 2"*"net is not a number"* ]]
	[ "$(q 'SELECT count(*) FROM book_orders')" = "$n" ]
	[ "$(q 'SELECT count(*) FROM book_trades')" = "$(jq '.data | length' "$M/trades.json")" ]
	[ "$(q 'SELECT segment, net FROM book_margins')" = "equity|1.5" ]
	[ "$(q 'SELECT rejected FROM book_runs')" = 4 ]
	# the mock's orders stored as Kite sent them
	[ "$(q "SELECT coalesce(jsonb_agg(data), '[]') FROM book_orders" | jq -S -c 'sort_by(.order_id)')" = \
		"$(jq -S -c '.data | sort_by(.order_id)' "$M/orders.json")" ]
}

@test "book-sync --sync --follow: SIGTERM ends it cleanly (exit 0, its run recorded)" {
	mkfifo "$T/f"
	book-sync --sync --follow <"$T/f" 2>"$T/bs.err" & BS=$!
	exec 7>"$T/f"
	paper
	id=$(kite /orders | jq -r '.[0].order_id')
	postback "$id" >&7
	eventually 10 test "$(q "SELECT count(*) FROM book_orders")" = 1
	kill -TERM "$BS"
	rc=0
	wait "$BS" || rc=$?
	exec 7>&-
	[ "$rc" -eq 0 ]
	[ "$(q "SELECT mode, orders, inserted FROM book_runs")" = "follow|1|1" ]
}

@test "examples/book-sync-paper.sh: paper orders, a sync, the positions from the table" {
	sim_stop
	run "$KP_ROOT/examples/book-sync-paper.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "INFY|CNC|2" ]
	[ "${lines[1]}" = "INFY|MIS|-1" ]
	[ "${#lines[@]}" -eq 2 ]
}
