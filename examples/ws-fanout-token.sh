#!/bin/sh
# ws-fanout-token.sh: mint an HS256 token for ws-fanout -K SECRETFILE
# with openssl: subject SUB, valid for MINUTES (default 60), with iss
# and aud when given (ws-fanout --iss/--aud).  Prints the token.
#
# usage: examples/ws-fanout-token.sh SECRETFILE SUB [MINUTES [ISS [AUD]]]
set -eu
[ $# -ge 2 ] && [ $# -le 5 ] ||
	{ echo "usage: $0 SECRETFILE SUB [MINUTES [ISS [AUD]]]" >&2; exit 100; }
[ -r "$1" ] || { echo "$0: cannot read $1" >&2; exit 100; }
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
now=$(date +%s)
exp=$((now + ${3:-60} * 60))
claims=$(printf '{"sub":"%s","iat":%d,"exp":%d' "$2" "$now" "$exp")
[ -n "${4:-}" ] && claims=$(printf '%s,"iss":"%s"' "$claims" "$4")
[ -n "${5:-}" ] && claims=$(printf '%s,"aud":"%s"' "$claims" "$5")
in=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url).$(printf '%s}' \
	"$claims" | b64url)
# the secret is the file's first line, as ws-fanout reads it
key=$(head -n 1 "$1" | tr -d '\r\n' | od -An -v -tx1 | tr -d ' \n')
sig=$(printf '%s' "$in" | openssl dgst -sha256 -mac HMAC \
	-macopt "hexkey:$key" -binary | b64url)
printf '%s.%s\n' "$in" "$sig"
