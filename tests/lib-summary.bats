# lib/summary.c through tests/t_summary: ia-collect's summary, its counts,
# latency histogram and quantiles, tokens, span and failure tallies.  Each
# test runs one group of checks; a failing check prints file:line.
load helper

# summary_checks GROUP: run the group and require every check to pass.
summary_checks() {
	run "$IA_TOP/tests/t_summary" "$1"
	printf '%s\n' "$output"
	[ "$status" -eq 0 ]
	[ "$1" = all ] || [[ "${lines[0]}" =~ ^$1:\ [1-9][0-9]*\ checks,\ ok$ ]]
	[[ "${lines[${#lines[@]} - 1]}" =~ ^t_summary:\ [1-9][0-9]*\ checks\ passed$ ]]
}

@test "summary: nothing read: zeros and nulls, the two-line text" {
	summary_checks empty
}

@test "summary: latency buckets 2% wide from 1 ms, the last one open, negatives passed over" {
	summary_checks buckets
}

@test "summary: quantiles are the upper edge of their bucket, at most the max" {
	summary_checks quantiles
}

@test "summary: token sums and averages, missing or odd usage counting 0" {
	summary_checks tokens
}

@test "summary: span from the earliest dispatch to the latest finish, failures included" {
	summary_checks span
}

@test "summary: failures by stage and the top five messages, ties in byte order" {
	summary_checks tallies
}

@test "summary: the text -s prints, exactly" {
	summary_checks text
}

@test "summary: clashes and extra generations: counts, the first custom_id, the text lines" {
	summary_checks clashes
}

@test "summary: all groups together" {
	summary_checks all
	[ "$(grep -c '^[a-z_]*: [1-9][0-9]* checks, ok$' <<<"$output")" -eq 8 ]
}
