#!/usr/bin/env bats
# Sharding: --requests-only on ia-submit and ia-group (each request as it
# would be sent, its custom_id assigned, nothing sent), and the recipe of
# ia(7), SHARDING: ids assigned once before GNU parallel splits the input
# over 4 jobs, each its own ia-group | ia-poll, against one ia-mock.
# Without that step, the ids assigned in each shard collide, and ia-collect
# says so.

load helper
bats_require_minimum_version 1.5.0

setup() {
	default_setup
	T=$BATS_TEST_TMPDIR
}

# need_parallel: fail, saying why, where GNU parallel is missing: make deps
# installs it, so a missing one is a broken set-up, not a reason to skip.
need_parallel() {
	if ! command -v parallel >/dev/null 2>&1 ||
	    ! parallel --version 2>/dev/null | grep -q 'GNU parallel'; then
		echo "GNU parallel is not installed (Debian package parallel; make deps)" >&2
		return 1
	fi
}

# prompts N: N distinct prompts, then the same N again, one a line.
prompts() {
	seq "$1" | sed 's/^/prompt number /' > "$T/half"
	cat "$T/half" "$T/half"
}

# shard CMD: CMD on 4 jobs of GNU parallel (on this machine as a login, as
# with --sshloginfile), input cut in blocks of 4 kB, whole lines out as
# they come (--line-buffer).
shard() {
	parallel -j 4 --sshlogin : --pipe --block 4k --line-buffer "$1"
}

# check_right REQS OUT: OUT, ia-collect's answers, has one answer for each
# request of REQS, each custom_id once, each the answer to its own prompt.
check_right() {
	jq -s -e --slurpfile r "$1" '
	    ($r | map({key: .metadata.custom_id, value: .messages[-1].content})
	        | from_entries) as $q
	    | length == ($r | length)
	    and (map(.custom_id) | unique | length) == length
	    and all(.content == "Answer to: " + $q[.custom_id])' "$2"
}

@test "--requests-only: each request as it would be sent, custom_id assigned; nothing sent, no key needed" {
	mock_start
	printf '%s\n' alpha beta alpha > "$T/q.txt"
	for tool in ia-submit ia-group; do
		run --separate-stderr env -u INFERENCE_API_KEY "$tool" --requests-only \
		    -t -m m --system 'Be brief.' "$T/q.txt"
		echo "$output"
		echo "$stderr"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
		[ "$(nlines)" -eq 3 ]
		# The request, with the id that ia-submit would have sent it under.
		[ "$(printf '%s\n' "$output" | jq -c 'del(.metadata) | [.model, (.messages | map(.role)), .messages[1].content]' | head -1)" = \
		    '["m",["system","user"],"alpha"]' ]
		ids=$(printf '%s\n' "$output" | jq -r .metadata.custom_id)
		[[ "$(sed -n 1p <<<"$ids")" =~ ^req-[0-9a-f]{16}$ ]]
		[ "$(sed -n 3p <<<"$ids")" = "$(sed -n 1p <<<"$ids")-2" ]
		printf '%s\n' "$output" > "$T/$tool.out"
	done
	# The same in both, and the ids those of ia-submit --dry-run.
	cmp "$T/ia-submit.out" "$T/ia-group.out"
	[ "$(env -u INFERENCE_API_KEY ia-submit --dry-run -t -m m --system 'Be brief.' "$T/q.txt" | grep '^{')" = \
	    "$(cat "$T/ia-submit.out")" ]
	[ "$(stats .requests.total)" -eq 0 ]
	# Read again, each keeps its custom_id: nothing is assigned twice.
	run --separate-stderr env -u INFERENCE_API_KEY ia-submit --requests-only "$T/ia-submit.out"
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "$T/ia-submit.out")" ]
}

@test "--requests-only: input errors are error records in place, exit 1; not with --dry-run or --journal" {
	{ chat one; echo 'not json'; chat two '{"metadata": {"custom_id": "x"}}'; chat three '{"metadata": {"custom_id": "x"}}'; } > "$IN"
	for tool in ia-submit ia-group; do
		run --separate-stderr env -u INFERENCE_API_KEY "$tool" --requests-only "$IN"
		echo "$output"
		[ "$status" -eq 1 ]
		[ -z "$stderr" ]
		[ "$(printf '%s\n' "$output" | jq -c '[.metadata.custom_id // null, .error.stage // null]')" = \
		    "$(printf '%s\n' "[\"$(chat one | ia-submit --requests-only | jq -r .metadata.custom_id)\",null]" \
		        '[null,"input"]' '["x",null]' '[null,"input"]')" ]
		[[ "$(printf '%s\n' "$output" | sed -n 4p | jq -r .error.message)" == *'duplicate custom_id "x"'* ]]
		run --separate-stderr "$tool" --requests-only --dry-run "$IN"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ "$stderr" = "$tool: --requests-only and --dry-run do not go together" ]
		run --separate-stderr "$tool" --requests-only --journal "$T/j" "$IN"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ "$stderr" = "$tool: --requests-only sends nothing: no --journal" ]
		[ ! -e "$T/j" ]
	done
}

@test "sharded with GNU parallel, ids assigned first: 2000 prompts (1000 twice), every custom_id once, each answer right" {
	need_parallel
	mock_start --complete-after 0.1,0.5
	prompts 1000 > "$T/q.txt"
	ia-submit --requests-only -t -m m "$T/q.txt" > "$T/reqs"
	[ "$(file_lines "$T/reqs")" -eq 2000 ]
	# The recipe of ia(7), SHARDING, its stages apart to look at each.
	shard "ia-group -q | ia-poll -q ${POLL_OPTS[*]}" < "$T/reqs" > "$T/results"
	# More than one shard ran, each with groups of its own.
	[ "$(stats '.requests["POST /v1/async/group/chat/completions"]')" -gt 40 ]
	run --separate-stderr ia-collect --summary-json "$T/sum.json" "$T/results"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	printf '%s\n' "$output" > "$T/answers"
	check_right "$T/reqs" "$T/answers"
	jq -e '.success == 2000 and .duplicates == 0 and .clashes.count == 0
	    and .extra_generations.count == 0' "$T/sum.json"
	# Whole lines only: every line of the merged output is one JSON record.
	[ "$(jq -c . "$T/results" | wc -l)" -eq 2000 ]
	# And in the order of the prompts, from the text file itself.
	run --separate-stderr ia-collect -r --sort -t -m m --input "$T/q.txt" "$T/results"
	[ "$status" -eq 0 ]
	[ "$output" = "$(sed 's/^/Answer to: /' "$T/q.txt")" ]
}

@test "sharded with GNU parallel, ids assigned in each shard: they collide, and ia-collect says so" {
	need_parallel
	mock_start --complete-after 0.1,0.5
	prompts 1000 > "$T/q.txt"
	# Blocks of 4 kB: the two copies of a prompt, 1000 lines apart, are
	# always in different shards, and each shard gives them the same id.
	shard "ia-group -q -t -m m | ia-poll -q ${POLL_OPTS[*]}" < "$T/q.txt" > "$T/results"
	[ "$(file_lines "$T/results")" -eq 2000 ]
	run --separate-stderr ia-collect -q --summary-json "$T/sum.json" "$T/results"
	echo "$stderr"
	[ "$status" -eq 0 ]
	# 2000 generations paid for, 1000 answers printed.
	[ "$(nlines)" -eq 1000 ]
	jq -e '.success == 1000 and .duplicates == 1000 and .clashes.count == 0
	    and .extra_generations.count == 1000
	    and (.extra_generations.first | test("^req-[0-9a-f]{16}$"))' "$T/sum.json"
	[[ "$stderr" == 'ia-collect: 1000 answers dropped: each is another generation of the request answered under its custom_id (first: "req-'* ]]
	[[ "$stderr" == *'assign ids before splitting the input (ia-submit --requests-only; see ia(7), SHARDING)' ]]
}
