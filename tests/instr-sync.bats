#!/usr/bin/env bats
# instr-sync: parsing, output, filters, chain, fetch from kite-sim (gzip,
# cache, faults) and the PostgreSQL sync against a private PostgreSQL.

load helper
load services
load kite-sim
load instr-sync

bats_require_minimum_version 1.5.0

M=$KP_TESTDATA/kiteconnect-mocks

setup_file() {
	require_cmd jq jq
	kp_pg_start
}

teardown_file() {
	kp_services_stop
}

teardown() {
	sim_stop
}

hdr=instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange

q() {
	psql -X -At -v ON_ERROR_STOP=1 -c "$1"
}

fresh_db() {
	psql -X -q -c "DROP TABLE IF EXISTS instruments, sync_runs, schema_version"
}

# what a refused sync must leave as it was: rows, active rows, the newest
# change
db_state() {
	q "SELECT count(*)||' '||count(*) FILTER (WHERE active)||' '||max(updated_at) FROM instruments"
}

# a fresh table holding instr_gen N ($T/full.csv); sets before
synced() {
	fresh_db
	instr_gen "$1" >"$T/full.csv"
	instr-sync --sync -f "$T/full.csv"
	before=$(db_state)
	[ "$(q "SELECT count(*) FROM instruments WHERE active")" -eq "$1" ]
}

@test "mocks: every row as NDJSON with Kite's field names" {
	run instr-sync -f "$M/instruments_all.csv"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 99 ]
	printf '%s\n' "$output" | jq -e -s 'all(has("instrument_token") and
		has("tradingsymbol") and has("expiry") and has("lot_size"))'
	first=$(printf '%s\n' "$output" | head -n 1)
	[ "$first" = '{"instrument_token":3813889,"exchange_token":14898,"tradingsymbol":"CENTRALBK-BE","name":"CENTRAL BANK OF INDIA","last_price":0,"expiry":null,"strike":0,"tick_size":0.05,"lot_size":1,"instrument_type":"EQ","segment":"NSE","exchange":"NSE"}' ]
	opt=$(printf '%s\n' "$output" | jq -c 'select(.tradingsymbol ==
		"BANKNIFTY18JAN23500CE") | [.expiry, .strike, .last_price]')
	[ "$opt" = '["2018-01-25",23500,2528.4]' ]
}

@test "filters: exchange, type, segment, name, expiry window" {
	[ "$(instr-sync -f "$M/instruments_all.csv" -x BSE | wc -l)" -eq 19 ]
	[ "$(instr-sync -f "$M/instruments_all.csv" --type CE | wc -l)" -eq 10 ]
	[ "$(instr-sync -f "$M/instruments_all.csv" --segment NFO-OPT | wc -l)" -eq 25 ]
	[ "$(instr-sync -f "$M/instruments_all.csv" --name 'CENTRAL BANK OF INDIA' | wc -l)" -eq 1 ]
	# expiries in the mock: 2017-11-30, 2017-12-28, 2018-01-25
	n=$(instr-sync -f "$M/instruments_all.csv" --today 2017-12-01 \
		--expiry-within 30 | jq -r .expiry | sort -u | tr '\n' ' ')
	[ "$n" = "2017-12-28 " ]
}

@test "CSV output reads back to the same rows" {
	instr-sync -f "$M/instruments_all.csv" >"$T/a.json"
	instr-sync -f "$M/instruments_all.csv" --csv >"$T/a.csv"
	[ "$(head -n 1 "$T/a.csv")" = "$hdr" ]
	instr-sync -f "$T/a.csv" >"$T/b.json"
	cmp "$T/a.json" "$T/b.json"
}

@test "CSV edge cases: BOM, CRLF, reordered and extra columns, quotes" {
	printf '\xef\xbb\xbfexchange,extra,segment,instrument_type,lot_size,tick_size,strike,expiry,last_price,name,tradingsymbol,exchange_token,instrument_token\r\n' >"$T/e.csv"
	printf 'NSE,"x,""y""",NSE,EQ,1,0.05,0,,1.5,"A, ""B""\nC",ABC,7,42\r\n' >>"$T/e.csv"
	printf '\r\nBSE,,BSE,EQ,1,0.01,0,,0,,XYZ,8,43' >>"$T/e.csv"
	run instr-sync -f "$T/e.csv"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(printf '%s\n' "${lines[0]}" | jq -r .name)" = "$(printf 'A, "B"\nC')" ]
	[ "$(printf '%s\n' "${lines[1]}" | jq -c '[.instrument_token,.name,.tick_size]')" = '[43,"",0.01]' ]
	# stdin, and the CSV writer quotes what needs it
	instr-sync -f - --csv <"$T/e.csv" >"$T/e2.csv"
	[ "$(instr-sync -f "$T/e2.csv")" = "$(instr-sync -f "$T/e.csv")" ]
}

@test "bad rows: reported by line, counted, the rest goes on, exit 1" {
	{ echo "$hdr"
	  echo "1,1,A,a,0,,0,0.05,1,EQ,NSE,NSE"
	  echo "x,1,B,b,0,,0,0.05,1,EQ,NSE,NSE"
	  echo "3,1,C,c,0,2023-02-30,0,0.05,1,FUT,NFO-FUT,NFO"
	  echo "4,1,D,d,1e3,,0,0.05,1,EQ,NSE,NSE"
	  echo "5,1,E,e,0,,0,0.05,1,OPT,NSE,NSE"
	  echo "6,1,F"
	  printf '7,1,G,"%s",0,,0,0.05,1,EQ,NSE,NSE\n' "$(head -c 5000 /dev/zero | tr '\0' x)"
	  echo "8,1,H,h,0,,0,0.05,1,EQ,NSE,NSE"
	} >"$T/bad.csv"
	run --separate-stderr instr-sync -f "$T/bad.csv"
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "$output" | jq -r .tradingsymbol | tr '\n' ' ')" = "A H " ]
	grep -q "line 3: bad instrument_token 'x'" <<<"$stderr"
	grep -q "line 4: bad expiry '2023-02-30'" <<<"$stderr"
	grep -q "line 5: bad last_price '1e3'" <<<"$stderr"
	grep -q "line 6: bad instrument_type 'OPT'" <<<"$stderr"
	grep -q "line 7: 3 fields, no name" <<<"$stderr"
	grep -q "line 8: bad name" <<<"$stderr"
	grep -q "bad=6" <<<"$stderr"
}

@test "a missing required column is a clear error, exit 100" {
	printf 'instrument_token,tradingsymbol\n1,A\n' >"$T/m.csv"
	run --separate-stderr instr-sync -f "$T/m.csv"
	[ "$status" -eq 100 ]
	[ -z "$output" ]
	grep -q "required column 'exchange_token' missing" <<<"$stderr"
	run instr-sync -f /dev/null
	[ "$status" -eq 100 ]
	run instr-sync -f "$T/no-such-file"
	[ "$status" -eq 111 ]
}

@test "chain: strikes around the money, nearest expiries, underlying and future" {
	instr_gen 200 >"$T/l.csv"
	run instr-sync -f "$T/l.csv" --today 2030-01-01 --chain NIFTY \
		--spot 20049 --strikes 2
	[ "$status" -eq 0 ]
	got=$(printf '%s\n' "$output" | jq -r .tradingsymbol | tr '\n' ' ')
	[ "$got" = "NIFTY 50 NIFTY30JANFUT NIFTY30JAN19800CE NIFTY30JAN19800PE NIFTY30JAN19900CE NIFTY30JAN19900PE NIFTY30JAN20000CE NIFTY30JAN20000PE NIFTY30JAN20100CE NIFTY30JAN20100PE NIFTY30JAN20200CE NIFTY30JAN20200PE " ]
	# spot from the future's last_price (20040), two expiries
	run instr-sync -f "$T/l.csv" --today 2030-01-01 --chain NIFTY \
		--strikes 0 --expiries 2
	got=$(printf '%s\n' "$output" | jq -r .tradingsymbol | tr '\n' ' ')
	[ "$got" = "NIFTY 50 NIFTY30JANFUT NIFTY30JAN20000CE NIFTY30JAN20000PE NIFTY30FEB20000CE NIFTY30FEB20000PE " ]
	# after the January expiry, February is the nearest
	run instr-sync -f "$T/l.csv" --today 2030-02-01 --chain NIFTY \
		--spot 20000 --strikes 0
	got=$(printf '%s\n' "$output" | jq -r .tradingsymbol | tr '\n' ' ')
	[ "$got" = "NIFTY 50 NIFTY30FEB20000CE NIFTY30FEB20000PE " ]
}

@test "chain --subs: kite-stream's subscription file format" {
	instr_gen 200 >"$T/l.csv"
	run instr-sync -f "$T/l.csv" --today 2030-01-01 --chain NIFTY \
		--spot 20000 --strikes 1 --subs full
	[ "$status" -eq 0 ]
	data=$(printf '%s\n' "$output" | grep -v '^#')
	[ "$(wc -l <<<"$data")" -eq 8 ]
	run ! grep -vqE '^[0-9]+ full$' <<<"$data"
	grep -q '^256265 full$' <<<"$data"
	tok=$(instr-sync -f "$T/l.csv" | jq -r 'select(.tradingsymbol ==
		"NIFTY30JAN20100PE") | .instrument_token')
	grep -q "^$tok full\$" <<<"$data"
	run instr-sync -f "$T/l.csv" --chain NOSUCH
	[ "$status" -eq 100 ]
}

@test "fetch from kite-sim: gzip, auth headers, one exchange" {
	sim_start
	run --separate-stderr instr-sync
	[ "$status" -eq 0 ]
	n=${#lines[@]}
	[ "$n" -gt 100 ]
	[ "$(curl -sS -H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$KITE_API_URL/instruments" | tail -n +2 | wc -l)" -eq "$n" ]
	nfo=$(instr-sync -x NFO | jq -r .exchange | sort -u)
	[ "$nfo" = NFO ]
	# wrong credentials: permanent
	KITE_ACCESS_TOKEN=wrong run --separate-stderr instr-sync
	[ "$status" -eq 100 ]
	grep -q "HTTP 403" <<<"$stderr"
}

@test "conditional GET: a 304 with --cache does nothing, exit 0" {
	sim_start
	run instr-sync --cache "$T"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -gt 100 ]
	[ -s "$T/instruments.etag" ]
	run --separate-stderr instr-sync --cache "$T"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	run --separate-stderr instr-sync -v --cache "$T"
	[ "$status" -eq 0 ]
	grep -q "not modified" <<<"$stderr"
}

@test "sync from kite-sim; failed downloads (5xx, dead port) leave the database untouched" {
	sim_start
	run --separate-stderr instr-sync -v --sync
	[ "$status" -eq 0 ]
	grep -q "synced rows=" <<<"$stderr"
	n=$(instr-sync | wc -l)
	[ "$(q "SELECT count(*) FROM instruments WHERE active AND instrument_token IN (SELECT instrument_token FROM instruments WHERE last_seen IS NOT NULL)")" -ge "$n" ]
	runs=$(q "SELECT count(*) FROM sync_runs")
	sim_ctl "http-5xx 1" >/dev/null
	INSTR_SYNC_RETRIES=1 run --separate-stderr instr-sync --sync
	[ "$status" -eq 111 ]
	grep -q "HTTP 503" <<<"$stderr"
	grep -q "giving up after 2 attempts" <<<"$stderr"
	port=$(_kp_free_port)
	KITE_API_URL=http://127.0.0.1:$port INSTR_SYNC_RETRIES=0 \
		run instr-sync --sync
	[ "$status" -eq 111 ]
	[ "$(q "SELECT count(*) FROM sync_runs")" -eq "$runs" ]
	[ "$(q "SELECT count(*) FROM instruments WHERE active")" -ge "$n" ]
}

@test "sync: first, unchanged, changed (added, changed, reused, vanished), dry run" {
	psql -X -q -c "DROP TABLE IF EXISTS instruments, sync_runs, schema_version"
	instr_gen 1000 >"$T/d1.csv"
	run --separate-stderr instr-sync -v --sync -f "$T/d1.csv"
	[ "$status" -eq 0 ]
	grep -q "synced rows=1000 bad=0 added=1000 changed=0 reused=0 deactivated=0 unchanged=0" <<<"$stderr"
	[ "$(q "SELECT count(*) FROM instruments WHERE active")" -eq 1000 ]
	[ "$(q "SELECT max(version) FROM schema_version")" -eq 2 ]
	[ "$(q "SELECT tradingsymbol||' '||expiry||' '||strike FROM instruments WHERE tradingsymbol = 'NIFTY30JAN20000CE'")" = "NIFTY30JAN20000CE 2030-01-31 20000.0000" ]
	# unchanged: silent, nothing written
	before=$(q "SELECT max(updated_at) FROM instruments")
	run --separate-stderr instr-sync --sync -f "$T/d1.csv"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(q "SELECT max(updated_at) FROM instruments")" = "$before" ]
	[ "$(q "SELECT unchanged||' '||added||' '||changed FROM sync_runs ORDER BY id DESC LIMIT 1")" = "1000 0 0" ]
	# day 2: every equity's price moves, one row vanishes, one is new, a
	# token is reused for another contract
	instr_gen 1000 1 | grep -v '^20000005,' |
		sed 's/^20000007,50007,STOCK7,"STOCK 7, LTD"/20000007,50007,NEWCO,"NEW CO"/' >"$T/d2.csv"
	echo "30000001,1,ADDED,added,1.0,,0,0.05,1,EQ,NSE,NSE" >>"$T/d2.csv"
	neq=$(grep -c ',EQ,NSE,NSE$' "$T/d1.csv")
	# dry run first: counts, nothing committed
	run --separate-stderr instr-sync --sync --dry-run -f "$T/d2.csv"
	[ "$status" -eq 0 ]
	grep -q "dry run, nothing committed: synced rows=1000 bad=0 added=1 changed=$((neq - 2)) reused=1 deactivated=1" <<<"$stderr"
	[ "$(q "SELECT count(*) FROM instruments WHERE tradingsymbol = 'NEWCO'")" -eq 0 ]
	[ "$(q "SELECT count(*) FROM sync_runs")" -eq 2 ]
	run --separate-stderr instr-sync -v --sync -f "$T/d2.csv"
	[ "$status" -eq 0 ]
	grep -q "added=1 changed=$((neq - 2)) reused=1 deactivated=1 unchanged=$((1000 - neq))" <<<"$stderr"
	[ "$(q "SELECT active FROM instruments WHERE instrument_token = 20000005")" = f ]
	[ "$(q "SELECT tradingsymbol FROM instruments WHERE instrument_token = 20000007")" = NEWCO ]
	[ "$(q "SELECT count(*) FROM instruments")" -eq 1001 ]
	[ "$(q "SELECT reused||' '||deactivated FROM sync_runs ORDER BY id DESC LIMIT 1")" = "1 1" ]
	# back: the vanished row comes back active (changed)
	run --separate-stderr instr-sync -v --sync -f "$T/d1.csv"
	[ "$(q "SELECT active FROM instruments WHERE instrument_token = 20000005")" = t ]
}

@test "sync: a bad list leaves the database untouched; bad rows skip deactivation" {
	fresh_db
	instr_gen 300 >"$T/d1.csv"
	instr-sync --sync -f "$T/d1.csv"
	runs=$(q "SELECT count(*) FROM sync_runs")
	printf 'instrument_token,tradingsymbol\n1,A\n' >"$T/m.csv"
	run instr-sync --sync -f "$T/m.csv"
	[ "$status" -eq 100 ]
	echo "$hdr" >"$T/h.csv"
	run instr-sync --sync -f "$T/h.csv"
	[ "$status" -eq 100 ]
	[ "$(q "SELECT count(*) FROM sync_runs")" -eq "$runs" ]
	head -n 100 "$T/d1.csv" >"$T/part.csv"
	echo "x,1,B,b,0,,0,0.05,1,EQ,NSE,NSE" >>"$T/part.csv"
	run --separate-stderr instr-sync --sync --allow-bad 1 -f "$T/part.csv"
	[ "$status" -eq 1 ]
	grep -q "nothing is marked inactive" <<<"$stderr"
	[ "$(q "SELECT count(*) FROM instruments WHERE active")" -eq 300 ]
	# a token listed twice is a rejected row: refused, or with
	# --allow-bad 1 the first row counts, exit 1
	{ cat "$T/d1.csv"; sed -n 5p "$T/d1.csv"; } >"$T/dup.csv"
	run --separate-stderr instr-sync --sync -f "$T/dup.csv"
	[ "$status" -eq 1 ]
	grep -q "line 302: instrument_token .* listed again" <<<"$stderr"
	grep -q "refusing the sync: 1 rejected row" <<<"$stderr"
	run --separate-stderr instr-sync --sync --allow-bad 1 -f "$T/dup.csv"
	[ "$status" -eq 1 ]
	grep -q "synced rows=301 bad=1" <<<"$stderr"
}

@test "sync: concurrent runs serialize; --no-wait fails fast while locked" {
	instr_gen 3000 >"$T/c1.csv"
	instr_gen 3000 1 >"$T/c2.csv"
	instr-sync --sync -f "$T/c1.csv" 2>"$T/e1" & p1=$!
	instr-sync --sync -f "$T/c2.csv" 2>"$T/e2" & p2=$!
	instr-sync --sync -f "$T/c1.csv" 2>"$T/e3" & p3=$!
	wait $p1; wait $p2; wait $p3
	# whichever came last, the table is one whole list, all active
	[ "$(q "SELECT count(*) FROM instruments WHERE active")" -eq 3000 ]
	[ "$(q "SELECT count(*) FROM sync_runs WHERE source LIKE '%/c_.csv'")" -eq 3 ]
	run ! grep -q fatal "$T/e1" "$T/e2" "$T/e3"
	# hold the lock from psql, then --no-wait gives up with 111
	psql -X -q -c "SELECT pg_advisory_lock(7311947602145260391), pg_sleep(30)" >/dev/null 2>&1 & hold=$!
	for i in $(seq 1 100); do
		[ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" -ge 1 ] && break
		sleep 0.1
	done
	run --separate-stderr instr-sync --sync --no-wait -f "$T/c1.csv"
	kill $hold; wait $hold || true
	[ "$status" -eq 111 ]
	grep -q "another instr-sync is running" <<<"$stderr"
}

@test "sync: a list cut at a line boundary is refused (deactivation bound), nothing changes" {
	synced 2000
	# the next day's list (every equity's price moves), cut after 100 rows
	instr_gen 2000 1 | head -n 101 >"$T/cut.csv"
	run --separate-stderr instr-sync --sync -f "$T/cut.csv"
	[ "$status" -eq 1 ]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	grep -q "refusing the sync: it would mark 1900 of 2000 active instruments inactive (95.0%), over the bound of 5%" <<<"$stderr"
	[ "$(db_state)" = "$before" ]
	[ "$(q "SELECT count(*) FROM instruments WHERE active")" -eq 2000 ]
	[ "$(q "SELECT deactivated||' '||coalesce(refused, 'null') FROM sync_runs ORDER BY id DESC LIMIT 1")" = "1900 deactivate" ]
	# a dry run is refused the same way
	run --separate-stderr instr-sync --sync --dry-run -f "$T/cut.csv"
	[ "$status" -eq 1 ]
	grep -q "refusing the sync" <<<"$stderr"
	[ "$(db_state)" = "$before" ]
}

@test "sync: --max-deactivate lets a legitimate large delisting through" {
	fresh_db
	instr_gen 2000 >"$T/full.csv"
	# the first sync into an empty table has nothing to deactivate
	run --separate-stderr instr-sync --sync --max-deactivate 0 -f "$T/full.csv"
	[ "$status" -eq 0 ]
	# 500 of 2000 (25%) delisted
	head -n 1501 "$T/full.csv" >"$T/less.csv"
	run --separate-stderr instr-sync --sync -f "$T/less.csv"
	[ "$status" -eq 1 ]
	grep -q "would mark 500 of 2000 active instruments inactive (25.0%), over the bound of 5%" <<<"$stderr"
	run --separate-stderr instr-sync --sync --max-deactivate 24.9 -f "$T/less.csv"
	[ "$status" -eq 1 ]
	grep -q "over the bound of 24.9%" <<<"$stderr"
	[ "$(q "SELECT count(*) FROM instruments WHERE active")" -eq 2000 ]
	run --separate-stderr instr-sync -v --sync --max-deactivate 25 -f "$T/less.csv"
	[ "$status" -eq 0 ]
	grep -q "deactivated=500" <<<"$stderr"
	[ "$(q "SELECT count(*) FROM instruments WHERE active")" -eq 1500 ]
	[ "$(q "SELECT coalesce(refused, 'null') FROM sync_runs ORDER BY id DESC LIMIT 1")" = null ]
	run instr-sync --sync --max-deactivate 101 -f "$T/less.csv"
	[ "$status" -eq 100 ]
	run instr-sync --max-deactivate 5 -f "$T/less.csv"
	[ "$status" -eq 100 ]
}

@test "sync: a list cut mid-row is refused, nothing changes" {
	synced 2000
	instr_gen 2000 1 >"$T/day2.csv"
	# cut inside a row, and inside the last field of the last row
	# ("...,NSE" -> "...,NS", a well-formed row but for its end):
	# --max-deactivate 100 so the bound is not what refuses them
	head -c $(($(stat -c %s "$T/day2.csv") / 2)) "$T/day2.csv" >"$T/cut1.csv"
	head -c -2 "$T/day2.csv" >"$T/cut2.csv"
	[ "$(tail -c 3 "$T/cut2.csv")" = ",NS" ]
	for f in cut1 cut2; do
		run --separate-stderr instr-sync --sync --max-deactivate 100 -f "$T/$f.csv"
		[ "$status" -eq 1 ]
		grep -q "ends mid-row" <<<"$stderr"
		grep -q "refusing the sync: 1 rejected row" <<<"$stderr"
		[ "$(db_state)" = "$before" ]
	done
	[ "$(q "SELECT count(*) FROM instruments WHERE exchange = 'NS'")" -eq 0 ]
	# what zcat gives of a cut gzip: the same
	gzip -c "$T/day2.csv" >"$T/day2.csv.gz"
	head -c $(($(stat -c %s "$T/day2.csv.gz") / 2)) "$T/day2.csv.gz" >"$T/cut.gz"
	run --separate-stderr bash -c "zcat '$T/cut.gz' 2>/dev/null | instr-sync --sync --max-deactivate 100 -f -"
	[ "$status" -eq 1 ]
	grep -q "ends mid-row" <<<"$stderr"
	[ "$(db_state)" = "$before" ]
	# the whole list is fine
	run --separate-stderr instr-sync --sync -f "$T/day2.csv"
	[ "$status" -eq 0 ]
	[ "$(db_state)" != "$before" ]
}

@test "sync: a truncated or corrupt gzip is a fatal input error, nothing changes" {
	synced 2000
	instr_gen 2000 1 | gzip -c >"$T/day2.gz"
	sz=$(stat -c %s "$T/day2.gz")
	head -c $((sz / 2)) "$T/day2.gz" >"$T/cut.gz"
	# only the 8-byte trailer (CRC, length) missing
	head -c $((sz - 8)) "$T/day2.gz" >"$T/notrailer.gz"
	# one byte of the CRC flipped
	cp "$T/day2.gz" "$T/crc.gz"
	printf '\x55' | dd of="$T/crc.gz" bs=1 seek=$((sz - 8)) conv=notrunc status=none
	run ! cmp -s "$T/day2.gz" "$T/crc.gz"
	for f in cut notrailer crc; do
		run --separate-stderr instr-sync --sync --max-deactivate 100 -f "$T/$f.gz"
		[ "$status" -eq 100 ]
		grep -q "gzip" <<<"$stderr"
		[ "$(db_state)" = "$before" ]
	done
	grep -q "incorrect data check" <<<"$stderr"
	# the whole gzip file syncs
	run --separate-stderr instr-sync -v --sync -f "$T/day2.gz"
	[ "$status" -eq 0 ]
	grep -q "synced rows=2000 bad=0" <<<"$stderr"
	[ "$(db_state)" != "$before" ]
}

@test "sync from kite-sim: a gzip Kite cuts short or corrupts is fatal (111), nothing changes" {
	sim_start
	fresh_db
	run --separate-stderr instr-sync --sync
	[ "$status" -eq 0 ]
	before=$(db_state)
	runs=$(q "SELECT count(*) FROM sync_runs")
	# the dump's gzip body cut in the middle, then at 64 bytes, then one
	# byte of it changed (kite-sim's dump-cut and dump-corrupt faults)
	len=$(curl -sS --compressed -o /dev/null -w '%{size_download}' \
		-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		-H 'Accept-Encoding: gzip' --raw "$KITE_API_URL/instruments")
	[ "$len" -gt 1000 ]
	for fault in "dump-cut $((len / 2))" "dump-cut 64" "dump-corrupt on"; do
		sim_ctl clear "$fault" >/dev/null
		INSTR_SYNC_RETRIES=0 run --separate-stderr instr-sync --sync --max-deactivate 100
		[ "$status" -eq 111 ] || { echo "$fault: exit $status: $stderr" >&2; false; }
		grep -q "gzip" <<<"$stderr"
		[ "$(db_state)" = "$before" ]
	done
	[ "$(q "SELECT count(*) FROM sync_runs")" -eq "$runs" ]
	sim_ctl clear >/dev/null
	run --separate-stderr instr-sync --sync
	[ "$status" -eq 0 ]
}

@test "sync: --allow-bad N lets N rejected rows through, not N+1" {
	synced 500
	instr_gen 500 1 | sed -e '5s/^[0-9]*,/x,/' -e '9s/,NFO$/,N!FO/' >"$T/bad.csv"
	for n in 0 1; do
		run --separate-stderr instr-sync --sync --allow-bad $n -f "$T/bad.csv"
		[ "$status" -eq 1 ]
		grep -q "line 5: bad instrument_token" <<<"$stderr"
		grep -q "refusing the sync: 2 rejected rows, over --allow-bad $n" <<<"$stderr"
		[ "$(db_state)" = "$before" ]
	done
	run --separate-stderr instr-sync --sync --allow-bad 2 -f "$T/bad.csv"
	[ "$status" -eq 1 ]
	grep -q "synced rows=498 bad=2" <<<"$stderr"
	grep -q "nothing is marked inactive" <<<"$stderr"
	[ "$(db_state)" != "$before" ]
	[ "$(q "SELECT count(*) FROM instruments WHERE active")" -eq 500 ]
	run instr-sync --sync --allow-bad -1 -f "$T/bad.csv"
	[ "$status" -eq 100 ]
}

@test "usage errors exit 100; -h prints usage" {
	run instr-sync -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"--chain NAME"* ]]
	run instr-sync --bogus
	[ "$status" -eq 100 ]
	run instr-sync --sync --csv -f /dev/null
	[ "$status" -eq 100 ]
	run instr-sync --dry-run -f /dev/null
	[ "$status" -eq 100 ]
	run instr-sync --chain NIFTY --spot abc
	[ "$status" -eq 100 ]
	run instr-sync -h
	[[ "$output" == *"--max-deactivate PCT"* ]]
	[[ "$output" == *"--allow-bad N"* ]]
}

# pv FILE NAME: the value of kitepipe_instr_sync_NAME in a textfile
pv() {
	awk -v m="kitepipe_instr_sync_$2" '$1 == m { print $2 }' "$1"
}

# prom_is_last_run FILE: FILE's counts are the newest sync_runs row's
prom_is_last_run() {
	local row
	row=$(q "SELECT rows||' '||bad||' '||added||' '||changed||' '||reused||' '||deactivated||' '||unchanged FROM sync_runs ORDER BY id DESC LIMIT 1")
	[ "$(pv "$1" rows) $(pv "$1" bad) $(pv "$1" added) $(pv "$1" changed) $(pv "$1" reused) $(pv "$1" deactivated) $(pv "$1" unchanged)" = "$row" ] ||
		{ echo "textfile: $(grep -v '^#' "$1" | tr '\n' ' ') db: $row" >&2; return 1; }
}

@test "-P and KITEPIPE_PROM_FILE: the last run's time, exit code and counts as a Prometheus textfile" {
	fresh_db
	instr_gen 500 >"$T/d1.csv"
	t0=$(date +%s)
	instr-sync --sync -f "$T/d1.csv" -P "$T/is.prom"
	prom_check "$T/is.prom"
	prom_is_last_run "$T/is.prom"
	[ "$(pv "$T/is.prom" last_exit_code)" = 0 ]
	[ "$(pv "$T/is.prom" added)" = 500 ]
	ts=$(pv "$T/is.prom" last_run_timestamp_seconds)
	awk -v ts="$ts" -v t0="$t0" -v t1="$(date +%s)" \
		'BEGIN { exit !(ts >= t0 && ts <= t1 + 1) }'
	# day 2, through the environment: changes and a vanished row
	instr_gen 500 1 | grep -v '^20000005,' >"$T/d2.csv"
	KITEPIPE_PROM_FILE=$T/is.prom instr-sync --sync -f "$T/d2.csv"
	prom_check "$T/is.prom"
	prom_is_last_run "$T/is.prom"
	[ "$(pv "$T/is.prom" deactivated)" = 1 ]
	[ "$(pv "$T/is.prom" changed)" -gt 0 ]
	# a refused run (a rejected row): exit 1 and its counts
	{ cat "$T/d1.csv"; sed -n 5p "$T/d1.csv"; } >"$T/dup.csv"
	run instr-sync --sync -f "$T/dup.csv" -P "$T/is.prom"
	[ "$status" -eq 1 ]
	[ "$(pv "$T/is.prom" last_exit_code)" = 1 ]
	[ "$(pv "$T/is.prom" bad)" = 1 ]
	prom_is_last_run "$T/is.prom"
	# no database: exit 111, recorded; the flag wins over the environment
	KITEPIPE_PROM_FILE=$T/other.prom \
		run instr-sync --sync --db "postgresql:///nodb?host=$T/none" \
		-f "$T/d1.csv" -P "$T/is.prom"
	[ "$status" -eq 111 ]
	[ "$(pv "$T/is.prom" last_exit_code)" = 111 ]
	[ ! -e "$T/other.prom" ]
	prom_check "$T/is.prom"
	# not a sync: rows written, no sync counts
	instr-sync -f "$T/d1.csv" -P "$T/list.prom" >/dev/null
	[ "$(pv "$T/list.prom" rows)" = 500 ]
	[ "$(pv "$T/list.prom" added)" = 0 ]
}
