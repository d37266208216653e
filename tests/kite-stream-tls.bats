#!/usr/bin/env bats
# kite-stream's own WebSocket client over TLS and against servers that
# misbehave: wss:// verifies the server's certificate against the
# system's CAs (here SSL_CERT_FILE, which OpenSSL reads in their place)
# and its name or address; ws-fanout with --cert plays the TLS WebSocket
# server (it answers kite-stream's subscribe messages with error
# messages, which come out as lines: the whole exchange went over TLS).

load helper
load kite-stream
load services
load ws-fanout
bats_require_minimum_version 1.5.0

setup() {
	require_cmd openssl openssl
	require_cmd jq jq
	export KITE_API_KEY=k KITE_ACCESS_TOKEN=tls-test-token
	unset SSL_CERT_FILE SSL_CERT_DIR
	KS_PID= PY_PID= PORT=
}

teardown() {
	[ -n "$KS_PID" ] && { kill "$KS_PID" 2>/dev/null; wait "$KS_PID" 2>/dev/null; }
	[ -n "$PY_PID" ] && { kill "$PY_PID" 2>/dev/null; wait "$PY_PID" 2>/dev/null; }
	wf_stop
}

# mkcert SUBJECT_ALT_NAME: a self-signed certificate, $T/cert.pem.
mkcert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=kp-test \
		-addext "subjectAltName=$1" -keyout "$T/key.pem" \
		-out "$T/cert.pem" 2>/dev/null
}

# has JQ: a line of $T/out matches the jq condition.
has() {
	jq -e "select($1)" "$T/out" 2>/dev/null | grep -q .
}

# ks_until JQ ARGS...: run kite-stream ARGS until a line of $T/out
# matches JQ (20 s at most), then SIGTERM: it must have matched and exit 0.
ks_until() {
	local cond=$1 i rc=0
	shift
	kite-stream -v "$@" >"$T/out" 2>"$T/err" &
	KS_PID=$!
	for ((i = 0; i < 200; i++)); do
		has "$cond" && break
		sleep 0.1
	done
	kill -TERM "$KS_PID"
	wait "$KS_PID" || rc=$?
	KS_PID=
	if ! has "$cond"; then
		echo "no line with $cond in:" >&2
		cat "$T/out" "$T/err" >&2
		return 1
	fi
	[ "$rc" -eq 0 ]
}

# py_server BODY: a loopback TCP server (python3) that runs BODY for each
# connection it accepts (c, the socket; n, its number from 1; ws_upgrade
# of KS_PY_WS at hand); the port in $PORT.
py_server() {
	python3 -c "$KS_PY_WS
import socket, sys
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(16)
open(sys.argv[1], 'w').write(str(s.getsockname()[1]))
held, n = [], 0
while True:
    c, _ = s.accept(); n += 1; held.append(c)
$1" "$T/port" &
	PY_PID=$!
	wait_file "$T/port"
	PORT=$(cat "$T/port")
}

@test "wss: an untrusted certificate is refused, naming why; trusted, the exchange goes over TLS" {
	mkcert IP:127.0.0.1,DNS:localhost
	wf_start -i --insecure-no-auth -v --cert "$T/cert.pem" \
		--key "$T/key.pem"
	export KITE_WS_URL=wss://127.0.0.1:$WF_PORT/
	ks_until '.event=="disconnected" and (.reason|test("certificate verification failed: self.signed"))' \
		-B 200ms 408065
	[ "$(count '.event=="connected"')" -eq 0 ]
	grep -q "unable to connect: TLS: certificate verification failed" "$T/err"
	SSL_CERT_FILE=$T/cert.pem ks_until '.type=="error"' 408065
	has '.event=="connected" and .connection==0'
	has '.event=="subscribed" and .count==1'
	# by name too, and the access token is never logged
	export KITE_WS_URL=wss://localhost:$WF_PORT/
	SSL_CERT_FILE=$T/cert.pem ks_until '.type=="error"' -vv 408065
	run ! grep -q tls-test-token "$T/err"
}

@test "wss: a trusted certificate for another name or address is refused" {
	mkcert DNS:other.example
	wf_start -i --insecure-no-auth --cert "$T/cert.pem" --key "$T/key.pem"
	export KITE_WS_URL=wss://127.0.0.1:$WF_PORT/ SSL_CERT_FILE=$T/cert.pem
	ks_until '.event=="disconnected" and (.reason|test("verification failed: IP address mismatch"))' \
		-B 200ms 408065
	[ "$(count '.event=="connected"')" -eq 0 ]
	export KITE_WS_URL=wss://localhost:$WF_PORT/
	ks_until '.event=="disconnected" and (.reason|test("verification failed: [Hh]ostname mismatch"))' \
		-B 200ms 408065
	[ "$(count '.event=="connected"')" -eq 0 ]
}

@test "-T: a server that accepts and never answers times out, ws and wss" {
	require_cmd python3 python3
	py_server "    pass"
	for scheme in ws wss; do
		export KITE_WS_URL=$scheme://127.0.0.1:$PORT/
		ks_until '.event=="disconnected" and .reason=="unable to connect: timed out after 300 ms"' \
			-T 300ms -B 100ms 408065
		[ "$(count '.event=="connected"')" -eq 0 ]
	done
}

@test "a server that answers the upgrade wrongly: refused, naming what was wrong" {
	require_cmd python3 python3
	# a 101 with a wrong Sec-WebSocket-Accept, then a 500
	py_server "    c.recv(65536)
    c.sendall(b'HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\n'
              b'Connection: Upgrade\\r\\nSec-WebSocket-Accept: '
              b's3pPLMBiTxaQ9kYGzzhZRbK+xOo=\\r\\n\\r\\n' if n == 1 else
              b'HTTP/1.1 500 Oops\\r\\nContent-Length: 0\\r\\n\\r\\n')
    c.close()"
	export KITE_WS_URL=ws://127.0.0.1:$PORT/
	ks_until '.event=="disconnected" and .reason=="upgrade refused: HTTP 500"' \
		-B 100ms 408065
	has '.event=="disconnected" and (.reason|test("unable to connect: upgrade response line 4: Sec-WebSocket-Accept does not match our key"))'
	[ "$(count '.event=="connected"')" -eq 0 ]
}

@test "pings answered with masked pongs, fragments joined, the server's close code reported" {
	require_cmd python3 python3
	# the upgrade done right, a ping, then (after the pong) an LTP tick
	# for INFY in two fragments with a ping between, then a close 4000
	py_server "$(cat <<'PY'
    if n > 1:
        continue
    import struct
    ws_upgrade(c)
    c.sendall(b'\x89\x02hi')
    buf, ops = b'', []
    while 10 not in ops:
        buf += c.recv(4096)
        while len(buf) >= 6 and len(buf) >= 6 + (buf[1] & 0x7f):
            ln, m = buf[1] & 0x7f, buf[2:6]
            p = bytes(b ^ m[i % 4] for i, b in enumerate(buf[6:6 + ln]))
            ops.append(buf[0] & 0x0f)
            if buf[0] == 0x8a:
                open(sys.argv[1] + '.pong', 'w').write(
                    ('masked ' if buf[1] & 0x80 else '') + p.decode())
            buf = buf[6 + ln:]
    msg = struct.pack('>HHII', 1, 8, 408065, 157315)
    c.sendall(b'\x02\x05' + msg[:5] + b'\x89\x00\x80\x07' + msg[5:] +
              b'\x88\x05' + struct.pack('>H', 4000) + b'bye')
PY
)"
	export KITE_WS_URL=ws://127.0.0.1:$PORT/
	ks_until '.event=="disconnected"' -B 5s 408065:ltp
	[ "$(cat "$T/port.pong")" = "masked hi" ]
	has '.type=="tick" and .instrument_token==408065 and .last_price==1573.15'
	has '.event=="disconnected" and .reason=="closed by the server (code 4000)"'
}
