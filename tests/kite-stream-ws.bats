#!/usr/bin/env bats
# kite-stream's WebSocket client, RFC 6455 and the network underneath:
# text that is not UTF-8 fails the connection with 1007 (kite-sim
# --bad-utf8, --text-frame 1 splitting every sequence over frames), and
# a python3 server's bad frames get the close code they call for; IPv6
# literal URLs, ws:// against kite-sim on ::1 and wss:// against a python3
# TLS server that records the SNI and the Host header; a name lookup that
# never ends, under a resolver that never answers (unshare -m with our
# own resolv.conf).

load helper
load kite-sim
load kite-stream
bats_require_minimum_version 1.5.0

setup() {
	require_cmd jq jq
	require_cmd curl curl
	KS_PID= PY_PID=
}

teardown() {
	ks_reap
	if [ -n "$PY_PID" ]; then
		kill "$PY_PID" 2>/dev/null || true
		wait "$PY_PID" 2>/dev/null || true
	fi
	sim_stop
}

# need_ipv6: ::1 must be on the loopback (a failure, never a skip).
need_ipv6() {
	if ! python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
		echo "IPv6 loopback ::1 is not available here (enable IPv6 on lo)" >&2
		return 1
	fi
}

@test "ws: text that is not UTF-8 fails the connection with 1007; counted, reconnected" {
	# the first two connections each get a message with a surrogate; every
	# text message goes one byte a frame, so every multibyte sequence
	# crosses frames
	sim_start --bad-utf8 2 --text-frame 1
	ks_start -B 300ms -P "$T/prom" 408065:ltp
	eventually 30 has '.event=="disconnected"' 2
	eventually 30 has '.event=="subscribed"' 3
	eventually 30 has '.type=="tick"'
	# valid UTF-8 split over 1-byte frames comes through whole
	sim_ctl "message café €𝄞 ok" | grep -q '^ok'
	eventually 30 has '.type=="message"'
	kill -USR1 "$KS_PID"
	eventually 20 grep -q '^kitepipe_kite_stream_invalid_utf8_total 2$' "$T/prom"
	ks_stop
	run jq -r 'select(.type=="message")|.data' "$T/out"
	[ "$output" = "café €𝄞 ok" ]
	# each failure: a status line with the reason, a warning line
	run jq -r 'select(.event=="disconnected")|.reason' "$T/out"
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "protocol error: invalid UTF-8 in a text message at byte 38: a surrogate (U+D800 to U+DFFF) (closed with code 1007)" ]
	[ "${lines[1]}" = "${lines[0]}" ]
	[ "$(grep -c 'warning: connection 0: protocol error: invalid UTF-8' "$T/err")" -eq 2 ]
	grep -q '^kitepipe_kite_stream_protocol_errors_total 2$' "$T/prom"
	# the close frame reached kite-sim with its code
	[ "$(grep -c 'the client closed the connection code=1007' "$T/sim.err")" -eq 2 ]
	grep -q 'the client closed the connection code=1001' "$T/sim.err"
	# the gap is visible, in order
	run jq -r 'select(.type=="status")|.event' "$T/out"
	[ "${lines[*]}" = "connected subscribed disconnected connected subscribed disconnected connected subscribed" ]
}

@test "ws: ws://[::1]:PORT/ reaches kite-sim listening on ::1" {
	need_ipv6
	sim_start -a ::1
	export KITE_WS_URL="ws://[::1]:$SIM_PORT/"
	ks_start 408065:ltp
	eventually 30 has '.type=="tick" and .instrument_token==408065'
	ks_stop
	grep -q 'to \[::1\]:'"$SIM_PORT" "$T/err"
	[ "$(head -n 1 "$T/out" | jq -r .event)" = connected ]
}

@test "ws: bad URLs in KITE_WS_URL (IPv6 literals among them) exit 100, saying what is wrong" {
	for u in 'ws://[::1' 'ws://[::1]x/' 'ws://[]/' 'ws://[1.2.3.4]/' \
		'ws://[fe80::1%25lo]:80/' 'ws://::1:80/' 'ws://u:p@h/' \
		'ws://h:0/' 'ws://h/#x' 'http://h/'; do
		run env KITE_WS_URL="$u" kite-stream 408065
		echo "$u: $output"
		[ "$status" -eq 100 ]
		[[ $output == "kite-stream: fatal: KITE_WS_URL: "* ]]
	done
	run env KITE_WS_URL='ws://[::1' kite-stream 408065
	[[ $output == *"bad IPv6 literal"* ]]
	run env KITE_WS_URL='ws://::1:80/' kite-stream 408065
	[[ $output == *"no host"* ]]
}

# tls6_server CERT KEY: a python3 TLS WebSocket server on ::1 that, for
# each connection, records the SNI the client sent and its request head
# in $T/seen, completes the upgrade and sends one text message; the port
# in $PORT.
tls6_server() {
	rm -f "$T/port"
	{
		printf '%s\n' "$KS_PY_WS"
		cat <<'PY'
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
sni = []
ctx.sni_callback = lambda s, name, c: sni.append(name)
ls = socket.socket(socket.AF_INET6)
ls.bind(('::1', 0))
ls.listen(8)
open(sys.argv[3], 'w').write(str(ls.getsockname()[1]))
held = []
while True:
    c, _ = ls.accept()
    sni.clear()
    try:
        t = ctx.wrap_socket(c, server_side=True)
        h = ws_upgrade(t)
    except (ssl.SSLError, OSError):
        h = None
    if h is None:
        c.close()
        continue
    with open(sys.argv[4], 'a') as f:
        f.write('SNI %r\n' % (sni[0] if sni else None))
        f.write(h.decode('latin-1'))
    msg = b'{"type":"message","data":"over IPv6"}'
    t.sendall(b'\x81' + bytes([len(msg)]) + msg)
    held.append(t)
PY
	} >"$T/tls6.py"
	python3 "$T/tls6.py" "$1" "$2" "$T/port" "$T/seen" &
	PY_PID=$!
	wait_file "$T/port"
	PORT=$(cat "$T/port")
}

@test "wss: wss://[::1]:PORT/ verifies the address, sends no SNI, Host in brackets" {
	require_cmd python3 python3
	require_cmd openssl openssl
	need_ipv6
	unset SSL_CERT_DIR
	export KITE_API_KEY=k KITE_ACCESS_TOKEN=tls-test-token
	# a certificate for 127.0.0.1 only: refused for ::1
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=kp-test \
		-addext "subjectAltName=IP:127.0.0.1" -keyout "$T/key4.pem" \
		-out "$T/cert4.pem" 2>/dev/null
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=kp-test \
		-addext "subjectAltName=IP:::1" -keyout "$T/key.pem" \
		-out "$T/cert.pem" 2>/dev/null
	tls6_server "$T/cert4.pem" "$T/key4.pem"
	export KITE_WS_URL="wss://[::1]:$PORT/"
	SSL_CERT_FILE=$T/cert4.pem ks_start -B 200ms 408065
	eventually 30 has '.event=="disconnected" and (.reason|test("verification failed: IP address mismatch"))'
	ks_stop
	[ "$(count '.event=="connected"')" -eq 0 ]
	kill "$PY_PID"
	wait "$PY_PID" 2>/dev/null || true
	PY_PID=
	rm -f "$T/seen"
	tls6_server "$T/cert.pem" "$T/key.pem"
	export KITE_WS_URL="wss://[::1]:$PORT/"
	SSL_CERT_FILE=$T/cert.pem ks_start 408065
	eventually 30 has '.type=="message" and .data=="over IPv6"'
	ks_stop
	cat "$T/seen"
	grep -qx 'SNI None' "$T/seen"
	grep -q "^Host: \[::1\]:$PORT"$'\r'"\$" "$T/seen"
	grep -q '^GET /?api_key=k&access_token=tls-test-token HTTP/1.1' "$T/seen"
	# the headers Kite's official clients send, no more (no Origin)
	diff <(tr -d '\r' <"$T/seen" | sed -n 's/^\([A-Za-z-]*\):.*/\1/p' | sort) \
		<(printf '%s\n' Connection Host Sec-WebSocket-Key \
			Sec-WebSocket-Version Upgrade User-Agent)
}

# blackhole_dns: a UDP socket on port 53 of an address of 127/8 that no
# one else uses, which reads queries (their names go to $T/queries) and
# never answers; the address in $T/dns.addr.
blackhole_dns() {
	require_cmd python3 python3 || return 1
	python3 - "$T/dns.addr" "$T/queries" <<'PY' &
import os, random, socket, sys
for i in range(100):
    a = '127.%d.%d.%d' % (random.randint(1, 254), random.randint(1, 254),
                          random.randint(2, 254))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((a, 53))
        break
    except OSError as e:
        why = e
        s.close()
else:
    sys.exit('no 127/8 address with port 53 free: %s' % why)
open(sys.argv[1] + '.tmp', 'w').write(a)
os.rename(sys.argv[1] + '.tmp', sys.argv[1])
while True:
    d = s.recv(4096)
    q, i = [], 12
    while i < len(d) and d[i]:
        q.append(d[i + 1:i + 1 + d[i]].decode('ascii', 'replace'))
        i += 1 + d[i]
    with open(sys.argv[2], 'a') as f:
        f.write('%s\n' % '.'.join(q))
PY
	PY_PID=$!
	wait_file "$T/dns.addr"
}

# ks_start_own_resolver ARGS...: kite-stream ARGS in the background
# (KS_PID is its own pid: unshare and sh exec it) in a mount namespace
# of its own where /etc/resolv.conf names only the black hole (a query
# times out after 30 s, 5 times), /etc/hosts knows only localhost, and
# hosts come from files, then DNS.
ks_start_own_resolver() {
	printf 'nameserver %s\noptions timeout:30 attempts:5\n' \
		"$(cat "$T/dns.addr")" >"$T/resolv.conf"
	printf '127.0.0.1 localhost\n' >"$T/hosts"
	printf 'hosts: files dns\n' >"$T/nsswitch.conf"
	unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf &&
		mount --bind "$2" /etc/hosts &&
		mount --bind "$3" /etc/nsswitch.conf && shift 3 && exec "$@"' \
		sh "$T/resolv.conf" "$T/hosts" "$T/nsswitch.conf" \
		kite-stream "$@" >"$T/out" 2>"$T/err" &
	KS_PID=$!
}

# ctl LINE: send LINE on kite-stream's control socket, print the answer.
ctl() {
	python3 - "$T/ctl" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b'\n')
a = b''
while not a.endswith(b'\n'):
    d = s.recv(4096)
    if not d:
        break
    a += d
print(a.decode().strip())
PY
}

@test "dns: a resolver that never answers: each lookup fails after -T, the loop and SIGTERM unaffected" {
	require_cmd unshare util-linux
	require_cmd mount mount
	# the test needs a mount namespace: fail, naming why, when there is none
	if ! unshare -m true 2>"$T/unshare.err"; then
		echo "unshare -m is not permitted here (it needs root or CAP_SYS_ADMIN): $(cat "$T/unshare.err")" >&2
		return 1
	fi
	blackhole_dns
	export KITE_WS_URL=ws://kite-sim.test:8765/
	# 3 connections, each looking the name up; the resolver would keep a
	# synchronous getaddrinfo busy for minutes
	ks_start_own_resolver -T 1s -B 300ms -N 1 -c "$T/ctl" -P "$T/prom" \
		256265 260105 408065
	for c in 0 1 2; do
		eventually 30 has ".event==\"disconnected\" and .connection==$c and .reason==\"unable to connect: looking up kite-sim.test timed out after 1000 ms\""
	done
	# the queries did go to the black hole
	grep -qx 'kite-sim.test' "$T/queries"
	# every connection tried again (backoff), and fails again the same way
	for c in 0 1 2; do
		eventually 30 has ".event==\"disconnected\" and .connection==$c" 2
	done
	# meanwhile the loop serves the control socket and SIGUSR1
	run ctl '{"a":"mode","v":["full",[256265]]}'
	[ "$output" = '{"ok":true,"a":"mode","count":1,"total":3}' ]
	kill -USR1 "$KS_PID"
	eventually 20 grep -Eq '^kitepipe_kite_stream_dns_timeouts_total ([6-9]|[1-9][0-9]+)$' "$T/prom"
	# one lookup thread a connection at most, however many attempts: a
	# new attempt waits for the lookup still running
	threads=$(awk '/^Threads:/ {print $2}' "/proc/$KS_PID/status")
	echo "threads $threads"
	[ "$threads" -le 5 ]
	# SIGTERM: out at once, exit 0, though the lookups still run
	kill -TERM "$KS_PID"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$KS_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$KS_PID" 2>/dev/null; then
		echo "kite-stream did not exit on SIGTERM" >&2
		return 1
	fi
	rc=0
	wait "$KS_PID" || rc=$?
	KS_PID=
	[ "$rc" -eq 0 ]
	grep -q 'info: stopping' "$T/err"
	[ "$(count '.event=="connected"')" -eq 0 ]
}

@test "ws: a server's bad frames are answered with the close code they call for, which the server gets" {
	require_cmd python3 python3
	# connection 1: a masked frame (1002); 2: an overlong form split over
	# two fragments (1007); 3: a close frame whose reason is not UTF-8
	# (1007); then the server holds the connection.  It records the code
	# of the close frame each connection sent back in $T/close.N.
	rm -f "$T/port"
	{
		printf '%s\n' "$KS_PY_WS"
		cat <<'PY'
import socket, struct, sys
ls = socket.socket()
ls.bind(('127.0.0.1', 0))
ls.listen(8)
open(sys.argv[1], 'w').write(str(ls.getsockname()[1]))
bad = {1: b'\x81\x85\x01\x02\x03\x04' + bytes(b ^ m for b, m in
                                             zip(b'hello', b'\x01\x02\x03\x04\x01')),
       2: b'\x01\x02ok\x00\x01\xe0\x80\x02\x80\x80',
       3: b'\x88\x05\x03\xe8ab\xff'}
held, n = [], 0
while True:
    c, _ = ls.accept()
    n += 1
    ws_upgrade(c)
    if n not in bad:
        held.append(c)
        continue
    c.sendall(bad[n])
    buf, code = b'', None
    while code is None:
        d = c.recv(4096)
        if not d:
            break
        buf += d
        while len(buf) >= 2:
            ln, at = buf[1] & 0x7f, 2
            if ln == 126:
                ln, at = struct.unpack('>H', buf[2:4])[0], 4
            if len(buf) < at + 4 + ln:
                break
            m, p = buf[at:at + 4], buf[at + 4:at + 4 + ln]
            p = bytes(b ^ m[i % 4] for i, b in enumerate(p))
            if buf[0] & 0x0f == 8:
                code = struct.unpack('>H', p[:2])[0] if len(p) >= 2 else 1005
            buf = buf[at + 4 + ln:]
    open('%s/close.%d' % (sys.argv[2], n), 'w').write('%s\n' % code)
    c.close()
PY
	} >"$T/bad.py"
	python3 "$T/bad.py" "$T/port" "$T" &
	PY_PID=$!
	wait_file "$T/port"
	export KITE_WS_URL=ws://127.0.0.1:$(cat "$T/port")/
	ks_start -B 200ms -P "$T/prom" 408065:ltp
	eventually 30 test -s "$T/close.3"
	eventually 30 has '.event=="disconnected"' 3
	kill -USR1 "$KS_PID"
	eventually 20 grep -q '^kitepipe_kite_stream_protocol_errors_total 3$' "$T/prom"
	ks_stop
	[ "$(cat "$T/close.1")" = 1002 ]
	[ "$(cat "$T/close.2")" = 1007 ]
	[ "$(cat "$T/close.3")" = 1007 ]
	grep -q '^kitepipe_kite_stream_invalid_utf8_total 2$' "$T/prom"
	run jq -r 'select(.event=="disconnected")|.reason' "$T/out"
	[[ ${lines[0]} == "protocol error: frame at byte 0: a masked frame from the server (closed with code 1002)" ]]
	[[ ${lines[1]} == "protocol error: invalid UTF-8 in a text message at byte 3: an overlong encoding (closed with code 1007)" ]]
	[[ ${lines[2]} == "protocol error: invalid UTF-8 in a close reason at byte 2: a byte that is never in UTF-8 (0xF8 to 0xFF) (closed with code 1007)" ]]
}
