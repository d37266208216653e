#!/bin/sh
# tick-publish-last.sh: an instrument's last price from the snapshot hash
# that tick-publish -H keeps (see tick-publish-snapshot.sh).
#
# usage: examples/tick-publish-last.sh TOKEN [HASH]
# Redis: REDIS_URL, redis:// or unix:///path[?db=N] (no password here).
set -eu
[ $# -ge 1 ] && [ $# -le 2 ] ||
	{ echo "usage: $0 TOKEN [HASH]" >&2; exit 100; }
url=${REDIS_URL:-redis://127.0.0.1:6379}
case $url in
unix://*)
	path=${url#unix://}
	db=0
	case $path in *'?db='*) db=${path##*\?db=} ;; esac
	set -- "$1" "${2:-ticks:last}" -s "${path%%\?*}" -n "$db"
	;;
*)
	set -- "$1" "${2:-ticks:last}" -u "$url"
	;;
esac
tok=$1 hash=$2
shift 2
line=$(redis-cli "$@" hget "$hash" "$tok")
[ -n "$line" ] || { echo "$0: no tick of $tok in $hash" >&2; exit 1; }
printf '%s\n' "$line" | jq -r '"\(.instrument_token) \(.last_price)"'
