#!/usr/bin/env bash
# instr-sync.sh: instr-sync's PostgreSQL sync of a 120,000-row list beside
# psql doing the same work (COPY into a temporary table, the same dedup,
# counts, upsert, deactivation and run record, in one transaction), and
# the NDJSON output of the list.
# SPDX-License-Identifier: MIT
#
# Three sync figures: a first load (empty table), an unchanged re-sync
# (the cron run on a day Kite's list did not change, without --cache) and
# a daily re-sync (the table holds day 1; day 2 changes every equity's
# last_price).  psql gets instr-sync's SQL for a list without repeated
# tokens (instr-sync checks that in C first).  Each is
# the best of 5, both programs against the same private PostgreSQL, in the
# same run.  Target: within 1.2x of psql; NDJSON of 120,000 rows < 0.2 s.

set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=tests/services.bash
source "$root/tests/services.bash"
# shellcheck source=tests/instr-sync.bash
source "$root/tests/instr-sync.bash"
trap 'kp_services_stop >/dev/null 2>&1 || true' EXIT
kp_pg_start >&2

n=${KP_BENCH_INSTR_ROWS:-120000}
d1=$KP_BENCH_TMP/day1.csv
d2=$KP_BENCH_TMP/day2.csv
instr_gen "$n" 0 >"$d1"
instr_gen "$n" 1 >"$d2"
q() { psql -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }

# The same statements as cmd/instr-sync/db.c, for psql.
psql_sync() {
	cat >"$KP_BENCH_TMP/sync.sql" <<SQL
BEGIN;
SELECT pg_advisory_xact_lock(7311947602145260391);
CREATE TEMP TABLE instr_new (instrument_token bigint, exchange_token bigint,
 tradingsymbol text, name text, last_price numeric(20,4), expiry date,
 strike numeric(20,4), tick_size numeric(20,4), lot_size bigint,
 instrument_type text, segment text, exchange text, line bigserial)
 ON COMMIT DROP;
\\copy instr_new (instrument_token, exchange_token, tradingsymbol, name, last_price, expiry, strike, tick_size, lot_size, instrument_type, segment, exchange) FROM '$1' WITH (FORMAT csv, HEADER true)
ALTER TABLE instr_new RENAME TO instr_uniq;
CREATE INDEX ON instr_uniq (instrument_token);
ANALYZE instr_uniq;
SELECT count(*) FILTER (WHERE i.instrument_token IS NULL),
 count(*) FILTER (WHERE i.instrument_token IS NOT NULL AND
  (i.exchange, i.tradingsymbol) IS DISTINCT FROM (n.exchange, n.tradingsymbol)),
 count(*) FILTER (WHERE i.instrument_token IS NOT NULL AND
  (i.exchange_token, i.tradingsymbol, i.name, i.last_price, i.expiry,
  i.strike, i.tick_size, i.lot_size, i.instrument_type, i.segment,
  i.exchange, i.active) IS DISTINCT FROM (n.exchange_token, n.tradingsymbol,
  n.name, n.last_price, n.expiry, n.strike, n.tick_size, n.lot_size,
  n.instrument_type, n.segment, n.exchange, true))
 FROM instr_uniq n LEFT JOIN instruments i USING (instrument_token);
INSERT INTO instruments AS i (instrument_token, exchange_token, tradingsymbol,
 name, last_price, expiry, strike, tick_size, lot_size, instrument_type,
 segment, exchange)
 SELECT n.instrument_token, n.exchange_token, n.tradingsymbol, n.name,
 n.last_price, n.expiry, n.strike, n.tick_size, n.lot_size, n.instrument_type,
 n.segment, n.exchange
 FROM instr_uniq n LEFT JOIN instruments i USING (instrument_token)
 WHERE i.instrument_token IS NULL OR (i.exchange_token, i.tradingsymbol,
 i.name, i.last_price, i.expiry, i.strike, i.tick_size, i.lot_size,
 i.instrument_type, i.segment, i.exchange, i.active) IS DISTINCT FROM
 (n.exchange_token, n.tradingsymbol, n.name, n.last_price, n.expiry,
 n.strike, n.tick_size, n.lot_size, n.instrument_type, n.segment,
 n.exchange, true)
 ON CONFLICT (instrument_token) DO UPDATE SET
 exchange_token = EXCLUDED.exchange_token, tradingsymbol = EXCLUDED.tradingsymbol,
 name = EXCLUDED.name, last_price = EXCLUDED.last_price, expiry = EXCLUDED.expiry,
 strike = EXCLUDED.strike, tick_size = EXCLUDED.tick_size,
 lot_size = EXCLUDED.lot_size, instrument_type = EXCLUDED.instrument_type,
 segment = EXCLUDED.segment, exchange = EXCLUDED.exchange, active = true,
 updated_at = now(), last_seen = now(),
 first_seen = CASE WHEN (i.exchange, i.tradingsymbol) IS DISTINCT FROM
 (EXCLUDED.exchange, EXCLUDED.tradingsymbol) THEN now() ELSE i.first_seen END
 WHERE (i.exchange_token, i.tradingsymbol, i.name, i.last_price, i.expiry,
 i.strike, i.tick_size, i.lot_size, i.instrument_type, i.segment, i.exchange,
 i.active) IS DISTINCT FROM (EXCLUDED.exchange_token, EXCLUDED.tradingsymbol,
 EXCLUDED.name, EXCLUDED.last_price, EXCLUDED.expiry, EXCLUDED.strike,
 EXCLUDED.tick_size, EXCLUDED.lot_size, EXCLUDED.instrument_type,
 EXCLUDED.segment, EXCLUDED.exchange, true);
UPDATE instruments i SET active = false, updated_at = now() WHERE active
 AND NOT EXISTS (SELECT 1 FROM instr_uniq n WHERE n.instrument_token =
 i.instrument_token);
INSERT INTO sync_runs (started, source, rows, bad, added, changed, reused,
 deactivated, unchanged, duration_ms, dry_run)
 VALUES (now(), 'psql', 0, 0, 0, 0, 0, 0, 0, 0, false);
COMMIT;
SQL
	psql -X -q -v ON_ERROR_STOP=1 -f "$KP_BENCH_TMP/sync.sql" >/dev/null
}

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# time_one WHO PREP FILE: seconds for one sync of FILE after PREP
time_one() {
	local t0 t1
	q "TRUNCATE instruments, sync_runs"
	if [ "$2" != first ]; then
		instr-sync --sync -f "$d1" >/dev/null
	fi
	q "CHECKPOINT"
	t0=$EPOCHREALTIME
	if [ "$1" = ours ]; then
		instr-sync --sync -f "$3" 2>/dev/null
	else
		psql_sync "$3"
	fi
	t1=$EPOCHREALTIME
	secs "$t0" "$t1"
}

best() { printf '%s\n' "$@" | sort -g | head -n 1; }

instr-sync --sync -f "$d1" >/dev/null	# the schema
for kind in first same resync; do
	f=$d1
	[ "$kind" = resync ] && f=$d2
	ours=() theirs=()
	for _ in 1 2 3 4 5; do
		ours+=("$(time_one ours "$kind" "$f")")
		theirs+=("$(time_one psql "$kind" "$f")")
	done
	o=$(best "${ours[@]}")
	p=$(best "${theirs[@]}")
	echo "instr-sync $kind: ours ${ours[*]}; psql ${theirs[*]}" >&2
	case $kind in
	first) label="first load" ;;
	same) label="unchanged re-sync" ;;
	*) label="daily re-sync (prices moved)" ;;
	esac
	printf 'instr-sync --sync %s rows, %s (best of 5)\t%s s\tpsql same COPY+upsert %s s (target <= 1.2x)\t%sx\n' \
		"$n" "$label" "$o" "$p" "$(awk -v a="$o" -v b="$p" 'BEGIN { printf "%.2f", a / b }')"
done

times=()
for _ in 1 2 3 4 5; do
	t0=$EPOCHREALTIME
	instr-sync -f "$d1" >/dev/null
	t1=$EPOCHREALTIME
	times+=("$(secs "$t0" "$t1")")
done
o=$(best "${times[@]}")
echo "instr-sync NDJSON: ${times[*]}" >&2
printf 'instr-sync -f: %s rows to NDJSON (best of 5)\t%s s\ttarget < 0.2 s\t%sx target\n' \
	"$n" "$o" "$(awk -v a="$o" 'BEGIN { printf "%.2f", a / 0.2 }')"
