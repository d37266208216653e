# services.bash: private redis-server and PostgreSQL servers for tests.
# SPDX-License-Identifier: MIT
#
#   load helper
#   load services
#   setup_file() { kp_redis_start; kp_pg_start; }
#   teardown_file() { kp_services_stop; }
#
# Everything lives in one short scratch dir, /tmp/kp.XXXXXX (Unix socket
# paths must stay under 108 bytes). Servers listen on Unix sockets there, no
# fixed TCP ports. What a later call needs (pids, ports, users) is kept in
# files in that dir, so a server started in setup_file can be stopped from
# a test or from teardown_file. Call these functions as plain statements,
# not in $(...), so that their exports reach the caller.
#
#   kp_services_dir       make the dir; exports KP_SERVICES_DIR, prints it
#   kp_redis_start [tcp]  redis-server; exports KP_REDIS_SOCK, KP_REDIS_PID,
#                         REDIS_URL (unix://SOCK); with tcp, also a free
#                         127.0.0.1 port: KP_REDIS_PORT and
#                         REDIS_URL=redis://127.0.0.1:PORT
#   kp_redis_stop         SIGTERM, wait until it is gone
#   kp_redis_restart      stop, start again on the same socket (and port);
#                         the data is gone (no persistence)
#   kp_pg_start           a PostgreSQL cluster (initdb on first start, as an
#                         unprivileged user when run as root); exports
#                         PGHOST PGPORT PGUSER PGDATABASE DATABASE_URL
#                         KP_PG_DATA KP_PG_USER
#   kp_pg_stop            pg_ctl stop -m fast; kp_pg_start starts it again
#                         with its data
#   kp_services_stop      stop everything and remove the dir; idempotent
#
# A missing server is a failure that names the package, never a skip.

if ! declare -F require_cmd >/dev/null; then
	# shellcheck source=tests/helper.bash
	source "$(dirname "${BASH_SOURCE[0]}")/helper.bash"
fi

KP_START_TIMEOUT=${KP_START_TIMEOUT:-10}

kp_services_dir() {
	if [[ -z ${KP_SERVICES_DIR-} || ! -d $KP_SERVICES_DIR ]]; then
		KP_SERVICES_DIR=$(mktemp -d /tmp/kp.XXXXXX) || return 1
		export KP_SERVICES_DIR
	fi
	echo "$KP_SERVICES_DIR"
}

# _kp_alive PID: the process exists and is not a zombie.
_kp_alive() {
	local stat
	[[ $1 =~ ^[0-9]+$ ]] || return 1
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != Z ]]
}

# _kp_wait_gone PID TENTHS: wait up to TENTHS/10 s for PID to exit.
_kp_wait_gone() {
	local i
	for ((i = 0; i < $2; i++)); do
		_kp_alive "$1" || return 0
		sleep 0.1
	done
	if _kp_alive "$1"; then
		return 1
	fi
}

# _kp_kill_wait PID SIG: send SIG, wait up to 10 s for PID to exit (then
# SIGKILL), and reap it when it is a child of this shell.
_kp_kill_wait() {
	local pid=$1 sig=$2
	kill -"$sig" "$pid" 2>/dev/null
	if ! _kp_wait_gone "$pid" 100; then
		echo "services: pid $pid outlived SIG$sig; sending SIGKILL" >&2
		kill -KILL "$pid" 2>/dev/null
		_kp_wait_gone "$pid" 50 || true
	fi
	wait "$pid" 2>/dev/null || true
}

# _kp_tail FILE WHAT: show the end of a log after a failure.
_kp_tail() {
	echo "services: $2; last lines of $1:" >&2
	tail -n 20 "$1" 2>/dev/null | sed 's/^/  /' >&2
}

# _kp_free_port: print a loopback TCP port nobody listens on.
_kp_free_port() {
	local p i lo=32768 _hi
	# below the kernel's ephemeral range: a port there can be taken by
	# any outgoing connection (a browser's, a client's) between the
	# check and the bind
	read -r lo _hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null ||
		lo=32768
	((lo > 12000)) || lo=32768
	for ((i = 0; i < 50; i++)); do
		p=$((10000 + RANDOM % (lo - 10000)))
		if ! (exec 9<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	echo "services: found no free TCP port" >&2
	return 1
}

kp_redis_start() {
	local mode=${1:-unix} port=0 i
	case $mode in
	unix | tcp) ;;
	*)
		echo "kp_redis_start: unknown mode '$mode' (unix or tcp)" >&2
		return 1
		;;
	esac
	require_cmd redis-server redis-server || return 1
	require_cmd redis-cli redis-tools || return 1
	kp_services_dir >/dev/null || return 1
	if _kp_alive "$(cat "$KP_SERVICES_DIR/redis.pid" 2>/dev/null)"; then
		echo "kp_redis_start: redis-server is already running" >&2
		return 1
	fi
	if [[ $mode == unix ]]; then
		_kp_redis_launch 0
		return
	fi
	for ((i = 0; i < 10; i++)); do
		port=$(_kp_free_port) || return 1
		if _kp_redis_launch "$port" 2>"$KP_SERVICES_DIR/redis.err"; then
			rm -f "$KP_SERVICES_DIR/redis.err"
			return 0
		fi
		if ! grep -q 'Address already in use' "$KP_SERVICES_DIR/redis.log"
		then
			cat "$KP_SERVICES_DIR/redis.err" >&2
			return 1
		fi
	done
	cat "$KP_SERVICES_DIR/redis.err" >&2
	return 1
}

# _kp_redis_launch PORT: start redis-server (PORT 0: Unix socket only) and
# wait until it answers PING.
_kp_redis_launch() {
	local port=$1 dir=$KP_SERVICES_DIR sock pid deadline
	local -a opt
	sock=$dir/redis.sock
	opt=(
		--port "$port"
		--unixsocket "$sock"
		--unixsocketperm 700
		--dir "$dir"
		--save ''
		--appendonly no
		--daemonize no
		--pidfile "$dir/redis.pid"
		--logfile "$dir/redis.log"
		--proc-title-template '{title} {unixsocket} {port}'
	)
	if ((port != 0)); then
		opt+=(--bind 127.0.0.1)
	fi
	echo "$port" >"$dir/redis.port"
	: >"$dir/redis.log"
	# fd 3 is bats's: a server holding it open would hang the run.
	redis-server "${opt[@]}" </dev/null >>"$dir/redis.log" 2>&1 3>&- &
	pid=$!
	echo "$pid" >"$dir/redis.pid"
	deadline=$((SECONDS + KP_START_TIMEOUT))
	until [[ $(redis-cli -s "$sock" ping 2>/dev/null) == PONG ]]; do
		if ! _kp_alive "$pid" || ((SECONDS > deadline)); then
			_kp_kill_wait "$pid" TERM
			rm -f "$dir/redis.pid"
			_kp_tail "$dir/redis.log" \
				"redis-server did not answer PING"
			return 1
		fi
		sleep 0.1
	done
	export KP_REDIS_SOCK=$sock KP_REDIS_PID=$pid
	if ((port != 0)); then
		export KP_REDIS_PORT=$port REDIS_URL=redis://127.0.0.1:$port
	else
		unset KP_REDIS_PORT
		export REDIS_URL=unix://$sock
	fi
}

kp_redis_stop() {
	local dir=${KP_SERVICES_DIR-} pid
	[[ -n $dir && -f $dir/redis.pid ]] || return 0
	pid=$(cat "$dir/redis.pid")
	if _kp_alive "$pid" &&
		[[ $(cat "/proc/$pid/comm" 2>/dev/null) == redis-server ]]; then
		_kp_kill_wait "$pid" TERM
	else
		wait "$pid" 2>/dev/null || true
	fi
	rm -f "$dir/redis.pid"
}

kp_redis_restart() {
	local dir=${KP_SERVICES_DIR-}
	if [[ -z $dir || ! -f $dir/redis.port ]]; then
		echo "kp_redis_restart: redis was not started" >&2
		return 1
	fi
	kp_redis_stop
	_kp_redis_launch "$(cat "$dir/redis.port")"
}

# _kp_pg_bindir: the newest /usr/lib/postgresql/VERSION/bin with initdb.
_kp_pg_bindir() {
	local f
	if [[ -n ${KP_PG_BINDIR-} ]]; then
		echo "$KP_PG_BINDIR"
		return 0
	fi
	f=$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
	[[ -x $f ]] || return 1
	echo "${f%/initdb}"
}

# _kp_pg_as USER CMD...: run CMD as USER (as is when USER is empty), from
# the services dir, without bats's fd 3.
_kp_pg_as() {
	local user=$1
	shift
	if [[ -z $user ]]; then
		(cd "$KP_SERVICES_DIR" && exec "$@") 3>&-
	else
		(cd "$KP_SERVICES_DIR" && exec runuser -u "$user" -- "$@") 3>&-
	fi
}

kp_pg_start() {
	local bindir dir data user='' port=5432 deadline
	if ! bindir=$(_kp_pg_bindir) || [[ ! -x $bindir/pg_ctl ]]; then
		echo "missing initdb: apt-get install postgresql" >&2
		return 1
	fi
	require_cmd psql postgresql-client || return 1
	kp_services_dir >/dev/null || return 1
	dir=$KP_SERVICES_DIR
	data=$dir/pg
	if ((EUID == 0)); then
		# The server refuses to run as root.
		user=nobody
		if id -u postgres >/dev/null 2>&1; then
			user=postgres
		fi
		chown "$user" "$dir" || return 1
	fi
	if _kp_alive "$(head -n 1 "$data/postmaster.pid" 2>/dev/null)"; then
		echo "kp_pg_start: PostgreSQL is already running" >&2
		return 1
	fi
	echo "$user" >"$dir/pg.user"
	echo "$bindir" >"$dir/pg.bindir"
	if [[ ! -f $data/PG_VERSION ]]; then
		if ! _kp_pg_as "$user" "$bindir/initdb" -D "$data" \
			--auth=trust -U kp --no-sync -E UTF8 --locale=C \
			--no-instructions >"$dir/initdb.log" 2>&1; then
			_kp_tail "$dir/initdb.log" "initdb failed"
			return 1
		fi
	fi
	if ! _kp_pg_as "$user" "$bindir/pg_ctl" -D "$data" -l "$dir/pg.log" \
		-w -t 30 -s -o "-p $port -k $dir -c listen_addresses='' \
		-c fsync=off -c synchronous_commit=off -c full_page_writes=off \
		-c wal_level=minimal -c max_wal_senders=0 \
		-c max_connections=40 -c shared_buffers=32MB" start; then
		_kp_tail "$dir/pg.log" "PostgreSQL did not start"
		return 1
	fi
	deadline=$((SECONDS + KP_START_TIMEOUT))
	until "$bindir/pg_isready" -q -h "$dir" -p "$port" -t 1; do
		if ((SECONDS > deadline)); then
			_kp_tail "$dir/pg.log" "PostgreSQL is not ready"
			kp_pg_stop
			return 1
		fi
		sleep 0.1
	done
	export PGHOST=$dir PGPORT=$port PGUSER=kp PGDATABASE=postgres
	export DATABASE_URL="postgresql://kp@/postgres?host=$dir&port=$port"
	export KP_PG_DATA=$data KP_PG_USER=$user
}

kp_pg_stop() {
	local dir=${KP_SERVICES_DIR-} data user bindir pid
	[[ -n $dir && -f $dir/pg/postmaster.pid ]] || return 0
	data=$dir/pg
	user=$(cat "$dir/pg.user")
	bindir=$(cat "$dir/pg.bindir")
	pid=$(head -n 1 "$data/postmaster.pid")
	_kp_pg_as "$user" "$bindir/pg_ctl" -D "$data" -m fast -w -t 30 -s \
		stop || true
	if ! _kp_wait_gone "$pid" 100; then
		_kp_kill_wait "$pid" QUIT
	fi
	if ! _kp_alive "$pid"; then
		rm -f "$data/postmaster.pid"
	fi
}

kp_services_stop() {
	local dir=${KP_SERVICES_DIR-}
	if [[ -n $dir && -d $dir ]]; then
		kp_redis_stop
		kp_pg_stop
		case $dir in
		/tmp/kp.*) rm -rf "$dir" ;;
		esac
	fi
	unset KP_SERVICES_DIR KP_REDIS_SOCK KP_REDIS_PID KP_REDIS_PORT \
		REDIS_URL PGHOST PGPORT PGUSER PGDATABASE DATABASE_URL \
		KP_PG_DATA KP_PG_USER
	return 0
}
