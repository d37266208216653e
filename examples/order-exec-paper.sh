#!/bin/sh
# order-exec-paper.sh: paper trading with order-exec against a private
# kite-sim: place a LIMIT buy and a MARKET sell of SYMBOL, send the first
# intent again (answered from the journal, no second order), then print
# the results, the journal's state and the orders in kite-sim's book by
# our tags.
#
# usage: examples/order-exec-paper.sh [SYMBOL]   (default INFY)
set -eu
sym=${1:-INFY}
export KITE_API_KEY=${KITE_API_KEY:-kitesim}
export KITE_ACCESS_TOKEN=${KITE_ACCESS_TOKEN:-kitesim-access-token}
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
mkfifo "$dir/ready"
kite-sim -q -p 0 --port-file "$dir/port" -d 3 3>"$dir/ready" >/dev/null &
pid=$!
read -r _ < "$dir/ready" || { echo "$0: kite-sim did not start" >&2; exit 111; }
export KITE_API_URL=http://127.0.0.1:$(cat "$dir/port")
# a LIMIT buy 10% under the market rests in the book
ltp=$(curl -sS -H "X-Kite-Version: 3" \
	-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
	"$KITE_API_URL/quote/ltp?i=NSE:$sym" | jq ".data[\"NSE:$sym\"].last_price")
px=$(awk -v l="$ltp" 'BEGIN { printf "%.2f", int(l * 0.9 * 20) / 20 }')
buy='{"id":"paper-1","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"'$sym'","transaction_type":"BUY","quantity":2,"product":"CNC","order_type":"LIMIT","price":'$px'}'
sell='{"id":"paper-2","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"'$sym'","transaction_type":"SELL","quantity":1,"product":"MIS","order_type":"MARKET","market_protection":-1}'
printf '%s\n%s\n%s\n' "$buy" "$sell" "$buy" |
	order-exec -q -j "$dir/journal" 2>/dev/null
order-exec -j "$dir/journal" --status
curl -sS -H "X-Kite-Version: 3" \
	-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
	"$KITE_API_URL/orders" |
	jq -c '.data[] | select((.tag // "") | startswith("kp")) | {order_id, tag, tradingsymbol, transaction_type, status}'
