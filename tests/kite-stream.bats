#!/usr/bin/env bats
# kite-stream: decoding captures (-r) to kitepipe-ticks(5) lines.
# Expected values are Zerodha's (kite-connect.md section 3), never output
# this file produced itself.

load helper
bats_require_minimum_version 1.5.0

setup() {
	require_cmd jq jq
	M=$KP_TESTDATA/kiteconnect-mocks
}

# The line of output number $1 (1-based) of the last run, as JSON.
line() {
	printf '%s\n' "${lines[$(($1 - 1))]}"
}

@test "no arguments: usage on stderr, exit 100" {
	run kite-stream
	[ "$status" -eq 100 ]
	[[ $output == *"usage: kite-stream"* ]]
}

@test "-h: usage on stdout, exit 0" {
	run --separate-stderr kite-stream -h
	[ "$status" -eq 0 ]
	[[ $output == *"usage: kite-stream"* ]]
	[[ $output == *"kitepipe-ticks(5)"* ]]
	[ -z "$stderr" ]
}

@test "bad flag, bad number, extra argument: exit 100" {
	run kite-stream -Z
	[ "$status" -eq 100 ]
	run kite-stream -r x.cap -s soon
	[ "$status" -eq 100 ]
	[[ $output == *"-s"*"soon"* ]]
	run kite-stream -r x.cap extra
	[ "$status" -eq 100 ]
	[[ $output == *"unexpected argument 'extra'"* ]]
	KITEPIPE_STATS_INTERVAL=-3 run kite-stream -r x.cap
	[ "$status" -eq 100 ]
	[[ $output == *KITEPIPE_STATS_INTERVAL* ]]
}

@test "missing capture file: exit 100 naming it" {
	run kite-stream -r "$T/nope.cap"
	[ "$status" -eq 100 ]
	[[ $output == *"unable to open $T/nope.cap: No such file"* ]]
}

@test "not a capture: exit 100, bad magic" {
	cp "$M/ticker_full.json" "$T/x.cap"
	run kite-stream -r "$T/x.cap"
	[ "$status" -eq 100 ]
	[[ $output == *"not a kitepipe capture"* ]]
}

@test "websocket_ticks.bin: both full packets, every checked field" {
	mkcap -t 1612777255500000 raw:"$KP_TESTDATA/websocket_ticks.bin" \
		> "$T/w.cap"
	run --separate-stderr kite-stream -r "$T/w.cap"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	run jq -r '[.type, .mode, .instrument_token, .segment, .tradable,
		.last_price, .ohlc.close, .last_trade_time, .exchange_timestamp,
		.receive_timestamp] | @tsv' <<<"$output"
	[ "${lines[0]}" = "$(printf 'tick\tfull\t408065\tnse\ttrue\t1299.05\t1272.1\t1612777255\t1612777255\t1612777255.5')" ]
	[ "${lines[1]}" = "$(printf 'tick\tfull\t2953217\tnse\ttrue\t3209.4\t3157.95\t1612777254\t1612777254\t1612777255.5')" ]
}

@test "websocket_ticks.bin: percent change as the official clients" {
	mkcap raw:"$KP_TESTDATA/websocket_ticks.bin" > "$T/w.cap"
	run kite-stream -r "$T/w.cap"
	# cppkiteconnect's expected values, to the 6 decimals we write
	jq -e -s 'map(select(.instrument_token == 408065))[0]
		| (.change - 2.1185441396116693 | fabs) < 5e-7' <<<"$output"
	jq -e -s 'map(select(.instrument_token == 2953217))[0]
		| (.change - 1.6292214886239578 | fabs) < 5e-7' <<<"$output"
}

@test "ticker_full.packet: prices exact, depth, timestamps" {
	mkcap packet:"$M/ticker_full.packet" > "$T/f.cap"
	run kite-stream -r "$T/f.cap"
	[ "$status" -eq 0 ]
	# exact decimals in the text itself, never 5.900000000000091
	[[ $output == *'"last_price":1573.7,'* ]]
	[[ $output == *'"net_change":5.9,'* ]]
	[[ $output == *'"high":1575,'* ]]
	run jq -c '[.last_traded_quantity, .average_traded_price,
		.volume_traded, .total_buy_quantity, .total_sell_quantity,
		.exchange_timestamp, .depth.buy[0], .depth.sell[4]]' <<<"$output"
	[ "$output" = '[7,1570.37,1192471,256443,363009,1625461887,{"quantity":5,"price":1573.4,"orders":1},{"quantity":724,"price":1573.95,"orders":5}]' ]
}

@test "ticker_quote.packet: quote mode has no depth, net_change 5.35" {
	mkcap packet:"$M/ticker_quote.packet" > "$T/q.cap"
	run kite-stream -r "$T/q.cap"
	[ "$status" -eq 0 ]
	run jq -c '[.mode, .last_price, .volume_traded, .net_change,
		has("depth"), has("exchange_timestamp")]' <<<"$output"
	[ "$output" = '["quote",1573.15,1175986,5.35,false,false]' ]
}

@test "hand-built LTP packet: the whole line" {
	mkcap -t 1625461887000000 hex:0001000800063a0100026683 > "$T/l.cap"
	run kite-stream -r "$T/l.cap"
	[ "$status" -eq 0 ]
	[ "$output" = '{"type":"tick","mode":"ltp","instrument_token":408065,"segment":"nse","tradable":true,"last_price":1573.15,"receive_timestamp":1625461887.000000}' ]
}

@test "heartbeats write nothing and are counted" {
	mkcap heartbeat heartbeat heartbeat > "$T/h.cap"
	run --separate-stderr kite-stream -v -r "$T/h.cap"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[[ $stderr == *'"heartbeats":3'* ]]
}

@test "malformed messages: warned with record and byte, good packets kept" {
	# 3 LTP packets, the second of length 12 (no such kind); then a
	# message whose second packet runs past the end; then a good one
	mkcap \
		hex:0003000800063a0100026683000c000000000000000000000000000800000b0b00000064 \
		hex:0002000800063a010002668300ff0102 \
		hex:0001000800000b0100000001 > "$T/m.cap"
	run --separate-stderr kite-stream -r "$T/m.cap"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 4 ]
	run jq -r '"\(.instrument_token) \(.last_price)"' <<<"$output"
	[ "${lines[0]}" = "408065 1573.15" ]
	[ "${lines[1]}" = "2827 1" ]
	[ "${lines[2]}" = "408065 1573.15" ]
	[ "${lines[3]}" = "2817 0.01" ]
	[[ $stderr == *"record 1 at byte 8: packet 2 at byte 12: length 12 matches no packet kind; skipped"* ]]
	[[ $stderr == *"record 2 at byte "*": packet 2 at byte 12: length 255 runs past the end of the message; rest skipped"* ]]
}

@test "truncated last record: earlier records out, warning, exit 1" {
	mkcap packet:"$M/ticker_full.packet" packet:"$M/ticker_quote.packet" \
		> "$T/t.cap"
	size=$(stat -c %s "$T/t.cap")
	truncate -s $((size - 10)) "$T/t.cap"
	run --separate-stderr kite-stream -r "$T/t.cap"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} == *'"mode":"full"'* ]]
	[[ $stderr == *"last record at byte 212 is truncated (54 of 64 bytes)"* ]]
}

@test "text messages: order kept byte for byte on one line, bad text kept" {
	mkcap -t 1646279665123456 -i 0 \
		'text:{"type":"order","data":{"order_id":"220303000308932","average_price":1573.15,"status":"COMPLETE"}}' \
		"$(printf 'text:{\n  "type": "error",\n  "data": "Invalid token"\n}\n')" \
		'text:{"type":"message","data":"Market closes early"}' \
		'text:not json at all' > "$T/x.cap"
	run --separate-stderr kite-stream -r "$T/x.cap"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 4 ]
	[ "${lines[0]}" = '{"type":"order","data":{"order_id":"220303000308932","average_price":1573.15,"status":"COMPLETE"},"receive_timestamp":1646279665.123456}' ]
	run jq -c . <<<"${lines[1]}"
	[ "$output" = '{"type":"error","data":"Invalid token","receive_timestamp":1646279665.123456}' ]
	[[ $stderr == *"record 4 at byte"*"text message not JSON"*"written as unknown_text"* ]]
	run --separate-stderr kite-stream -r "$T/x.cap"
	run jq -r 'select(.type == "unknown_text") | .text' <<<"$output"
	[ "$output" = "not json at all" ]
}

@test "an order update seen within 5 s is written once, however written" {
	A='"data":{"order_id":"1","status":"OPEN","filled_quantity":0,"price":1.5}'
	mkcap -t 1646279665000000 -i 2000000 \
		"text:{\"type\":\"order\",$A}" \
		'text:{ "type": "order", "data": {"status":"OPEN", "price":1.50, "order_id":"1","filled_quantity":0} }' \
		'text:{"type":"order","data":{"order_id":"1","status":"COMPLETE","filled_quantity":1,"price":1.5}}' \
		"text:{\"type\":\"order\",$A}" \
		'text:{"type":"message","data":"x"}' \
		'text:{"type":"message","data":"x"}' > "$T/o.cap"
	run --separate-stderr kite-stream -r "$T/o.cap" -v
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	[ "${lines[0]}" = "{\"type\":\"order\",$A,\"receive_timestamp\":1646279665.000000}" ]
	[[ ${lines[1]} == *'"status":"COMPLETE"'* ]]
	# 6 s after the first: past the window, written again
	[ "${lines[2]}" = "{\"type\":\"order\",$A,\"receive_timestamp\":1646279671.000000}" ]
	# only order updates are deduplicated
	[ "$(grep -c '"type":"message"' <<<"$output")" -eq 2 ]
	[[ $stderr == *'"order_copies":1,'* ]]
}

@test "status records come out verbatim" {
	s='{"type":"status","event":"disconnected","connection":1,"reason":"watchdog","receive_timestamp":1.000000}'
	mkcap "status:$s" > "$T/s.cap"
	run kite-stream -r "$T/s.cap"
	[ "$status" -eq 0 ]
	[ "$output" = "$s" ]
}

@test "stdin as -: same lines as the file" {
	mkcap random:500:7 > "$T/r.cap"
	kite-stream -r "$T/r.cap" > "$T/a.ndjson"
	kite-stream -r - < "$T/r.cap" > "$T/b.ndjson"
	[ "$(wc -l < "$T/a.ndjson")" -eq 500 ]
	cmp "$T/a.ndjson" "$T/b.ndjson"
	# and every line is a JSON object with a token and a receive time
	[ "$(jq -c 'select(.type == "tick" and .instrument_token > 0 and
		.receive_timestamp > 0)' < "$T/a.ndjson" | wc -l)" -eq 500 ]
}

@test "a reader that goes away (EPIPE) is not an error" {
	mkcap random:200000 > "$T/big.cap"
	run bash -c 'kite-stream -r "$1" | head -n 1 > /dev/null; echo "${PIPESTATUS[0]}"' _ "$T/big.cap"
	[ "$output" = "0" ]
}

@test "SIGTERM while reading a pipe: flush, exit 0" {
	mkfifo "$T/fifo"
	mkcap packet:"$M/ticker_full.packet" > "$T/one.cap"
	kite-stream -r - < "$T/fifo" > "$T/out" 2> "$T/err" &
	pid=$!
	exec 8> "$T/fifo"
	cat "$T/one.cap" >&8
	sleep 0.5
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec 8>&-
	[ "$rc" -eq 0 ]
	[ "$(jq -r .last_price < "$T/out")" = "1573.7" ]
}

@test "SIGUSR1 writes a stats line; -P writes a Prometheus file" {
	mkfifo "$T/fifo"
	mkcap packet:"$M/ticker_full.packet" heartbeat > "$T/one.cap"
	kite-stream -r - -P "$T/kp.prom" < "$T/fifo" > /dev/null 2> "$T/err" &
	pid=$!
	exec 8> "$T/fifo"
	cat "$T/one.cap" >&8
	sleep 0.5
	kill -USR1 "$pid"
	sleep 0.3
	exec 8>&-
	wait "$pid"
	run jq -c 'select(.type == "stats") | [.program, .packets, .heartbeats,
		.messages]' "$T/err"
	[ "${lines[0]}" = '["kite-stream",1,1,2]' ]
	grep -q '^kitepipe_kite_stream_packets_total 1$' "$T/kp.prom"
	grep -q '^# TYPE kitepipe_kite_stream_packets_total counter$' "$T/kp.prom"
}

@test "-s INTERVAL writes stats lines while running" {
	mkfifo "$T/fifo"
	kite-stream -r - -s 200ms < "$T/fifo" > /dev/null 2> "$T/err" &
	pid=$!
	exec 8> "$T/fifo"
	mkcap heartbeat >&8
	sleep 1
	exec 8>&-
	wait "$pid"
	[ "$(grep -c '"type":"stats"' "$T/err")" -ge 3 ]
}

@test "decoding is deterministic: the same capture gives the same bytes" {
	mkcap -s 5 random:3000 > "$T/r.cap"
	kite-stream -r "$T/r.cap" > "$T/1"
	kite-stream -r "$T/r.cap" > "$T/2"
	cmp "$T/1" "$T/2"
	[ "$(wc -l < "$T/1")" -eq 3000 ]
}

@test "every mode and segment of a random capture is valid per the format" {
	mkcap -s 11 random:5000 > "$T/r.cap"
	kite-stream -r "$T/r.cap" > "$T/o"
	# members: ltp 7, quote 15, full 21; index quote 11, index full 12
	run jq -r '[.segment, .mode, (keys | length)] | @tsv' "$T/o"
	[ "$status" -eq 0 ]
	bad=$(printf '%s\n' "${lines[@]}" | awk -F'\t' '
		$1 == "indices" && $2 == "quote" && $3 != 11 { b++ }
		$1 == "indices" && $2 == "full" && $3 != 12 { b++ }
		$1 != "indices" && $2 == "ltp" && $3 != 7 { b++ }
		$1 != "indices" && $2 == "quote" && $3 != 15 { b++ }
		$1 != "indices" && $2 == "full" && $3 != 21 { b++ }
		END { print b + 0 }')
	[ "$bad" -eq 0 ]
	# CDS prices carry up to 7 decimals, BCD up to 4, the rest up to 2
	run jq -r 'select(.segment == "cds") | .last_price | tostring' "$T/o"
	[[ ${lines[0]} =~ ^[0-9]+(\.[0-9]{1,7})?$ ]]
	run jq -r 'select(.segment == "nse") | .last_price | tostring' "$T/o"
	[[ ${lines[0]} =~ ^[0-9]+(\.[0-9]{1,2})?$ ]]
}
