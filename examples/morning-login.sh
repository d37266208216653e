#!/bin/sh
# morning-login.sh: the daily login.  Exchange the request token Kite's
# login redirect gave you for the day's access token (POST /session/token
# with checksum = SHA-256 of api_key + request_token + api_secret), and
# write it atomically (mode 600) to TOKEN_FILE, the file kite-stream,
# instr-sync and order-exec read through KITE_ACCESS_TOKEN_FILE.
# kite-stream notices the new file by itself and reconnects if Kite had
# refused the old token: no restart.
#
# usage: examples/morning-login.sh REQUEST_TOKEN TOKEN_FILE
# Environment: KITE_API_KEY, KITE_API_SECRET or KITE_API_SECRET_FILE,
# KITE_API_URL (default https://api.kite.trade).  The secret and the
# tokens are never printed.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 REQUEST_TOKEN TOKEN_FILE" >&2; exit 100; }
: "${KITE_API_KEY:?KITE_API_KEY is not set}"
if [ -z "${KITE_API_SECRET:-}" ]; then
	[ -r "${KITE_API_SECRET_FILE:-}" ] ||
		{ echo "$0: set KITE_API_SECRET or KITE_API_SECRET_FILE" >&2; exit 100; }
	KITE_API_SECRET=$(head -n 1 "$KITE_API_SECRET_FILE" | tr -d '\r\n')
fi
url=${KITE_API_URL:-https://api.kite.trade}
sum=$(printf '%s%s%s' "$KITE_API_KEY" "$1" "$KITE_API_SECRET" |
	sha256sum | cut -d' ' -f1)
body=$(curl -sS -X POST -H 'X-Kite-Version: 3' \
	--data-urlencode "api_key=$KITE_API_KEY" \
	--data-urlencode "request_token=$1" \
	--data-urlencode "checksum=$sum" "$url/session/token") ||
	{ echo "$0: $url unreachable" >&2; exit 111; }
token=$(printf '%s' "$body" | jq -r '.data.access_token // empty')
if [ -z "$token" ]; then
	printf '%s: login refused: %s\n' "$0" \
		"$(printf '%s' "$body" | jq -r '.message // "no answer"')" >&2
	exit 100
fi
old=$(umask)
umask 077
printf '%s\n' "$token" >"$2.tmp"
umask "$old"
mv "$2.tmp" "$2"
echo "$0: access token written to $2" >&2
