#!/usr/bin/env bats
# The pipeline examples against kite-sim and a private redis-server: the
# morning login, watching one instrument, recording with rotation and
# replaying, historical candles with Greeks, and two API keys into one
# Redis.

load helper
load services
load kite-sim
bats_require_minimum_version 1.5.0

setup() {
	require_cmd jq jq
	require_cmd curl curl
	require_cmd sha256sum coreutils
	BG=
}

teardown() {
	local p
	for p in $BG; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	sim_stop
	kp_services_stop
}

@test "morning-login.sh: request token to access token, into the token file" {
	sim_start
	run "$KP_ROOT/examples/morning-login.sh" req-123 "$T/token"
	[ "$status" -eq 0 ]
	[ "$(cat "$T/token")" = "$KITE_ACCESS_TOKEN" ]
	[ "$(stat -c %a "$T/token")" = 600 ]
	[[ $output != *"$KITE_ACCESS_TOKEN"* ]]
	# a wrong secret: refused, exit 100, the file untouched
	rm "$T/token"
	KITE_API_SECRET=wrong run "$KP_ROOT/examples/morning-login.sh" req-124 "$T/token"
	[ "$status" -eq 100 ]
	[ ! -e "$T/token" ]
}

@test "watch-instrument.sh: one instrument's ticks as rows, with IV for an option" {
	sim_start
	instr-sync >"$T/ins"
	run timeout 20 sh -c "'$KP_ROOT/examples/watch-instrument.sh' 408065 | head -n 3"
	[ "${#lines[@]}" -eq 3 ]
	[ "$(printf '%s\n' "${lines[@]}" | grep -c -- '^-- ')" -ge 1 ]
	row=$(printf '%s\n' "${lines[@]}" | grep -v -- '^-- ' | head -n 1)
	[ "$(awk -F'\t' '{ print NF }' <<<"$row")" -eq 4 ]
	opt=$(jq -r 'select(.name == "NIFTY" and .instrument_type == "CE") | .instrument_token' "$T/ins" | head -n 1)
	run --separate-stderr timeout 20 sh -c "'$KP_ROOT/examples/watch-instrument.sh' $opt '$T/ins' | grep --line-buffered -v '^-- ' | head -n 3"
	[ "${#lines[@]}" -eq 3 ]
	# time, price, change, volume, IV %, delta (the IV once the
	# underlying's price has been seen)
	[ "$(awk -F'\t' '{ print NF }' <<<"${lines[2]}")" -eq 6 ]
	awk -F'\t' '$5 > 1 && $5 < 200 { ok = 1 } END { exit !ok }' <<<"${lines[2]}"
}

@test "record-day.sh rotates captures; replay-day.sh publishes them again" {
	kp_redis_start
	sim_start
	instr-sync >"$T/ins"
	printf '256265 full\n408065 quote\n' >"$T/subs"
	"$KP_ROOT/examples/record-day.sh" "$T/caps" "$T/subs" 2 &
	BG=$!
	ncaps() { [ "$(ls "$T/caps" 2>/dev/null | wc -l)" -ge 2 ]; }
	eventually 30 ncaps
	sleep 1
	kill -TERM "$BG"
	wait "$BG"
	BG=
	n=0
	for c in "$T"/caps/*.cap; do
		kite-stream -r "$c" >"$T/dec" || true
		n=$((n + $(jq -c 'select(.type == "tick")' "$T/dec" | wc -l)))
	done
	[ "$n" -gt 2 ]
	first=$(ls "$T"/caps/*.cap | head -n 1)
	# byte for byte: grep, not jq, which would rewrite the numbers
	kite-stream -r "$first" | grep '"instrument_token":408065,' >"$T/want"
	[ -s "$T/want" ]
	redis-cli -s "${REDIS_URL#unix://}" --raw SUBSCRIBE ticks:408065 >"$T/sub" &
	BG=$!
	sleep 0.5
	run "$KP_ROOT/examples/replay-day.sh" "$first" "$T/ins"
	[ "$status" -eq 0 ]
	# the same ticks, in order (tick-greeks passes stock ticks through)
	got() { [ "$(grep -c '^{' "$T/sub")" -ge "$(wc -l <"$T/want")" ]; }
	eventually 10 got
	diff <(grep '^{' "$T/sub") "$T/want"
}

@test "candles-greeks.sh: near-money option candles have kite-sim's smile IV, within a tick" {
	# a carry on top of the dividend yield: /sim/smile's q has it
	sim_start --carry 0.02
	instr-sync >"$T/ins"
	auth="Authorization: token $KITE_API_KEY:$KITE_ACCESS_TOKEN"
	curl -fsS -H "$auth" "$KITE_API_URL/sim/smile" >"$T/smile"
	r=$(jq .r "$T/smile")
	q=$(jq '.underlyings[] | select(.name == "NIFTY") | .q' "$T/smile")
	# the last complete trading day before kite-sim's clock
	day=$(TZ=Asia/Kolkata date -d '-1 day' +%F)
	while [ "$(TZ=Asia/Kolkata date -d "$day" +%u)" -gt 5 ]; do
		day=$(TZ=Asia/Kolkata date -d "$day -1 day" +%F)
	done
	curl -fsS -G -H "$auth" --data-urlencode "from=$day 10:00:00" \
		--data-urlencode "to=$day 10:30:00" \
		"$KITE_API_URL/instruments/historical/256265/minute" >"$T/und"
	n=$(jq '.data.candles | length' "$T/und")
	[ "$n" -eq 31 ]
	s0=$(jq '.data.candles[0][4]' "$T/und")
	# the nearest expiry's two strikes nearest the index, CE and PE
	jq -c 'select(.name == "NIFTY" and (.instrument_type == "CE" or
		.instrument_type == "PE"))' "$T/ins" |
		jq -s -r --argjson s "$s0" '(map(.expiry) | min) as $x |
			map(select(.expiry == $x)) | sort_by((.strike - $s) | fabs) |
			.[0:4][] | .instrument_token' >"$T/opts"
	[ "$(wc -l <"$T/opts")" -eq 4 ]
	while read -r opt; do
		run --separate-stderr "$KP_ROOT/examples/candles-greeks.sh" "$opt" 256265 \
			"$day 10:00:00" "$day 10:30:00" "$T/ins" minute -r "$r" -q "$q"
		[ "$status" -eq 0 ]
		[ "${#lines[@]}" -eq "$n" ]
		echo "${lines[0]}" | jq -e --argjson t "$opt" \
			'.instrument_token == $t and has("oi") and has("delta")'
		# every candle: a number, and kite-sim's smile at the candle's
		# index price within a tick of price (plus the minute's theta
		# between the candle's time and its close)
		printf '%s\n' "${lines[@]}" | jq -s -e --slurpfile m "$T/smile" '
			$m[0] as $m | all(.[];
			(.iv | type) == "number" and
			((.underlying_price * (($m.r - '"$q"') * .time_to_expiry | exp))
			  as $f | ((.strike / $f) | log) as $k |
			 ($m.atm + $m.term * .time_to_expiry + $m.skew * $k +
			  $m.curv * $k * $k) as $sig |
			 ((.iv - $sig) | fabs) * .vega * 100 <=
			  0.05 + (.theta | fabs) / 1440))'
	done <"$T/opts"
}

@test "two-keys.sh: one kite-stream over two accounts, balanced, one Redis; an account revoked" {
	kp_redis_start
	printf 'tok2-0123456789\n' >"$T/t2"
	sim_start --account "key2:$T/t2"
	instr-sync >"$T/ins"
	printf '%s\n' "$KITE_ACCESS_TOKEN" >"$T/t1"
	printf 'one %s %s\ntwo key2 %s\n' "$KITE_API_KEY" "$T/t1" "$T/t2" >"$T/accounts"
	jq -r 'select(.name == "NIFTY" and .instrument_type != "FUT") | .instrument_token' "$T/ins" |
		head -n 6 >"$T/subs"
	echo 256265 >>"$T/subs"
	"$KP_ROOT/examples/two-keys.sh" "$T/accounts" "$T/subs" "$T/ins" &
	BG=$!
	want=$(sort -u "$T/subs" | wc -l)
	all_in() { [ "$(redis-cli -s "${REDIS_URL#unix://}" HLEN ticks:last)" -eq "$want" ]; }
	eventually 30 all_in
	# both accounts streaming, 4 and 3 instruments
	subs_of() {
		sim_ctl status | sed 's/^ok //' |
			jq --arg k "$1" '.accounts[] | select(.key == $k) | .subscriptions | add // 0'
	}
	[ "$(subs_of "$KITE_API_KEY")" -eq 4 ]
	[ "$(subs_of key2)" -eq 3 ]
	# one revoked: all of them on the other
	sim_ctl 'revoke key2'
	all_on_one() { [ "$(subs_of "$KITE_API_KEY")" -eq 7 ]; }
	eventually 15 all_on_one
	kill -TERM "$BG"
	wait "$BG"
	BG=
	run pgrep -f "kite-stream -q -A $T/accounts"
	[ "$status" -ne 0 ]
}
