#!/bin/sh
# kite-sim-paper-order.sh: place a paper MARKET order on a running
# kite-sim over Kite's REST API, with a tag, and print the order as the
# order book shows it (tab-separated: order_id, status, tag, quantity,
# average_price), then the states of its history, one a line.
#
# usage: KITE_API_URL=http://127.0.0.1:8765 \
#            examples/kite-sim-paper-order.sh [TRADINGSYMBOL [QUANTITY]]
# (an NSE equity, INFY and 1 by default; kite-sim's demo credentials
# unless KITE_API_KEY and KITE_ACCESS_TOKEN are set).  KITE_API_URL has
# no default, so this never reaches the real Kite by accident.
set -eu
sym=${1:-INFY}
qty=${2:-1}
api=${KITE_API_URL:?set KITE_API_URL to a kite-sim (see kite-sim -h)}
key=${KITE_API_KEY:-kitesim}
token=${KITE_ACCESS_TOKEN:-kitesim-access-token}
kite() {
	curl -sS -m 10 -H "X-Kite-Version: 3" \
		-H "Authorization: token $key:$token" "$@"
}
id=$(kite --data-urlencode "tradingsymbol=$sym" \
	-d exchange=NSE -d transaction_type=BUY -d "quantity=$qty" \
	-d order_type=MARKET -d market_protection=-1 -d product=CNC \
	-d tag=example \
	"$api/orders/regular" | jq -er .data.order_id) ||
	{ echo "$0: the order was refused" >&2; exit 1; }
kite "$api/orders" | jq -r --arg id "$id" '.data[] | select(.order_id == $id) |
	[.order_id, .status, .tag, .quantity, .average_price] | @tsv'
kite "$api/orders/$id" | jq -r '.data[].status'
