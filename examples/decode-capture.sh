#!/bin/sh
# decode-capture.sh: decode a capture of Kite ticker messages and print
# one tab-separated row per tick: token, mode, last price, percent change.
#
# usage: examples/decode-capture.sh CAPTURE
set -eu
[ $# -eq 1 ] || { echo "usage: $0 CAPTURE" >&2; exit 100; }
[ -r "$1" ] || { echo "$0: cannot read $1" >&2; exit 100; }
here=$(dirname "$0")
kite-stream -r "$1" | jq -r -f "$here/jq/ticks.jq"
