# kite-stream.bash: what kite-stream's live bats files share ("load
# kite-stream" after "load helper").
# SPDX-License-Identifier: MIT
#
#   ks_start ARGS...           kite-stream in the background (KS_PID),
#                              stdout in $T/out, stderr in $T/err
#   ks_stop                    SIGTERM it; it must exit 0
#   ks_reap                    for teardown: SIGTERM it if still there,
#                              SIGKILL after 10 s; never fails
#   count JQ, has JQ [N]       lines of $T/out matching the jq condition;
#                              has: at least N (1)
#   wait_file FILE             wait (10 s at most) until FILE is not empty
#   KS_PY_WS                   python3 source for test servers:
#                              ws_upgrade(sock) reads an upgrade request
#                              and answers it with a right 101; returns
#                              the request head (None at EOF)

ks_start() {
	kite-stream "$@" >"$T/out" 2>"$T/err" &
	KS_PID=$!
}

ks_stop() {
	local rc=0
	kill -TERM "$KS_PID"
	wait "$KS_PID" || rc=$?
	KS_PID=
	[ "$rc" -eq 0 ] || { echo "kite-stream exited $rc" >&2; cat "$T/err" >&2; return 1; }
}

ks_reap() {
	local i
	[ -n "${KS_PID:-}" ] || return 0
	kill -TERM "$KS_PID" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$KS_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$KS_PID" 2>/dev/null || true
	wait "$KS_PID" 2>/dev/null || true
	KS_PID=
}

count() { jq -c "select($1)" "$T/out" 2>/dev/null | wc -l; }
has() { [ "$(count "$1")" -ge "${2:-1}" ]; }

wait_file() {
	eventually 10 test -s "$1" || { echo "nothing in $1" >&2; return 1; }
}

KS_PY_WS=$(cat <<'PY'
import base64, hashlib
def ws_upgrade(c):
    h = b''
    while b'\r\n\r\n' not in h:
        d = c.recv(4096)
        if not d:
            return None
        h += d
    key = [l.split(b':', 1)[1].strip() for l in h.split(b'\r\n')
           if l.lower().startswith(b'sec-websocket-key:')][0]
    acc = base64.b64encode(hashlib.sha1(
        key + b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest())
    c.sendall(b'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n'
              b'Connection: Upgrade\r\nSec-WebSocket-Accept: ' + acc +
              b'\r\n\r\n')
    return h
PY
)
