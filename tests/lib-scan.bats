# lib/scan.c through tests/t_scan: the scanners that read a Success
# generation and a group's listing without a tree, held against libjq:
# each line it takes reads as libjq reads it (custom_id, id, times,
# request hash, tokens, the row of every form, byte for byte), and what it
# does not fully understand it declines.  Each test runs one group of
# checks; a failing check prints file:line, or the line on which the two
# differ.
load helper

# scan_checks GROUP: run the group and require every check to pass.
scan_checks() {
	run "$IA_TOP/tests/t_scan" "$1"
	printf '%s\n' "$output"
	[ "$status" -eq 0 ]
	[ "$1" = all ] || [[ "${lines[0]}" =~ ^$1:\ [1-9][0-9]*\ checks,\ ok ]]
	[[ "${lines[${#lines[@]} - 1]}" =~ ^t_scan:\ [1-9][0-9]*\ checks\ passed$ ]]
}

@test "scan: taken and read as libjq reads them: escapes, UTF-8, the custom_id from the metadata, every shape of answer and usage, times" {
	scan_checks take
}

@test "scan: declined: other records and states, not strict JSON, a NUL, a key twice where libjq keeps the last, too deep" {
	scan_checks decline
}

@test "scan: every byte escaped or raw, numbers of every form, objects and arrays: printed as jq prints them" {
	scan_checks values
}

@test "scan: the request's hash: the same for any key order, spelling and metadata, the tree's the text's" {
	scan_checks hash
}

@test "scan: the collect fixtures: every Success generation taken, and read as libjq reads it" {
	cd "$IA_TOP"
	scan_checks fixtures
}

@test "scan: 300,000 mutants of the fixtures and the lines taken: each declined, or read as libjq reads it" {
	cd "$IA_TOP"
	scan_checks mutants
	[[ "${lines[0]}" =~ \(([0-9]+)\ lines\ taken ]]
	[ "${BASH_REMATCH[1]}" -gt 15000 ]
}

@test "scan: group listings: each generation's text, id, custom_id and final state as libjq reads them; declined on a key twice, a request with a body, anything not strict; 60,000 mutants" {
	scan_checks listing
}
