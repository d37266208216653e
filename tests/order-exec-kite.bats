#!/usr/bin/env bats
# order-exec against kite-sim, intent by intent, as Kite documents them
# (issue 24): each variety, order type, product and validity, iceberg,
# auction, cover and autoslice orders.  Every intent is accepted or
# refused as Kite documents it, and refused where Kite would refuse it:
# locally by order-exec ("invalid", nothing sent) when the intent itself
# breaks a documented rule, by kite-sim ("rejected") when only the
# exchange side can tell (freeze quantities, lot sizes, prices).
#
# Sources, cited on each table line or test:
#   KC x.y    ../shared/docs/kite-connect.md, section x.y
#   MOCK f    ../shared/testdata/kiteconnect-mocks/f
#   PY, GO    pykiteconnect, gokiteconnect (as cited in kite-connect.md)
#   SIM       man/kite-sim.1, where kite-connect.md is silent: kite-sim's
#             model of Kite (marked, so a reader knows the rule is not
#             from Kite's own documentation)
#
# Tables: one intent a line, "EXPECT JSON", where EXPECT is placed,
# invalid or rejected/ERROR_TYPE/HTTP; '#' lines and blank lines are
# comments.  @NAME@ in a line is replaced by a value read from kite-sim
# at the start of the test (see prices), so that symbols and prices fit
# the simulated date and market:
#   @IP@ INFY's last price, rounded down to the rupee; @IP+1@ @IP+2@
#   @IP-1@ @IP-2@ @IP-10@ @IP+10@ around it
#   @FUT@ the nearest NIFTY future, @FP@ its price (rupee), @FP+1@ ...
#   @OPT@ the nearest-expiry NIFTY CE at the money, @OP@ its price ...

load helper
load kite-sim
load order-exec
bats_require_minimum_version 1.5.0

setup() {
	require_cmd jq jq
	require_cmd curl curl
	J=$T/journal
}

teardown() {
	sim_stop
}

# kite_get PATH: GET PATH on kite-sim, authenticated
kite_get() {
	curl -sS -m 10 -H "X-Kite-Version: 3" \
		-H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$KITE_API_URL$1"
}

# ltp_rupee I: the last price of instrument I (EXCHANGE:SYMBOL, url-encoded),
# rounded down to the rupee (a multiple of every tick size here)
ltp_rupee() {
	kite_get "/quote/ltp?i=$1" | jq -r '.data[] | .last_price | floor'
}

# prices: the @NAME@ values (see the top of the file) into $T/subst, a
# sed script
prices() {
	local ins ip fut fp spot opt op
	ins=$(curl -sS -m 10 "$KITE_API_URL/sim/instruments")
	fut=$(echo "$ins" | jq -r -s '[.[] | select(.name == "NIFTY" and
		.instrument_type == "FUT")] | min_by(.expiry_day).tradingsymbol')
	spot=$(ltp_rupee 'NSE:NIFTY+50')
	# the nearest expiry at least ~4 days away, so that the option at the
	# money is worth more than a few rupees
	opt=$(echo "$ins" | jq -r -s --argjson s "$spot" '[.[] |
		select(.name == "NIFTY" and .instrument_type == "CE" and
		.t > 0.01)] |
		min_by(.expiry_day) as $e | [.[] | select(.expiry_day ==
		$e.expiry_day)] | min_by((.strike - $s) | fabs).tradingsymbol')
	ip=$(ltp_rupee NSE:INFY)
	fp=$(ltp_rupee "NFO:$fut")
	op=$(ltp_rupee "NFO:$opt")
	# the quantities in the tables are in NIFTY lots of 75
	[ "$(echo "$ins" | jq -s --arg f "$fut" --arg o "$opt" '[.[] |
		select(.tradingsymbol == $f or .tradingsymbol == $o) |
		.lot_size] | unique')" = "$(jq -n '[75]')" ] ||
		{ echo "prices: NIFTY's lot is not 75" >&2; return 1; }
	[ -n "$fut" ] && [ -n "$opt" ] && [ "$ip" -gt 20 ] &&
		[ "$fp" -gt 20 ] && [ "$op" -gt 20 ] ||
		{ echo "prices: fut=$fut opt=$opt ip=$ip fp=$fp op=$op" >&2; return 1; }
	{
		echo "s/@FUT@/$fut/g; s/@OPT@/$opt/g"
		local n v d
		for n in IP FP OP; do
			case $n in IP) v=$ip ;; FP) v=$fp ;; OP) v=$op ;; esac
			echo "s/@$n@/$v/g"
			for d in 1 2 10; do
				echo "s/@$n+$d@/$((v + d))/g; s/@$n-$d@/$((v - d))/g"
			done
		done
	} > "$T/subst"
}

# table NAME: the table on stdin into $T/NAME.in (intents) and
# $T/NAME.exp ("id expect" lines), placeholders filled
table() {
	local want json
	: > "$T/$1.in"
	: > "$T/$1.exp"
	sed -f "$T/subst" | while read -r want json; do
		case $want in '' | '#'*) continue ;; esac
		echo "$json" >> "$T/$1.in"
		echo "$(echo "$json" | jq -r .id) $want" >> "$T/$1.exp"
	done
	grep -n '@' "$T/$1.in" && { echo "unfilled placeholder" >&2; return 1; }
	[ -s "$T/$1.in" ]
}

# run_table NAME: order-exec on $T/NAME.in, answers into $T/NAME.out, then
# each id's one answer checked against its expectation
run_table() {
	local id want got bad=0
	oe --no-fsync < "$T/$1.in" > "$T/$1.out" 2> "$T/$1.err" || true
	while read -r id want; do
		got=$(jq -r -s --arg id "$id" '[.[] | select(.id == $id)] |
			if length != 1 then "answers:\(length)" else .[0] |
			if .result == "rejected" then
			"rejected/\(.error_type)/\(.http)" else .result end end' \
			"$T/$1.out")
		if [ "$got" != "$want" ]; then
			echo "$id: want $want, got $got:" >&2
			grep -F "\"$id\"" "$T/$1.in" "$T/$1.out" >&2
			bad=1
		fi
	done < "$T/$1.exp"
	return $bad
}

# book_len: how many orders kite-sim's book holds
book_len() {
	kite_get /orders | jq '.data | length'
}

# book_order TAG: the book's orders with TAG, as a JSON array
book_order() {
	kite_get /orders | jq -c --arg t "$1" '[.data[] | select(.tag == $t)]'
}

@test "order-exec/kite: every variety, order type, product and validity Kite documents is placed" {
	sim_start
	prices
	table ok <<-'EOF'
	# KC 2.3: varieties regular amo co iceberg auction; order types MARKET
	# LIMIT SL SL-M; products CNC NRML MIS MTF; validity DAY IOC TTL
	# (validity_ttl in minutes); market_protection -1 (automatic) or a
	# percentage for MARKET and SL-M (KC 2.3 FORUM: 0 is rejected); price for
	# LIMIT and SL, trigger_price for SL and SL-M.
	# Products by segment (SIM; Kite's product list in KC 2.3 does not say):
	# CNC and MTF on equity, NRML on F&O, MIS on both.
	# SL triggers: a buy's at or below its price, above the last price.
	#
	# regular
	placed {"id":"r-mkt-auto","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"MARKET","market_protection":-1}
	placed {"id":"r-mkt-pct","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"SELL","quantity":1,"product":"MIS","order_type":"MARKET","market_protection":5,"validity":"IOC"}
	# KC 2.3: a percentage, not only a whole one (GO's market_protection is a
	# float64; MOCK orders.json records "mktp:2.00", two places)
	placed {"id":"r-mkt-dec","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"MIS","order_type":"MARKET","market_protection":2.5}
	placed {"id":"r-slm-dec","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"SELL","quantity":1,"product":"CNC","order_type":"SL-M","trigger_price":"@IP-1@","market_protection":"0.25"}
	placed {"id":"r-lmt-cnc","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":2,"product":"CNC","order_type":"LIMIT","price":"@IP-10@","validity":"DAY"}
	# MOCK orders.json: an MTF LIMIT order (SBIN); a TTL with validity_ttl 2
	placed {"id":"r-lmt-mtf-ttl","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"MTF","order_type":"LIMIT","price":"@IP-10@","validity":"TTL","validity_ttl":2}
	placed {"id":"r-lmt-ioc","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"MIS","order_type":"LIMIT","price":"@IP-10@","validity":"IOC"}
	placed {"id":"r-sl-buy","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"MIS","order_type":"SL","price":"@IP+2@","trigger_price":"@IP+1@"}
	placed {"id":"r-sl-sell-cnc","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"SELL","quantity":1,"product":"CNC","order_type":"SL","price":"@IP-2@","trigger_price":"@IP-1@"}
	placed {"id":"r-slm-auto","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"SELL","quantity":1,"product":"MIS","order_type":"SL-M","trigger_price":"@IP-1@","market_protection":-1}
	placed {"id":"r-slm-pct","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"SL-M","trigger_price":"@IP+1@","market_protection":10}
	placed {"id":"r-fut-mkt","op":"place","variety":"regular","exchange":"NFO","tradingsymbol":"@FUT@","transaction_type":"BUY","quantity":75,"product":"NRML","order_type":"MARKET","market_protection":-1}
	placed {"id":"r-fut-lmt-mis","op":"place","variety":"regular","exchange":"NFO","tradingsymbol":"@FUT@","transaction_type":"SELL","quantity":75,"product":"MIS","order_type":"LIMIT","price":"@FP+10@","validity":"TTL","validity_ttl":5}
	placed {"id":"r-fut-sl","op":"place","variety":"regular","exchange":"NFO","tradingsymbol":"@FUT@","transaction_type":"SELL","quantity":150,"product":"NRML","order_type":"SL","price":"@FP-2@","trigger_price":"@FP-1@"}
	placed {"id":"r-opt-mkt-ioc","op":"place","variety":"regular","exchange":"NFO","tradingsymbol":"@OPT@","transaction_type":"BUY","quantity":75,"product":"MIS","order_type":"MARKET","market_protection":2,"validity":"IOC"}
	placed {"id":"r-opt-lmt","op":"place","variety":"regular","exchange":"NFO","tradingsymbol":"@OPT@","transaction_type":"BUY","quantity":75,"product":"NRML","order_type":"LIMIT","price":"@OP-2@"}
	placed {"id":"r-opt-slm","op":"place","variety":"regular","exchange":"NFO","tradingsymbol":"@OPT@","transaction_type":"BUY","quantity":75,"product":"NRML","order_type":"SL-M","trigger_price":"@OP+1@","market_protection":-1}
	# KC 2.3: prices are sent as the exact decimal given; a price on the tick
	placed {"id":"r-lmt-paise","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"LIMIT","price":"@IP-10@.05"}
	# KC 2.3: disclosed_quantity, equity only
	placed {"id":"r-disclosed","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":10,"disclosed_quantity":2,"product":"CNC","order_type":"LIMIT","price":"@IP-10@"}
	#
	# amo (KC 2.3): the same parameters as regular
	placed {"id":"a-lmt","op":"place","variety":"amo","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"LIMIT","price":"@IP-10@"}
	placed {"id":"a-mkt","op":"place","variety":"amo","exchange":"NFO","tradingsymbol":"@FUT@","transaction_type":"BUY","quantity":75,"product":"NRML","order_type":"MARKET","market_protection":-1}
	placed {"id":"a-sl","op":"place","variety":"amo","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"MIS","order_type":"SL","price":"@IP+2@","trigger_price":"@IP+1@"}
	placed {"id":"a-slm","op":"place","variety":"amo","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"SELL","quantity":1,"product":"MIS","order_type":"SL-M","trigger_price":"@IP-1@","market_protection":3}
	placed {"id":"a-mtf-ttl","op":"place","variety":"amo","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"MTF","order_type":"LIMIT","price":"@IP-10@","validity":"TTL","validity_ttl":1}
	#
	# iceberg (KC 2.3: iceberg_legs 2..10, iceberg_quantity = quantity /
	# legs; MOCK orders.json: SBIN CNC LIMIT TTL validity_ttl 2, 5 legs of 200)
	placed {"id":"i-mock","op":"place","variety":"iceberg","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1000,"product":"CNC","order_type":"LIMIT","price":"@IP-10@","validity":"TTL","validity_ttl":2,"iceberg_legs":5,"iceberg_quantity":200}
	placed {"id":"i-mis-2","op":"place","variety":"iceberg","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"SELL","quantity":100,"product":"MIS","order_type":"LIMIT","price":"@IP+10@","iceberg_legs":2,"iceberg_quantity":50}
	placed {"id":"i-10-legs","op":"place","variety":"iceberg","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":100,"product":"CNC","order_type":"LIMIT","price":"@IP-10@","iceberg_legs":10,"iceberg_quantity":10}
	#
	# auction (KC 2.3: auction_number, a string; MOCK orders.json: BHEL CNC
	# LIMIT DAY, auction_number "22")
	placed {"id":"u-mock","op":"place","variety":"auction","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"SELL","quantity":60,"product":"CNC","order_type":"LIMIT","price":"@IP@","auction_number":"22"}
	#
	# co (SIM, as KC 2.3 only lists the variety: a MARKET or LIMIT entry and
	# its stop-loss trigger_price, below the entry for a BUY, above for a
	# SELL; MIS, the intraday product)
	placed {"id":"c-mkt-buy","op":"place","variety":"co","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"MIS","order_type":"MARKET","trigger_price":"@IP-10@","market_protection":-1}
	placed {"id":"c-mkt-sell","op":"place","variety":"co","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"SELL","quantity":1,"product":"MIS","order_type":"MARKET","trigger_price":"@IP+10@","market_protection":-1}
	placed {"id":"c-lmt-buy","op":"place","variety":"co","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"MIS","order_type":"LIMIT","price":"@IP@","trigger_price":"@IP-10@"}
	placed {"id":"c-lmt-sell","op":"place","variety":"co","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"SELL","quantity":1,"product":"MIS","order_type":"LIMIT","price":"@IP@","trigger_price":"@IP+10@"}
	EOF
	run_table ok
	# one order in the book per intent, with the tag order-exec derived
	mapfile -t ids < <(cut -d' ' -f1 "$T/ok.exp")
	one_order_each "$T/ok.out" "${ids[@]}"
	[ "$(book_len)" = "${#ids[@]}" ]
	# the book carries what was asked (KC 2.3), e.g. the iceberg's TTL and
	# the auction number
	kite_get /orders | jq -e --arg t "$(tag_of "$T/ok.out" i-mock)" \
		'[.data[] | select(.tag == $t)][0] | .variety == "iceberg" and
		.validity == "TTL" and .validity_ttl == 2 and .quantity == 1000'
	kite_get /orders | jq -e --arg t "$(tag_of "$T/ok.out" u-mock)" \
		'[.data[] | select(.tag == $t)][0] | .variety == "auction" and
		.auction_number == "22"'
	# a percentage is recorded as the tags mktp and mktp:<pct>, two decimals
	# (MOCK orders.json: "mktp", "mktp:2.00")
	book_order "$(tag_of "$T/ok.out" r-mkt-pct)" |
		jq -e '.[0].tags | index("mktp") and index("mktp:5.00")'
	book_order "$(tag_of "$T/ok.out" r-mkt-dec)" |
		jq -e '.[0].tags | index("mktp") and index("mktp:2.50")'
}

@test "order-exec/kite: intents breaking Kite's documented rules are invalid, nothing sent" {
	sim_start
	prices
	table bad <<-'EOF'
	# KC 2.3 FORUM: MARKET and SL-M with market_protection 0 are rejected
	invalid {"id":"x-mp0-mkt","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"MARKET","market_protection":0}
	invalid {"id":"x-mp0-slm","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"SL-M","trigger_price":"@IP+1@","market_protection":0}
	invalid {"id":"x-mp0-dec","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"MARKET","market_protection":"0.00"}
	# KC 2.3: market_protection is -1 or 0-100
	invalid {"id":"x-mp101","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"MARKET","market_protection":101}
	invalid {"id":"x-mp-2","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"MARKET","market_protection":-2}
	# KC 2.3: trigger_price for SL and SL-M, price for LIMIT and SL
	invalid {"id":"x-sl-notrig","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"SL","price":"@IP+2@"}
	invalid {"id":"x-slm-notrig","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"SL-M","market_protection":-1}
	invalid {"id":"x-lmt-noprice","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"LIMIT"}
	invalid {"id":"x-sl-noprice","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"SL","trigger_price":"@IP+1@"}
	# KC 2.3: validity_ttl for TTL
	invalid {"id":"x-ttl-nottl","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"LIMIT","price":"@IP-10@","validity":"TTL"}
	# KC 2.3: iceberg_legs 2..10 and iceberg_quantity for variety iceberg
	invalid {"id":"x-ice-nolegs","op":"place","variety":"iceberg","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":100,"product":"CNC","order_type":"LIMIT","price":"@IP-10@"}
	invalid {"id":"x-ice-noqty","op":"place","variety":"iceberg","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":100,"product":"CNC","order_type":"LIMIT","price":"@IP-10@","iceberg_legs":2}
	invalid {"id":"x-ice-11","op":"place","variety":"iceberg","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":110,"product":"CNC","order_type":"LIMIT","price":"@IP-10@","iceberg_legs":11,"iceberg_quantity":10}
	invalid {"id":"x-ice-1","op":"place","variety":"iceberg","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":100,"product":"CNC","order_type":"LIMIT","price":"@IP-10@","iceberg_legs":1,"iceberg_quantity":100}
	# KC 2.3: auction_number for variety auction
	invalid {"id":"x-auc-nonum","op":"place","variety":"auction","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"SELL","quantity":1,"product":"CNC","order_type":"LIMIT","price":"@IP@"}
	# SIM (cover orders): the entry is MARKET or LIMIT, trigger_price required
	invalid {"id":"x-co-sl","op":"place","variety":"co","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"MIS","order_type":"SL","price":"@IP+2@","trigger_price":"@IP+1@"}
	invalid {"id":"x-co-slm","op":"place","variety":"co","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"MIS","order_type":"SL-M","trigger_price":"@IP+1@","market_protection":-1}
	invalid {"id":"x-co-notrig","op":"place","variety":"co","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"MIS","order_type":"LIMIT","price":"@IP@"}
	# KC 2.3: the lists of varieties (GO's bo is not Kite's), products (the
	# clients' CO is not in DOC), order types, validities, exchanges
	invalid {"id":"x-bo","op":"place","variety":"bo","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"MIS","order_type":"LIMIT","price":"@IP@"}
	invalid {"id":"x-prod-co","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CO","order_type":"LIMIT","price":"@IP@"}
	invalid {"id":"x-validity-gtc","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"LIMIT","price":"@IP@","validity":"GTC"}
	invalid {"id":"x-otype","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"STOP","price":"@IP@"}
	# man order-exec: unknown fields refused; tag is set by order-exec (its
	# 15-character kp tag keeps within KC 2.3's "alphanumeric, max 20")
	invalid {"id":"x-unknown","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantiy":1,"product":"CNC","order_type":"LIMIT","price":"@IP@"}
	invalid {"id":"x-tag","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"LIMIT","price":"@IP@","tag":"mytag"}
	# KC 2.3: autoslice is true or false
	invalid {"id":"x-autoslice-yes","op":"place","variety":"regular","exchange":"NFO","tradingsymbol":"@FUT@","transaction_type":"BUY","quantity":75,"product":"NRML","order_type":"MARKET","market_protection":-1,"autoslice":"yes"}
	EOF
	run_table bad
	# every answer says why and where (man order-exec: invalid)
	jq -e -s 'all(.[]; (.error | length) > 0 and .line > 0)' "$T/bad.out"
	# nothing was sent: the book is empty
	[ "$(book_len)" = 0 ]
}

@test "order-exec/kite: MARKET and SL-M without market_protection are placed with -1 (automatic)" {
	# KC 2.3 FORUM: MARKET and SL-M with market_protection 0 (the documented
	# default when absent) are rejected, -1 is automatic; order-exec adds
	# its --market-protection, default -1 (man order-exec)
	sim_start
	prices
	table mp <<-'EOF'
	placed {"id":"m-mkt","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"MARKET"}
	placed {"id":"m-slm","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"SELL","quantity":1,"product":"MIS","order_type":"SL-M","trigger_price":"@IP-1@"}
	placed {"id":"m-co","op":"place","variety":"co","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"MIS","order_type":"MARKET","trigger_price":"@IP-10@"}
	placed {"id":"m-lmt","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"LIMIT","price":"@IP-10@"}
	EOF
	run_table mp
	for id in m-mkt m-slm m-co; do
		book_order "$(tag_of "$T/mp.out" "$id")" | jq -e 'length == 1 and
			.[0].market_protection == -1 and (.[0].tags | index("mktp"))' ||
			{ echo "$id: no automatic market protection in the book" >&2; false; }
	done
	# LIMIT orders carry none (KC 2.3: MARKET and SL-M only)
	book_order "$(tag_of "$T/mp.out" m-lmt)" |
		jq -e 'length == 1 and (.[0].tags | index("mktp") | not)'
}

@test "order-exec/kite: what Kite refuses is rejected with its error_type and HTTP status, never placed" {
	sim_start
	prices
	[ "$(sim_ctl 'freeze-qty NIFTY 1800')" = ok ]
	table rej <<-'EOF'
	# KC 2.3: autoslice slices orders above the freeze quantity, so an order
	# above it without autoslice is refused (kite-sim's NIFTY freeze: 1800;
	# the error_type/HTTP pairing is KC 2.4 UNCONFIRMED, SIM InputException
	# 400 as for every bad parameter)
	rejected/InputException/400 {"id":"f-over","op":"place","variety":"regular","exchange":"NFO","tradingsymbol":"@FUT@","transaction_type":"BUY","quantity":1875,"product":"NRML","order_type":"MARKET","market_protection":-1}
	rejected/InputException/400 {"id":"f-over-false","op":"place","variety":"regular","exchange":"NFO","tradingsymbol":"@OPT@","transaction_type":"BUY","quantity":1875,"product":"NRML","order_type":"LIMIT","price":"@OP@","autoslice":false}
	# KC 2.3 FORUM: slicing is capped at 10 slices (18075 = 11 slices of 1800)
	rejected/InputException/400 {"id":"f-11","op":"place","variety":"regular","exchange":"NFO","tradingsymbol":"@FUT@","transaction_type":"BUY","quantity":18075,"product":"NRML","order_type":"MARKET","market_protection":-1,"autoslice":true}
	# SIM: products by segment, lot sizes, tick sizes, the cover stop-loss's
	# side (not in kite-connect.md)
	rejected/InputException/400 {"id":"p-nrml-eq","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"NRML","order_type":"LIMIT","price":"@IP-10@"}
	rejected/InputException/400 {"id":"p-cnc-fno","op":"place","variety":"regular","exchange":"NFO","tradingsymbol":"@FUT@","transaction_type":"BUY","quantity":75,"product":"CNC","order_type":"LIMIT","price":"@FP-10@"}
	rejected/InputException/400 {"id":"p-mtf-fno","op":"place","variety":"regular","exchange":"NFO","tradingsymbol":"@OPT@","transaction_type":"BUY","quantity":75,"product":"MTF","order_type":"LIMIT","price":"@OP-2@"}
	rejected/InputException/400 {"id":"q-lot","op":"place","variety":"regular","exchange":"NFO","tradingsymbol":"@FUT@","transaction_type":"BUY","quantity":10,"product":"NRML","order_type":"LIMIT","price":"@FP-10@"}
	rejected/InputException/400 {"id":"q-tick","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"LIMIT","price":"@IP-10@.03"}
	rejected/InputException/400 {"id":"q-sl-side","op":"place","variety":"regular","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"CNC","order_type":"SL","price":"@IP+1@","trigger_price":"@IP+2@"}
	rejected/InputException/400 {"id":"c-lmt-wrong","op":"place","variety":"co","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY","quantity":1,"product":"MIS","order_type":"LIMIT","price":"@IP@","trigger_price":"@IP+10@"}
	rejected/InputException/400 {"id":"c-mkt-wrong","op":"place","variety":"co","exchange":"NSE","tradingsymbol":"INFY","transaction_type":"SELL","quantity":1,"product":"MIS","order_type":"MARKET","trigger_price":"@IP-10@","market_protection":-1}
	# KC 2.3: disclosed_quantity is for equity only
	rejected/InputException/400 {"id":"q-disc-fno","op":"place","variety":"regular","exchange":"NFO","tradingsymbol":"@FUT@","transaction_type":"BUY","quantity":150,"disclosed_quantity":75,"product":"NRML","order_type":"LIMIT","price":"@FP-10@"}
	EOF
	run_table rej
	# KC 2.1: the error envelope's message comes through
	jq -e -s 'all(.[]; (.message | length) > 0)' "$T/rej.out"
	grep -F '"f-over"' "$T/rej.out" | jq -e '.message | test("freeze")'
	[ "$(book_len)" = 0 ]
}

@test "order-exec/kite: autoslice places one order per slice, answered as parent and children" {
	# KC 2.3 and MOCK autoslice_response.json: {"order_id":parent,
	# "children":[{"order_id"}...]}; MOCK orders.json: each slice tagged
	# autoslice and autoslice:<parent>; the parent is not an order
	sim_start
	prices
	[ "$(sim_ctl 'freeze-qty NIFTY 1800')" = ok ]
	table as <<-'EOF'
	# 3675 = 1800 + 1800 + 75 (NIFTY freeze 1800, lot 75)
	placed {"id":"s-3","op":"place","variety":"regular","exchange":"NFO","tradingsymbol":"@FUT@","transaction_type":"BUY","quantity":3675,"product":"NRML","order_type":"MARKET","market_protection":-1,"autoslice":true}
	# KC 2.3 FORUM: at most 10 slices: 18000 = 10 of 1800
	placed {"id":"s-10","op":"place","variety":"regular","exchange":"NFO","tradingsymbol":"@OPT@","transaction_type":"SELL","quantity":18000,"product":"NRML","order_type":"LIMIT","price":"@OP+10@","autoslice":true}
	# KC 2.3: at or below the freeze quantity the order is placed alone,
	# answered as a single order (DOC: the response format stays the same)
	placed {"id":"s-1","op":"place","variety":"regular","exchange":"NFO","tradingsymbol":"@FUT@","transaction_type":"BUY","quantity":1800,"product":"NRML","order_type":"MARKET","market_protection":-1,"autoslice":true}
	EOF
	run_table as
	local out tag parent
	out=$(grep -F '"s-3"' "$T/as.out")
	tag=$(echo "$out" | jq -r .tag)
	parent=$(echo "$out" | jq -r .order_id)
	echo "$out" | jq -e '(.children | length) == 3 and
		all(.children[]; keys == ["order_id"])'
	# the book: one order per child, each with the intent's tag, quantities
	# 1800 1800 75, tags autoslice:<parent>; the parent is no order
	book_order "$tag" | jq -e --argjson o "$out" --arg p "$parent" '
		length == 3 and ([.[].order_id] | sort) ==
		([$o.children[].order_id] | sort) and
		([.[].quantity] | sort) == [75, 1800, 1800] and
		all(.[]; .tags | index("autoslice") and
		index("autoslice:" + $p))'
	[ "$(kite_get /orders | jq --arg p "$parent" '[.data[] |
		select(.order_id == $p)] | length')" = 0 ]
	out=$(grep -F '"s-10"' "$T/as.out")
	echo "$out" | jq -e '(.children | length) == 10'
	[ "$(orders_tagged "$(echo "$out" | jq -r .tag)")" = 10 ]
	out=$(grep -F '"s-1"' "$T/as.out")
	echo "$out" | jq -e 'has("children") | not'
	[ "$(orders_tagged "$(echo "$out" | jq -r .tag)")" = 1 ]
	# a lower freeze quantity (SIM freeze-qty; KC 2.3: slices of the freeze
	# quantity): the same 1800 is now two slices of 900
	[ "$(sim_ctl 'freeze-qty NIFTY 900')" = ok ]
	table as2 <<-'EOF'
	placed {"id":"s-900","op":"place","variety":"regular","exchange":"NFO","tradingsymbol":"@FUT@","transaction_type":"SELL","quantity":1800,"product":"MIS","order_type":"MARKET","market_protection":-1,"autoslice":true}
	EOF
	run_table as2
	out=$(cat "$T/as2.out")
	echo "$out" | jq -e '(.children | length) == 2'
	book_order "$(echo "$out" | jq -r .tag)" |
		jq -e '[.[].quantity] == [900, 900]'
}

@test "order-exec/kite: autoslice children refused for margin are answered as MarginException 400" {
	# MOCK autoslice_response.json: a failed child is {"error":{"code":400,
	# "error_type":"MarginException","message":...}}; order-exec answers it
	# as {"error_type","message","http"} (man order-exec) and the order is
	# still placed (the other children are orders)
	sim_start
	prices
	[ "$(sim_ctl 'freeze-qty NIFTY 1800')" = ok ]
	[ "$(sim_ctl 'child-margin-fail 2')" = ok ]
	table cm <<-'EOF'
	placed {"id":"s-margin","op":"place","variety":"regular","exchange":"NFO","tradingsymbol":"@FUT@","transaction_type":"BUY","quantity":3675,"product":"NRML","order_type":"MARKET","market_protection":-1,"autoslice":true}
	EOF
	run_table cm
	local out
	out=$(cat "$T/cm.out")
	echo "$out" | jq -e '(.children | length) == 3 and
		(.children[0] | keys == ["order_id"]) and
		all(.children[1:][]; .error_type == "MarginException" and
		.http == 400 and (.message | length) > 0 and
		(has("order_id") | not))'
	book_order "$(echo "$out" | jq -r .tag)" | jq -e --argjson o "$out" \
		'length == 1 and .[0].order_id == $o.children[0].order_id'
}

@test "order-exec/kite: an autoslice placement of unknown outcome is settled from the book by tag" {
	# KC 2.3: the slices carry the tag and autoslice:<parent> (MOCK
	# orders.json); man order-exec: an unknown outcome is settled from the
	# book, reconciled:true, never sent again.  ambiguous 1 0: placed, then
	# answered with Kite's "Order request timed out" (man kite-sim); the
	# book lags the placement by 300 ms (kite-connect.md: no bound documented)
	sim_start
	prices
	[ "$(sim_ctl 'freeze-qty NIFTY 1800')" = ok ]
	[ "$(sim_ctl 'ambiguous 1 0')" = ok ]
	[ "$(sim_ctl 'book-lag-ms 300')" = ok ]
	table amb <<-'EOF'
	placed {"id":"s-amb","op":"place","variety":"regular","exchange":"NFO","tradingsymbol":"@FUT@","transaction_type":"BUY","quantity":3675,"product":"NRML","order_type":"MARKET","market_protection":-1,"autoslice":true}
	EOF
	run_table amb
	local out tag
	out=$(cat "$T/amb.out")
	tag=$(echo "$out" | jq -r .tag)
	echo "$out" | jq -e '.reconciled == true and (.children | length) == 3'
	# the parent named is the slices' autoslice:<parent>, the children are
	# the book's orders with the tag, and nothing was placed twice
	book_order "$tag" | jq -e --argjson o "$out" 'length == 3 and
		([.[].order_id] | sort) == ([$o.children[].order_id] | sort) and
		all(.[]; .tags | index("autoslice:" + $o.order_id))'
	[ "$(book_len)" = 3 ]
}
