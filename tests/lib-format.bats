# lib/format.c through tests/t_format: ia-collect's output forms, each row
# writer and header on plain and awkward input.  Each test runs one group of
# checks; a failing check prints file:line and the bytes got and wanted.
load helper

# format_checks GROUP: run the group and require every check to pass.
format_checks() {
	run "$IA_TOP/tests/t_format" "$1"
	printf '%s\n' "$output"
	[ "$status" -eq 0 ]
	[ "$1" = all ] || [[ "${lines[0]}" =~ ^$1:\ [1-9][0-9]*\ checks,\ ok$ ]]
	[[ "${lines[${#lines[@]} - 1]}" =~ ^t_format:\ [1-9][0-9]*\ checks\ passed$ ]]
}

@test "format: the table: names, -f or -r, answers only, the CSV header" {
	format_checks table
}

@test "format: ndjson: the answer or the error record, one line, escapes and UTF-8" {
	format_checks ndjson
}

@test "format: openai: Batch output lines, built for answers read back, null when missing" {
	format_checks openai
}

@test "format: tsv: tab, newline, CR and backslash escaped, null empty, answers only" {
	format_checks tsv
}

@test "format: csv: quoted only when needed, quotes doubled, CRLF, answers only" {
	format_checks csv
}

@test "format: -r and -r -0: content as jq -r prints it, NUL bytes kept, answers only" {
	format_checks raw
}

@test "format: -e values as JSON or raw" {
	format_checks value
}

@test "format: all groups together" {
	format_checks all
	[ "$(grep -c '^[a-z0-9_]*: [1-9][0-9]* checks, ok$' <<<"$output")" -eq 7 ]
}
