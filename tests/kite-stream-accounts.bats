#!/usr/bin/env bats
# kite-stream's accounts (-A) against kite-sim's (--account): instruments
# spread by -S fill|balance, an account revoked mid-stream failing over
# within the bound, restored without a gap, capacity running out, a
# connection failing past -F, and no secret in any log.

load helper
load kite-sim
load kite-stream
bats_require_minimum_version 1.5.0

setup() {
	require_cmd jq jq
	require_cmd curl curl
	KS_PID=
	printf '%s\n' "$KITE_ACCESS_TOKEN" >"$T/t1"
	printf 'tok2-secret-0123456789\n' >"$T/t2"
	printf 'tok3-secret-0123456789\n' >"$T/t3"
	printf 'key3\n' >"$T/k3"
	cat >"$T/accounts" <<-EOF
	# name key token-file
	a1 $KITE_API_KEY $T/t1
	a2 key2 $T/t2
	a3 @$T/k3 $T/t3   # the key from a file
	EOF
}

teardown() {
	ks_reap
	sim_stop
}

# start_sim: kite-sim with the three accounts, 10 ticks/s; $T/toks holds
# its first N (40) instruments.
start_sim() {
	sim_start -r 10 --account "key2:$T/t2" --account "key3:$T/t3" "$@"
	curl -sS -H "Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN" \
		"$KITE_API_URL/instruments" | sed 1d | cut -d, -f1 |
		head -n "${NTOK:-40}" >"$T/toks"
	[ "$(wc -l <"$T/toks")" -eq "${NTOK:-40}" ]
}

# sim_subs KEY: kite-sim's subscriptions per connection of KEY, summed.
sim_subs() {
	sim_ctl status | sed 's/^ok //' |
		jq --arg k "$1" '.accounts[] | select(.key == $k) | .subscriptions | add // 0'
}

# subs_eq KEY N: kite-sim has N subscriptions on KEY's connections.
subs_eq() { [ "$(sim_subs "$1")" -eq "$2" ]; }

# largest_gap FROM TO: the longest time, over every instrument of
# $T/toks, between FROM (epoch s), its ticks and TO, in ms.
largest_gap() {
	jq -s --argjson from "$1" --argjson to "$2" --slurpfile t <(jq -R 'tonumber' "$T/toks") '
		[.[] | select(.type == "tick" and .receive_timestamp > $from and
			.receive_timestamp <= $to)] as $ticks |
		[$t[] as $tok | [$from] + ([$ticks[] | select(.instrument_token == $tok) |
			.receive_timestamp] | sort) + [$to] |
			. as $s | [range(1; length) | $s[.] - $s[. - 1]] | max] |
		max * 1000 | floor' "$T/out"
}

# gap_below FROM MS WHAT: the largest gap from FROM to now is under MS.
gap_below() {
	local gap
	gap=$(largest_gap "$1" "$(date +%s.%N)")
	echo "largest gap $3: $gap ms" >&3
	[ "$gap" -lt "$2" ]
}

no_secrets() {
	run ! grep -F -e "$KITE_ACCESS_TOKEN" -e tok2-secret -e tok3-secret "$T/err" "$T/out"
	run ! grep -F -e "$KITE_ACCESS_TOKEN" -e tok2-secret -e tok3-secret "$T/sim.err"
}

@test "accounts: -S balance spreads the instruments evenly; fill fills a1 first" {
	start_sim
	ks_start -A "$T/accounts" -S balance -N 8 -f "$T/toks"
	eventually 20 has '.type=="status" and .event=="subscribed"' 6
	eventually 10 subs_eq key3 13
	[ "$(sim_subs "$KITE_API_KEY")" -eq 14 ]
	[ "$(sim_subs key2)" -eq 13 ]
	# each connection's count in its status line, per account
	run jq -s -c '[.[] | select(.event == "subscribed")] | group_by(.account) |
		map([.[0].account, (map(.count) | add)])' "$T/out"
	[ "$output" = '[["a1",14],["a2",13],["a3",13]]' ]
	ks_stop
	: >"$T/out"
	ks_start -A "$T/accounts" -N 8 -f "$T/toks"
	eventually 20 has '.type=="status" and .event=="subscribed"' 6
	eventually 10 subs_eq key2 16
	[ "$(sim_subs "$KITE_API_KEY")" -eq 24 ]
	[ "$(sim_subs key3)" -eq 0 ]
	# a3 holds no instrument but keeps a connection: standing by
	has '.event=="subscribed" and .account=="a3" and .count==0'
	ks_stop
	no_secrets
}

@test "accounts: revoked mid-stream, its instruments resume elsewhere within the bound; restored without a gap" {
	start_sim
	ks_start -A "$T/accounts" -S balance -N 8 -f "$T/toks"
	eventually 20 has '.type=="status" and .event=="subscribed"' 6
	sleep 2
	t0=$(date +%s.%N)
	sim_ctl 'revoke key2'
	eventually 10 has '.event=="account" and .account=="a2" and .state=="failed"'
	eventually 10 subs_eq key2 0
	eventually 10 subs_eq key3 20
	sleep 3
	gap_below "$t0" 3000 "after the revoke"
	# a moved line per batch, together every instrument a2 had
	run jq -s -c '[.[] | select(.event == "moved" and .from_account == "a2") | .instruments[]] | length' "$T/out"
	[ "$output" -eq 13 ]
	has '.event=="moved" and .from_account=="a2" and .account=="a1" and .reason=="credentials refused (HTTP 403)"'
	has '.event=="moved" and .from_account=="a2" and .account=="a3"'
	# restored: the token file rewritten, a2 takes its share back
	sim_ctl 'restore key2'
	t2=$(date +%s.%N)
	cp "$T/t2" "$T/t2.new" && mv "$T/t2.new" "$T/t2"
	eventually 15 has '.event=="account" and .account=="a2" and .state=="restored"'
	eventually 10 subs_eq key2 13
	eventually 10 subs_eq key3 13
	sleep 2
	gap_below "$t2" 600 "over the restore"
	has '.event=="moved" and .account=="a2" and .reason=="account restored"'
	# make before break: the old connections unsubscribe what moved (13)
	# only once a2's new connections are up
	run awk '/account a2 is back/ { b = 1 }
		b && /connection [345]: connected/ { c = NR }
		b && /moved instrument\(s\) unsubscribed/ { if (!u) u = NR; n += $5 }
		END { print (c < u), n }' "$T/err"
	[ "$output" = "1 13" ]
	ks_stop
	no_secrets
}

@test "accounts: capacity runs out: the instruments that fit nowhere are named" {
	NTOK=12 start_sim
	grep -v "^#" "$T/accounts" | head -n 2 >"$T/acc2"
	ks_start -A "$T/acc2" -C 1 -N 8 -f "$T/toks"
	eventually 20 has '.type=="status" and .event=="subscribed"' 2
	eventually 10 subs_eq "$KITE_API_KEY" 8
	sim_ctl "revoke $KITE_API_KEY"
	eventually 10 has '.event=="unplaced" and .account=="a1"'
	run jq -s -c '[.[] | select(.event == "unplaced")][0] | [.count, (.instruments | length)]' "$T/out"
	[ "$output" = '[4,4]' ]
	run jq -s -c '[.[] | select(.event == "moved") | .instruments[]] | length' "$T/out"
	[ "$output" -eq 4 ]
	eventually 10 subs_eq key2 8
	# moved and unplaced: every one of a1's instruments, none twice
	run jq -s -c '[.[] | select(.event == "moved" or .event == "unplaced") | .instruments[]] | unique | length' "$T/out"
	[ "$output" -eq 8 ]
	ks_stop
	no_secrets
}

@test "accounts: a revoked account comes back on SIGHUP, with -S fill taking its instruments back" {
	start_sim
	ks_start -A "$T/accounts" -N 8 -f "$T/toks"
	eventually 20 has '.type=="status" and .event=="subscribed"' 6
	sim_ctl "revoke $KITE_API_KEY"
	eventually 10 has '.event=="account" and .account=="a1" and .state=="failed"'
	# fill: a2 full (24), the rest on a3
	eventually 10 subs_eq key2 24
	eventually 10 subs_eq key3 16
	sim_ctl "restore $KITE_API_KEY"
	sleep 1
	run has '.event=="account" and .state=="restored"'
	[ "$status" -ne 0 ]
	kill -HUP "$KS_PID"
	eventually 15 has '.event=="account" and .account=="a1" and .state=="restored"'
	eventually 10 subs_eq "$KITE_API_KEY" 24
	eventually 10 subs_eq key2 16
	eventually 10 subs_eq key3 0
	ks_stop
	no_secrets
}

@test "accounts: a connection failing past -F fails its account over" {
	# one connection a key at kite-sim: a1's second one is refused (429)
	start_sim --max-conns 1
	grep -v "^#" "$T/accounts" | head -n 2 >"$T/acc2"
	head -n 6 "$T/toks" >"$T/toks6"
	ks_start -A "$T/acc2" -C 2 -N 4 -F 1s -f "$T/toks6"
	eventually 15 has '.event=="account" and .account=="a1" and .state=="failed"'
	has '.event=="account" and (.reason | test("^connection 1 down for"))'
	eventually 10 has '.event=="moved" and .from_account=="a1" and .account=="a2"'
	no_secrets
}

@test "accounts: a bad accounts file is a usage error (100), naming the line" {
	start_sim
	printf 'a1 key\n' >"$T/bad"
	run -100 kite-stream -A "$T/bad" 1
	[[ $output == *"line 1: want NAME API_KEY TOKEN_FILE"* ]]
	printf 'a1 k %s\na1 k %s\n' "$T/t1" "$T/t1" >"$T/bad"
	run -100 kite-stream -A "$T/bad" 1
	[[ $output == *"line 2: account a1 twice"* ]]
	printf 'a1 k %s/none\n' "$T" >"$T/bad"
	run -100 kite-stream -A "$T/bad" 1
	[[ $output == *"line 1: access token:"* ]]
	run -100 kite-stream -A "$T/accounts" -S even 1
	run -100 kite-stream -A "$T/nothere" 1
	[[ $output == *"unable to open"* ]]
}
