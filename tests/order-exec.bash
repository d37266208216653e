# order-exec.bash: what the order-exec tests share ("load order-exec" after
# "load helper" and "load kite-sim"): intents, order-exec with fast test
# timings, and looks at kite-sim's order book by tag.
# SPDX-License-Identifier: MIT

# setup and teardown shared by the order-exec test files (a file may
# define its own after loading this): J is the journal, OE_PID an
# order-exec left running.
setup() {
	require_cmd jq jq
	require_cmd curl curl
	J=$T/journal
	OE_PID=
}

teardown() {
	if [ -n "${OE_PID:-}" ]; then
		kill "$OE_PID" 2>/dev/null || true
		wait "$OE_PID" 2>/dev/null || true
	fi
	sim_stop
}

# place ID [QTY]: a MARKET buy intent
place() {
	printf '{"id":"%s","op":"place","variety":"regular","exchange":"NSE",' "$1"
	printf '"tradingsymbol":"INFY","transaction_type":"BUY","quantity":%s,' "${2:-1}"
	printf '"product":"CNC","order_type":"MARKET","market_protection":-1}\n'
}

# oe ARGS...: order-exec with fast test timings; stdin from the caller
oe() {
	order-exec -j "$J" --reconcile-window 1s \
		--backoff-base 20ms --backoff-cap 200ms "$@"
}

# The orders in kite-sim's book carrying TAG.
orders_tagged() {
	curl -sS -m 10 -H "X-Kite-Version: 3" \
		-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$KITE_API_URL/orders" |
		jq --arg t "$1" '[.data[] | select(.tag == $t or ((.tags // []) | index($t)))] | length'
}

# Check: every id in the answers file has exactly one placed answer and
# exactly one order in the book.
one_order_each() {
	local f=$1 id tag n
	shift
	for id in "$@"; do
		n=$(jq -s --arg id "$id" '[.[] | select(.id == $id and .result == "placed")] | length' "$f")
		[ "$n" -ge 1 ] || { echo "no placed answer for $id" >&2; return 1; }
		tag=$(jq -r -s --arg id "$id" '[.[] | select(.id == $id and .result == "placed")][0].tag' "$f")
		n=$(orders_tagged "$tag")
		[ "$n" = 1 ] || { echo "$id ($tag): $n orders" >&2; return 1; }
	done
}

# dead_maybe_no_order ANSWERS ID: ID's one answer is dead with maybe_placed, and the
# book holds no order with its tag
dead_maybe_no_order() {
	local tag
	jq -e -s --arg id "$2" '[.[] | select(.id == $id)] | length == 1 and
		.[0].result == "dead" and .[0].maybe_placed == true' "$1" >/dev/null ||
		{ echo "$2: not one dead maybe_placed answer" >&2; return 1; }
	tag=$(jq -r -s --arg id "$2" '[.[] | select(.id == $id)][0].tag' "$1")
	[ "$(orders_tagged "$tag")" = 0 ] || { echo "$2: orders in the book" >&2; return 1; }
}

# tag_of ANSWERS ID: the tag in ID's first answer
tag_of() {
	jq -r -s --arg id "$2" '[.[] | select(.id == $id)][0].tag' "$1"
}

# book_tags: every tag in kite-sim's book, one a line (an order twice is
# its tag twice)
book_tags() {
	curl -sS -m 10 -H "X-Kite-Version: 3" \
		-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$KITE_API_URL/orders" | jq -r '.data[] | .tag // empty'
}
