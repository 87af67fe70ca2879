# What ia-collect does at the end of a run, in the library, through
# tests/t_failed: --failed (lib/failed.c), --sort and --input's order
# (lib/sorted.c), the notes (summary.c), --status and the record a line
# stands for (collect.c), --input's tally (input.c), -e's output
# (format.c).  Each test runs one group of checks; a failing check prints
# file:line.
load helper

# failed_checks GROUP: run the group and require every check to pass.
failed_checks() {
	run "$IA_TOP/tests/t_failed" "$1"
	printf '%s\n' "$output"
	[ "$status" -eq 0 ]
	[ "$1" = all ] || [[ "${lines[0]}" =~ ^$1:\ [1-9][0-9]*\ checks,\ ok$ ]]
	[[ "${lines[${#lines[@]} - 1]}" =~ ^t_failed:\ [1-9][0-9]*\ checks\ passed$ ]]
}

@test "failed: what --failed prints, from --input or the failure; pending, refused and lost counted and said" {
	failed_checks failed
}

@test "sorted: by custom_id, or --input's order, the rest after; none placed is an error, some a note" {
	failed_checks sorted
}

@test "notes: lines skipped (not with -q), answers dropped for another request or generation" {
	failed_checks notes
}

@test "status: the --status line; the record a line stands for: too long, not JSON, a NUL in a custom_id" {
	failed_checks status
}

@test "tally: --input with no request is an error that says why, some lines without one a note" {
	failed_checks tally
}

@test "jq: -e's outputs as jq prints them, each ended; an error after them said" {
	failed_checks jq
}

@test "failed: all groups together" {
	failed_checks all
	[ "$(grep -c '^[a-z_]*: [1-9][0-9]*\ checks, ok$' <<<"$output")" -eq 6 ]
}
