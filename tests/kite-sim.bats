#!/usr/bin/env bats
# kite-sim: the ticker WebSocket, market model, faults, control, limits and
# replay, seen from a real client (tests/tools/kws, which decodes with
# lib's decoder).  Expected values come from Kite's documented protocol
# (kite-connect.md section 1) and the options given, never from output
# kite-sim produced earlier.

load helper
load kite-sim
bats_require_minimum_version 1.5.0

NIFTY=256265
BANK=260105
RELIANCE=738561
INFY=408065

setup() {
	require_cmd jq jq
	require_cmd curl curl
}

teardown() {
	sim_stop
	local p
	for p in ${BG:-} ${BG2:-} ${BG3:-}; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

sub() {
	printf '{"a":"subscribe","v":[%s]}' "$1"
}

mode() {
	printf '{"a":"mode","v":["%s",[%s]]}' "$1" "$2"
}

# Poll until the command succeeds (at most $1 seconds).
eventually() {
	local n=$(($1 * 20)) i
	shift
	for i in $(seq 1 "$n"); do
		"$@" && return 0
		sleep 0.05
	done
	"$@"
}

@test "-h: usage on stdout, exit 0" {
	run --separate-stderr kite-sim -h
	[ "$status" -eq 0 ]
	[[ $output == *"usage: kite-sim"* ]]
	[[ $output == *"kite-sim(1)"* ]]
	[ -z "$stderr" ]
}

@test "bad flag, bad number, extra argument, bad smile: exit 100" {
	run kite-sim -Z
	[ "$status" -eq 100 ]
	run kite-sim -p 70000
	[ "$status" -eq 100 ]
	[[ $output == *"-p"* ]]
	run kite-sim -r fast
	[ "$status" -eq 100 ]
	run kite-sim extra
	[ "$status" -eq 100 ]
	run kite-sim --smile 0.2,1
	[ "$status" -eq 100 ]
	run kite-sim --start yesterday
	[ "$status" -eq 100 ]
}

@test "readiness: -d FD gets a newline once listening; SIGTERM exits 0" {
	: > "$T/ready"
	kite-sim -p 0 --port-file "$T/port" -d 3 3>"$T/ready" \
		>"$T/out" 2>"$T/err" &
	SIM_PID=$!
	eventually 10 test -s "$T/ready"
	[ "$(od -An -c "$T/ready" | tr -d ' ')" = '\n' ]
	[ -s "$T/port" ]
	port=$(cat "$T/port")
	grep -q "KITE_WS_URL=ws://127.0.0.1:$port KITE_API_URL=http://127.0.0.1:$port" "$T/out"
	kill -TERM "$SIM_PID"
	rc=0
	wait "$SIM_PID" || rc=$?
	SIM_PID=
	[ "$rc" -eq 0 ]
}

@test "credentials: demo ones are logged; real ones never" {
	env -u KITE_API_KEY -u KITE_ACCESS_TOKEN -u KITE_API_SECRET \
		kite-sim -p 0 --port-file "$T/p1" >/dev/null 2>"$T/e1" &
	SIM_PID=$!
	eventually 10 test -s "$T/p1"
	sim_stop
	grep -q "demo credentials: api_key=kitesim access_token=kitesim-access-token" "$T/e1"
	sim_start
	sim_stop
	run ! grep -qF -- "$KITE_ACCESS_TOKEN" "$T/sim.err"
	run ! grep -qF -- "$KITE_API_SECRET" "$T/sim.err"
	run ! grep -q "demo credentials" "$T/sim.err"
}

@test "KITE_ACCESS_TOKEN_FILE: the token is read from the file" {
	echo "file-token-42abc" > "$T/tok"
	KITE_ACCESS_TOKEN= KITE_ACCESS_TOKEN_FILE=$T/tok sim_start
	KITE_ACCESS_TOKEN=file-token-42abc run kws -t 10 -H 1
	[ "$status" -eq 0 ]
	run kws -t 10 -H 1
	[ "$status" -eq 2 ]
}

@test "handshake: good credentials connect, heartbeats every second" {
	sim_start
	run --separate-stderr kws -e -t 15 -H 2
	[ "$status" -eq 0 ]
	[ "$(grep -c '"kws":"heartbeat"' <<<"$output")" -eq 2 ]
	[[ $stderr == *"heartbeats=2"* ]]
}

@test "handshake: bad token, bad key, no credentials: HTTP 403" {
	sim_start
	KITE_ACCESS_TOKEN=wrong run --separate-stderr kws -t 10
	[ "$status" -eq 2 ]
	[[ $stderr == *"HTTP 403"* ]]
	KITE_API_KEY=wrong run --separate-stderr kws -t 10
	[ "$status" -eq 2 ]
	run --separate-stderr kws -n -t 10 "$KITE_WS_URL/"
	[ "$status" -eq 2 ]
	[[ $stderr == *"HTTP 403"* ]]
	grep -q "upgrade refused status=403" "$T/sim.err"
}

@test "subscribe: quote mode by default; index packets for indices" {
	sim_start
	run --separate-stderr kws -t 15 -c 4 "$(sub "$NIFTY,$RELIANCE")"
	[ "$status" -eq 0 ]
	idx=$(jq -c "select(.instrument_token == $NIFTY)" <<<"$output" | head -1)
	eq=$(jq -c "select(.instrument_token == $RELIANCE)" <<<"$output" | head -1)
	[ "$(jq -r .mode <<<"$idx")" = quote ]
	[ "$(jq -r .segment <<<"$idx")" = indices ]
	[ "$(jq -r .tradable <<<"$idx")" = false ]
	# index quote packets carry no volume, no exchange timestamp
	[ "$(jq -r 'has("volume_traded")' <<<"$idx")" = false ]
	[ "$(jq -r .mode <<<"$eq")" = quote ]
	[ "$(jq -r .segment <<<"$eq")" = nse ]
	[ "$(jq -r 'has("depth")' <<<"$eq")" = false ]
	[ "$(jq -r '.volume_traded > 0' <<<"$eq")" = true ]
	# prices on the 0.05 tick, OHLC consistent
	[ "$(jq -r '(.last_price * 100 | round) % 5' <<<"$eq")" -eq 0 ]
	[ "$(jq -r '.ohlc.low <= .last_price and .last_price <= .ohlc.high' <<<"$eq")" = true ]
}

@test "modes: ltp, quote and full packets, decoded by lib's decoder" {
	sim_start
	run --separate-stderr kws -t 15 -c 16 "$(sub "$NIFTY,$BANK,$RELIANCE,$INFY")" \
		"$(mode ltp "$NIFTY")" "$(mode full "$BANK,$RELIANCE")"
	[ "$status" -eq 0 ]
	# (the first message may go out before the mode messages arrive)
	m() { jq -rs "map(select(.instrument_token == $1)) | last | .mode" <<<"$output"; }
	[ "$(m $NIFTY)" = ltp ]
	[ "$(m $BANK)" = full ]
	[ "$(m $RELIANCE)" = full ]
	[ "$(m $INFY)" = quote ]
	full=$(jq -c "select(.instrument_token == $RELIANCE)" <<<"$output" | tail -1)
	[ "$(jq '.depth.buy | length' <<<"$full")" -eq 5 ]
	[ "$(jq '.depth.sell | length' <<<"$full")" -eq 5 ]
	[ "$(jq '.depth.buy[0].price < .depth.sell[0].price' <<<"$full")" = true ]
	[ "$(jq '.exchange_timestamp > 1000000000' <<<"$full")" = true ]
	bfull=$(jq -c "select(.instrument_token == $BANK)" <<<"$output" | tail -1)
	[ "$(jq '.exchange_timestamp > 1000000000' <<<"$bfull")" = true ]
	[ "$(jq -r 'has("depth")' <<<"$bfull")" = false ]
}

@test "one binary message carries many packets" {
	sim_start
	toks=$(curl -sS "$KITE_API_URL/sim/instruments" |
		jq -r 'select(.name == "NIFTY" and .instrument_type == "CE") | .instrument_token' |
		head -40 | paste -sd, -)
	[ "$(tr ',' '\n' <<<"$toks" | wc -l)" -eq 40 ]
	run --separate-stderr kws -e -t 15 -b 2 "$(sub "$toks")"
	[ "$status" -eq 0 ]
	[ "$(jq -r 'select(.kws == "message") | .ticks' <<<"$output" | sort -u)" = 40 ]
	# options: NFO segment (2), prices on the tick, OI present in full mode
	[ "$(jq -r 'select(.type == "tick") | .segment' <<<"$output" | sort -u)" = nfo ]
}

@test "--spread N: each period's ticks in N messages, every instrument at the rate" {
	sim_start -r 5 --spread 4
	toks=$(curl -sS "$KITE_API_URL/sim/instruments" |
		jq -r 'select(.name == "NIFTY" and .instrument_type == "CE") | .instrument_token' |
		head -40 | paste -sd, -)
	run --separate-stderr kws -e -t 30 -b 20 "$(sub "$toks")"
	[ "$status" -eq 0 ]
	# 20 messages of a quarter of the 40 each: every instrument 5 times
	[ "$(jq -r 'select(.kws == "message") | .ticks' <<<"$output" | sort -u)" = 10 ]
	[ "$(jq -r 'select(.type == "tick") | .instrument_token' <<<"$output" |
		sort | uniq -c | awk '{ print $1 }' | sort -u)" = 5 ]
	[ "$(jq -r 'select(.type == "tick") | .instrument_token' <<<"$output" |
		sort -u | wc -l)" -eq 40 ]
}

@test "bad requests get Kite's error text messages; good ones still work" {
	sim_start
	run --separate-stderr kws -t 15 -m 4 'not json' '{"a":"explode","v":[1]}' \
		'{"a":"mode","v":["fast",[256265]]}' '{"a":"subscribe","v":"x"}'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	for l in "${lines[@]}"; do
		[ "$(jq -r .type <<<"$l")" = error ]
		[ "$(jq -r '.data | type' <<<"$l")" = string ]
	done
	[[ ${lines[1]} == *"explode"* ]]
}

@test "unsubscribe: the instrument stops arriving" {
	sim_start -r 5
	run --separate-stderr bash -c "{ echo '$(sub "$NIFTY,$RELIANCE")'; sleep 1.5;
		echo '{\"a\":\"unsubscribe\",\"v\":[$NIFTY]}'; sleep 30; } |
		kws -e -i -t 20 -b 14"
	[ "$status" -eq 0 ]
	first=$(jq -r 'select(.kws == "message") | .ticks' <<<"$output" | head -1)
	last=$(jq -r 'select(.kws == "message") | .ticks' <<<"$output" | tail -1)
	[ "$first" -eq 2 ]
	[ "$last" -eq 1 ]
	[ "$(jq -r 'select(.type == "tick") | .instrument_token' <<<"$output" | tail -1)" -eq "$RELIANCE" ]
}

@test "--rate: several messages a second" {
	sim_start -r 20
	run --separate-stderr kws -e -t 10 -b 30 "$(sub "$RELIANCE")"
	[ "$status" -eq 0 ]
	[ "$(grep -c '"kws":"message"' <<<"$output")" -eq 30 ]
}

@test "--seed: the same seed gives the same previous close, another differs" {
	close() {
		sim_start --seed "$1" --start 2025-11-24T10:00 --speed 0.001
		kws -t 10 -c 1 "$(sub "$RELIANCE")" 2>/dev/null | jq -r .ohlc.close
		sim_stop
	}
	a=$(close 7)
	b=$(close 7)
	c=$(close 8)
	[ -n "$a" ]
	[ "$a" = "$b" ]
	[ "$a" != "$c" ]
}

@test "/sim/smile: the smile and model parameters given by flags" {
	sim_start --smile 0.2,-0.5,1.5,0.01 --riskfree 0.07 --vol 0.3
	run curl -sS "$KITE_API_URL/sim/smile"
	[ "$status" -eq 0 ]
	[ "$(jq .atm <<<"$output")" = 0.2 ]
	[ "$(jq .skew <<<"$output")" = -0.5 ]
	[ "$(jq .curv <<<"$output")" = 1.5 ]
	[ "$(jq .term <<<"$output")" = 0.01 ]
	[ "$(jq .r <<<"$output")" = 0.07 ]
	[ "$(jq '.underlyings[0].vol' <<<"$output")" = 0.3 ]
	[ "$(jq -r '.underlyings[0].name' <<<"$output")" = NIFTY ]
}

@test "universe: indices, stocks, futures, weekly and monthly Tuesday expiries" {
	# Monday 24 Nov 2025: weeklies 25 Nov, 2, 9, 16 Dec; monthly 25 Nov,
	# 30 Dec, 27 Jan (last Tuesdays)
	sim_start --start 2025-11-24T10:00
	curl -sS "$KITE_API_URL/sim/instruments" > "$T/u"
	[ "$(jq -r "select(.instrument_token == $NIFTY) | .tradingsymbol" "$T/u")" = "NIFTY 50" ]
	[ "$(jq -r "select(.instrument_token == $BANK) | .segment" "$T/u")" = INDICES ]
	[ "$(jq -r "select(.instrument_token == $RELIANCE) | .segment" "$T/u")" = NSE ]
	jq -r 'select(.name == "NIFTY" and .instrument_type == "FUT") | .tradingsymbol' "$T/u" > "$T/f"
	grep -qx NIFTY25NOVFUT "$T/f"
	grep -qx NIFTY25DECFUT "$T/f"
	grep -qx NIFTY26JANFUT "$T/f"
	grep -q '^NIFTY25D0224000CE$' <(jq -r .tradingsymbol "$T/u")
	grep -q '^NIFTY25NOV24000PE$' <(jq -r .tradingsymbol "$T/u")
	grep -q '^BANKNIFTY25DEC52000CE$' <(jq -r .tradingsymbol "$T/u")
	# every derivative token is in segment 2 (NFO) and unique
	[ "$(jq -r 'select(.segment | startswith("NFO")) | .instrument_token % 256' "$T/u" | sort -u)" = 2 ]
	[ "$(jq -r .instrument_token "$T/u" | sort | uniq -d | wc -l)" -eq 0 ]
	# expiry days are Tuesdays (1970-01-01 was a Thursday)
	[ "$(jq -r 'select(.expiry_day >= 0) | (.expiry_day + 4) % 7' "$T/u" | sort -u)" = 2 ]
}

@test "options: priced from the smile by Black-Scholes, on the 0.05 tick" {
	sim_start --start 2025-11-24T10:00 --speed 0.001 --smile 0.2,0,0
	curl -sS "$KITE_API_URL/sim/instruments" > "$T/u"
	ce=$(jq -r 'select(.tradingsymbol == "NIFTY25DEC24350CE") | .instrument_token' "$T/u")
	pe=$(jq -r 'select(.tradingsymbol == "NIFTY25DEC24350PE") | .instrument_token' "$T/u")
	run --separate-stderr kws -t 10 -c 3 "$(sub "$NIFTY,$ce,$pe")"
	[ "$status" -eq 0 ]
	S=$(jq -r "select(.instrument_token == $NIFTY) | .last_price" <<<"$output")
	C=$(jq -r "select(.instrument_token == $ce) | .last_price" <<<"$output")
	P=$(jq -r "select(.instrument_token == $pe) | .last_price" <<<"$output")
	# put-call parity C - P = S e^{-qT} - K e^{-rT}, T = 36 days 5.5 h
	run awk -v S="$S" -v C="$C" -v P="$P" 'BEGIN {
		T = (36 * 86400 + 5.5 * 3600) / (365 * 86400)
		d = (C - P) - (S * exp(-0.012 * T) - 24350 * exp(-0.065 * T))
		if (d < 0) d = -d
		exit !(d < 1.0) }'
	[ "$status" -eq 0 ]
	[ "$(awk -v C="$C" 'BEGIN { print int(C * 100 + 0.5) % 5 }')" -eq 0 ]
}

# Wait until /sim/state says $1 ticker connections are open.
conns_are() {
	[ "$(curl -sS "$KITE_API_URL/sim/state" | jq .ticker.connections)" = "$1" ]
}

@test "limit: past --max-tokens, an error text message and the excess ignored" {
	sim_start --max-tokens 3
	run --separate-stderr kws -e -t 15 -b 2 "$(sub "$NIFTY,$BANK,$RELIANCE,$INFY,341249")"
	[ "$status" -eq 0 ]
	err=$(jq -c 'select(.type == "error")' <<<"$output")
	[[ $err == *"at most 3 instruments"* ]]
	[[ $err == *"2 tokens ignored"* ]]
	[ "$(jq -r 'select(.kws == "message") | .ticks' <<<"$output" | sort -u)" = 3 ]
	[ "$(jq -r 'select(.type == "tick") | .instrument_token' <<<"$output" | sort -u | wc -l)" -eq 3 ]
}

@test "limit: 3000 instruments per connection by default" {
	sim_start
	run curl -sS "$KITE_API_URL/sim/state"
	[ "$status" -eq 0 ]
	run --separate-stderr kws -e -t 15 -b 1 "$(sub "$(seq 1 5000 | paste -sd, -),$NIFTY")"
	[ "$status" -eq 0 ]
	# unknown tokens are ignored and do not count
	[ "$(jq -r 'select(.kws == "message") | .ticks' <<<"$output")" = 1 ]
	grep -q "max_tokens\|3000" <(kite-sim -h)
}

@test "limit: a connection past --max-conns is refused with HTTP 429" {
	sim_start --max-conns 1
	kws -t 30 -H 100 >/dev/null 2>&1 &
	BG=$!
	eventually 10 conns_are 1
	run --separate-stderr kws -t 10
	[ "$status" -eq 2 ]
	[[ $stderr == *"HTTP 429"* ]]
	kill "$BG"; wait "$BG" || true; BG=
	eventually 10 conns_are 0
	run kws -t 10 -H 1
	[ "$status" -eq 0 ]
}

@test "fault drop (control): every connection is closed abruptly (1006)" {
	sim_start
	kws -e -t 30 "$(sub "$NIFTY")" >"$T/k1" 2>"$T/k1e" &
	BG=$!
	kws -e -t 30 >"$T/k2" 2>"$T/k2e" &
	BG2=$!
	eventually 10 conns_are 2
	[ "$(sim_ctl drop)" = ok ]
	rc=0
	wait "$BG" || rc=$?
	[ "$rc" -eq 3 ]
	rc=0
	wait "$BG2" || rc=$?
	[ "$rc" -eq 3 ]
	BG= BG2=
	grep -q "code=1006" "$T/k1e"
	grep -q "code=1006" "$T/k2e"
}

@test "fault --drop-after-msgs: closed after N messages" {
	sim_start --drop-after-msgs 3 -r 10
	run --separate-stderr kws -e -t 20 "$(sub "$NIFTY")"
	[ "$status" -eq 3 ]
	[ "$(grep -c '"kws":"message"' <<<"$output")" -eq 3 ]
	[[ $stderr == *"code=1006"* ]]
}

@test "fault drop-after-ms (control): connections live that long" {
	sim_start
	[ "$(sim_ctl 'drop-after-ms 1500')" = ok ]
	run --separate-stderr kws -e -t 30 -H 100
	[ "$status" -eq 3 ]
	[[ $stderr == *"code=1006"* ]]
	[ "$(sim_ctl 'drop-after-ms 0')" = ok ]
	run kws -t 10 -H 1
	[ "$status" -eq 0 ]
}

@test "fault stall: nothing at all, not even heartbeats; then resumes" {
	sim_start --stall
	run --separate-stderr kws -t 3 "$(sub "$NIFTY")"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[[ $stderr == *"ticks=0 messages=0 heartbeats=0"* ]]
	[ "$(sim_ctl 'stall off')" = ok ]
	run --separate-stderr kws -e -t 15 -c 1 "$(sub "$NIFTY")"
	[ "$status" -eq 0 ]
}

@test "fault malformed: binary messages the decoder reports, then good ones" {
	sim_start --malformed 1 -r 10
	run --separate-stderr kws -e -t 15 -b 6 "$(sub "$NIFTY,$RELIANCE,$INFY")"
	[ "$status" -eq 0 ]
	[ "$(grep -c '"kws":"codec_error"' <<<"$output")" -ge 1 ]
	[[ $stderr != *"codec_errors=0"* ]]
	[ "$(sim_ctl 'malformed 0')" = ok ]
	run --separate-stderr kws -e -t 15 -b 3 "$(sub "$NIFTY,$RELIANCE,$INFY")"
	[ "$status" -eq 0 ]
	[[ $stderr == *"codec_errors=0"* ]]
}

@test "fault refuse-auth: 403 even with good credentials, until turned off" {
	sim_start
	[ "$(sim_ctl 'refuse-auth on')" = ok ]
	run --separate-stderr kws -t 10
	[ "$status" -eq 2 ]
	[[ $stderr == *"HTTP 403"* ]]
	[ "$(sim_ctl 'refuse-auth off')" = ok ]
	run kws -t 10 -H 1
	[ "$status" -eq 0 ]
}

@test "control: every command answers one line; bad ones an error" {
	sim_start
	run sim_ctl 'http-429 0.5' 'http-5xx 0.25' 'delay-ms 200' 'ambiguous 2 never' \
		'malformed 0.1' 'drop-after-msgs 9'
	[ "$output" = "$(printf 'ok\nok\nok\nok\nok\nok')" ]
	st=$(sim_ctl status)
	[[ $st == "ok {"* ]]
	f=$(jq -c .faults <<<"${st#ok }")
	[ "$(jq .http_429 <<<"$f")" = 0.5 ]
	[ "$(jq .http_5xx <<<"$f")" = 0.25 ]
	[ "$(jq .delay_ms <<<"$f")" = 200 ]
	[ "$(jq .ambiguous_n <<<"$f")" = 2 ]
	[ "$(jq .ambiguous_ms <<<"$f")" = -1 ]
	[ "$(jq .drop_after_msgs <<<"$f")" = 9 ]
	run sim_ctl 'stall maybe'
	[[ $output == "error: "* ]]
	run sim_ctl 'http-429 2'
	[[ $output == "error: "* ]]
	run sim_ctl 'frobnicate'
	[[ $output == "error: "* ]]
	[ "$(sim_ctl clear)" = ok ]
	[ "$(sim_ctl status | sed 's/^ok //' | jq .faults.http_429)" = 0 ]
	# the HTTP control needs the credentials
	run curl -sS -o /dev/null -w '%{http_code}' -X POST --data-binary status \
		"$KITE_API_URL/sim/control"
	[ "$output" = 403 ]
}

@test "control socket: one command a line, one answer a line" {
	require_cmd perl perl-base
	sim_start
	[ -S "$SIM_CTL" ]
	[ "$(stat -c %a "$SIM_CTL")" = 600 ]
	run perl -MIO::Socket::UNIX -e '
		my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!";
		print $s "stall on\nbogus\nstatus\n";
		for (1..3) { my $l = <$s>; print $l; }' "$SIM_CTL"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ok ]
	[[ ${lines[1]} == "error: "* ]]
	[ "$(jq .faults.stall <<<"${lines[2]#ok }")" = true ]
}

@test "SIGUSR1 and -S: a stats line on stderr" {
	sim_start
	kill -USR1 "$SIM_PID"
	eventually 10 grep -q 'kite-sim: info: stats {' "$T/sim.err"
	grep 'kite-sim: info: stats {' "$T/sim.err" | head -1 | sed 's/.*stats //' | jq -e .ticker
	sim_stop
	sim_start -S 100ms
	three() { [ "$(grep -c 'kite-sim: info: stats {' "$T/sim.err")" -ge 3 ]; }
	eventually 10 three
}

@test "control message: Kite's text message reaches every client, in order with ticks" {
	sim_start
	kws -t 30 -m 1 >"$T/k1" 2>/dev/null &
	BG=$!
	kws -t 30 -m 1 >"$T/k2" 2>/dev/null &
	BG2=$!
	eventually 10 conns_are 2
	[ "$(sim_ctl 'message market closes early today "really"')" = ok ]
	wait "$BG"
	wait "$BG2"
	BG= BG2=
	for f in "$T/k1" "$T/k2"; do
		[ "$(jq -r .type "$f")" = message ]
		[ "$(jq -r .data "$f")" = 'market closes early today "really"' ]
	done
}

@test "--replay: every client gets the capture's messages, as kite-stream -r decodes them" {
	mkcap -s 3 random:300:50 text:'{"type":"message","data":"hello"}' \
		heartbeat random:40:20 > "$T/r.cap"
	kite-stream -r "$T/r.cap" | jq -c 'del(.receive_timestamp)' > "$T/want"
	[ "$(wc -l < "$T/want")" -eq 341 ]
	sim_start --replay "$T/r.cap" --replay-speed max
	run --separate-stderr kws -e -t 20 -c 340 '{"a":"subscribe","v":[1]}'
	[ "$status" -eq 0 ]
	grep -v '"kws"' <<<"$output" | jq -c 'del(.receive_timestamp)' > "$T/got"
	diff -u "$T/want" "$T/got"
	grep -q '"kws":"heartbeat"' <<<"$output"
	# a second client gets it from the start too
	run --separate-stderr kws -t 20 -c 10
	[ "$status" -eq 0 ]
	[ "$(head -1 <<<"$output" | jq -c 'del(.receive_timestamp)')" = "$(head -1 "$T/want")" ]
}

@test "--replay at the recorded pace, --replay-loop starts over" {
	mkcap -i 100000 random:6:1 > "$T/p.cap"
	sim_start --replay "$T/p.cap" --replay-loop
	run --separate-stderr kws -t 20 -c 14
	[ "$status" -eq 0 ]
	kite-stream -r "$T/p.cap" | jq -c 'del(.receive_timestamp)' > "$T/want"
	jq -c 'del(.receive_timestamp)' <<<"$output" | head -6 > "$T/a"
	jq -c 'del(.receive_timestamp)' <<<"$output" | sed -n 7,12p > "$T/b"
	diff -u "$T/want" "$T/a"
	diff -u "$T/want" "$T/b"
}

@test "--replay: a missing or corrupt capture is exit 100" {
	run kite-sim -p 0 --replay "$T/none.cap"
	[ "$status" -eq 100 ]
	printf 'NOTACAPTURE' > "$T/bad.cap"
	run kite-sim -p 0 --replay "$T/bad.cap"
	[ "$status" -eq 100 ]
	[[ $output == *"bad.cap"* ]]
}

@test "--latency-stamp: last_traded_quantity is the send time in microseconds" {
	sim_start --latency-stamp -r 5
	before=$(date +%s%6N)
	run --separate-stderr kws -t 15 -c 3 "$(sub "$RELIANCE")"
	after=$(date +%s%6N)
	[ "$status" -eq 0 ]
	for q in $(jq -r .last_traded_quantity <<<"$output"); do
		lo=$((before % 4294967296)) hi=$((after % 4294967296))
		# (no wrap expected within a test run; if it wraps, lo > hi)
		if [ "$lo" -le "$hi" ]; then
			[ "$q" -ge "$lo" ] && [ "$q" -le "$hi" ]
		fi
	done
}

@test "HTTP plumbing: rest.c's answer, headers and gzip arrive whole; delayed ones later" {
	sim_start
	auth="Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN"
	run curl -sS -D "$T/h" -H "$auth" -H 'X-Kite-Version: 3' "$KITE_API_URL/instruments"
	[ "$status" -eq 0 ]
	n=$(curl -sS -H "$auth" "$KITE_API_URL/sim/instruments" | wc -l)
	# Kite's CSV: a header and one row per instrument of the universe
	[ "$(wc -l <<<"$output")" -eq $((n + 1)) ]
	grep -qi '^content-type: text/csv' "$T/h"
	run curl -sS --compressed -H "$auth" "$KITE_API_URL/instruments"
	[ "$(wc -l <<<"$output")" -eq $((n + 1)) ]
	# a delay of 3 s: a client giving up after 0.5 s gets nothing; a
	# patient one gets the whole answer
	[ "$(sim_ctl 'delay-ms 3000')" = ok ]
	run curl -sS -m 0.5 -H "$auth" "$KITE_API_URL/instruments"
	[ "$status" -eq 28 ]
	run curl -sS -m 20 -H "$auth" "$KITE_API_URL/instruments"
	[ "$status" -eq 0 ]
	[ "$(wc -l <<<"$output")" -eq $((n + 1)) ]
	# the server is still fine
	[ "$(sim_ctl 'delay-ms 0')" = ok ]
	run kws -t 10 -H 1
	[ "$status" -eq 0 ]
}

@test "limit: 3 connections per api_key by default, the 4th gets 429" {
	sim_start
	kws -t 30 -H 100 >/dev/null 2>&1 &
	BG=$!
	kws -t 30 -H 100 >/dev/null 2>&1 &
	BG2=$!
	kws -t 30 -H 100 >/dev/null 2>&1 &
	BG3=$!
	eventually 10 conns_are 3
	run --separate-stderr kws -t 10
	kill "$BG3"; wait "$BG3" || true
	[ "$status" -eq 2 ]
	[[ $stderr == *"HTTP 429"* ]]
}

@test "full mode fields evolve plausibly: volume grows, OI within its day range" {
	sim_start -r 5 --speed 30
	opt=$(curl -sS "$KITE_API_URL/sim/instruments" |
		jq -r 'select(.name == "NIFTY" and .instrument_type == "PE") | .instrument_token' |
		sed -n 21p)
	run --separate-stderr kws -t 20 -c 8 "$(sub "$opt")" "$(mode full "$opt")"
	[ "$status" -eq 0 ]
	jq -s -e 'map(select(.mode == "full")) | length >= 6 and
		all(.[]; .oi_day_low <= .oi and .oi <= .oi_day_high) and
		all(.[]; .ohlc.low <= .last_price and .last_price <= .ohlc.high) and
		all(.[]; .depth.buy[0].price < .depth.sell[0].price) and
		all(.[]; .oi > 0 and .volume_traded > 0) and
		([.[].volume_traded] | . == sort) and
		([.[].exchange_timestamp] | . == sort) and
		(.[-1].volume_traded > .[0].volume_traded)' <<<"$output"
}

@test "--start and --speed: timestamps from the simulated clock" {
	# 2025-11-24T10:00 IST is 1763958600
	sim_start --start 2025-11-24T10:00 --speed 100 -r 2
	run --separate-stderr kws -t 20 -c 4 "$(sub "$RELIANCE")" "$(mode full "$RELIANCE")"
	[ "$status" -eq 0 ]
	ts=$(jq 'select(.mode == "full") | .exchange_timestamp' <<<"$output")
	first=$(head -1 <<<"$ts")
	last=$(tail -1 <<<"$ts")
	[ "$first" -ge 1763958600 ]
	[ "$first" -lt $((1763958600 + 3600)) ]
	# two timer periods of 0.5 s at least, 100 times faster
	[ $((last - first)) -ge 80 ]
}

@test "a port already in use: exit 111, naming it" {
	sim_start
	run kite-sim -p "$SIM_PORT"
	[ "$status" -eq 111 ]
	[[ $output == *"port $SIM_PORT"* ]]
}

# POST a paper market order: place TRADINGSYMBOL [CURL-ARGS...]
place() {
	local sym=$1
	shift
	curl -sS -H "X-Kite-Version: 3" \
		-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		-d exchange=NSE -d "tradingsymbol=$sym" -d transaction_type=BUY \
		-d quantity=1 -d order_type=MARKET -d market_protection=-1 \
		-d product=CNC -d tag=simtest \
		"$@" "$KITE_API_URL/orders/regular"
}

@test "order updates from the REST side arrive on the ticker as text messages" {
	sim_start
	kws -t 30 -m 1 >"$T/k" 2>/dev/null &
	BG=$!
	eventually 10 conns_are 1
	id=$(place INFY | jq -er .data.order_id)
	rc=0
	wait "$BG" || rc=$?
	BG=
	[ "$rc" -eq 0 ]
	[ "$(jq -r .type "$T/k")" = order ]
	[ "$(jq -r .data.order_id "$T/k")" = "$id" ]
	[ "$(jq -r .data.tag "$T/k")" = simtest ]
}

@test "ambiguous never: the order is recorded, the answer held until the client gives up" {
	sim_start
	[ "$(sim_ctl 'ambiguous 1 never')" = ok ]
	# (6 s: longer than lws's own 5 s timeouts; 52 would mean the server
	# closed the connection instead of holding it)
	run place INFY -m 6
	[ "$status" -eq 28 ]
	# the order exists all the same
	run curl -sS -H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$KITE_API_URL/orders"
	[ "$(jq '[.data[] | select(.tag == "simtest")] | length' <<<"$output")" -eq 1 ]
	# only one placement was affected; the server goes on
	run place INFY -m 10
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = success ]
}

@test "--flat-out: messages back to back, no waiting for the tick timer" {
	# at the default 1 tick/s, 300 messages would take 5 minutes
	sim_start --flat-out
	run --separate-stderr kws -e -t 60 -b 300 "$(sub "$NIFTY,$RELIANCE")"
	[ "$status" -eq 0 ]
	[ "$(grep -c '"kws":"message"' <<<"$output")" -eq 300 ]
}

@test "--replay -: the capture from standard input" {
	mkcap -s 5 random:20:5 > "$T/s.cap"
	kite-stream -r "$T/s.cap" | jq -c 'del(.receive_timestamp)' > "$T/want"
	# (an explicit redirection: bash gives background jobs /dev/null)
	kite-sim -p 0 --port-file "$T/sim.port" --replay - --replay-speed max \
		< "$T/s.cap" >/dev/null 2>"$T/sim.err" &
	SIM_PID=$!
	eventually 10 test -s "$T/sim.port"
	export KITE_WS_URL=ws://127.0.0.1:$(cat "$T/sim.port")
	run --separate-stderr kws -t 20 -c 20
	[ "$status" -eq 0 ]
	jq -c 'del(.receive_timestamp)' <<<"$output" > "$T/got"
	diff -u "$T/want" "$T/got"
}

# ltp TOKEN...: the /quote/ltp last prices, one a line, in the order given
ltp() {
	local t q=()
	for t in "$@"; do
		q+=(--data-urlencode "i=$t")
	done
	curl -sS -m 10 -G -H "X-Kite-Version: 3" \
		-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"${q[@]}" "$KITE_API_URL/quote/ltp" >"$T/ltp.json"
	for t in "$@"; do
		jq -r --arg t "$t" '.data[$t].last_price' "$T/ltp.json"
	done
}

@test "control move and trend: the index jumps and drifts; its options follow" {
	sim_start
	# a NIFTY call of the nearest expiry at 24500
	ce=$(curl -sS -m 10 "$KITE_API_URL/sim/instruments" | jq -s -r '[.[] |
		select(.name == "NIFTY" and .instrument_type == "CE" and
		.strike == 24500)] | min_by(.expiry_day) | .instrument_token')
	[ -n "$ce" ]
	read -r s0 c0 < <(ltp "$NIFTY" "$ce" | paste -sd' ')
	[ "$(sim_ctl 'move NIFTY 25000')" = ok ]
	read -r s1 c1 < <(ltp "$NIFTY" "$ce" | paste -sd' ')
	# within a few rupees of 25000 (the random walk goes on)
	awk -v s="$s1" 'BEGIN { exit !(s > 24990 && s < 25010) }'
	# the 24500 call gains about the 500 points it went into the money
	awk -v a="$c0" -v b="$c1" 'BEGIN { exit !(b - a > 300) }'
	[ "$(sim_ctl 'move NIFTY 24000')" = ok ]
	[ "$(sim_ctl 'trend NIFTY +200/s')" = ok ]
	sleep 2
	read -r s2 < <(ltp "$NIFTY")
	awk -v s="$s2" 'BEGIN { exit !(s > 24300) }'
	[ "$(sim_ctl 'trend NIFTY 0')" = ok ]
	run sim_ctl 'move NOSUCH 100'
	[[ $output == "error: "* ]]
	run sim_ctl 'trend NIFTY fast'
	[[ $output == "error: "* ]]
	[ "$(sim_ctl 'trend BANKNIFTY -50/s')" = ok ]
	[ "$(sim_ctl clear)" = ok ]
	read -r b0 < <(ltp "$BANK")
	sleep 1
	read -r b1 < <(ltp "$BANK")
	awk -v a="$b0" -v b="$b1" 'BEGIN { exit !(b < a - 20) }'
}
