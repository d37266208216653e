#!/usr/bin/env bats
# tick-publish: NDJSON into a real redis-server: channels (SUBSCRIBE and
# PSUBSCRIBE), templates, XADD, HSET, restarts, AUTH, SELECT, signals.
# Expected values come from the input lines the tests write, read back
# through redis-cli, never from tick-publish's own output.

load helper
load services
bats_require_minimum_version 1.5.0

setup() {
	require_cmd redis-cli redis-tools
	SUBPIDS=()
	PUBPID=
	kp_redis_start
}

teardown() {
	local p
	for p in "${SUBPIDS[@]}" $PUBPID; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	for p in ${AUTHPID-} ${HOLDPID-}; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	kp_services_stop
}

rcli() {
	redis-cli -s "$KP_REDIS_SOCK" "$@"
}

# wait_for CMD...: poll until CMD succeeds (up to 30 s on a busy box).
wait_for() {
	local i
	for ((i = 0; i < 600; i++)); do
		if "$@"; then
			return 0
		fi
		sleep 0.05
	done
	echo "timed out waiting for: $*" >&2
	return 1
}

# ticks N [FIRST]: N tick lines numbered from FIRST (default 1), over
# instruments 101, 102, 103.
ticks() {
	local n=$1 first=${2:-1} i
	for ((i = first; i < first + n; i++)); do
		printf '{"type":"tick","instrument_token":%d,"name":"Nifty %d","last_price":%d.5,"n":%d}\n' \
			$((101 + i % 3)) $((i % 2)) "$i" "$i"
	done
}

# has_lines FILE N: FILE has at least N lines.
has_lines() {
	[[ -f $1 && $(wc -l <"$1") -ge $2 ]]
}

# subscribe OUT KIND ARGS...: a redis-cli subscriber (KIND subscribe or
# psubscribe) writing to OUT, running once all ARGS are confirmed.
subscribe() {
	local out=$1 kind=$2
	shift 2
	redis-cli -s "$KP_REDIS_SOCK" "$kind" "$@" >"$out" 2>&1 3>&- &
	SUBPIDS+=($!)
	wait_for sub_ready "$out" "$kind" $#
}

sub_ready() {
	[[ $(grep -cx "$2" "$1") -ge $3 ]]
}

# messages OUT: "channel<TAB>payload" per message received, in order.
messages() {
	awk '$0 == "message" { getline c; getline p; print c "\t" p }
		$0 == "pmessage" { getline pat; getline c; getline p;
			print c "\t" p }' "$1"
}

# count_messages OUT N: at least N messages arrived.
count_messages() {
	[[ $(grep -cxE 'p?message' "$1") -ge $2 ]]
}

@test "-h: usage on stdout, exit 0" {
	run --separate-stderr tick-publish -h
	[ "$status" -eq 0 ]
	[[ $output == *"usage: tick-publish"* ]]
	[[ $output == *"tick-publish(1)"* ]]
	[ -z "$stderr" ]
}

@test "bad flag, bad numbers, extra argument, bad template: exit 100" {
	run tick-publish -Z
	[ "$status" -eq 100 ]
	[[ $output == *"usage: tick-publish"* ]]
	run tick-publish -Q lots
	[ "$status" -eq 100 ]
	[[ $output == *"-Q"*"lots"* ]]
	run tick-publish -D -1s
	[ "$status" -eq 100 ]
	run tick-publish extra
	[ "$status" -eq 100 ]
	[[ $output == *"unexpected argument 'extra'"* ]]
	run tick-publish -c 'ticks:{instrument_token'
	[ "$status" -eq 100 ]
	[[ $output == *"-c: template 'ticks:{instrument_token': expected '}'"* ]]
	run tick-publish -c 'x:{name|shout}'
	[ "$status" -eq 100 ]
	[[ $output == *"unknown modifier"* ]]
	run tick-publish -d 1
	[ "$status" -eq 100 ]
}

@test "bad REDIS_URL, rediss://, a password on argv: exit 100" {
	REDIS_URL=http://x run tick-publish </dev/null
	[ "$status" -eq 100 ]
	[[ $output == *"REDIS_URL: unknown URL scheme"* ]]
	REDIS_URL=rediss://:pw@x:1 run tick-publish </dev/null
	[ "$status" -eq 100 ]
	[[ $output == *"TLS"* ]]
	run tick-publish -u 'redis://:hunter22@127.0.0.1:1' </dev/null
	[ "$status" -eq 100 ]
	[[ $output == *"password on the command line is refused"* ]]
	[[ $output != *hunter22* ]]
}

@test "SUBSCRIBE and PSUBSCRIBE clients get every line, in order" {
	subscribe "$T/sub" subscribe ticks:101 ticks:102 ticks:103
	subscribe "$T/psub" psubscribe 'ticks:*'
	ticks 3000 >"$T/in"
	run --separate-stderr tick-publish <"$T/in"
	[ "$status" -eq 0 ]
	wait_for count_messages "$T/sub" 3000
	wait_for count_messages "$T/psub" 3000
	# what each client got is exactly the input, channel by token
	jq -r '"ticks:\(.instrument_token)\t\(tojson)"' -c "$T/in" |
		sed 's/\\t/\t/' >"$T/want"
	awk -F'\t' '{ print $1 }' "$T/want" >"$T/want.ch"
	messages "$T/sub" >"$T/got"
	messages "$T/psub" >"$T/pgot"
	diff <(cut -f2 "$T/got") "$T/in"
	diff <(cut -f2 "$T/pgot") "$T/in"
	diff <(cut -f1 "$T/got") "$T/want.ch"
	diff <(cut -f1 "$T/pgot") "$T/want.ch"
}

@test "several templates at once, |lower, a tcp URL" {
	rcli shutdown nosave >/dev/null 2>&1 || true
	kp_redis_stop
	kp_redis_start tcp
	[[ $REDIS_URL == redis://127.0.0.1:* ]]
	subscribe "$T/sub" subscribe ticks:101 'ticker:nifty 1:options' \
		'ticker:nifty 0:options'
	ticks 30 >"$T/in"
	run --separate-stderr tick-publish -c 'ticks:{instrument_token}' \
		-c 'ticker:{name|lower}:options' <"$T/in"
	[ "$status" -eq 0 ]
	want_tok=$(grep -c '"instrument_token":101' "$T/in")
	wait_for count_messages "$T/sub" $((30 + want_tok))
	messages "$T/sub" >"$T/got"
	diff <(grep -P '^ticks:101\t' "$T/got" | cut -f2) \
		<(grep '"instrument_token":101,' "$T/in")
	diff <(grep -P '^ticker:nifty 1:options\t' "$T/got" | cut -f2) \
		<(grep '"name":"Nifty 1"' "$T/in")
	diff <(grep -P '^ticker:nifty 0:options\t' "$T/got" | cut -f2) \
		<(grep '"name":"Nifty 0"' "$T/in")
	[[ $stderr == *"connected to redis://127.0.0.1:$KP_REDIS_PORT/0"* ]]
}

@test "bad lines and missing fields: reported with line numbers, exit 1" {
	subscribe "$T/sub" subscribe ticks:101
	{
		ticks 1 3
		echo 'not json'
		echo '{"type":"status","event":"connected"}'
		echo '{"instrument_token":101,"n":'
		echo '{"type":"tick","instrument_token":{"x":1}}'
		ticks 1 6
	} >"$T/in"
	run --separate-stderr tick-publish -s 1h <"$T/in"
	[ "$status" -eq 1 ]
	[[ $stderr == *"line 2: not a JSON object: byte 1: not a JSON object; skipped"* ]]
	[[ $stderr == *"line 3: channel 'ticks:{instrument_token}': field 'instrument_token' is missing"* ]]
	[[ $stderr == *"line 4: not a JSON object: byte 29: expected a value"* ]]
	[[ $stderr == *"line 5: channel 'ticks:{instrument_token}': field 'instrument_token' is an object or array"* ]]
	[[ $stderr == *'"lines":6,"published":2,'*'"bad":2,"missing":2,'* ]]
	wait_for count_messages "$T/sub" 2
	diff <(messages "$T/sub" | cut -f2) <(sed -n '1p;6p' "$T/in")
}

@test "-V: lines not UTF-8, numbers past a double, bytes after the object: refused, counted, exit 1" {
	subscribe "$T/sub" subscribe ticks:101
	{
		ticks 1 3
		printf '{"type":"tick","instrument_token":101,"name":"\xff"}\n'
		ticks 1 6
		echo '{"type":"tick","instrument_token":101,"last_price":1e999}'
		echo '{"type":"tick","instrument_token":101,"x":[-1E+309]}'
		echo '{"type":"tick","instrument_token":101,"tiny":1e-999}'
		echo '{"type":"tick","instrument_token":101} x'
		echo '{"type":"tick","instrument_token":101}{}'
		printf '{"type":"tick","instrument_token":101,"name":"\xc0\xaf"}\n'
		printf '{"type":"tick","instrument_token":101,"name":"caf\xc3\xa9"}\n'
		ticks 1 9
	} >"$T/in"
	run --separate-stderr tick-publish -V -s 1h -x 'ticks:{instrument_token}:s' \
		<"$T/in"
	[ "$status" -eq 1 ]
	[[ $stderr == *"line 2: not a JSON object: byte 47: not UTF-8: a byte that is never in UTF-8 (0xF8 to 0xFF); skipped"* ]]
	[[ $stderr == *"line 4: not a JSON object: byte 52: number out of range; skipped"* ]]
	[[ $stderr == *"line 5: not a JSON object: byte 44: number out of range; skipped"* ]]
	[[ $stderr == *"line 7: not a JSON object: byte 40: data after the object; skipped"* ]]
	[[ $stderr == *"line 8: not a JSON object: byte 39: data after the object; skipped"* ]]
	[[ $stderr == *"line 9: not a JSON object: byte 47: not UTF-8: an overlong encoding; skipped"* ]]
	[ "$(grep -c 'skipped' <<<"$stderr")" -eq 6 ]
	[[ $stderr == *'"lines":11,"published":5,'*'"bad":6,"missing":0,'* ]]
	# the good lines, and only they, in order, on the channel and stream
	sed -n '1p;3p;6p;10p;11p' "$T/in" >"$T/good"
	wait_for count_messages "$T/sub" 5
	diff <(messages "$T/sub" | cut -f2) "$T/good"
	diff <(rcli xrange ticks:101:s - + | awk 'NR % 3 == 0') "$T/good"

	# without -V, once type is found only the line's last byte is checked
	run --separate-stderr tick-publish -c q -s 1h <"$T/in"
	[ "$status" -eq 1 ]
	[[ $stderr == *"line 7: not a JSON object: byte 41: expected '}' at the end; skipped"* ]]
	[[ $stderr == *'"lines":11,"published":10,'*'"bad":1,'* ]]
}

@test "-f: lines missing a field go to the fallback channel" {
	subscribe "$T/sub" subscribe kitepipe:status ticks:102
	{
		echo '{"type":"status","event":"connected"}'
		ticks 1 1
		echo '{"type":"status","event":"subscribed"}'
	} >"$T/in"
	run --separate-stderr tick-publish -f 'kitepipe:{type}' <"$T/in"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ] || [[ $stderr != *warning* ]]
	wait_for count_messages "$T/sub" 3
	messages "$T/sub" >"$T/got"
	diff <(cut -f1 "$T/got") <(printf '%s\n' kitepipe:status ticks:102 \
		kitepipe:status)
	diff <(cut -f2 "$T/got") "$T/in"
}

@test "XADD: the lines in order under field data; MAXLEN ~ trims" {
	ticks 50 >"$T/in"
	run --separate-stderr tick-publish -x 'ticks:{instrument_token}:s' \
		-m 0 <"$T/in"
	[ "$status" -eq 0 ]
	[ "$(rcli xlen ticks:101:s)" -eq 16 ]
	# redis-cli prints ID, "data", line for each entry
	n102=$(grep -c '"instrument_token":102,' "$T/in")
	diff <(rcli xrange ticks:102:s - + | awk 'NR % 3 == 2') \
		<(for ((i = 0; i < n102; i++)); do echo data; done)
	diff <(rcli xrange ticks:102:s - + | awk 'NR % 3 == 0') \
		<(grep '"instrument_token":102,' "$T/in")

	ticks 5000 >"$T/big"
	run --separate-stderr tick-publish -c x -x trimmed -m 100 <"$T/big"
	[ "$status" -eq 0 ]
	len=$(rcli xlen trimmed)
	# ~ trims whole nodes (100 entries each): between 100 and 200 remain
	((len >= 100 && len < 300))
	diff <(rcli xrange trimmed - + | awk 'NR % 3 == 0') \
		<(tail -n "$len" "$T/big")
	[[ $stderr != *warning* ]]
}

@test "HSET: the snapshot holds each instrument's latest line" {
	ticks 100 >"$T/in"
	echo '{"type":"status","event":"stale"}' >>"$T/in"
	run --separate-stderr tick-publish -f kitepipe:status -H 'last:ticks' \
		<"$T/in"
	[ "$status" -eq 1 ]
	[[ $stderr == *"line 101: hash field '{instrument_token}': field 'instrument_token' is missing; not written"* ]]
	[ "$(rcli hlen last:ticks)" -eq 3 ]
	for tok in 101 102 103; do
		[ "$(rcli hget last:ticks $tok)" = \
			"$(grep "\"instrument_token\":$tok," "$T/in" | tail -n 1)" ]
	done
	run --separate-stderr tick-publish -c c -H 'last:{type}' -k '{n}' <<<'{"type":"Tick","n":7}'
	[ "$status" -eq 0 ]
	[ "$(rcli hget last:Tick 7)" = '{"type":"Tick","n":7}' ]
}

@test "Redis refusing a command: reported and counted, exit 1" {
	rcli set snap x >/dev/null
	ticks 3 >"$T/in"
	run --separate-stderr tick-publish -H snap <"$T/in"
	[ "$status" -eq 1 ]
	[[ $stderr == *"Redis refused a HSET: WRONGTYPE"* ]]
	[[ $stderr == *'"published":3,"xadded":0,"hset":0,'*'"errors":3,'* ]]
}

# start_pub ARGS...: tick-publish reading the fifo $T/in (kept open on fd
# 5), stderr in $T/err; returns once it has tried to connect.
start_pub() {
	mkfifo "$T/in"
	tick-publish "$@" <"$T/in" 2>"$T/err" 3>&- &
	PUBPID=$!
	exec 5>"$T/in"
	# its first log line comes after its signal handlers are set
	wait_for has_lines "$T/err" 1
}

# end_pub: close its input and wait for it; its exit status in $st.
end_pub() {
	exec 5>&-
	st=0
	wait "$PUBPID" || st=$?
	PUBPID=
}

# stats_say PATTERN: a SIGUSR1 stats line matches PATTERN.
stats_say() {
	kill -USR1 "$PUBPID"
	sleep 0.05
	grep -q "$1" "$T/err"
}

xlen_is() {
	[[ $(rcli xlen "$1" 2>/dev/null) == "$2" ]]
}

@test "Redis restart mid-stream: nothing lost within the queue bound" {
	start_pub -c c -x s -m 0 -Q 1000
	ticks 50 >&5
	wait_for xlen_is s 50
	kp_redis_stop
	ticks 200 51 >&5
	wait_for stats_say '"lines":250,'
	kp_redis_restart 5>&-
	wait_for xlen_is s 200
	wait_for stats_say '"dropped":0,.*"reconnects":1,'
	end_pub
	[ "$st" -eq 0 ]
	diff <(rcli xrange s - + | awk 'NR % 3 == 0') <(ticks 200 51)
	grep -q 'lost the connection to Redis' "$T/err"
	grep -q 'reconnected to unix://' "$T/err"
}

# pub_qbuf: the paused publisher's commands wait in Redis's query buffer.
pub_qbuf() {
	rcli client list | grep -v 'cmd=client' | grep -q 'qbuf=[1-9]'
}

@test "commands sent but not acknowledged are sent again (at least once)" {
	start_pub -c c -x s -m 0
	ticks 5 >&5
	wait_for xlen_is s 5
	rcli client pause 60000 write >/dev/null
	ticks 20 6 >&5
	wait_for pub_qbuf
	kp_redis_stop
	kp_redis_restart 5>&-
	wait_for xlen_is s 20
	end_pub
	[ "$st" -eq 0 ]
	diff <(rcli xrange s - + | awk 'NR % 3 == 0') <(ticks 20 6)
	grep -q 'reconnected to unix://.*; resending 20 lines' "$T/err"
}

@test "the byte bound drops ticks too" {
	start_pub -c c -x s -m 0 -B 4k
	kp_redis_stop
	ticks 300 >"$T/sent"
	cat "$T/sent" >&5
	wait_for stats_say '"lines":300,'
	kp_redis_restart 5>&-
	end_pub
	[ "$st" -eq 1 ]
	kept=$(rcli xlen s)
	dropped=$(grep -o '"dropped":[0-9]*' "$T/err" | tail -n 1 | cut -d: -f2)
	((kept > 0 && kept + dropped == 300))
	# what is left is the newest lines, in order, within 4 KiB of commands
	diff <(rcli xrange s - + | awk 'NR % 3 == 0') <(tail -n "$kept" "$T/sent")
	bytes=$(tail -n "$kept" "$T/sent" | awk '{ n += 2 * length($0) } END { print n }')
	((bytes <= 4096))
}

@test "queue past its bound: the oldest ticks dropped and counted, status lines kept" {
	start_pub -c c -x s -m 0 -Q 100
	kp_redis_stop
	{
		for ((k = 0; k < 5; k++)); do
			ticks 60 $((k * 60 + 1))
			echo "{\"type\":\"status\",\"event\":\"stale\",\"k\":$k}"
		done
	} >"$T/sent"
	cat "$T/sent" >&5
	wait_for stats_say '"lines":305,'
	grep -q '"dropped":205,.*"queue_lines":100,' "$T/err"
	grep -q 'queue full (100 lines' "$T/err"
	kp_redis_restart 5>&-
	wait_for xlen_is s 100
	end_pub
	[ "$st" -eq 1 ]
	# kept: the 5 status lines and the newest 95 ticks, in input order
	grep '"type":"status"' "$T/sent" >"$T/status"
	grep -n . "$T/sent" | awk -F: -v skip=205 '
		/"type":"tick"/ && ++t <= skip { next }
		{ sub(/^[0-9]+:/, ""); print }' >"$T/want"
	diff <(rcli xrange s - + | awk 'NR % 3 == 0') "$T/want"
	[ "$(grep -c status "$T/want")" -eq 5 ]
}

@test "SIGTERM: the queue is flushed once Redis is back, exit 0" {
	start_pub -c c -x s -m 0 -D 60s
	kp_redis_stop
	ticks 500 >&5
	wait_for stats_say '"lines":500,'
	kill -TERM "$PUBPID"
	kp_redis_restart 5>&-
	st=0
	wait "$PUBPID" || st=$?
	PUBPID=
	exec 5>&-
	[ "$st" -eq 0 ]
	diff <(rcli xrange s - + | awk 'NR % 3 == 0') <(ticks 500)
	grep -q 'signal: draining 500 queued lines' "$T/err"
}

@test "draining with Redis gone: exit 111 after -D" {
	start_pub -D 300ms -c c
	ticks 3 >&5
	wait_for stats_say '"published":3,'
	kp_redis_stop
	ticks 2 4 >&5
	wait_for stats_say '"lines":5,'
	end_pub
	[ "$st" -eq 111 ]
	grep -q 'Redis did not come back within 300 ms; 2 lines not delivered' "$T/err"
}

@test "readiness on -d once connected; stats with SIGUSR1 and -P" {
	mkfifo "$T/in"
	tick-publish -d 6 -P "$T/tp.prom" <"$T/in" 2>"$T/err" 3>&- 6>"$T/ready" &
	PUBPID=$!
	exec 5>"$T/in"
	wait_for has_lines "$T/ready" 1
	ticks 4 >&5
	wait_for stats_say '"lines":4,"published":4,'
	grep -q '^kitepipe_tick_publish_published_total 4$' "$T/tp.prom"
	grep -q '^kitepipe_tick_publish_queue_lines 0$' "$T/tp.prom"
	end_pub
	[ "$st" -eq 0 ]
}

# start_auth_redis: a second redis-server with requirepass on a socket in
# $T, which services.bash cannot start; sets AUTHSOCK and AUTHPID.
start_auth_redis() {
	AUTHSOCK=$T/auth.sock
	printf 'requirepass s3cret-pass\n' >"$T/auth.conf"
	redis-server "$T/auth.conf" --port 0 --unixsocket "$AUTHSOCK" \
		--unixsocketperm 700 --save '' --appendonly no \
		--dir "$T" </dev/null >"$T/auth.log" 2>&1 3>&- &
	AUTHPID=$!
	wait_for auth_up
}

auth_up() {
	[[ $(redis-cli -s "$AUTHSOCK" -a s3cret-pass --no-auth-warning ping \
		2>/dev/null) == PONG ]]
}

@test "AUTH with a password from REDIS_URL or REDIS_PASSWORD_FILE, SELECT db" {
	start_auth_redis
	ticks 3 >"$T/in"
	REDIS_URL="unix://:s3cret-pass@$AUTHSOCK?db=3" run --separate-stderr \
		tick-publish -x s -m 0 -c c <"$T/in"
	[ "$status" -eq 0 ]
	[[ $stderr != *s3cret* ]]
	[[ $stderr == *"connected to unix://:***@$AUTHSOCK?db=3"* ]]
	[ "$(redis-cli -s "$AUTHSOCK" -a s3cret-pass --no-auth-warning \
		-n 3 xlen s)" -eq 3 ]
	[ "$(redis-cli -s "$AUTHSOCK" -a s3cret-pass --no-auth-warning \
		-n 0 xlen s)" -eq 0 ]

	printf 's3cret-pass\n' >"$T/pw"
	REDIS_URL="unix://$AUTHSOCK?db=4" REDIS_PASSWORD_FILE=$T/pw run \
		--separate-stderr tick-publish -x s -m 0 -c c <"$T/in"
	[ "$status" -eq 0 ]
	[ "$(redis-cli -s "$AUTHSOCK" -a s3cret-pass --no-auth-warning \
		-n 4 xlen s)" -eq 3 ]
}

@test "AUTH refused, NOAUTH, a database out of range: exit 100" {
	start_auth_redis
	REDIS_URL="unix://:wrong-pass@$AUTHSOCK" run --separate-stderr \
		tick-publish <<<'{}'
	[ "$status" -eq 100 ]
	[[ $stderr == *"AUTH refused: WRONGPASS"* ]]
	[[ $stderr != *wrong-pass* ]]
	REDIS_URL="unix://$AUTHSOCK" run --separate-stderr tick-publish <<<'{}'
	[ "$status" -eq 100 ]
	[[ $stderr == *"PING refused: NOAUTH"* ]]
	REDIS_URL="unix://$KP_REDIS_SOCK?db=99" run --separate-stderr \
		tick-publish <<<'{}'
	[ "$status" -eq 100 ]
	[[ $stderr == *"SELECT refused: ERR DB index is out of range"* ]]
}

# start_holder MODE: a TCP listener on 127.0.0.1 that never answers
# (python3), its port in HOLDPORT.  blackhole: its accept queue is full,
# so a connect(2) to it hangs; silent: it accepts and never replies.
start_holder() {
	cat >"$T/hold.py" <<'EOF'
import socket, sys, time
mode = sys.argv[1]
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(0 if mode == "blackhole" else 8)
keep = []
if mode == "blackhole":
    for _ in range(4):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(l.getsockname())
        except BlockingIOError:
            pass
        keep.append(c)
    time.sleep(0.3)
print(l.getsockname()[1], flush=True)
while True:
    if mode == "silent":
        keep.append(l.accept()[0])
    else:
        time.sleep(60)
EOF
	python3 "$T/hold.py" "$1" >"$T/hold.port" 3>&- &
	HOLDPID=$!
	wait_for has_lines "$T/hold.port" 1
	HOLDPORT=$(<"$T/hold.port")
}

@test "a Redis that never answers the connect or the handshake: stdin still read, the queue bound holds" {
	require_cmd python3 python3
	local mode
	for mode in blackhole silent; do
		start_holder "$mode"
		# -T 1h: only a connect that never blocks lets lines through
		start_pub -u "redis://127.0.0.1:$HOLDPORT" -T 1h -Q 10 \
			-D 100ms -c c -s 100ms
		ticks 50 >&5
		wait_for grep -q '"lines":50,"published":0,.*"dropped":40,' \
			"$T/err"
		end_pub
		[ "$st" -eq 111 ]
		grep -q 'Redis did not come back within 100 ms; 10 lines not delivered' "$T/err"
		run ! grep -q 'connected to' "$T/err"
		kill "$HOLDPID"
		wait "$HOLDPID" || true
		HOLDPID=
		rm -f "$T/in" "$T/err" "$T/hold.port"
	done
}
