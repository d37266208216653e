#!/usr/bin/env bats
# order-exec under the faults that cost money: two processes on one journal,
# a damaged journal (every byte flipped in turn), and a chaos run (kill -9 at
# random points, a second instance midway, Kite answering 429, 5xx, late and
# ambiguously).  What counts is kite-sim's order book, counted by tag.

load helper
load kite-sim
load order-exec
bats_require_minimum_version 1.5.0

# no_tag_twice: fails naming any tag that is on more than one order
no_tag_twice() {
	local dup
	dup=$(book_tags | sort | uniq -d)
	[ -z "$dup" ] || { echo "orders placed twice: $dup" >&2; return 1; }
}

@test "order-exec: a second process on a held journal exits 111 naming the holder; --status still reads" {
	sim_start
	mkfifo "$T/in"
	order-exec -j "$J" <"$T/in" >"$T/out" 2>"$T/err" 3>&- &
	OE_PID=$!
	exec 7>"$T/in"
	place l1 >&7
	eventually 20 grep -q '"id":"l1","result":"placed"' "$T/out"
	run --separate-stderr oe < <(place l1; place l2)
	[ "$status" -eq 111 ]
	[ -z "$output" ]
	[ "$stderr" = "order-exec: fatal: journal $J is in use by pid $OE_PID (one order-exec per journal)" ]
	run order-exec -j "$J" --status
	[ "$status" -eq 0 ]
	echo "${lines[0]}" | jq -e '.done == 1'
	exec 7>&-
	wait "$OE_PID"
	OE_PID=
	[ "$(book_tags | wc -l)" = 1 ]
}

@test "order-exec: two processes started together on one journal place each order once" {
	sim_start
	for i in $(seq 1 20); do place "t$i"; done >"$T/intents"
	oe <"$T/intents" >"$T/out1" 2>"$T/err1" &
	local p1=$!
	oe <"$T/intents" >"$T/out2" 2>"$T/err2" &
	local p2=$! s1=0 s2=0
	wait "$p1" || s1=$?
	wait "$p2" || s2=$?
	# one ran, the other found the journal held
	[ "$((s1 + s2))" = 111 ] || { echo "exits $s1 $s2" >&2; false; }
	[ "$(cat "$T/out1" "$T/out2" | jq -s 'map(select(.result == "placed")) | length')" = 20 ]
	[ "$(book_tags | wc -l)" = 20 ]
	no_tag_twice
}

# crashed_journal N: a journal left by a crash after c1's request went (the
# order is in the book, which then holds N orders) and before its result
# was written: its last records are accept c1, send c1.
crashed_journal() {
	run --separate-stderr env KP_ORDER_EXEC_CRASH_AT=sent order-exec -j "$J" < <(place c1)
	[ "$status" -eq 137 ]
	tail -n 2 "$J" | cut -d' ' -f2- | jq -e -s '.[0].t == "accept" and .[1].t == "send" and .[1].id == "c1"'
	[ "$(book_tags | wc -l)" = "$1" ]
}

@test "order-exec: a whole last record that fails its check is corruption (exit 100), a record without its newline is torn" {
	sim_start
	crashed_journal 1
	cp "$J" "$T/good"
	# one byte of the last record's JSON changed, its newline kept
	sed '2s/"t":"send"/"t":"sene"/' "$T/good" >"$J"
	run --separate-stderr oe < <(place c1)
	[ "$status" -eq 100 ]
	[ -z "$output" ]
	[[ $stderr == *"$J:2: bad record (CRC or format); the journal cannot be trusted"* ]]
	cmp -s "$J" <(sed '2s/"t":"send"/"t":"sene"/' "$T/good")	# left as found
	# the last record cut short, as a crash mid-write leaves it
	head -c -20 "$T/good" >"$J"
	run --separate-stderr oe < <(place c1)
	[ "$status" -eq 0 ]
	[[ $stderr == *"cut a torn last record"* ]]
	echo "$output" | jq -e '.id == "c1" and .result == "placed" and .reconciled == true'
	[ "$(book_tags | wc -l)" = 1 ]
}

@test "order-exec: every byte of a journal flipped in turn: exit 100 or a correct recovery, never a second order" {
	sim_start
	oe < <(place f0) >/dev/null 2>&1
	crashed_journal 2
	cp "$J" "$T/good"
	local size i rc n100=0 nok=0
	size=$(stat -c %s "$T/good")
	[ "$size" -lt 4000 ]
	for ((i = 0; i < size; i++)); do
		cp "$T/good" "$T/j"
		# xor the byte at i with 0x20 (0x0a, the newline, becomes 0x2a)
		printf "\\$(printf %03o $(($(od -An -tu1 -j "$i" -N1 "$T/good") ^ 32)))" |
			dd of="$T/j" bs=1 seek="$i" conv=notrunc status=none
		rc=0
		order-exec -j "$T/j" --reconcile-window 1s --backoff-base 20ms \
			--backoff-cap 100ms -q </dev/null >"$T/o" 2>"$T/e" || rc=$?
		case $rc in
		100) n100=$((n100 + 1)) ;;
		0)	nok=$((nok + 1))
			# a recovery answers nothing (no intent came in) but
			# must have settled c1 by the book
			run order-exec -j "$T/j" --status
			echo "${lines[0]}" | jq -e '.intents == 2 and .done == 2' >/dev/null ||
				{ echo "byte $i: ${lines[0]}" >&2; false; } ;;
		*) echo "byte $i: exit $rc: $(cat "$T/e")" >&2; false ;;
		esac
	done
	echo "$n100 corrupt, $nok recovered of $size" >&3
	[ "$n100" -gt 0 ] && [ "$nok" -gt 0 ]
	[ "$(book_tags | wc -l)" = 2 ]
	no_tag_twice
}

# chaos_run ROUND: order-exec on the chaos journal in the background, every
# intent on stdin (a restarted client sends them all again)
chaos_run() {
	order-exec -j "$J" -t 1s --reconcile-window "$CHAOS_WINDOW" \
		--backoff-base 20ms --backoff-cap 300ms -a 20 \
		<"$T/intents" >"$T/out.$1" 2>"$T/err.$1" &
	OE_PID=$!
}

# The order book lags each placement by 2 s (kite-sim's book-lag-ms): an
# unknown outcome is found only by looking for longer than that, and a
# restart finds the orders of the run it replaces only late.
@test "order-exec: chaos: kill -9 at random points, a second instance, Kite failing, the book lagging: one result per intent, never two orders" {
	sim_start
	local n=50 r s ms
	CHAOS_WINDOW=6s
	for i in $(seq 1 $n); do place "x$i"; done >"$T/intents"
	sim_ctl 'http-429 0.15' 'http-5xx 0.03' 'delay-ms 20' 'ambiguous 6 0' \
		'book-lag-ms 2000' >/dev/null
	for r in 1 2 3 4 5 6 7 8; do
		chaos_run "$r"
		if [ "$r" = 4 ]; then
			# a second instance on the same journal, midway
			sleep 0.2
			s=0
			order-exec -j "$J" <"$T/intents" >"$T/second.out" 2>"$T/second.err" || s=$?
			[ "$s" = 111 ] || { echo "second instance: exit $s" >&2; cat "$T/second.err" >&2; false; }
			[ ! -s "$T/second.out" ]
		fi
		ms=$((200 + RANDOM % 1300))
		sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
		kill -9 "$OE_PID" 2>/dev/null || true
		wait "$OE_PID" 2>/dev/null || true
		OE_PID=
	done
	sim_ctl clear >/dev/null	# faults off; the lag stays
	run --separate-stderr timeout 120 order-exec -j "$J" -t 1s \
		--reconcile-window "$CHAOS_WINDOW" --backoff-base 20ms -a 20 <"$T/intents"
	[ "$status" -eq 0 ] || { echo "$stderr" | tail -5 >&2; false; }
	echo "$output" >"$T/final"
	# one final line per intent, every intent
	[ "$(jq -r .id "$T/final" | sort -u | wc -l)" = "$n" ]
	[ "$(grep -c . "$T/final")" = "$n" ]
	# what a killed run answered is what the final run answers, byte for byte
	cat "$T"/out.* | grep -a '^{.*}$' | sort -u >"$T/early" || true
	comm -23 "$T/early" <(sort -u "$T/final") >"$T/differ"
	[ ! -s "$T/differ" ] || { cat "$T/differ" >&2; false; }
	# the book, once it caught up: no order twice; each placed answer is
	# its tag's one order
	sim_ctl 'book-lag-ms 0' >/dev/null
	sleep 2.1
	no_tag_twice
	book_tags | sort >"$T/book"
	jq -r 'select(.result == "placed") | .tag' "$T/final" | sort >"$T/placed"
	comm -23 "$T/placed" "$T/book" >"$T/missing"
	[ ! -s "$T/missing" ] || { echo "placed but not in the book: $(cat "$T/missing")" >&2; false; }
	# an order in the book that was not answered placed: only a dead
	# intent whose outcome stayed unknown
	comm -13 "$T/placed" "$T/book" >"$T/extra"
	while read -r tag; do
		jq -e -s --arg t "$tag" 'map(select(.tag == $t)) | length == 1 and
			.[0].result == "dead" and .[0].maybe_placed == true' "$T/final" >/dev/null ||
			{ echo "order $tag in the book, answered otherwise" >&2; false; }
	done <"$T/extra"
	jq -e -s 'map(select(.result != "placed" and (.result != "dead" or .maybe_placed != true))) | length == 0' "$T/final"
	echo "$(wc -l <"$T/placed") placed, $(jq -s 'map(select(.result == "dead")) | length' "$T/final") dead (maybe placed), $(wc -l <"$T/book") orders in the book" >&3
}
