#!/bin/sh
# kite-ctl-watchlist.sh: add a watchlist to a running kite-stream, or take
# it out, through its control socket (kite-stream -c), e.g. from cron at
# the open and the close.  The file has a token a line, optionally with a
# mode (256265, 408065:full or "408065 full"); '#' starts a comment.
# kite-ctl's answers are printed as key=value lines.
#
# usage: examples/kite-ctl-watchlist.sh subscribe|unsubscribe FILE
# Uses KITE_STREAM_CONTROL (the socket).  Exit: kite-ctl's (0 done, 1
# refused, 100 usage, 111 kite-stream unreachable: retry later).
set -eu
usage() { echo "usage: $0 subscribe|unsubscribe FILE" >&2; exit 100; }
[ $# -eq 2 ] || usage
case $1 in subscribe | unsubscribe) ;; *) usage ;; esac
[ -r "$2" ] || { echo "$0: cannot read $2" >&2; exit 100; }
# "TOKEN MODE" -> TOKEN:MODE; unsubscribe takes the tokens alone
tokens=$(sed -e 's/#.*//' -e 's/^[[:blank:]]*//' -e 's/[[:blank:]]*$//' \
	-e 's/[[:blank:]][[:blank:]]*/:/' -e '/^$/d' "$2")
[ "$1" = subscribe ] || tokens=$(printf '%s\n' "$tokens" | sed 's/:.*//')
[ -n "$tokens" ] || { echo "$0: no tokens in $2" >&2; exit 100; }
# one token a word: the file's lines become kite-ctl's arguments
# shellcheck disable=SC2086
exec kite-ctl -p "$1" $tokens
