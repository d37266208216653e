# kite-stream.bash: what kite-stream's live bats files share ("load
# kite-stream" after "load helper").
# SPDX-License-Identifier: MIT
#
#   eventually SECONDS CMD...  poll CMD every 0.1 s until it succeeds
#   ks_start ARGS...           kite-stream in the background (KS_PID),
#                              stdout in $T/out, stderr in $T/err
#   ks_stop                    SIGTERM it; it must exit 0
#   ks_reap                    for teardown: SIGTERM it if still there,
#                              SIGKILL after 10 s; never fails
#   count JQ, has JQ [N]       lines of $T/out matching the jq condition;
#                              has: at least N (1)
#   wait_file FILE             wait (10 s at most) until FILE is not empty

eventually() {
	local n=$(($1 * 10)) i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

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
