#!/usr/bin/env bats
# tick-greeks --db: the instrument list from instr-sync's PostgreSQL table,
# against a private PostgreSQL filled by instr-sync from kite-sim's list;
# the same ticks enriched from -i on the same list are the reference.

load helper
load services
load kite-sim

bats_require_minimum_version 1.5.0

# setup_file: PostgreSQL, kite-sim's list synced into it by instr-sync,
# the same list as CSV in $F/sim.csv and ticks for it in $F/ticks.
setup_file() {
	require_cmd jq jq
	require_cmd psql postgresql-client
	kp_pg_start
	F=$BATS_FILE_TMPDIR
	export F
	sim_start
	curl -fsS -H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$KITE_API_URL/instruments" >"$F/sim.csv"
	curl -fsS "$KITE_API_URL/sim/smile" >"$F/smile"
	instr-sync --sync 2>"$F/sync.err"
	sim_stop
	ticks "$F/sim.csv" >"$F/ticks"
	# NIFTY's spot and the simulator's time
	SPOT=$(jq -r '.underlyings[] | select(.name == "NIFTY") | .spot' "$F/smile")
	TS=$(jq -r '.now_us / 1e6 | floor' "$F/smile")
	export SPOT TS
}

teardown_file() {
	kp_services_stop
}

teardown() {
	sim_stop
	if [ -n "${SLEEP_PID:-}" ]; then
		kill "$SLEEP_PID" 2>/dev/null || true
		wait "$SLEEP_PID" 2>/dev/null || true
	fi
	if [ -n "${TG_PID:-}" ]; then
		kill "$TG_PID" 2>/dev/null || true
		wait "$TG_PID" 2>/dev/null || true
	fi
	exec 7>&- 2>/dev/null || true
}

q() {
	psql -X -At -v ON_ERROR_STOP=1 -c "$1"
}

# ticks LIST: each underlying of kite-sim's smile at its spot, then one
# tick per option of LIST at its listed (model) price, all at the
# simulator's time.
ticks() {
	jq -r '(.now_us / 1e6 | floor) as $t | .underlyings[] |
		"{\"instrument_token\":\(.instrument_token),\"last_price\":\(.spot),\"exchange_timestamp\":\($t)}"' \
		"$F/smile"
	awk -F, -v t="$(jq -r '.now_us / 1e6 | floor' "$F/smile")" \
		'NR > 1 && ($10 == "CE" || $10 == "PE") {
		printf "{\"instrument_token\":%d,\"last_price\":%s,\"exchange_timestamp\":%d}\n", $1, $5, t
	}' "$1"
}

# atm TYPE: "TOKEN PRICE" of kite-sim's NIFTY option of TYPE (CE, PE)
# with the strike nearest the spot on the second expiry, at its listed
# price.
atm() {
	local exp
	exp=$(awk -F, '$4 == "NIFTY" && $10 == "CE" { print $6 }' "$F/sim.csv" |
		sort -u | sed -n 2p)
	awk -F, -v s="$SPOT" -v e="$exp" -v ty="$1" '$4 == "NIFTY" && $10 == ty && $6 == e {
		d = $7 - s; if (d < 0) d = -d
		if (best == "" || d < bd) { best = $1 " " $5; bd = d }
	} END { print best }' "$F/sim.csv"
}

# tg_start ARGS...: tick-greeks reading the fifo $T/fifo (held open on fd
# 7), output in $T/out, log in $T/err.
tg_start() {
	mkfifo "$T/fifo"
	tick-greeks "$@" <"$T/fifo" >"$T/out" 2>"$T/err" &
	TG_PID=$!
	exec 7>"$T/fifo"
}

# wait_for FILE PATTERN: poll up to 20 s for PATTERN in FILE.
wait_for() {
	local i
	for i in $(seq 1 400); do
		grep -q -e "$2" "$1" && return 0
		sleep 0.05
	done
	echo "no '$2' in $1:" >&2
	cat "$1" >&2
	return 1
}

# wait_lines FILE N: poll up to 20 s until FILE has N lines.
wait_lines() {
	local i
	for i in $(seq 1 400); do
		[ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "$1 has $(wc -l <"$1") lines, want $2" >&2
	return 1
}

@test "--db enriches option ticks exactly as -i on the same list" {
	n=$(q "SELECT count(*) FROM instruments WHERE active")
	[ "$n" -eq "$(($(wc -l <"$F/sim.csv") - 1))" ]
	run --separate-stderr tick-greeks -i "$F/sim.csv" <"$F/ticks"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$T/want"
	run --separate-stderr tick-greeks --db <"$F/ticks"
	[ "$status" -eq 0 ]
	[[ $stderr == *"loaded instruments=$n"* ]]
	printf '%s\n' "$output" >"$T/got"
	diff "$T/want" "$T/got"
	# and it is real work: most options have a volatility
	opts=$(jq -c 'select(has("instrument_type"))' "$T/got" | wc -l)
	iv=$(jq -c 'select(.iv != null and .iv > 0.01 and .iv < 2)' "$T/got" | wc -l)
	[ "$opts" -ge 100 ]
	[ "$iv" -ge $((opts / 2)) ]
	# black76 (forwards from the futures) and bsm (the spot) too; the
	# default (the chain's parity forward) is not bsm
	tick-greeks -i "$F/sim.csv" --model black76 <"$F/ticks" >"$T/want76"
	tick-greeks --db --model black76 <"$F/ticks" >"$T/got76"
	diff "$T/want76" "$T/got76"
	tick-greeks -i "$F/sim.csv" --model bsm <"$F/ticks" >"$T/wantbsm"
	tick-greeks --db --model bsm <"$F/ticks" >"$T/gotbsm"
	diff "$T/wantbsm" "$T/gotbsm"
	run ! diff -q "$T/got" "$T/gotbsm"
}

@test "--db=CONNINFO and PG* variables name the database; no table is exit 100" {
	q "DROP DATABASE IF EXISTS empty" >/dev/null
	q "CREATE DATABASE empty" >/dev/null
	run --separate-stderr tick-greeks --db="dbname=empty" </dev/null
	[ "$status" -eq 100 ]
	[[ $stderr == *"instruments"*"does not exist"* ]]
	[[ $stderr == *"instr-sync"* ]]
	# DATABASE_URL wins over PG*; without it, PGDATABASE
	DATABASE_URL= PGDATABASE=empty run --separate-stderr tick-greeks --db </dev/null
	[ "$status" -eq 100 ]
	PGDATABASE=empty run --separate-stderr tick-greeks --db </dev/null
	[ "$status" -eq 0 ]
	run --separate-stderr tick-greeks --db -i "$F/sim.csv" </dev/null
	[ "$status" -eq 100 ]
	[[ $stderr == *"-i and --db"* ]]
}

@test "SIGHUP reloads the database: added and deactivated options; prices kept" {
	read -r tok px < <(atm CE)
	exp=$(awk -F, -v k="$tok" '$1 == k { print $6 }' "$F/sim.csv")
	k=$(awk -F, -v k="$tok" '$1 == k { print $7 + 0 }' "$F/sim.csv")
	tg_start --db
	tick1="{\"instrument_token\":256265,\"last_price\":$SPOT,\"exchange_timestamp\":$TS}"
	tick2="{\"instrument_token\":$tok,\"last_price\":$px,\"exchange_timestamp\":$TS}"
	tick3="{\"instrument_token\":777,\"last_price\":$px,\"exchange_timestamp\":$TS}"
	printf '%s\n' "$tick1" "$tick2" "$tick3" >&7
	wait_lines "$T/out" 3
	sed -n 2p "$T/out" | jq -e --argjson s "$SPOT" '.iv > 0.01 and .underlying_price == $s' >/dev/null
	[ "$(sed -n 3p "$T/out")" = "$tick3" ]
	q "INSERT INTO instruments (instrument_token, exchange_token, tradingsymbol, name, last_price, expiry, strike, tick_size, lot_size, instrument_type, segment, exchange) VALUES (777, 1, 'NIFTYTEST${k}CE', 'NIFTY', 0, '$exp', $k, 0.05, 75, 'CE', 'NFO-OPT', 'NFO')" >/dev/null
	q "UPDATE instruments SET active = false WHERE instrument_token = $tok" >/dev/null
	n=$(q "SELECT count(*) FROM instruments WHERE active")
	kill -HUP "$TG_PID"
	wait_for "$T/err" "reloaded instruments=$n"
	printf '%s\n' "$tick2" "$tick3" >&7
	exec 7>&-
	wait "$TG_PID"
	TG_PID=
	[ "$(sed -n 4p "$T/out")" = "$tick2" ]
	# the same contract under a new token: the same volatility
	sed -n 5p "$T/out" | jq -e --argjson s "$SPOT" --argjson k "$k" \
		'.tradingsymbol == "NIFTYTEST\($k)CE" and .strike == $k and .underlying_price == $s' >/dev/null
	[ "$(sed -n 5p "$T/out" | jq .iv)" = "$(sed -n 2p "$T/out" | jq .iv)" ]
	q "DELETE FROM instruments WHERE instrument_token = 777" >/dev/null
	q "UPDATE instruments SET active = true WHERE instrument_token = $tok" >/dev/null
}

@test "a database down at start is exit 111; down at reload keeps the old list" {
	read -r tok px < <(atm PE)
	tick1="{\"instrument_token\":256265,\"last_price\":$SPOT,\"exchange_timestamp\":$TS}"
	tick2="{\"instrument_token\":$tok,\"last_price\":$px,\"exchange_timestamp\":$TS}"
	tg_start --db
	printf '%s\n' "$tick1" "$tick2" >&7
	wait_lines "$T/out" 2
	kp_pg_stop
	kill -HUP "$TG_PID"
	wait_for "$T/err" "reload failed, keeping the old instruments"
	printf '%s\n' "$tick2" >&7
	exec 7>&-
	wait "$TG_PID"
	TG_PID=
	[ "$(sed -n 2p "$T/out")" = "$(sed -n 3p "$T/out")" ]
	sed -n 3p "$T/out" | jq -e '.iv > 0.01' >/dev/null
	grep -q 'reload failed.*PostgreSQL' "$T/err"
	# down at start: 111, and the URL's password is never logged
	url="postgresql://kp:s3cretpw@/postgres?host=$PGHOST&port=$PGPORT"
	DATABASE_URL=$url run --separate-stderr tick-greeks --db </dev/null
	[ "$status" -eq 111 ]
	[[ $stderr == *"instruments: PostgreSQL: "* ]]
	[[ $stderr != *s3cretpw* ]]
	kp_pg_start
	run --separate-stderr tick-greeks --db </dev/null
	[ "$status" -eq 0 ]
}

@test "examples/tick-greeks-db.sh: sync, then the running filter reloads" {
	# an option gone from the database (as on a day it was not listed)
	read -r tok px < <(atm CE)
	q "DELETE FROM instruments WHERE instrument_token = $tok" >/dev/null
	tick1="{\"instrument_token\":256265,\"last_price\":$SPOT,\"exchange_timestamp\":$TS}"
	tick2="{\"instrument_token\":$tok,\"last_price\":$px,\"exchange_timestamp\":$TS}"
	tg_start --db
	printf '%s\n' "$tick1" "$tick2" >&7
	wait_lines "$T/out" 2
	[ "$(sed -n 2p "$T/out")" = "$tick2" ]
	# (kite-sim must not hold the fifo open)
	sim_start 7>&-
	run --separate-stderr "$KP_ROOT/examples/tick-greeks-db.sh" "$TG_PID"
	[ "$status" -eq 0 ]
	[ "$(q "SELECT count(*) FROM instruments WHERE instrument_token = $tok AND active")" -eq 1 ]
	wait_for "$T/err" "reloaded instruments="
	printf '%s\n' "$tick2" >&7
	exec 7>&-
	wait "$TG_PID"
	TG_PID=
	sed -n 3p "$T/out" | jq -e --argjson s "$SPOT" '.iv > 0.01 and .underlying_price == $s' >/dev/null
	# a failed sync sends no signal (a SIGHUP would end the sleep)
	sim_stop
	sleep 60 &
	SLEEP_PID=$!
	KITE_API_URL=http://127.0.0.1:$(_kp_free_port) INSTR_SYNC_RETRIES=0 \
		run --separate-stderr "$KP_ROOT/examples/tick-greeks-db.sh" "$SLEEP_PID"
	[ "$status" -eq 111 ]
	[[ $stderr == *"keeps its list"* ]]
	kill -0 "$SLEEP_PID"
	run "$KP_ROOT/examples/tick-greeks-db.sh"
	[ "$status" -eq 100 ]
}

@test "-i NDJSON and -m MAP files: bad lines named by line and column" {
	{
		echo '{"instrument_token":256265,"tradingsymbol":"NIFTY 50","name":"NIFTY 50","instrument_type":"EQ","exchange":"NSE"}'
		echo
		echo '{"instrument_token":777,"tradingsymbol":"X","name":"IDX","expiry":"2030-01-31","strike":100,"instrument_type":"CE","exchange":"NFO"}'
		echo '{"instrument_token":778,"tradingsymbol":'
		echo '{"instrument_token":779,"expiry":"2030-02-30"}'
		printf '{"instrument_token":780,"name":"%070000d"}\n' 0
	} >"$T/i.ndjson"
	printf '# map\n\nIDX 256265 # our index\n' >"$T/map"
	printf '%s\n' '{"instrument_token":256265,"last_price":100}' \
		'{"instrument_token":777,"last_price":5,"exchange_timestamp":1893400000}' >"$T/in"
	run --separate-stderr tick-greeks -i "$T/i.ndjson" -m "$T/map" <"$T/in"
	[ "$status" -eq 0 ]
	[[ $stderr == *"line 4: column "*"bad JSON"* ]]
	[[ $stderr == *"line 5: expiry"* ]]
	[[ $stderr == *"line 6: longer than 65536 bytes"* ]]
	[[ $stderr == *"loaded instruments=2"* ]]
	# the map names IDX's underlying: no no_underlying_price
	printf '%s\n' "$output" | tail -n 1 |
		jq -e '.underlying_price == 100 and .iv > 0 and .tradingsymbol == "X"' >/dev/null
	# without the map, IDX has no underlying
	run --separate-stderr tick-greeks -i "$T/i.ndjson" <"$T/in"
	printf '%s\n' "$output" | tail -n 1 | jq -e '.iv_reason == "no_underlying_price"' >/dev/null
	printf 'IDX 256265\nIDX 25x\n' >"$T/map"
	run --separate-stderr tick-greeks -i "$T/i.ndjson" -m "$T/map" </dev/null
	[ "$status" -eq 100 ]
	[[ $stderr == *"line 2: column 7: the token is not a number"* ]]
	printf 'IDX %0600d\n' 1 >"$T/map"
	run --separate-stderr tick-greeks -i "$T/i.ndjson" -m "$T/map" </dev/null
	[ "$status" -eq 100 ]
	[[ $stderr == *"line 1: longer than 511 bytes"* ]]
}
