#!/usr/bin/env bats
# harness.bats: the test harness itself: helper, services, tests/run,
# tests/tap-summary and mk/deps.sh.
# SPDX-License-Identifier: MIT

load helper
load services

teardown() {
	kp_services_stop
}

# summary TAP: run tests/tap-summary on the given text.
summary() {
	run sh "$KP_ROOT/tests/tap-summary" <<<"$1"
}

# gone PID: the process no longer exists, not even as a zombie (allowing
# a moment for init to reap a daemon).
gone() {
	local i
	for ((i = 0; i < 50; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

@test "helper: environment, PATH and scratch dir" {
	[ "$LC_ALL" = C ]
	[ -f "$KP_ROOT/tests/helper.bash" ]
	[[ $B == /* ]]
	[[ $PATH == "$B/bin:$B/tests/tools:"* ]]
	[[ $KP_TESTDATA == /* ]]
	[ -d "$KP_TESTDATA" ]
	[ -d "$T" ]
	touch "$T/x"
}

@test "helper: require_cmd fails and names the package" {
	run require_cmd no-such-cmd-xyz no-such-pkg
	[ "$status" -eq 1 ]
	[ "$output" = "missing no-such-cmd-xyz: apt-get install no-such-pkg" ]
	require_cmd sh dash
}

@test "helper: missing test data fails loudly" {
	KP_TESTDATA=$T/no-such-dir run bash -c \
		'source "$KP_ROOT/tests/helper.bash" && echo loaded'
	[ "$status" -eq 1 ]
	[[ $output == *"no test data at $T/no-such-dir"* ]]
	[[ $output != *loaded* ]]
}

@test "redis: start, SET and GET, stop leaves nothing behind" {
	kp_redis_start
	dir=$KP_SERVICES_DIR
	pid=$KP_REDIS_PID
	[[ $dir == /tmp/kp.* ]]
	[ -S "$KP_REDIS_SOCK" ]
	[ "${#KP_REDIS_SOCK}" -lt 108 ]
	[ "$REDIS_URL" = "unix://$KP_REDIS_SOCK" ]
	run redis-cli -s "$KP_REDIS_SOCK" SET kp:test hello
	[ "$output" = OK ]
	run redis-cli -s "$KP_REDIS_SOCK" GET kp:test
	[ "$output" = hello ]
	run pgrep -f "$dir"
	[ "$output" = "$pid" ]

	kp_redis_stop
	gone "$pid"
	run pgrep -f "$dir"
	[ "$status" -eq 1 ]
	[ ! -e "$KP_REDIS_SOCK" ]
	kp_services_stop
	[ ! -e "$dir" ]
}

@test "redis: restart keeps the socket and loses the data" {
	kp_redis_start
	sock=$KP_REDIS_SOCK
	pid=$KP_REDIS_PID
	redis-cli -s "$sock" SET kp:test hello
	kp_redis_restart
	[ "$KP_REDIS_SOCK" = "$sock" ]
	[ "$REDIS_URL" = "unix://$sock" ]
	[ "$KP_REDIS_PID" != "$pid" ]
	gone "$pid"
	run redis-cli -s "$sock" PING
	[ "$output" = PONG ]
	run redis-cli -s "$sock" GET kp:test
	[ "$output" = "" ]
}

@test "redis: tcp mode listens on a free loopback port, also after restart" {
	kp_redis_start tcp
	port=$KP_REDIS_PORT
	[[ $port =~ ^[0-9]+$ ]]
	[ "$REDIS_URL" = "redis://127.0.0.1:$port" ]
	run redis-cli -h 127.0.0.1 -p "$port" PING
	[ "$output" = PONG ]
	run redis-cli -s "$KP_REDIS_SOCK" PING
	[ "$output" = PONG ]
	kp_redis_restart
	[ "$KP_REDIS_PORT" = "$port" ]
	run redis-cli -h 127.0.0.1 -p "$port" PING
	[ "$output" = PONG ]
}

@test "postgres: start, CREATE, INSERT and SELECT, stop leaves nothing" {
	kp_pg_start
	dir=$KP_SERVICES_DIR
	pid=$(head -n 1 "$KP_PG_DATA/postmaster.pid")
	[ "$PGHOST" = "$dir" ]
	[ "$PGUSER" = kp ]
	[ "$PGDATABASE" = postgres ]
	run psql -X -q -A -t -v ON_ERROR_STOP=1 \
		-c 'CREATE TABLE t (k int PRIMARY KEY, v text)' \
		-c "INSERT INTO t VALUES (1, 'one'), (2, 'two')" \
		-c 'SELECT v FROM t ORDER BY k'
	[ "$status" -eq 0 ]
	[ "$output" = $'one\ntwo' ]
	run env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE \
		psql -X -A -t -c 'SELECT count(*) FROM t' "$DATABASE_URL"
	[ "$output" = 2 ]
	run pgrep -f "$KP_PG_DATA"
	[ "$output" = "$pid" ]

	kp_pg_stop
	gone "$pid"
	run pgrep -f "$dir"
	[ "$status" -eq 1 ]
	run pgrep -P "$pid"
	[ "$status" -eq 1 ]
	kp_services_stop
	[ ! -e "$dir" ]
}

@test "postgres: the server never runs as root" {
	kp_pg_start
	pid=$(head -n 1 "$KP_PG_DATA/postmaster.pid")
	owner=$(stat -c %U "/proc/$pid")
	if ((EUID == 0)); then
		[ "$owner" != root ]
		[ "$owner" = "$KP_PG_USER" ]
	else
		[ "$owner" = "$(id -un)" ]
	fi
}

@test "postgres: stop, then start again keeps the data" {
	kp_pg_start
	psql -X -q -c 'CREATE TABLE kept (k int)' -c 'INSERT INTO kept VALUES (7)'
	kp_pg_stop
	kp_pg_start
	run psql -X -A -t -c 'SELECT k FROM kept'
	[ "$output" = 7 ]
}

@test "services: kp_services_stop is idempotent, also before any start" {
	kp_services_stop
	kp_services_stop
	kp_services_dir >/dev/null
	dir=$KP_SERVICES_DIR
	[ -d "$dir" ]
	kp_services_stop
	[ ! -e "$dir" ]
	[ -z "${KP_SERVICES_DIR-}" ]
	kp_services_stop
}

@test "services: a failed start names the package and cleans up" {
	kp_redis_start
	dir=$KP_SERVICES_DIR
	pid=$KP_REDIS_PID
	KP_PG_BINDIR=$T/no-such-bin run kp_pg_start
	[ "$status" -eq 1 ]
	[ "$output" = "missing initdb: apt-get install postgresql" ]
	run bash -c 'source "$KP_ROOT/tests/services.bash"; PATH=/no-such-dir
		kp_redis_start'
	[ "$status" -eq 1 ]
	[ "$output" = "missing redis-server: apt-get install redis-server" ]
	kp_services_stop
	gone "$pid"
	[ ! -e "$dir" ]
}

@test "tap-summary: all ok passes" {
	summary $'ok 1 - a\nok 2 - b\n1..2'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "ok 1 - a" ]
	[ "${lines[-1]}" = "2 passed, 0 failed" ]
}

@test "tap-summary: a failure fails" {
	summary $'ok 1 - a\nnot ok 2 - b\n# diag\n1..2'
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "1 passed, 1 failed" ]
}

@test "tap-summary: SKIP and TODO count as failures" {
	summary $'ok 1 - a # SKIP no server\nok 2 b # skip (bats)\nok 3 - c'
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "1 passed, 2 failed" ]
	summary $'ok 1 - a\nnot ok 2 - b # TODO later\nok 3 - c # todo'
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "1 passed, 2 failed" ]
}

@test "tap-summary: no tests, bail out, and name prefixes" {
	summary ''
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "0 passed, 0 failed" ]
	summary $'ok 1 - a\nBail out! no database'
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "1 passed, 1 failed" ]
	summary $'unit/x: ok 1 - a\nunit/x: not ok 2 - b\nx.bats: # ok 3\nokay'
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "1 passed, 1 failed" ]
}

@test "tests/run: crashes, bad exits and broken plans count as failures" {
	r=$T/repo
	mkdir -p "$r/tests/unit" "$r/build/tests/unit"
	cp "$KP_ROOT/tests/run" "$KP_ROOT/tests/tap-summary" "$r/tests/"
	fake() {
		touch "$r/tests/unit/$1.c"
		printf '#!/bin/sh\n%s\n' "$2" >"$r/build/tests/unit/$1"
		chmod +x "$r/build/tests/unit/$1"
	}
	fake good 'printf "ok 1 - a\nok 2 - b\n1..2\n"'
	fake crash 'echo "ok 1 - a"; kill -SEGV $$'
	fake short 'printf "ok 1 - a\n1..3\n"'
	fake exit3 'printf "ok 1 - a\n1..1\n"; exit 3'
	fake nok 'printf "not ok 1 - a\n1..1\n"; echo oops >&2; exit 1'
	touch "$r/tests/unit/nobin.c"

	run env B=build bash "$r/tests/run"
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "5 passed, 5 failed" ]
	[[ $output == *"unit/good: ok 2 - b"* ]]
	[[ $output == *"not ok - unit/crash: exited 139 (signal 11), no plan"* ]]
	[[ $output == *"not ok - unit/short: plan mismatch (1..3, ran 1)"* ]]
	[[ $output == *"not ok - unit/exit3: exited 3"* ]]
	[[ $output == *"unit/nok: # stderr: oops"* ]]
	[[ $output != *"not ok - unit/nok:"* ]]
	[[ $output == *"not ok - unit/nobin: build/tests/unit/nobin is not built"* ]]

	run env B=build bash "$r/tests/run" good
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "2 passed, 0 failed" ]

	run env B=build bash "$r/tests/run" unit/good no-such-test
	[ "$status" -eq 1 ]
	[[ $output == *"not ok - tests/run: no test matches 'no-such-test'"* ]]
	[ "${lines[-1]}" = "2 passed, 1 failed" ]
}

@test "deps.sh: with every package installed it is silent and exits 0" {
	run sh "$KP_ROOT/mk/deps.sh" -n
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	run sh "$KP_ROOT/mk/deps.sh" -v
	[ "$status" -eq 0 ]
	[[ $output == "deps: all "*" packages are installed" ]]
}

@test "deps.sh: a missing package, not as root, prints the apt-get command" {
	if ((EUID == 0)); then
		run runuser -u nobody -- env KP_DEPS_EXTRA=no-such-package-xyz \
			sh -s <"$KP_ROOT/mk/deps.sh"
	else
		KP_DEPS_EXTRA=no-such-package-xyz run sh "$KP_ROOT/mk/deps.sh"
	fi
	[ "$status" -eq 1 ]
	[[ $output == *"deps: missing: no-such-package-xyz"* ]]
	[[ $output == *"sudo apt-get update && sudo apt-get install -y no-such-package-xyz"* ]]
	KP_DEPS_EXTRA=no-such-package-xyz run sh "$KP_ROOT/mk/deps.sh" -n
	[ "$status" -eq 1 ]
}
