#!/bin/sh
# instr-sync-cron.sh: the daily instrument sync for cron.  A conditional
# GET (cache in STATE_DIR) makes a run that finds nothing new do nothing;
# otherwise the list is synced into PostgreSQL in one transaction, and a
# copy of it is kept as NDJSON in STATE_DIR/instruments.ndjson for
# programs that want a file.  Silent on success; exit codes as
# instr-sync(1): 0 ok, 1 rows rejected, 100 fix something, 111 retry.
#
# usage: examples/instr-sync-cron.sh STATE_DIR
# Uses DATABASE_URL (or PG*), KITE_API_URL, KITE_API_KEY,
# KITE_ACCESS_TOKEN.  See examples/instr-sync.crontab.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 STATE_DIR" >&2; exit 100; }
dir=$1
mkdir -p "$dir"
tmp=$dir/instruments.csv.tmp
trap 'rm -f "$tmp"' EXIT
# one download: the CSV copy is both the sync input and the NDJSON source
rc=0
instr-sync --cache "$dir" --csv >"$tmp" || rc=$?
[ "$rc" -le 1 ] || exit "$rc"
[ -s "$tmp" ] || exit 0		# 304: nothing new
instr-sync --sync -f "$tmp" || rc=$?
[ "$rc" -le 1 ] || exit "$rc"
instr-sync -f "$tmp" >"$dir/instruments.ndjson.tmp" 2>/dev/null || true
mv "$dir/instruments.ndjson.tmp" "$dir/instruments.ndjson"
exit "$rc"
