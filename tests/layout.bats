#!/usr/bin/env bats
# layout.bats: mk/layout-check on the tree (nothing beyond
# mk/layout-exceptions, every exception still real) and on copies of it
# with a violation made up.
# SPDX-License-Identifier: MIT

load helper

# mktree: a copy of cmd/, lib/ and mk/ in $T/r and of the objects the
# check reads in $T/b.
mktree() {
	mkdir -p "$T/r" "$T/b"
	cp -R "$KP_ROOT/cmd" "$KP_ROOT/lib" "$KP_ROOT/mk" "$T/r/"
	cp -R "$B/cmd" "$B/lib" "$T/b/"
}

# check: run the check on the copy.
check() {
	run "$KP_ROOT/mk/layout-check" -r "$T/r" -b "$T/b"
}

@test "layout: the tree has no violation beyond mk/layout-exceptions" {
	run "$KP_ROOT/mk/layout-check" -r "$KP_ROOT" -b "$B"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "layout: the copy passes as the tree does" {
	mktree
	check
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "layout: a file over 800 lines fails" {
	mktree
	yes '/* padding */' | head -n 801 >>"$T/r/lib/log.c"
	check
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"lib/log.c:size "*"(limit 800)"* ]]
}

@test "layout: a main.c of 300 lines fails" {
	mktree
	local n
	n=$(wc -l <"$T/r/cmd/kite-stream/main.c")
	yes '/* padding */' | head -n $((300 - n)) >>"$T/r/cmd/kite-stream/main.c"
	check
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"cmd/kite-stream/main.c:main 300 lines"* ]]
}

@test "layout: a function of 101 lines fails, one of 100 passes" {
	mktree
	{
		printf 'static int\nshort_enough(void)\n{\n'
		yes '	;' | head -n 96
		printf '	return 0;\n}\n'
	} >>"$T/r/cmd/tick-publish/queue.c"
	check
	echo "$output"
	[ "$status" -eq 0 ]
	{
		printf 'static int\ntoo_long(void)\n{\n'
		yes '	;' | head -n 97
		printf '	return 0;\n}\n'
	} >>"$T/r/cmd/tick-publish/queue.c"
	check
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"cmd/tick-publish/queue.c:function:too_long 101 lines"* ]]
	[[ $output != *short_enough* ]]
}

@test "layout: a lib/ module that one program uses fails" {
	mktree
	mv "$T/r/cmd/tick-greeks/isotime.c" "$T/r/lib/isotime.c"
	mv "$T/b/cmd/tick-greeks/isotime.o" "$T/b/lib/isotime.o"
	check
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"lib/isotime.c:users used by 1 program(s) (tick-greeks)"* ]]
}

@test "layout: a lib/ module used through another lib/ module counts" {
	# utf8 is called by kite-stream's wsframe, and by tick-publish,
	# ws-fanout, tick-greeks and chain-follow only through
	# lib/linescan.c: without ws-fanout it has two users still, without
	# tick-publish, tick-greeks and chain-follow too only one.
	mktree
	rm -r "$T/b/cmd/ws-fanout"/*.o "$T/r/cmd/ws-fanout"
	check
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output != *"lib/utf8.c:users"* ]]
	[[ $output == *"lib/tmpl.c:users used by 1 program(s) (tick-publish)"* ]]
	rm -r "$T/b/cmd/tick-publish"/*.o "$T/r/cmd/tick-publish"
	rm -r "$T/b/cmd/tick-greeks"/*.o "$T/r/cmd/tick-greeks"
	rm -r "$T/b/cmd/chain-follow"/*.o "$T/r/cmd/chain-follow"
	check
	echo "$output"
	[[ $output == *"lib/utf8.c:users used by 1 program(s) (kite-stream)"* ]]
}

@test "layout: an exception no longer violated fails" {
	mktree
	echo 'lib/log.c:size	# issue 21' >>"$T/r/mk/layout-exceptions"
	check
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"lib/log.c:size is no longer a violation"* ]]
}

@test "layout: an exception without an issue fails" {
	mktree
	sed -i 's|^\(cmd/kite-sim/ticker.c:size\).*|\1|' "$T/r/mk/layout-exceptions"
	check
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"cmd/kite-sim/ticker.c:size names no issue"* ]]
}

@test "layout: a violation off the exceptions list fails" {
	mktree
	sed -i '/^cmd\/kite-sim\/ticker.c:size/d' "$T/r/mk/layout-exceptions"
	check
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"cmd/kite-sim/ticker.c:size 8"*" lines (limit 800)"* ]]
}

@test "layout: -h is 0, a bad flag or argument 100, no objects 111" {
	run "$KP_ROOT/mk/layout-check" -h
	[ "$status" -eq 0 ]
	run "$KP_ROOT/mk/layout-check" -y
	[ "$status" -eq 100 ]
	run "$KP_ROOT/mk/layout-check" extra
	[ "$status" -eq 100 ]
	mktree
	run "$KP_ROOT/mk/layout-check" -r "$T/r" -b "$T/nothing"
	[ "$status" -eq 111 ]
	[[ $output == *"make all"* ]]
}
