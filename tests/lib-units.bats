# shellcheck shell=bash
# The library's pure parts with no network, one C program each, every group
# of checks run: lib/time.c, duration.c and rand.c (t_time); sched.c
# (t_sched); pace.c, with whole runs against a simulated rate limit
# (t_pace); follow.c (t_follow); request.c, the record classifier, result.c
# and ia_http_answer (t_request); jq.c, input.c and source.c (t_input).  A
# failing check prints file:line: expression, with what it got and wanted,
# and fails the test.
load helper

# units PROGRAM: run every group of tests/PROGRAM; all must pass and say so.
units() {
	[ -x "$IA_TOP/tests/$1" ] || { echo "tests/$1 is not built" >&2; return 1; }
	run "$IA_TOP/tests/$1" all
	printf '%s\n' "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[${#lines[@]} - 1]}" =~ ^$1:\ [1-9][0-9]*\ checks\ passed$ ]]
	# Every group ran and passed.
	[[ "$output" != *"checks, FAILED"* ]]
}

@test "time, duration, rand: the clock, ISO 8601 times, durations, jitter" {
	units t_time
}

@test "sched: the poll heap in due order, the wait, the next poll" {
	units t_sched
}

@test "pace: --rate's spacing, what cuts and to what, the growth, the hold, runs against a simulated limit" {
	units t_pace
}

@test "follow: an id and its custom_id inline in one chunk, a group's tracker, their records, an aimed poll's room in 4 bits" {
	units t_follow
}

@test "request, record, result: kinds, checks, routes, the classifier, results" {
	units t_request
}

@test "jq, input, source: -e programs, input forms and errors, files in turn" {
	units t_input
}
