# lib/pending.c and lib/collect.c through tests/t_collect: one outcome per
# custom_id, held failures, pending work and the --sort order.  Each test
# runs one group of checks; a failing check prints file:line.
load helper

# collect_checks GROUP: run the group and require every check to pass.
collect_checks() {
	run "$IA_TOP/tests/t_collect" "$1"
	printf '%s\n' "$output"
	[ "$status" -eq 0 ]
	[ "$1" = all ] || [[ "${lines[0]}" =~ ^$1:\ [1-9][0-9]*\ checks,\ ok$ ]]
	[[ "${lines[${#lines[@]} - 1]}" =~ ^t_collect:\ [1-9][0-9]*\ checks\ passed$ ]]
}

@test "pending: add, replace, find, remove; a NUL inside a custom_id; jq's string order" {
	collect_checks pending
}

@test "pending: 5000 entries, a third removed, the rest all found, sorted" {
	collect_checks pending_many
}

@test "pending: the collect failure names the generation or group to follow" {
	collect_checks pending_error
}

@test "collect: first success prints, duplicates and recoveries counted, other records passed over; ids apart after a NUL" {
	collect_checks outcomes
}

@test "collect: the last failure kept with a request that can be resubmitted, in order" {
	collect_checks failures
}

@test "collect: at the end, pending work becomes failures in custom_id order" {
	collect_checks pending_end
}

@test "collect: --sort --input order: placed first, the rest after" {
	collect_checks order
}

@test "clash: a second answer from the same generation, another generation, another request; 5000 ids" {
	collect_checks clash
}

@test "collect: all groups together" {
	collect_checks all
	[ "$(grep -c '^[a-z_]*: [1-9][0-9]* checks, ok$' <<<"$output")" -eq 8 ]
}
