#!/usr/bin/env bats
# The guard against assertions that cannot fail: tests/lint-bats over every
# test file of the repository, and the guard itself shown failing on the
# pattern it exists for.

load helper
bats_require_minimum_version 1.5.0

@test "lint-bats: no test file has a bare '! cmd' line" {
	run tests/lint-bats tests/*.bats tests/*.bash
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
}

@test "lint-bats: a bare '! cmd' in a test is named by file and line; conditions pass" {
	# (written with printf: bats would take a test in a here-document
	# for one of its own)
	local t=@test
	printf '%s "x" {\n' "$t" >"$T/bad.bats"
	printf '\t%s\n' 'if ! true; then false; fi' 'true || ! false' \
		'run ! grep -q secret log' >>"$T/bad.bats"
	printf '  ! grep -q secret log\n\techo ok\n}\n' >>"$T/bad.bats"
	run tests/lint-bats "$T/bad.bats"
	[ "$status" -eq 1 ]
	[ "$output" = "$T/bad.bats:5: a bare \"! cmd\" never fails under set -e: write \"run ! cmd\" or an explicit check" ]
	# and the reason the guard exists: bats passes such a test
	printf '%s "x" {\n\t! true\n\ttrue\n}\n' "$t" >"$T/passes.bats"
	run bats "$T/passes.bats"
	[ "$status" -eq 0 ]
}

@test "lint-bats: no file is a usage error (exit 100)" {
	run tests/lint-bats
	[ "$status" -eq 100 ]
	run tests/lint-bats "$T/missing.bats"
	[ "$status" -eq 100 ]
}
