#!/bin/sh
# kite-sim-faults.sh: start a private kite-sim with a control socket, set
# faults while it runs (here over HTTP, POST /sim/control), and print
# each answer and the resulting fault settings.
#
# usage: examples/kite-sim-faults.sh COMMAND...   e.g. "http-429 0.5"
set -eu
[ $# -ge 1 ] || { echo "usage: $0 COMMAND..." >&2; exit 100; }
export KITE_API_KEY=${KITE_API_KEY:-kitesim}
export KITE_ACCESS_TOKEN=${KITE_ACCESS_TOKEN:-kitesim-access-token}
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
kite-sim -q -p 0 --port-file "$dir/port" >/dev/null &
pid=$!
i=0
while [ ! -s "$dir/port" ]; do
	i=$((i + 1))
	[ "$i" -lt 200 ] || { echo "$0: kite-sim did not start" >&2; exit 111; }
	sleep 0.05
done
url=http://127.0.0.1:$(cat "$dir/port")/sim/control
ctl() {
	curl -sS -X POST --data-binary "$1" \
		-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" "$url"
}
for c in "$@"; do
	printf '%s: %s\n' "$c" "$(ctl "$c")"
done
ctl status | sed 's/^ok //' | jq -c .faults
