# lib/ids.c through tests/t_ids: the set of custom_ids (64-bit
# fingerprints) and the ids assigned to requests without one.  Each test
# runs one group of checks; a failing check prints file:line: expression
# and fails the test.
load helper

# ids_checks GROUP: run the group and require every check to pass.
ids_checks() {
	run "$IA_TOP/tests/t_ids" "$1"
	printf '%s\n' "$output"
	[ "$status" -eq 0 ]
	[ "$1" = all ] || [[ "${lines[0]}" =~ ^$1:\ [1-9][0-9]*\ checks,\ ok$ ]]
	[[ "${lines[${#lines[@]} - 1]}" =~ ^t_ids:\ [1-9][0-9]*\ checks\ passed$ ]]
}

@test "ids: add and find, duplicates, the empty id, ids with NUL bytes, free" {
	ids_checks set
}

@test "ids: FNV-1a (assigned ids) and the XXH64 fingerprint, pinned" {
	ids_checks hash
}

@test "ids: assigned ids as on every version; -2, -3 in order; ids taken passed over" {
	ids_checks assign
}

@test "ids: a million ids, each found, none other, 16 bytes an id" {
	ids_checks grow
}

@test "ids: growth in place with crowded and wrapped clusters: every id found after each add" {
	ids_checks probe
}

@test "ids: a forced fingerprint collision: a duplicate, or an assigned id's next -N" {
	ids_checks collide
}

@test "ids: an unknown group is a usage error" {
	run "$IA_TOP/tests/t_ids" nosuch
	[ "$status" -eq 2 ]
	[[ "$output" =~ ^usage:\ t_ids\ all ]]
}

@test "ids: all groups together" {
	ids_checks all
	[ "$(grep -c '^[a-z_]*: [1-9][0-9]* checks, ok$' <<<"$output")" -eq 6 ]
}
