#!/usr/bin/env bats
# tick-greeks -j: the parallel pipeline gives the same bytes as one
# thread, in input order, with the underlying prices of the stream at
# each line's place; signals and a closed output under -j.  The inputs are
# built from the shared reference data and from kite-sim, never from
# output this program produced itself.

load helper
bats_require_minimum_version 1.5.0

EXP=1767088800	# the options' expiry: 2025-12-30 15:30 IST

# instruments: Kite's CSV with NIFTY 50; mixed() adds the options
setup() {
	require_cmd jq jq
	printf '%s\n' \
		instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange \
		'256265,1001,NIFTY 50,NIFTY 50,0,,0,0,0,EQ,INDICES,NSE' >"$T/instr.csv"
}

teardown() {
	if [ -n "${RD_PID:-}" ]; then
		touch "$T/go"
		kill "$RD_PID" 2>/dev/null || true
	fi
	if [ -n "${TG_PID:-}" ]; then
		kill "$TG_PID" 2>/dev/null || true
		wait "$TG_PID" 2>/dev/null || true
	fi
	if [ -n "${SIM_PID:-}" ]; then
		kill "$SIM_PID" 2>/dev/null || true
		wait "$SIM_PID" 2>/dev/null || true
	fi
}

# poll SECONDS CMD...: until CMD succeeds (every 50 ms), else fail.
poll() {
	local n=$(($1 * 20))
	shift
	while ! "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.05
	done
}

# lines_ge FILE N: FILE has at least N lines
lines_ge() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}

# mixed N: $T/in.ndjson from the first N rows of bench_cases.csv, an
# option per row (instruments appended to $T/instr.csv): before each
# option tick an index tick at the row's spot (so every option tick has
# its own underlying price), and among them bad JSON lines, lines that
# pass through (orders, arrays, unknown tokens, a string token), candles
# with ISO timestamps, option ticks with a depth, and one line over the
# 1 MiB limit.  Writes $T/badlines (the numbers of the bad lines) and
# $T/want (seq and the index price each option tick must carry).
mixed() {
	awk -F, -v n="$1" -v ex="$EXP" -v dir="$T" 'NR > 1 && NR <= n + 1 {
		tok = 5000000 + NR
		k = ($1 == "C" ? "CE" : "PE")
		printf "%d,1,NIFTYX%d%s,NIFTY,0,2025-12-30,%s,0.05,75,%s,NFO-OPT,NFO\n", \
		    tok, NR, k, $3, k >> (dir "/instr.csv")
		if (NR == 2) {
			# an option tick before any index price
			out(sprintf("{\"instrument_token\":%d,\"last_price\":%s,\"exchange_timestamp\":%d}", tok, $8, ex - 86400))
		}
		out(sprintf("{\"type\":\"tick\",\"instrument_token\":256265,\"last_price\":%s}", $2))
		seq++
		if (NR % 7 == 0)
			out(sprintf("{\"type\":\"tick\",\"mode\":\"full\",\"instrument_token\":%d,\"last_price\":%s,\"receive_timestamp\":%.6f,\"seq\":%d,\"depth\":{\"buy\":[{\"price\":%s,\"quantity\":75,\"orders\":1}],\"sell\":[{\"price\":%s,\"quantity\":75,\"orders\":2}]}}", \
			    tok, $8, ex - $4 * 31536000, seq, $8 * 0.99, $8 * 1.01))
		else
			out(sprintf("{\"type\":\"tick\",\"mode\":\"quote\",\"instrument_token\":%d,\"last_price\":%s,\"receive_timestamp\":%.6f,\"seq\":%d}", \
			    tok, $8, ex - $4 * 31536000, seq))
		printf "%d %s\n", seq, $2 >> (dir "/want")
		if (NR % 97 == 0) {
			bad(NR % 2 ? "not json" : "{\"instrument_token\":256265,\"last_price\":1,")
		}
		if (NR % 101 == 0) {
			# an option tick that is bad after its token
			bad(sprintf("{\"type\":\"tick\",\"instrument_token\":%d,\"last_price\":%s,\"x\":tru}", tok, $8))
		}
		if (NR % 103 == 0) {
			# an option tick with an escape before its token
			seq++
			out(sprintf("{\"note\":\"a\\\"b\\u00e9\",\"instrument_token\":%d,\"last_price\":%s,\"receive_timestamp\":%.6f,\"seq\":%d}", \
			    tok, $8, ex - $4 * 31536000, seq))
			printf "%d %s\n", seq, $2 >> (dir "/want")
		}
		if (NR % 89 == 0) {
			out("{\"type\":\"order\",\"data\":{\"order_id\":\"" NR "\",\"status\":\"OPEN\"}}")
			out("[1,2,{\"instrument_token\":256265,\"last_price\":5}]")
			out("{\"instrument_token\":\"256265\",\"last_price\":7}")
			out("{\"type\":\"tick\",\"instrument_token\":999999,\"last_price\":1.5}")
		}
		if (NR % 113 == 0)
			out(sprintf("{\"instrument_token\":%d,\"close\":%s,\"timestamp\":\"2025-12-01T09:15:00+0530\"}", tok, $8))
		if (NR == 1500) {
			s = "{\"x\":\""
			while (length(s) < 1100000)
				s = s s
			bad(s "\"}")
		}
	}
	function out(l) { print l > (dir "/in.ndjson"); line++ }
	function bad(l) { out(l); print line > (dir "/badlines") }
	' "$KP_TESTDATA/greeks/bench_cases.csv"
}

# good: $T/good, the lines of $T/in.ndjson that are not in $T/badlines.
good() {
	awk -v b="$T/badlines" 'BEGIN { while ((getline l < b) > 0) bad[l] = 1 }
		!(NR in bad)' "$T/in.ndjson" >"$T/good"
}

@test "-j 1, 2, 4 and 0: the same bytes on stdout and stderr for a mixed input of many batches" {
	mixed 6000
	[ "$(wc -l <"$T/in.ndjson")" -gt 12000 ]
	for j in 1 2 4 0; do
		run --separate-stderr tick-greeks -j "$j" -i "$T/instr.csv" <"$T/in.ndjson"
		[ "$status" -eq 1 ]
		printf '%s\n' "$output" >"$T/out.$j"
		printf '%s\n' "$stderr" | grep -v ': info: ' >"$T/err.$j"
		printf '%s\n' "$stderr" | grep ': info: done ' >"$T/done.$j"
	done
	for j in 2 4 0; do
		cmp "$T/out.1" "$T/out.$j"
		cmp "$T/err.1" "$T/err.$j"
		cmp "$T/done.1" "$T/done.$j"
	done
	# the lines below are the input's: the chain lines set aside
	grep -c '"type":"chain"' "$T/out.1"
	grep -v '"type":"chain"' "$T/out.1" >"$T/o1"
	mv "$T/o1" "$T/out.1"
	# the bad lines, and only they, are reported, by their line numbers
	sed -n 's/.*: line \([0-9]*\): .*/\1/p' "$T/err.1" >"$T/gotbad"
	diff "$T/badlines" "$T/gotbad"
	[ "$(wc -l <"$T/out.1")" -eq $(($(wc -l <"$T/in.ndjson") - $(wc -l <"$T/badlines"))) ]
	# every option tick carries the index price sent just before it
	jq -r 'select(.seq != null) | "\(.seq) \(.underlying_price)"' "$T/out.1" >"$T/got"
	[ "$(wc -l <"$T/got")" -eq "$(wc -l <"$T/want")" ]
	[ "$(wc -l <"$T/got")" -gt 6000 ]
	awk 'NR == FNR { w[$1] = $2; next }
		{ if (!($1 in w) || w[$1] + 0 != $2 + 0) { print "seq " $1 ": " $2 " want " w[$1]; bad = 1 } }
		END { exit bad }' "$T/want" "$T/got"
	# line by line: option ticks and candles are the input line and more
	# fields, every other line is the input line
	good
	awk 'NR == FNR { g[FNR] = $0; next }
		{ i = g[FNR]
		  if (i ~ /"seq":|"close":/ || FNR == 1) {
			pre = substr(i, 1, length(i) - 1) ",\"iv\":"
			if (substr($0, 1, length(pre)) != pre) { print "line " FNR ": " $0; bad = 1 }
		  } else if ($0 != i) { print "line " FNR ": " $0; bad = 1 } }
		END { exit bad }' "$T/good" "$T/out.1"
	head -n 1 "$T/out.1" | grep -q '"iv":null,"iv_reason":"no_underlying_price"'
	[ "$(grep -c '"iv":[0-9]' "$T/out.1")" -ge 3000 ]
}

@test "-j 2 with --price mid and --model black76 matches -j 1" {
	mixed 3000
	printf '%s\n' '13238786,51714,NIFTY25DECFUT,NIFTY,0,2025-12-30,0,0.1,75,FUT,NFO-FUT,NFO' >>"$T/instr.csv"
	sed 's/"instrument_token":256265,/"instrument_token":13238786,/' "$T/in.ndjson" >"$T/fut.ndjson"
	for j in 1 2; do
		tick-greeks -Q -j "$j" --price mid -i "$T/instr.csv" <"$T/in.ndjson" >"$T/mid.$j" 2>/dev/null || [ $? -eq 1 ]
		tick-greeks -Q -j "$j" --model black76 -i "$T/instr.csv" <"$T/fut.ndjson" >"$T/b76.$j" 2>/dev/null || [ $? -eq 1 ]
	done
	cmp "$T/mid.1" "$T/mid.2"
	cmp "$T/b76.1" "$T/b76.2"
	# the depth's mid was used where there is one: not the last price
	tick-greeks -Q -i "$T/instr.csv" <"$T/in.ndjson" >"$T/last" 2>/dev/null || [ $? -eq 1 ]
	run ! cmp -s "$T/mid.1" "$T/last"
	[ "$(grep -c '"iv":[0-9]' "$T/b76.1")" -ge 1000 ]
}

@test "-j: bad values are refused, exit 100" {
	for v in -1 65 x 2.5 ''; do
		run --separate-stderr tick-greeks -j "$v" -i "$T/instr.csv"
		[ "$status" -eq 100 ]
		[[ $stderr == *"-j"* ]]
	done
}

@test "-j 2: a live stream is not held back, SIGHUP reloads between batches and keeps the underlying prices" {
	mkfifo "$T/fifo"
	tick-greeks -j 2 -i "$T/instr.csv" <"$T/fifo" >"$T/out" 2>"$T/err" &
	TG_PID=$!
	exec 7>"$T/fifo"
	t=$((EXP - 86400 * 10))
	echo '{"instrument_token":256265,"last_price":25000}' >&7
	echo "{\"instrument_token\":777,\"last_price\":300,\"exchange_timestamp\":$t}" >&7
	# each line comes out while the input stays open
	poll 20 lines_ge "$T/out" 2
	printf '%s\n' '777,1,NIFTY25DEC25000CE,NIFTY,0,2025-12-30,25000,0.05,75,CE,NFO-OPT,NFO' >>"$T/instr.csv"
	kill -HUP "$TG_PID"
	poll 20 grep -q 'reloaded' "$T/err"
	echo "{\"instrument_token\":777,\"last_price\":300,\"exchange_timestamp\":$t}" >&7
	poll 20 lines_ge "$T/out" 3
	exec 7>&-
	wait "$TG_PID"
	TG_PID=
	grep -q 'reloaded instruments=2' "$T/err"
	[ "$(sed -n 2p "$T/out")" = "{\"instrument_token\":777,\"last_price\":300,\"exchange_timestamp\":$t}" ]
	sed -n 3p "$T/out" | jq -e '.iv > 0 and .underlying_price == 25000' >/dev/null
}

@test "-j 4: SIGTERM stops cleanly with everything read so far written, exit 0" {
	mixed 2000
	mkfifo "$T/fifo"
	tick-greeks -j 4 -i "$T/instr.csv" <"$T/fifo" >"$T/out" 2>"$T/err" &
	TG_PID=$!
	exec 7>"$T/fifo"
	good
	cat "$T/good" >&7
	poll 30 lines_ge "$T/out" "$(wc -l <"$T/good")"
	kill -TERM "$TG_PID"
	st=0
	wait "$TG_PID" || st=$?
	TG_PID=
	exec 7>&-
	[ "$st" -eq 0 ]
	grep -q "done lines=$(wc -l <"$T/good") " "$T/err"
	cmp "$T/out" <(tick-greeks -Q -i "$T/instr.csv" <"$T/good")
}

@test "-j 2: a reader that goes away (EPIPE) ends the filter at once, exit 0" {
	mixed 6000
	good
	for i in 1 2 3 4 5 6 7 8; do cat "$T/good"; done >"$T/big"
	run bash -c "tick-greeks -j 2 -i '$T/instr.csv' <'$T/big' 2>'$T/err' | head -n 3 >'$T/head'; echo \${PIPESTATUS[0]}"
	[ "$output" = 0 ]
	[ "$(wc -l <"$T/head")" -eq 3 ]
	# it stopped reading well before the end of its input
	n=$(sed -n 's/.*done lines=\([0-9]*\) .*/\1/p' "$T/err")
	[ -n "$n" ]
	[ "$n" -lt "$(wc -l <"$T/big")" ]
}

# rss PID: the resident set of PID in KiB
rss() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

@test "-j 4: a reader that stops reading holds the memory to the batches in flight" {
	mixed 6000
	good
	# about 130 MB of input, twice the bound below
	for i in $(seq 1 96); do cat "$T/good"; done >"$T/big"
	[ "$(stat -c %s "$T/big")" -gt 128000000 ]
	mkfifo "$T/fifo"
	# the reader opens the fifo and reads nothing until told
	( exec 3<"$T/fifo"; while [ ! -e "$T/go" ]; do sleep 0.05; done; cat <&3 >/dev/null ) &
	RD_PID=$!
	tick-greeks -Q -j 4 -i "$T/instr.csv" <"$T/big" >"$T/fifo" 2>"$T/err" &
	TG_PID=$!
	# wait until it stops reading: its input offset stays put for 1 s
	fdinfo=/proc/$TG_PID/fdinfo/0
	last=-1
	same=0
	for i in $(seq 1 300); do
		pos=$(awk '/^pos:/ { print $2 }' "$fdinfo" 2>/dev/null || echo 0)
		if [ "$pos" -gt 0 ] && [ "$pos" = "$last" ]; then
			same=$((same + 1))
			[ "$same" -ge 10 ] && break
		else
			same=0
		fi
		last=$pos
		sleep 0.1
	done
	[ "$same" -ge 10 ]
	[ "$pos" -lt 64000000 ]
	kb=$(rss "$TG_PID")
	echo "# stalled after $pos bytes read, RSS $kb KiB" >&3
	[ "$kb" -lt 65536 ]
	touch "$T/go"
	st=0
	wait "$TG_PID" || st=$?
	TG_PID=
	wait "$RD_PID"
	RD_PID=
	[ "$st" -eq 0 ]
}

# kite-sim: start it on a free port (as tests/tick-greeks.bats does)
sim_start() {
	require_cmd curl curl
	export KITE_API_KEY=greekskey KITE_ACCESS_TOKEN=greekstoken
	kite-sim -q -p 0 --port-file "$T/port" "$@" >/dev/null 2>"$T/sim.err" &
	SIM_PID=$!
	poll 10 test -s "$T/port"
	SIM_URL=http://127.0.0.1:$(cat "$T/port")
}

@test "kite-sim's chain in full mode: -j 1, 2 and 4 give the same bytes, with and without --price mid" {
	sim_start
	curl -fsS -H 'X-Kite-Version: 3' \
		-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$SIM_URL/instruments" >"$T/sim.csv"
	toks=$(awk -F, '($4 == "NIFTY" || $4 == "BANKNIFTY") && ($10 == "CE" || $10 == "PE") { print $1 }' \
		"$T/sim.csv" | head -400 | paste -sd, -)
	[ -n "$toks" ]
	KITE_WS_URL=ws://127.0.0.1:$(cat "$T/port") timeout 60 kws -t 3 \
		"{\"a\":\"subscribe\",\"v\":[256265,260105,$toks]}" \
		"{\"a\":\"mode\",\"v\":[\"full\",[256265,260105,$toks]]}" >"$T/ticks" 2>"$T/kws.err" || true
	[ "$(grep -c '"instrument_token"' "$T/ticks")" -ge 1000 ]
	for j in 1 2 4; do
		tick-greeks -Q -j "$j" -i "$T/sim.csv" <"$T/ticks" >"$T/o.$j"
		tick-greeks -Q -j "$j" --price mid -i "$T/sim.csv" <"$T/ticks" >"$T/m.$j"
	done
	cmp "$T/o.1" "$T/o.2"
	cmp "$T/o.1" "$T/o.4"
	cmp "$T/m.1" "$T/m.2"
	cmp "$T/m.1" "$T/m.4"
	[ "$(grep -c '"iv":[0-9]' "$T/o.1")" -ge 500 ]
}
