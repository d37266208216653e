#!/usr/bin/env bash
# kite-stream-live.sh: kite-stream's live client holding kite-sim's whole
# universe in full mode over 3 connections, at 9,000 ticks/s in all.
# SPDX-License-Identifier: MIT
#
# kite-sim's universe is about 1,100 instruments, so 9,000 instruments at
# 1 tick/s each is stood in for by the same tick rate: every instrument at
# 9000/N ticks/s (the messages carry as many packets per second; the
# per-instrument state kite-stream keeps is sized for 9,000 anyway).
# CPU is kite-stream's user+system time over 30 s (from /proc), RSS its
# resident size at the end.  Latency: kite-sim --latency-stamp writes its
# send time into each packet and tests/tools/ticklat stamps each line as
# it comes out of kite-stream's stdout; it also splits that at the line's
# receive_timestamp (kite-stream has the whole message): the wire (kite-sim's
# socket, the kernel, waking kite-stream up) and kite-stream's own part
# (decoding, output, the pipe, waking the reader up).  kite-sim sends each
# connection's ticks in --spread 24 messages a period (~15 packets each,
# a stream of small messages as from Kite) rather than one burst of 365
# packets: with a burst, the last packet's latency is the time to decode
# and print the 364 before it.  Comparison: the Python service this
# replaces used 20-25% of a core and ~290 MB for 442 instruments.

set -euo pipefail
secs=${KP_BENCH_SECONDS:-30}
tmp=$KP_BENCH_TMP/ksl
mkdir -p "$tmp"
export KITE_API_KEY=bench KITE_ACCESS_TOKEN=bench-token KITE_API_SECRET=s
kite-sim -q -p 0 --port-file "$tmp/port" --latency-stamp -r 1 \
	>/dev/null 2>"$tmp/sim.err" &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
port=$(cat "$tmp/port")
export KITE_WS_URL=ws://127.0.0.1:$port
curl -sS -H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
	"http://127.0.0.1:$port/instruments" | tail -n +2 | cut -d, -f1 \
	>"$tmp/subs"
n=$(wc -l <"$tmp/subs")
# restart kite-sim at the rate that makes 9,000 ticks/s over n instruments
kill $sim; wait $sim 2>/dev/null || true
rate=$(awk -v n="$n" 'BEGIN { printf "%.3f", 9000 / n }')
rm -f "$tmp/port"
kite-sim -q -p 0 --port-file "$tmp/port" --latency-stamp -r "$rate" \
	--spread "${KP_BENCH_SPREAD:-24}" \
	>/dev/null 2>"$tmp/sim.err" &
sim=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
export KITE_WS_URL=ws://127.0.0.1:$(cat "$tmp/port")
per=$(( (n + 2) / 3 ))
exec 9>"$tmp/ready"
(kite-stream -q -m full -N "$per" -d 9 -f "$tmp/subs" 2>"$tmp/ks.err" |
	ticklat >"$tmp/lat") &
pipe=$!
exec 9>&-
for _ in $(seq 200); do [ -s "$tmp/ready" ] && break; sleep 0.05; done
ks=$(pgrep -n -x kite-stream)
sleep 2
ticks() { awk '{ print $14 + $15 }' "/proc/$ks/stat"; }
# CPU the hypervisor took from this VM (steal, /proc/stat): it stalls
# every process at once and shows in the latency tail
steal() { awk '/^cpu / { print $9 }' /proc/stat; }
st0=$(steal)
t0=$(ticks)
sleep "$secs"
t1=$(ticks)
st1=$(steal)
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$ks/status")
anon=$(awk '/RssAnon/ { print $2 }' "/proc/$ks/status")
kill -TERM "$ks"
wait "$pipe" || true
hz=$(getconf CLK_TCK)
cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$secs" \
	'BEGIN { printf "%.2f", 100 * (b - a) / hz / s }')
read -r _ nt _ p50 _ p99 _ mx <"$tmp/lat"
read -r _ _ _ wp50 _ wp99 _ _ < <(grep '^wire' "$tmp/lat")
read -r _ _ _ op50 _ op99 _ _ < <(grep '^out' "$tmp/lat")
printf 'kite-stream live: %s instr x %s ticks/s (9000 ticks/s), full, 3 conns, CPU\t%s%% of a core\tPython service 20-25%% (442 instr)\t%s\n' \
	"$n" "$rate" "$cpu" "$(awk -v c="$cpu" 'BEGIN { printf "%.0fx less", 22.5 / (c > 0 ? c : 0.01) }')"
printf 'kite-stream live: RSS (of it private, not shared libraries)\t%.1f MB (%.1f MB)\tPython service ~290 MB\t%s\n' \
	"$(awk -v r="$rss" 'BEGIN { print r / 1024 }')" \
	"$(awk -v r="$anon" 'BEGIN { print r / 1024 }')" \
	"$(awk -v r="$rss" 'BEGIN { printf "%.0fx less", 290 * 1024 / r }')"
printf 'kite-stream live: latency kite-sim send -> stdout (%s ticks)\tp50 %s us, p99 %s us\ttarget p99 < 1000 us\t-\n' \
	"$nt" "$p50" "$p99"
printf 'kite-stream live: of it, wire (kite-sim socket, kernel, wake-up)\tp50 %s us, p99 %s us\t-\t-\n' \
	"$wp50" "$wp99"
printf 'kite-stream live: of it, kite-stream (decode, print, pipe, reader wake-up)\tp50 %s us, p99 %s us\t-\t-\n' \
	"$op50" "$op99"
printf 'kite-stream live: CPU stolen by the hypervisor during the %s s measured (2 vCPUs)\t%d ms\t-\t-\n' \
	"$secs" "$(( (st1 - st0) * 1000 / hz ))"
