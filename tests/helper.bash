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
