#!/usr/bin/env bash
# ws-fanout.sh: ticks delivered to N WebSocket clients x K tokens at an
# input rate, by ws-fanout and, in the same run, by a Node server using the
# `ws` package doing the same job (bench/node/server.js).
# SPDX-License-Identifier: MIT
#
# tickgen writes RATE ticks/s over K tokens, stamped with the time, into
# the server's stdin; wsc -n N opens N clients, each subscribed to all K
# tokens, and reports the ticks received and their latency (receive time
# minus the stamp; same host clock).  Delivered/s counts ticks received
# by all clients over the input's duration.  Server, generator and
# clients share the machine's cores, so the figures are a lower bound.
# Loads: KP_BENCH_WS_LOADS="N:K:RATE ..." (default below), each for
# KP_BENCH_WS_SECONDS (default 5).

set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
loads=${KP_BENCH_WS_LOADS:-"100:10:2000 200:10:5000"}
secs=${KP_BENCH_WS_SECONDS:-5}
tmp=${KP_BENCH_TMP:-$(mktemp -d)}
ulimit -n 8192 2>/dev/null || true

node_ok=0
if command -v node >/dev/null && [[ -d $root/bench/node/node_modules/ws ]]
then
	node_ok=1
else
	echo "ws-fanout bench: no node or no bench/node/node_modules/ws" \
		"(make deps runs npm ci there); Node column empty" >&2
fi

free_port() {
	local p
	for _ in $(seq 50); do
		p=$((10000 + RANDOM % 20000))
		if ! (exec 9<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	return 1
}

# run SERVER N K RATE: prints "delivered_per_s p50_us p99_us"
run() {
	local server=$1 n=$2 k=$3 rate=$4 port pid sum toks i
	port=$(free_port)
	toks=$(seq -s, 1 "$k")
	case $server in
	ours)
		tickgen -w 2s -r "$rate" -k "$k" -d "${secs}s" 2>/dev/null |
			ws-fanout -i --insecure-no-auth -q -p "$port" \
			--max-conn-ip 100000 --max-clients 100000 \
			2>"$tmp/wf.err" &
		;;
	node)
		tickgen -w 2s -r "$rate" -k "$k" -d "${secs}s" 2>/dev/null |
			node "$root/bench/node/server.js" "$port" \
			2>"$tmp/node.err" &
		;;
	esac
	pid=$!
	for ((i = 0; i < 100; i++)); do
		(exec 9<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.05
	done
	sum=$(wsc -n "$n" -q -s "{\"action\":\"subscribe\",\"tokens\":[$toks]}" \
		-t "$((secs + 4))s" "ws://127.0.0.1:$port/" || true)
	kill "$pid" 2>/dev/null || true
	pkill -P "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	echo "$server $n x $k @ $rate/s: $sum" >&2
	awk -v s="$secs" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "%d %d %d\n", v["ticks"] / s, v["p50_us"], v["p99_us"]
	}' <<<"$sum"
}

for l in $loads; do
	IFS=: read -r n k rate <<<"$l"
	read -r od op50 op99 < <(run ours "$n" "$k" "$rate")
	nd=0 np50=0 np99=0
	if ((node_ok)); then
		read -r nd np50 np99 < <(run node "$n" "$k" "$rate")
	fi
	offered=$((n * k / k * rate))
	ratio=-
	if ((nd > 0)); then
		ratio=$(awk -v a="$od" -v b="$nd" 'BEGIN { printf "%.1fx", a / b }')
	fi
	printf 'ws-fanout: ticks/s delivered, %d clients x %d tokens, %d ticks/s in (%d/s offered)\t%d/s\tNode ws %d/s\t%s\n' \
		"$n" "$k" "$rate" "$offered" "$od" "$nd" "$ratio"
	printf 'ws-fanout: latency p50 / p99 at that load\t%.2f / %.2f ms\tNode ws %.2f / %.2f ms\t-\n' \
		"$(awk -v x="$op50" 'BEGIN { print x / 1000 }')" \
		"$(awk -v x="$op99" 'BEGIN { print x / 1000 }')" \
		"$(awk -v x="$np50" 'BEGIN { print x / 1000 }')" \
		"$(awk -v x="$np99" 'BEGIN { print x / 1000 }')"
done
