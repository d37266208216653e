#!/bin/sh
# tick-greeks-db.sh: the morning refresh of a running "tick-greeks --db":
# sync Kite's instrument list into PostgreSQL with instr-sync, then send
# the filter SIGHUP so that it reloads the list from the database (it
# keeps the underlying prices it has seen; a failed reload keeps the old
# list).  Run it from cron after the 08:30 IST dump, e.g.
#
#   45 8 * * 1-5  examples/tick-greeks-db.sh "$(cat /run/tick-greeks.pid)"
#
# The database comes from DATABASE_URL (or libpq's PG* variables) for
# both programs, never from the command line, where a password would
# show in ps; Kite's credentials from KITE_API_KEY and KITE_ACCESS_TOKEN.
#
# usage: examples/tick-greeks-db.sh TICK_GREEKS_PID
# Exit: instr-sync's status (0 synced, 1 synced with bad rows skipped,
# 100/111 nothing synced and no reload), or 111 when the signal fails.
set -u
[ $# -eq 1 ] || { echo "usage: $0 TICK_GREEKS_PID" >&2; exit 100; }
case $1 in
'' | *[!0-9]*) echo "$0: not a pid: '$1'" >&2; exit 100 ;;
esac
instr-sync --sync
rc=$?
case $rc in
0 | 1) kill -HUP "$1" || exit 111 ;;
*) echo "$0: sync failed ($rc); tick-greeks keeps its list" >&2 ;;
esac
exit "$rc"
