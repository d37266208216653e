#!/usr/bin/env bats
# examples/instr-sync-*.sh against kite-sim and a private PostgreSQL.

load helper
load services
load kite-sim

bats_require_minimum_version 1.5.0

setup_file() {
	kp_pg_start
}

teardown_file() {
	kp_services_stop
}

setup() {
	require_cmd jq jq
	sim_start
}

teardown() {
	sim_stop
}

@test "instr-sync-chain.sh: a subscription file, replaced only on change" {
	run "$KP_ROOT/examples/instr-sync-chain.sh" NIFTY "$T/subs" 2 24000
	[ "$status" -eq 0 ]
	# the future, 5 strikes x CE+PE in full mode, the index in ltp mode
	[ "$(grep -c ' full$' "$T/subs")" -eq 11 ]
	[ "$(grep -c ' ltp$' "$T/subs")" -eq 1 ]
	idx=$(instr-sync -x NSE --name 'NIFTY 50' | jq -r .instrument_token)
	grep -q "^$idx ltp\$" "$T/subs"
	ino=$(stat -c %i "$T/subs")
	run "$KP_ROOT/examples/instr-sync-chain.sh" NIFTY "$T/subs" 2 24000
	[ "$status" -eq 0 ]
	[ "$(stat -c %i "$T/subs")" = "$ino" ]
	run "$KP_ROOT/examples/instr-sync-chain.sh" NIFTY "$T/subs" 2 25000
	[ "$(stat -c %i "$T/subs")" != "$ino" ]
	run ! ls "$T"/subs.tmp.*
}

@test "instr-sync-cron.sh: syncs, then a cached run does nothing" {
	run --separate-stderr "$KP_ROOT/examples/instr-sync-cron.sh" "$T/state"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	n=$(wc -l <"$T/state/instruments.ndjson")
	[ "$n" -gt 100 ]
	[ "$(psql -X -At -c 'SELECT count(*) FROM instruments WHERE active')" -eq "$n" ]
	runs=$(psql -X -At -c 'SELECT count(*) FROM sync_runs')
	run --separate-stderr "$KP_ROOT/examples/instr-sync-cron.sh" "$T/state"
	[ "$status" -eq 0 ]
	[ "$(psql -X -At -c 'SELECT count(*) FROM sync_runs')" -eq "$runs" ]
}
