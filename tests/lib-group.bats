# lib/group.c through tests/t_group: what each answer means for a group
# being followed (listed custom_ids, or the whole group) and for an id
# followed alone.  Each test runs one group of checks; a failing check
# prints file:line, what it got and what it wanted, and fails the test.
load helper

# group_checks GROUP: run the group and require every check to pass.
group_checks() {
	run "$IA_TOP/tests/t_group" "$1"
	printf '%s\n' "$output"
	[ "$status" -eq 0 ]
	[ "$1" = all ] || [[ "${lines[0]}" =~ ^$1:\ [1-9][0-9]*\ checks,\ ok$ ]]
	[[ "${lines[${#lines[@]} - 1]}" =~ ^t_group:\ [1-9][0-9]*\ checks\ passed$ ]]
}

@test "group: group records taken or refused with the message of the input error" {
	group_checks init
}

@test "group: one ladder: --once keeps, then wait while under the limit, then give up" {
	group_checks next
}

@test "group: listed custom_ids in any order, duplicates, odd entries, each printed once" {
	group_checks listed
}

@test "group: a group followed whole, told apart by generation id, nothing printed twice" {
	group_checks whole
}

@test "group: a listed custom_id never returned gets one more look, then an error record" {
	group_checks missing
}

@test "group: 404 is waited for until --deadline, then given up on; --once keeps it as it came" {
	group_checks absent
}

@test "group: an empty listing of a group followed whole is not there yet" {
	group_checks empty
}

@test "group: --once keeps exactly what is not printed, shared or missing custom_ids as id records" {
	group_checks once
}

@test "group: --deadline with generations running: an error record for each, to follow again" {
	group_checks deadline
}

@test "group: what runs is judged on the whole listing: printed further down is not waited for" {
	group_checks shared
}

@test "group: a failed GET (no answer, 5xx, a redirect) or an answer that is not a listing is asked again until --deadline; another 4xx ends the group" {
	group_checks failed
}

@test "group: an id followed alone: grace for 404, a redirect asked again, deadline, --once, its records" {
	group_checks id
}

@test "group: all groups together" {
	group_checks all
	[ "$(grep -c '^[a-z_]*: [1-9][0-9]* checks, ok$' <<<"$output")" -eq 13 ]
}

@test "group: every check again with the answer as text, through the listing scanner: the same outcomes" {
	group_checks text
}
