#!/usr/bin/env bats
# tick-greeks: the filter on ticks built from the shared reference data
# (bench_cases.csv: prices of known volatility, from QuantLib and quad
# precision), never on output this program produced itself.

load helper
bats_require_minimum_version 1.5.0

# 2025-12-30 15:30 IST, the options' expiry, in epoch seconds
EXP=1767088800

setup() {
	require_cmd jq jq
	cat >"$T/instr.csv" <<'CSV'
instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
256265,1001,NIFTY 50,NIFTY 50,0,,0,0,0,EQ,INDICES,NSE
738561,2885,RELIANCE,RELIANCE,0,,0,0.05,1,EQ,NSE,NSE
13238786,51714,NIFTY25DECFUT,NIFTY,0,2025-12-30,0,0.1,75,FUT,NFO-FUT,NFO
CSV
}

# instrument CSV row for an option: token symbol name strike type
opt_row() {
	printf '%s,1,%s,%s,0,2025-12-30,%s,0.05,75,%s,NFO-OPT,NFO\n' "$@" \
		>>"$T/instr.csv"
}

# NIFTY options for the first $1 rows of bench_cases.csv; writes the
# ticks to $T/in.ndjson and the expected sigmas to $T/want (token sigma).
# Each row's spot is sent as a NIFTY 50 tick before its option tick, and
# the tick time is the expiry minus the row's t_years (microseconds).
chain() {
	: >"$T/in.ndjson"
	: >"$T/want"
	awk -F, -v n="$1" -v ex="$EXP" 'NR > 1 && NR <= n + 1 {
		tok = 5000000 + NR
		printf "%d,1,NIFTYX%d%s,NIFTY,0,2025-12-30,%s,0.05,75,%s,NFO-OPT,NFO\n", \
		    tok, NR, ($1 == "C" ? "CE" : "PE"), $3, \
		    ($1 == "C" ? "CE" : "PE") >> (ENVIRON["T"] "/instr.csv")
		printf "{\"type\":\"tick\",\"instrument_token\":256265,\"last_price\":%s}\n", \
		    $2 >> (ENVIRON["T"] "/in.ndjson")
		printf "{\"type\":\"tick\",\"instrument_token\":%d,\"last_price\":%s,\"receive_timestamp\":%.6f}\n", \
		    tok, $8, ex - $4 * 31536000 >> (ENVIRON["T"] "/in.ndjson")
		printf "%d %s %s %s\n", tok, $7, $5, $6 >> (ENVIRON["T"] "/want")
	}' "$KP_TESTDATA/greeks/bench_cases.csv"
}

@test "no arguments: usage, exit 100; -h: usage on stdout" {
	run tick-greeks
	[ "$status" -eq 100 ]
	[[ $output == *"usage: tick-greeks"* ]]
	run --separate-stderr tick-greeks -h
	[ "$status" -eq 0 ]
	[[ $output == *"SIGHUP"* ]]
}

@test "bad options: exit 100 naming the option" {
	run tick-greeks -i "$T/instr.csv" --model heston
	[ "$status" -eq 100 ]
	[[ $output == *"--model"* ]]
	run tick-greeks -i "$T/instr.csv" --fields iv,colour
	[ "$status" -eq 100 ]
	[[ $output == *"colour"* ]]
	run tick-greeks -i "$T/nonexistent.csv"
	[ "$status" -eq 100 ]
	run tick-greeks -i "$T/instr.csv" --iv-from itm
	[ "$status" -eq 100 ]
	[[ $output == *"--iv-from"* ]]
	run tick-greeks -i "$T/instr.csv" --parity-age -1
	[ "$status" -eq 100 ]
	[[ $output == *"--parity-age"* ]]
	run tick-greeks -i "$T/instr.csv" --chain 0.5
	[ "$status" -eq 100 ]
	[[ $output == *"--chain"* ]]
}

@test "recovers the volatility of bench_cases.csv prices (BSM, per row r)" {
	chain 40
	# every row's r differs: run the filter per distinct (r, q)
	while read -r tok sigma r q; do
		grep -e '"instrument_token":256265' -e "\"instrument_token\":$tok," \
			"$T/in.ndjson" | grep -B1 "\"instrument_token\":$tok," \
			>"$T/one"
		got=$(tick-greeks -i "$T/instr.csv" -r "$r" -q "$q" <"$T/one" |
			jq -r "select(.instrument_token == $tok) | .iv")
		awk -v g="$got" -v w="$sigma" 'BEGIN {
			d = g - w; if (d < 0) d = -d
			if (!(d <= 1e-9 * w)) {
				print "iv " g " want " w > "/dev/stderr"; exit 1 }
		}'
	done <"$T/want"
}

@test "option ticks gain the documented fields; Greeks have their signs" {
	chain 3
	read -r tok sigma r q <"$T/want"
	run --separate-stderr tick-greeks -i "$T/instr.csv" -r "$r" -q "$q" \
		<"$T/in.ndjson"
	[ "$status" -eq 0 ]
	out=$(printf '%s\n' "$output" | jq -c "select(.instrument_token == $tok)")
	for f in iv delta gamma theta vega rho underlying_price \
		time_to_expiry tradingsymbol name strike expiry instrument_type; do
		echo "$out" | jq -e "has(\"$f\")" >/dev/null
	done
	echo "$out" | jq -e '.gamma > 0 and .vega > 0 and .theta < 0' >/dev/null
	echo "$out" | jq -e '.expiry == "2025-12-30" and .name == "NIFTY"' >/dev/null
	# the original fields come first, unchanged
	orig=$(grep "\"instrument_token\":$tok," "$T/in.ndjson")
	[[ $(printf '%s\n' "$output" | grep "\"instrument_token\":$tok,") == "${orig%\}},"* ]]
}

@test "every line that is not an option tick passes through byte for byte" {
	cat >"$T/in" <<'IN'
{"type":"order","data":{"order_id":"1"},"receive_timestamp":1.5}
{ "type" : "tick",  "instrument_token" : 738561, "last_price" : 1500.25 }
{"type":"tick","instrument_token":999,"last_price":1e3}
[1,2,3]
{"instrument_token":"256265","x":"\u00e9"}
IN
	run --separate-stderr tick-greeks -i "$T/instr.csv" <"$T/in"
	[ "$status" -eq 0 ]
	diff <(printf '%s\n' "$output") "$T/in"
}

@test "bad lines are reported with their line numbers and skipped, exit 1" {
	opt_row 777 NIFTY25DEC25000CE NIFTY 25000 CE
	printf '%s\n' '{"a":1}' 'not json' '{"b":2}' '{"c":' '{"d":4}' >"$T/in"
	run --separate-stderr tick-greeks -i "$T/instr.csv" <"$T/in"
	[ "$status" -eq 1 ]
	[ "$output" = $'{"a":1}\n{"b":2}\n{"d":4}' ]
	[[ $stderr == *"line 2:"* ]]
	[[ $stderr == *"line 4:"* ]]
}

@test "no IV: iv null and a reason, never a zero" {
	opt_row 777 NIFTY25DEC24000CE NIFTY 24000 CE
	t=$((EXP - 86400 * 7))
	{
		# no underlying price yet
		echo "{\"instrument_token\":777,\"last_price\":1000,\"exchange_timestamp\":$t}"
		echo '{"instrument_token":256265,"last_price":25000}'
		# below intrinsic (S - K = 1000 > 900)
		echo "{\"instrument_token\":777,\"last_price\":900,\"exchange_timestamp\":$t}"
		# after expiry
		echo "{\"instrument_token\":777,\"last_price\":1010,\"exchange_timestamp\":$((EXP + 60))}"
	} >"$T/in"
	run --separate-stderr tick-greeks -i "$T/instr.csv" <"$T/in"
	[ "$status" -eq 0 ]
	r=$(printf '%s\n' "$output" | jq -r 'select(.instrument_token == 777) | "\(.iv) \(.iv_reason) \(.delta)"')
	[ "$r" = $'null no_underlying_price null\nnull below_intrinsic null\nnull expired null' ]
}

@test "instr-sync NDJSON instruments, --fields, and a stock option on its NSE equity" {
	printf '%s\n' \
		'{"instrument_token":738561,"tradingsymbol":"RELIANCE","name":"RELIANCE","expiry":"","strike":0,"instrument_type":"EQ","segment":"NSE","exchange":"NSE"}' \
		'{"instrument_token":888,"tradingsymbol":"RELIANCE25DEC1500PE","name":"RELIANCE","expiry":"2025-12-30","strike":1500,"instrument_type":"PE","segment":"NFO-OPT","exchange":"NFO"}' \
		>"$T/instr.ndjson"
	t=$((EXP - 86400 * 30))
	printf '%s\n' '{"instrument_token":738561,"last_price":1490}' \
		"{\"instrument_token\":888,\"last_price\":40,\"exchange_timestamp\":$t}" >"$T/in"
	run --separate-stderr tick-greeks -i "$T/instr.ndjson" --fields iv,tradingsymbol <"$T/in"
	[ "$status" -eq 0 ]
	last=$(printf '%s\n' "$output" | tail -n 1)
	echo "$last" | jq -e '.tradingsymbol == "RELIANCE25DEC1500PE" and .iv > 0.1 and .iv < 1 and (has("delta") | not)' >/dev/null
}

@test "--model black76 prices on the future of the same expiry; --price mid uses the depth" {
	opt_row 777 NIFTY25DEC25000CE NIFTY 25000 CE
	t=$((EXP - 86400 * 20))
	dep='"depth":{"buy":[{"price":300,"quantity":1,"orders":1}],"sell":[{"price":310,"quantity":1,"orders":1}]}'
	printf '%s\n' '{"instrument_token":256265,"last_price":20000}' \
		'{"instrument_token":13238786,"last_price":25100}' \
		"{\"instrument_token\":777,\"last_price\":1,\"exchange_timestamp\":$t,$dep}" >"$T/in"
	run --separate-stderr tick-greeks -i "$T/instr.csv" --model black76 --price mid <"$T/in"
	[ "$status" -eq 0 ]
	last=$(printf '%s\n' "$output" | tail -n 1)
	echo "$last" | jq -e '.underlying_price == 20000 and .forward == 25100 and
		.forward_source == "future" and .iv > 0.05 and .iv < 0.5' >/dev/null
}

@test "historical candles: instrument_token, close and an ISO timestamp" {
	opt_row 777 NIFTY25DEC25000CE NIFTY 25000 CE
	printf '%s\n' '{"instrument_token":256265,"close":25000,"timestamp":"2025-12-01T09:15:00+0530"}' \
		'{"instrument_token":777,"close":300,"timestamp":"2025-12-01T09:15:00+0530"}' >"$T/in"
	run --separate-stderr tick-greeks -i "$T/instr.csv" <"$T/in"
	[ "$status" -eq 0 ]
	last=$(printf '%s\n' "$output" | tail -n 1)
	# 2025-12-01 09:15 IST to 2025-12-30 15:30 IST: 29 days 6h15m
	echo "$last" | jq -e '(.time_to_expiry * 365 * 86400 - 2528100 | fabs) < 1e-3 and .iv > 0' >/dev/null
}

@test "SIGHUP reloads the instruments and keeps the underlying prices seen" {
	mkfifo "$T/fifo"
	tick-greeks -i "$T/instr.csv" <"$T/fifo" >"$T/out" 2>"$T/err" &
	pid=$!
	exec 7>"$T/fifo"
	t=$((EXP - 86400 * 10))
	echo '{"instrument_token":256265,"last_price":25000}' >&7
	echo "{\"instrument_token\":777,\"last_price\":300,\"exchange_timestamp\":$t}" >&7
	for i in $(seq 1 200); do
		[ "$(wc -l <"$T/out")" -ge 2 ] && break
		sleep 0.05
	done
	opt_row 777 NIFTY25DEC25000CE NIFTY 25000 CE
	kill -HUP "$pid"
	for i in $(seq 1 200); do
		grep -q 'reloaded' "$T/err" && break
		sleep 0.05
	done
	echo "{\"instrument_token\":777,\"last_price\":300,\"exchange_timestamp\":$t}" >&7
	exec 7>&-
	wait "$pid"
	grep -q 'reloaded instruments=4' "$T/err"
	[ "$(sed -n 2p "$T/out")" = "{\"instrument_token\":777,\"last_price\":300,\"exchange_timestamp\":$t}" ]
	sed -n 3p "$T/out" | jq -e '.iv > 0 and .underlying_price == 25000' >/dev/null
}

# kite-sim: start it on a free port with a near-still index (--vol 0.001,
# about 0.005 a second), so an option and the index tick before it share
# the same spot within half a tick.
sim_start() {
	require_cmd curl curl
	export KITE_API_KEY=greekskey KITE_ACCESS_TOKEN=greekstoken
	kite-sim -q -p 0 --port-file "$T/port" --vol 0.001 "$@" >/dev/null 2>"$T/sim.err" &
	SIM_PID=$!
	for i in $(seq 1 200); do
		[ -s "$T/port" ] && break
		sleep 0.05
	done
	SIM_URL=http://127.0.0.1:$(cat "$T/port")
}

teardown() {
	if [ -n "${SIM_PID:-}" ]; then
		kill "$SIM_PID" 2>/dev/null || true
		wait "$SIM_PID" 2>/dev/null || true
	fi
}

@test "kite-sim's NIFTY chain: --model bsm with its r and q recovers the configured smile within tick rounding" {
	sim_start --smile 0.14,-0.5,1.5,0.02
	curl -fsS "$SIM_URL/sim/smile" >"$T/smile"
	curl -fsS -H 'X-Kite-Version: 3' \
		-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$SIM_URL/instruments" >"$T/sim.csv"
	r=$(jq -r .r "$T/smile")
	q=$(jq -r '.underlyings[] | select(.name == "NIFTY") | .q' "$T/smile")
	s=$(jq -r '.underlyings[] | select(.name == "NIFTY") | .spot' "$T/smile")
	toks=$(awk -F, -v s="$s" '$4 == "NIFTY" && ($10 == "CE" || $10 == "PE") &&
		$7 >= s * 0.97 && $7 <= s * 1.03 { print $1 }' "$T/sim.csv" |
		head -60 | paste -sd, -)
	[ -n "$toks" ]
	KITE_WS_URL=ws://127.0.0.1:$(cat "$T/port") timeout 60 kws -t 4 \
		"{\"a\":\"subscribe\",\"v\":[256265,$toks]}" \
		"{\"a\":\"mode\",\"v\":[\"full\",[256265,$toks]]}" >"$T/ticks" 2>"$T/kws.err" || true
	tick-greeks -i "$T/sim.csv" --model bsm -r "$r" -q "$q" <"$T/ticks" >"$T/out"
	# sigma(k,T) = atm + term T + skew k + curv k^2, k = ln(K/F); allowed:
	# what half a tick (0.025) of the option and of the index, and 1.5 s
	# of time (whole-second exchange timestamps), move the IV by, to first
	# order.  Options with less than 20 ticks (1.00) of time value (price
	# less the discounted intrinsic value) are left out: there half a tick
	# is over 2.5% of it and the first-order bound no longer holds (and
	# kite-sim floors any smaller model price to one tick); deep in the
	# money near expiry that is most of the price.
	jq -r --slurpfile sm "$T/smile" --arg q "$q" '
		select(.iv != null and .vega != null) |
		$sm[0] as $m | .time_to_expiry as $t |
		(.underlying_price * ((0 - ($q | tonumber) * $t) | exp) -
		    .strike * ((0 - $m.r * $t) | exp)) as $fwd |
		select(.last_price - ([(if .instrument_type == "CE" then $fwd
		    else 0 - $fwd end), 0] | max) >= 1) |
		(.underlying_price * ((($m.r - ($q | tonumber)) * $t) | exp)) as $f |
		((.strike / $f) | log) as $k |
		([$m.atm + $m.term * $t + $m.skew * $k + $m.curv * $k * $k, 0.01] | max) as $want |
		((0.025 + 0.025 * (.delta | fabs) + (.theta | fabs) * 1.5 / 86400) / (.vega * 100) + 1e-9) as $tol |
		"\(.tradingsymbol) \(.last_price) \(.iv) \($want) \($tol) \(((.iv - $want) | fabs) <= $tol)"' \
		"$T/out" >"$T/check"
	n=$(wc -l <"$T/check")
	bad=$(grep -c ' false$' "$T/check" || true)
	echo "checked $n option ticks, $bad outside" >&2
	grep ' false$' "$T/check" | head -5 >&2 || true
	[ "$n" -ge 20 ]
	[ "$bad" -eq 0 ]
}

@test "numbers in the shortest form that reads back, strings escaped, JSON edge cases kept or reported as jansson would" {
	opt_row 777 'NIF""TY\é25DEC' NIFTY 25000 CE
	sed -i 's/^777,1,NIF""TY\\é25DEC,/777,1,"NIF""TY\\é25DEC",/' "$T/instr.csv"
	t=$((EXP - 86400 * 7))
	printf '%s\n' \
		'{"instrument_token":256265,"last_price":25000.5}' \
		"{\"instrument_token\":777,\"last_price\":300,\"exchange_timestamp\":$t}" \
		'[1,2,{"instrument_token":777}]' \
		'{"a":"\u00e9\ud83d\ude00","b":[true,false,null,-0,1E-400]}' \
		'{"a":1e309}' \
		'{"a":9223372036854775808}' \
		'{"a":"\ud800"}' \
		'{"a":1} x' \
		"{\"last\\u005fprice\":310,\"instrument_token\":777,\"exchange_timestamp\":$t}" >"$T/in"
	run --separate-stderr tick-greeks -i "$T/instr.csv" <"$T/in"
	[ "$status" -eq 1 ]
	# lines 1, 3 and 4 pass through byte for byte, 5 to 8 are reported
	[ "$(printf '%s\n' "$output" | sed -n 1p)" = "$(sed -n 1p "$T/in")" ]
	[ "$(printf '%s\n' "$output" | sed -n 3p)" = "$(sed -n 3p "$T/in")" ]
	[ "$(printf '%s\n' "$output" | sed -n 4p)" = "$(sed -n 4p "$T/in")" ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 5 ]
	for l in 5 6 7 8; do
		[[ $stderr == *"line $l: bad JSON: "*"(column "* ]]
	done
	[[ $stderr == *"line 8: bad JSON: end of line expected (column 9)"* ]]
	o=$(printf '%s\n' "$output" | sed -n 2p)
	[ "$(printf '%s\n' "$o" | jq -r .tradingsymbol)" = 'NIF"TY\é25DEC' ]
	[[ $o == *'"underlying_price":25000.5,'* ]]
	[[ $o == *'"strike":25000,'* ]]
	# every number added is the shortest that reads back exactly (%.17g
	# of it is the same double; one digit fewer never is)
	for f in iv delta gamma theta vega rho time_to_expiry; do
		v=$(printf '%s\n' "$o" | grep -o "\"$f\":[^,}]*" | cut -d: -f2)
		[ -n "$v" ]
		awk -v v="$v" 'BEGIN {
			if (sprintf("%.17g", v + 0) != sprintf("%.17g", sprintf("%.17g", v + 0) + 0)) exit 1
			s = v; sub(/^-/, "", s); sub(/e.*/, "", s); gsub(/[.]/, "", s); sub(/^0+/, "", s)
			n = length(s)
			if (n > 17) exit 1
			if (n > 1 && sprintf("%.*g", n - 1, v + 0) + 0 == v + 0) exit 1
		}'
	done
	# the escaped key is read as last_price
	[ "$(printf '%s\n' "$output" | sed -n 5p | jq -r '.last_price, (.iv > 0)' | tr '\n' ' ')" = "310 true " ]
}

# kite-sim's NIFTY chain, every expiry (weeklies without a future of their
# own, monthlies with one), its futures and the index, in full mode, for
# 4 s: $T/smile, $T/sim.csv and $T/ticks.
sim_chain() {
	sim_start --smile 0.14,-0.5,1.5,0.02
	curl -fsS "$SIM_URL/sim/smile" >"$T/smile"
	curl -fsS -H 'X-Kite-Version: 3' \
		-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$SIM_URL/instruments" >"$T/sim.csv"
	toks=$(awk -F, '$4 == "NIFTY" && ($10 == "CE" || $10 == "PE" ||
		$10 == "FUT") { print $1 }' "$T/sim.csv" | paste -sd, -)
	[ -n "$toks" ]
	KITE_WS_URL=ws://127.0.0.1:$(cat "$T/port") timeout 60 kws -t 4 \
		"{\"a\":\"subscribe\",\"v\":[256265,$toks]}" \
		"{\"a\":\"mode\",\"v\":[\"full\",[256265,$toks]]}" >"$T/ticks" 2>"$T/kws.err" || true
	[ "$(grep -c '"instrument_token"' "$T/ticks")" -ge 1000 ]
}

# check_parity OUT SOURCES: on tick-greeks' output OUT (--iv-from own),
# after the capture's first second (the chain's rate is implied once a
# second) and with a forward from one of SOURCES (comma-separated):
# every call and put of one strike and second agree within 0.05 vol
# points plus what half a tick (0.025) of each moves its IV by; every
# option with 20 ticks of time value recovers kite-sim's smile within
# what half a tick of the option and of the forward, and 1.5 s of time,
# move the IV by (as the bsm test above); both weeklies and monthlies
# are checked.  Prints the figures on stderr.
check_parity() {
	python3 - "$T/smile" "$1" "$2" <<'PY'
import json, math, sys
sm = json.load(open(sys.argv[1]))
r = sm['r']
q = [u['q'] for u in sm['underlyings'] if u['name'] == 'NIFTY'][0]
ok_src = sys.argv[3].split(',')
rows = [json.loads(l) for l in open(sys.argv[2])]
opts = [t for t in rows if 'instrument_type' in t and 'exchange_timestamp' in t]
t0 = min(t['exchange_timestamp'] for t in opts)
last, worst_pair, worst_smile, bad, n_pair, n_smile = {}, 0, 0, [], 0, 0
exps = set()
def tval(t):
    T, S = t['time_to_expiry'], t['underlying_price']
    f = S * math.exp(-q * T) - t['strike'] * math.exp(-r * T)
    return t['last_price'] - max(f if t['instrument_type'] == 'CE' else -f, 0)
def tick(t):
    return 0.025 / (t['vega'] * 100)
for t in opts:
    if t['exchange_timestamp'] == t0 or t['forward_source'] not in ok_src:
        continue
    if t['iv'] is None or t['iv_source'] != 'own':
        continue
    ts, k = t['exchange_timestamp'], (t['expiry'], t['strike'])
    last[k, t['instrument_type']] = t
    o = last.get((k, 'PE' if t['instrument_type'] == 'CE' else 'CE'))
    if o is not None and o['exchange_timestamp'] == ts and \
            tval(o) >= 1 and tval(t) >= 1:
        n_pair += 1
        d = abs(t['iv'] - o['iv'])
        tol = 0.0005 + tick(t) + tick(o)
        worst_pair = max(worst_pair, d * 100)
        if d > tol:
            bad.append('pair %s %s: %.5f vs %.5f' % (t['tradingsymbol'], ts, t['iv'], o['iv']))
    if tval(t) < 1:
        continue
    T = t['time_to_expiry']
    F = t['underlying_price'] * math.exp((r - q) * T)
    x = math.log(t['strike'] / F)
    want = max(sm['atm'] + sm['term'] * T + sm['skew'] * x + sm['curv'] * x * x, 0.01)
    tol = (0.025 + 0.075 * abs(t['delta']) + abs(t['theta']) * 1.5 / 86400) / (t['vega'] * 100) + 1e-9
    n_smile += 1
    exps.add(t['expiry'])
    worst_smile = max(worst_smile, abs(t['iv'] - want) / tol)
    if abs(t['iv'] - want) > tol:
        bad.append('smile %s %s: %.6f want %.6f tol %.6f' % (t['tradingsymbol'], ts, t['iv'], want, tol))
print('pairs %d, widest %.4f vol points; smile %d ticks over %d expiries, worst %.2f of the allowance; %d outside'
      % (n_pair, worst_pair, n_smile, len(exps), worst_smile, len(bad)), file=sys.stderr)
for b in bad[:5]:
    print(b, file=sys.stderr)
sys.exit(0 if not bad and n_pair >= 200 and n_smile >= 500 and len(exps) >= 5 else 1)
PY
}

@test "implied forward: with a wrong r and q, calls and puts agree and recover kite-sim's smile, weeklies and monthlies, by default and with --model black76" {
	sim_chain
	tick-greeks -i "$T/sim.csv" -r 0.03 -q 0.04 --iv-from own <"$T/ticks" >"$T/out"
	check_parity "$T/out" parity
	tick-greeks -i "$T/sim.csv" -r 0.03 -q 0.04 --iv-from own --model black76 <"$T/ticks" >"$T/out76"
	check_parity "$T/out76" parity,future
	# black76: the monthlies on their own future, the weeklies (no future
	# of their own) never on a monthly's
	awk -F, '$4 == "NIFTY" && $10 == "FUT" { print $6 }' "$T/sim.csv" | sort >"$T/monthly"
	jq -r 'select(.forward_source == "future") | .expiry' "$T/out76" | sort -u >"$T/onfut"
	diff "$T/monthly" "$T/onfut"
	jq -r 'select(.forward_source == "future") | .expiry' "$T/out" | sort -u >"$T/onfut0"
	# the default took the parity forward as soon as there was a pair
	[ "$(jq -r 'select(.forward_source == "parity")' "$T/out" | grep -c .)" -ge 1000 ]
	# the wrong rates given, bsm is off by far more (the old behaviour)
	tick-greeks -i "$T/sim.csv" -r 0.03 -q 0.04 --model bsm <"$T/ticks" >"$T/outbsm"
	run check_parity "$T/outbsm" null
	[ "$status" -eq 1 ]
}

@test "--iv-from otm (the default): over 99.5% of kite-sim's option ticks carry an IV; in-the-money ones take the out-of-the-money IV" {
	sim_chain
	tick-greeks -i "$T/sim.csv" <"$T/ticks" >"$T/out"
	tick-greeks -i "$T/sim.csv" --iv-from own <"$T/ticks" >"$T/own"
	cov() {
		jq -r 'select(has("instrument_type")) | (.iv != null)' "$1" |
			awk '{ n++; y += ($1 == "true") } END { printf "%.4f %d %d\n", y / n, y, n }'
	}
	read -r c y n < <(cov "$T/out")
	read -r c0 y0 n0 < <(cov "$T/own")
	echo "otm: $y of $n option ticks ($c); own: $y0 of $n0 ($c0)" >&2
	awk -v c="$c" 'BEGIN { exit !(c > 0.995) }'
	# "otm" only in the money against its forward; "own" out of it
	# (or at it), or without a fresh one at its strike
	jq -e -s '[.[] | select(.iv_source == "otm") |
		select((.instrument_type == "CE" and .strike >= .forward) or
		    (.instrument_type == "PE" and .strike <= .forward))] | length == 0' "$T/out" >/dev/null
	[ "$(jq -r 'select(.iv_source == "otm")' "$T/out" | grep -c .)" -ge 500 ]
	# a put in the money quoted after the call of its strike in the same
	# second (kite-sim sends each strike's call first): the call's IV,
	# to what the forward's move between the two ticks allows
	jq -r 'select(has("instrument_type") and .iv != null) |
		"\(.expiry) \(.strike) \(.exchange_timestamp) \(.instrument_type) \(.iv_source) \(.iv)"' "$T/out" |
		awk '$4 == "CE" { c[$1 " " $2 " " $3] = $6; next }
		$4 == "PE" && $5 == "otm" && (($1 " " $2 " " $3) in c) { n++
			d = c[$1 " " $2 " " $3] - $6
			if (d > 1e-4 || d < -1e-4) { print "differ: " $0; bad++ } }
		END { print n " puts checked" > "/dev/stderr"; exit bad > 0 || n < 100 }'
	# theta per hour beside theta per day
	jq -e -s '[.[] | select(.theta != null) |
		select(((.theta_hour * 24 - .theta) | fabs) > 1e-12 * (.theta | fabs))] | length == 0' "$T/out" >/dev/null
}

# A fixed chain: 21 strikes of a NIFTY expiry (2025-12-30), Black-76
# prices on a forward of 24020 at r 0.06 rounded to the 0.05 tick, the
# 24000 strike quoted with depth (its mid for parity, its last price for
# the IV); the same quotes 20 days before expiry and a second later,
# then one more tick.  $T/fixed.csv, $T/fixed.in; $T/want.json: the
# chain line's figures computed here from their definitions
# (tick-greeks(1)) with the standard library alone.
fixed_chain() {
	python3 - "$T" "$EXP" <<'PY'
import json, math, sys
d, exp_ = sys.argv[1], int(sys.argv[2])
F0, r0, S = 24020.0, 0.06, 24000.0
t0 = exp_ - 20 * 86400
ks = [23000 + 100 * i for i in range(21)]
N = lambda x: 0.5 * math.erfc(-x / math.sqrt(2))
def b76(call, F, K, T, r, v):
    s = v * math.sqrt(T); d1 = math.log(F / K) / s + s / 2; d2 = d1 - s
    D = math.exp(-r * T)
    return D * (F * N(d1) - K * N(d2)) if call else D * (K * N(-d2) - F * N(-d1))
def iv(call, p, F, K, T, r):
    lo, hi = 1e-6, 5.0
    for _ in range(200):
        m = (lo + hi) / 2
        if b76(call, F, K, T, r, m) < p: lo = m
        else: hi = m
    return (lo + hi) / 2
rnd = lambda x: round(round(x / 0.05) * 0.05, 2)
with open(d + '/fixed.csv', 'w') as f:
    f.write('instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n')
    f.write('256265,1,NIFTY 50,NIFTY 50,0,,0,0,0,EQ,INDICES,NSE\n')
    for i, k in enumerate(ks):
        for j, ty in enumerate(('CE', 'PE')):
            f.write('%d,1,NIFTYF%d%s,NIFTY,0,2025-12-30,%d,0.05,75,%s,NFO-OPT,NFO\n' % (1000 + 2 * i + j, k, ty, k, ty))
T0 = (exp_ - t0) / 31536000
q = {}
for i, k in enumerate(ks):
    v = 0.15 - 0.3 * math.log(k / F0) + 2 * math.log(k / F0) ** 2
    for j, ty in enumerate(('CE', 'PE')):
        p = rnd(b76(ty == 'CE', F0, k, T0, r0, v))
        oi, vol = 1000 * (7 + 3 * i + j * (2 + i * i % 5)), 500 + 37 * i + 11 * j * (i % 3)
        q[k, ty] = dict(tok=1000 + 2 * i + j, last=p, oi=oi, vol=vol)
        if k == 24000:
            q[k, ty].update(last=rnd(p + 0.35), bid=rnd(p - 0.5), ask=rnd(p + 0.5))
lines = []
for ts in (t0, t0 + 1):
    lines.append({'type': 'tick', 'instrument_token': 256265, 'last_price': S, 'exchange_timestamp': ts})
    for k in ks:
        for ty in ('CE', 'PE'):
            o = q[k, ty]
            t = {'type': 'tick', 'mode': 'full', 'instrument_token': o['tok'], 'last_price': o['last'],
                 'volume_traded': o['vol'], 'oi': o['oi'], 'exchange_timestamp': ts}
            if 'bid' in o:
                t['depth'] = {'buy': [{'price': o['bid'], 'quantity': 75, 'orders': 1}],
                              'sell': [{'price': o['ask'], 'quantity': 75, 'orders': 1}]}
            lines.append(t)
lines.append({'type': 'tick', 'instrument_token': 256265, 'last_price': S, 'exchange_timestamp': t0 + 2})
lines.append({'type': 'tick', 'instrument_token': 1000, 'last_price': q[23000, 'CE']['last'], 'exchange_timestamp': t0 + 2})
with open(d + '/fixed.in', 'w') as f:
    for t in lines:
        f.write(json.dumps(t, separators=(',', ':')) + '\n')
# the chain line at t0 + 2 shows the chain as it stood after t0 + 1
now = t0 + 1
T = (exp_ - now) / 31536000
pq = lambda k, ty: (q[k, ty]['bid'] + q[k, ty]['ask']) / 2 if 'bid' in q[k, ty] else q[k, ty]['last']
y = {k: pq(k, 'CE') - pq(k, 'PE') for k in ks}
sl = sorted((y[b] - y[a]) / (b - a) for i, a in enumerate(ks) for b in ks[i + 1:])
D = -(sl[len(sl) // 2] if len(sl) % 2 else (sl[len(sl) // 2 - 1] + sl[len(sl) // 2]) / 2)
r = -math.log(D) / T
near = sorted(ks, key=lambda k: abs(k - F0))[:5]
fs = sorted(k + (y[k]) / D for k in near)
F = fs[2]
ivs = {}
for k in ks:
    call = k >= F
    ivs[k] = (call, iv(call, q[k, 'CE' if call else 'PE']['last'], F, k, T, r))
atm_k = min(ks, key=lambda k: abs(k - F))
def delta(call, k, v):
    s = v * math.sqrt(T); d1 = math.log(F / k) / s + s / 2
    return D * N(d1) if call else -D * N(-d1)
c25 = min((k for k in ks if ivs[k][0]), key=lambda k: abs(delta(True, k, ivs[k][1]) - 0.25))
p25 = min((k for k in ks if not ivs[k][0]), key=lambda k: abs(delta(False, k, ivs[k][1]) + 0.25))
def pain(K):
    return sum(q[k, 'CE']['oi'] * max(K - k, 0) + q[k, 'PE']['oi'] * max(k - K, 0) for k in ks)
want = dict(type='chain', underlying='NIFTY', expiry='2025-12-30', timestamp=now, time_to_expiry=T,
            forward=F, rate=r, forward_source='parity', atm_iv=ivs[atm_k][1],
            rr25=ivs[c25][1] - ivs[p25][1], bf25=(ivs[c25][1] + ivs[p25][1]) / 2 - ivs[atm_k][1],
            pcr_oi=sum(q[k, 'PE']['oi'] for k in ks) / sum(q[k, 'CE']['oi'] for k in ks),
            pcr_volume=sum(q[k, 'PE']['vol'] for k in ks) / sum(q[k, 'CE']['vol'] for k in ks),
            max_pain=min(ks, key=pain), fresh_iv=21, strikes=21)
json.dump(want, open(d + '/want.json', 'w'))
print('want: F %.4f r %.6f atm %d c25 %d p25 %d' % (F, r, atm_k, c25, p25), file=sys.stderr)
PY
}

@test "chain lines: once a second of feed time per underlying and expiry, their figures as computed independently; -j 2 the same" {
	fixed_chain
	tick-greeks -i "$T/fixed.csv" <"$T/fixed.in" >"$T/out"
	tick-greeks -j 2 -i "$T/fixed.csv" <"$T/fixed.in" >"$T/out2"
	cmp "$T/out" "$T/out2"
	# two chain lines: before the first option tick of each later second
	[ "$(grep -c '"type":"chain"' "$T/out")" -eq 2 ]
	[ "$(sed -n 45p "$T/out" | jq -r .type)" = chain ]
	[ "$(grep -v '"type":"chain"' "$T/out" | wc -l)" -eq "$(wc -l <"$T/fixed.in")" ]
	grep '"type":"chain"' "$T/out" | tail -n 1 >"$T/got.json"
	cat "$T/got.json" >&2
	python3 - "$T/got.json" "$T/want.json" <<'PY'
import json, sys
got, want = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
bad = []
for k, w in want.items():
    g = got.get(k)
    if isinstance(w, float):
        tol = 1e-9 if k in ('atm_iv', 'rr25', 'bf25') else 1e-12 * max(1, abs(w))
        if k == 'rate':
            tol = 1e-9
        if g is None or abs(g - w) > tol:
            bad.append('%s: %r, want %r' % (k, g, w))
    elif g != w:
        bad.append('%s: %r, want %r' % (k, g, w))
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
	# none with --chain 0, nor with --model bsm (its output as before)
	tick-greeks --chain 0 -i "$T/fixed.csv" <"$T/fixed.in" >"$T/out0"
	[ "$(grep -c '"type":"chain"' "$T/out0")" -eq 0 ]
	tick-greeks --model bsm -i "$T/fixed.csv" <"$T/fixed.in" >"$T/outb"
	[ "$(grep -c '"type":"chain"' "$T/outb")" -eq 0 ]
}
