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
# readiness: kite-sim writes a newline to fd 3 once it listens
mkfifo "$dir/ready"
kite-sim -q -p 0 --port-file "$dir/port" -d 3 3>"$dir/ready" >/dev/null &
pid=$!
read -r _ < "$dir/ready" || { echo "$0: kite-sim did not start" >&2; exit 111; }
url=http://127.0.0.1:$(cat "$dir/port")/sim/control
ctl() {
	curl -sS -X POST --data-binary "$1" \
		-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" "$url"
}
for c in "$@"; do
	printf '%s: %s\n' "$c" "$(ctl "$c")"
done
ctl status | sed 's/^ok //' | jq -c .faults
