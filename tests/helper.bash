# helper.bash: common setup for every bats file ("load helper").
# SPDX-License-Identifier: MIT
#
# Sets LC_ALL=C and exports:
#   KP_ROOT      the repo root (absolute)
#   B            the build dir, absolute (default build, relative to KP_ROOT)
#   KP_TESTDATA  shared test data, default KP_ROOT/../shared/testdata; a
#                missing dir fails every test of the file
#   T            this test's scratch dir (BATS_TEST_TMPDIR; in setup_file,
#                BATS_FILE_TMPDIR), removed by bats afterwards
# and puts $B/bin and $B/tests/tools at the front of PATH.
#
# require_cmd NAME PACKAGE fails the test when NAME is not installed. Files
# that need Redis or PostgreSQL also "load services" (tests/services.bash).

export LC_ALL=C

KP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
export KP_ROOT

B=${B:-build}
case $B in
/*) ;;
*) B=$KP_ROOT/$B ;;
esac
export B

case $PATH in
"$B/bin:$B/tests/tools:"*) ;;
*) PATH=$B/bin:$B/tests/tools:$PATH ;;
esac
export PATH

KP_TESTDATA=${KP_TESTDATA:-$KP_ROOT/../shared/testdata}
if ! kp_d_=$(cd "$KP_TESTDATA" 2>/dev/null && pwd -P); then
	echo "helper: no test data at $KP_TESTDATA: shared/testdata must" \
		"sit beside the repo (or set KP_TESTDATA)" >&2
	return 1
fi
KP_TESTDATA=$kp_d_
unset kp_d_
export KP_TESTDATA

export T=${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-}}

# require_cmd NAME PACKAGE: fail (never skip) when NAME is not on PATH.
# Call it as a plain statement so that bats sees the failure.
require_cmd() {
	if ! command -v "$1" >/dev/null 2>&1; then
		echo "missing $1: apt-get install $2" >&2
		return 1
	fi
}

# eventually SECONDS CMD...: retry CMD every 0.1 s until it succeeds, then
# once more for its status (and output) when SECONDS have passed.
eventually() {
	local n=$(($1 * 10)) i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# prom_check FILE: FILE is Prometheus' text exposition format as
# conventions want it: every sample's metric has one # HELP and one
# # TYPE before it, names match [a-zA-Z_:][a-zA-Z0-9_:]*, a counter's
# name ends in one _total (never _total_total), a gauge's does not, and
# every value is a number.  Prints what is wrong; fails on the first file
# with a fault.
prom_check() {
	awk '
	function bad(m) { print FILENAME ":" FNR ": " m; err = 1 }
	/^# HELP / { help[$3] = 1; next }
	/^# TYPE / {
		type[$3] = $4
		if ($4 != "counter" && $4 != "gauge") bad("type " $4)
		if ($4 == "counter" && $3 !~ /[^_]_total$/) bad($3 ": a counter without _total")
		if ($3 ~ /_total_total$/) bad($3 ": _total twice")
		if ($4 == "gauge" && $3 ~ /_total$/) bad($3 ": a gauge named _total")
		next
	}
	/^#/ { next }
	NF == 0 { next }
	{
		name = $1; sub(/\{.*/, "", name)
		if (name !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/) bad("name " name)
		if (!(name in help)) bad(name ": no HELP")
		if (!(name in type)) bad(name ": no TYPE")
		if ($NF !~ /^[-+]?([0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?|NaN|[-+]Inf)$/) bad(name ": value " $NF)
		n++
	}
	END { if (n == 0) { print "no samples"; err = 1 } exit err }' "$@"
}
