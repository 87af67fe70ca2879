# shellcheck shell=bash
# lib/progress.c through tests/t_progress: the line composed from the
# stages' counters, the rate, a terminal against a pipe or a file, and the
# stages of a process group in one line, drawn by one of them.

load helper

# t_progress TEST: run one group of checks; it must pass and say how many.
t_progress() {
	run "$IA_TOP/tests/t_progress" "$1"
	printf '%s\n' "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} =~ ^t_progress:\ [1-9][0-9]*\ checks\ passed$ ]]
}

@test "progress line: stages' counters composed, totals and ETA only when known" {
	t_progress line
}

@test "progress rate: over the last 10 s, the whole run while that is short" {
	t_progress rate
}

@test "progress: a line on a terminal, at most 4 a second, cleared; nothing on a pipe or a file" {
	t_progress terminal
}

@test "progress group: other stages in the line, one drawer, a takeover, a dead stage ignored, -v mutes" {
	t_progress group
}

@test "t_progress: an unknown test fails" {
	run "$IA_TOP/tests/t_progress" nosuchtest
	[ "$status" -eq 2 ]
	[[ $output == *"unknown test"* ]]
}
