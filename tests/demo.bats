#!/usr/bin/env bats
# make demo's script: the main job against a local ia-mock, every prompt
# accounted for.

load helper
bats_require_minimum_version 1.5.0

@test "the demo answers every prompt of examples/prompts.jsonl and stops its mock" {
	run --separate-stderr timeout 120 sh "$IA_TOP/examples/demo.sh"
	echo "$stderr"
	[ "$status" -eq 0 ]
	n=$(wc -l < "$IA_TOP/examples/prompts.jsonl")
	# One record per prompt on stdout, each custom_id once.
	[ "$(echo "$output" | wc -l)" -eq "$n" ]
	[ "$(echo "$output" | jq -r .custom_id | sort -u | wc -l)" -eq "$n" ]
	# The summary accounts for every prompt; the retry loop ran if needed.
	[[ "$stderr" == *"ia-collect: $n answers, 0 failed"* ]] ||
	    [[ "$stderr" == *"round 3"* ]]
	ok=$(echo "$stderr" | sed -n 's/^ia-collect: \([0-9]*\) answers, \([0-9]*\) failed.*/\1+\2/p' | tail -1)
	[ "$((ok))" -eq "$n" ]
	# The mock it started is gone.
	run pgrep -f "ia-mock -p 0 --port-file .* --seed 2026"
	[ "$status" -ne 0 ]
}
