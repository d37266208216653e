#!/bin/sh
# book-sync-paper.sh: two paper orders through order-exec against a private
# kite-sim, the book synced into PostgreSQL by book-sync, then the net
# positions read back from the table (tradingsymbol|product|quantity).
# The database is the caller's: DATABASE_URL or PG* (book-sync creates
# its book_* tables there).
#
# usage: examples/book-sync-paper.sh
set -eu
export KITE_API_KEY=${KITE_API_KEY:-kitesim}
export KITE_ACCESS_TOKEN=${KITE_ACCESS_TOKEN:-kitesim-access-token}
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
mkfifo "$dir/ready"
kite-sim -q -p 0 --port-file "$dir/port" -d 3 3>"$dir/ready" >/dev/null &
pid=$!
read -r _ < "$dir/ready" || { echo "$0: kite-sim did not start" >&2; exit 111; }
export KITE_API_URL=http://127.0.0.1:$(cat "$dir/port")
for o in "p1 BUY 2 CNC" "p2 SELL 1 MIS"; do
	set -- $o
	printf '{"id":"%s","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"%s","quantity":%s,"product":"%s","order_type":"MARKET","market_protection":-1}\n' "$@"
done | order-exec -q -j "$dir/journal" >/dev/null 2>&1
book-sync -q --sync
psql -X -At -v ON_ERROR_STOP=1 -c "SELECT tradingsymbol, product, quantity
	FROM book_positions WHERE kind = 'net' ORDER BY tradingsymbol, product"
