# lib/record.c through tests/t_record: the NDJSON reader and writer,
# custom_id and error records (the id set: lib-ids.bats).  Each test runs
# one group of checks; a failing check prints file:line: expression and
# fails the test.
load helper

# record_checks GROUP: run the group and require every check to pass.
record_checks() {
	run "$IA_TOP/tests/t_record" "$1"
	printf '%s\n' "$output"
	[ "$status" -eq 0 ]
	[ "$1" = all ] || [[ "${lines[0]}" =~ ^$1:\ [1-9][0-9]*\ checks,\ ok$ ]]
	[[ "${lines[${#lines[@]} - 1]}" =~ ^t_record:\ [1-9][0-9]*\ checks\ passed$ ]]
}

@test "record: lines, CRLF, a last line without newline, blank lines, line numbers" {
	record_checks reader
}

@test "record: lines over max_line are dropped as they arrive, memory stays bounded" {
	record_checks long
}

@test "record: input in pieces through a pipe reads the same, without blocking" {
	record_checks pipe
}

@test "record: custom_id from metadata, from a batch line, numbers, none" {
	record_checks custom_id
}

@test "record: error records have one shape, every key present" {
	record_checks error
}

@test "record: writes whole lines, flushed, EPIPE and a full disk reported" {
	record_checks write
}

@test "record: all groups together" {
	record_checks all
	[ "$(grep -c '^[a-z_]*: [1-9][0-9]* checks, ok$' <<<"$output")" -eq 6 ]
}
