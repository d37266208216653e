#!/bin/sh
# ws-fanout-replay.sh: serve a capture's ticks to WebSocket clients on
# this machine, without tokens (loopback only): connect to
# ws://127.0.0.1:PORT/ and send {"action":"subscribe","tokens":[...]};
# each token's last tick in the capture comes back at once.  Runs until
# interrupted.
#
# usage: examples/ws-fanout-replay.sh CAPTURE [PORT]
set -eu
[ $# -ge 1 ] && [ $# -le 2 ] ||
	{ echo "usage: $0 CAPTURE [PORT]" >&2; exit 100; }
[ -r "$1" ] || { echo "$0: cannot read $1" >&2; exit 100; }
kite-stream -r "$1" |
	exec ws-fanout --stdin --insecure-no-auth -p "${2:-8765}"
