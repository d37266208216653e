#!/bin/sh
# record-day.sh: record every raw ticker message to DIR/YYYY-MM-DD.cap,
# a new file each day (IST), for replay later with replay-day.sh.  The
# NDJSON goes to /dev/null: this process only records.  kite-stream is
# restarted at each rotation (EVERY seconds, default at IST midnight),
# and SIGTERM stops it cleanly.
#
# usage: examples/record-day.sh DIR SUBSCRIPTIONS [EVERY]
set -eu
[ $# -ge 2 ] || { echo "usage: $0 DIR SUBSCRIPTIONS [EVERY]" >&2; exit 100; }
dir=$1 subs=$2 every=${3:-}
mkdir -p "$dir"
pid= spid= stop=0
# The trap only stops the children it knows of and raises a flag; the loop
# checks the flag after each start, so a TERM that lands between starting
# kite-stream and learning its pid still stops it.
trap 'stop=1; for p in $pid $spid; do kill -TERM "$p" 2>/dev/null; done' TERM INT
while [ "$stop" = 0 ]; do
	name=$(TZ=Asia/Kolkata date +%F)
	[ -n "$every" ] && name=$(TZ=Asia/Kolkata date +%F-%H%M%S)
	kite-stream -q -w "$dir/$name.cap" -f "$subs" >/dev/null &
	pid=$!
	[ "$stop" = 0 ] || break
	if [ -n "$every" ]; then
		left=$every
	else
		now=$(TZ=Asia/Kolkata date +%s)
		mid=$(TZ=Asia/Kolkata date -d 'tomorrow 00:00' +%s)
		left=$((mid - now))
	fi
	sleep "$left" &
	spid=$!
	wait "$spid" || true
	kill -TERM "$spid" 2>/dev/null || true
	spid=
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" || true
done
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" || true
exit 0
