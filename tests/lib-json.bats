# lib/json.c through tests/t_json: ia_json_dump() prints what libjq's
# jv_dump_string() does, byte for byte, sorted or not.  Each test runs one
# group of checks; a failing check prints both and fails the test.
load helper

# json_checks GROUP: run the group and require every check to pass.
json_checks() {
	run "$IA_TOP/tests/t_json" "$1"
	printf '%s\n' "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^$1:\ [1-9][0-9]*\ checks,\ ok$ ]]
	[[ "${lines[${#lines[@]} - 1]}" =~ ^t_json:\ [1-9][0-9]*\ checks\ passed$ ]]
}

@test "json: every kind, every escape, numbers at the edges, an object's slot order" {
	json_checks fixed
}

@test "json: 3000 random values, sorted and not, the same bytes as libjq" {
	json_checks random
}

@test "json: nested up to and past libjq's cut at depth 256" {
	json_checks deep
}
