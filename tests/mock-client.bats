# The provider-sample-style Python client (tests/sample_client.py) against ia-mock:
# what works against the mock must work the way the provider's samples expect.
bats_require_minimum_version 1.5.0
load helper

setup() {
	PY=${PYTHON:-/usr/bin/python3}
	# No python3 with requests is a broken set-up: fail, do not skip.
	if ! "$PY" -c 'import requests' 2>"$BATS_TEST_TMPDIR/py.err"; then
		echo "setup: $PY cannot import requests (install python3-requests, or set PYTHON):" >&2
		cat "$BATS_TEST_TMPDIR/py.err" >&2
		return 1
	fi
	CLIENT=$IA_TOP/tests/sample_client.py
	[ -f "$CLIENT" ] || { echo "setup: $CLIENT is missing" >&2; return 1; }
}

teardown() {
	mock_stop || true
}

# run_client: run the sample client against the current mock, polling fast.
# Its stdout is in $output and in $BATS_TEST_TMPDIR/out, its stderr in $stderr.
run_client() {
	run --separate-stderr env POLL_INTERVAL=0.3 POLL_TIMEOUT=30 \
	    timeout 50 "$PY" "$CLIENT"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out"
	echo "client status $status; stdout:"
	printf '%s\n' "$output"
	echo "stderr:"
	printf '%s\n' "$stderr"
}

# check_lines STATE: 20 result lines, custom ids single-0..9 and group-0..9
# once each, all in STATE, and every line well formed for that state.
check_lines() {
	local want=$1 n=0 id state content pt ct tt secs i
	grep -v '^done: ' "$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/lines"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/lines")" = 20 ]
	[ "$(cut -f1 "$BATS_TEST_TMPDIR/lines" | sort | tr '\n' ' ')" = \
	    "group-0 group-1 group-2 group-3 group-4 group-5 group-6 group-7 group-8 group-9 single-0 single-1 single-2 single-3 single-4 single-5 single-6 single-7 single-8 single-9 " ]
	# split on a non-blank separator: IFS=tab would merge the empty columns
	while IFS=$'\037' read -r id state content pt ct tt secs; do
		n=$((n + 1))
		[ "$state" = "$want" ] || { echo "$id: state '$state', not $want"; return 1; }
		i=${id#*-}
		# every line has a duration that is a number of seconds
		[[ "$secs" =~ ^[0-9]+\.[0-9]{3}$ ]] || { echo "$id: bad seconds '$secs'"; return 1; }
		if [ "$want" = Success ]; then
			# the client asked "What is i plus i?" (after a system message)
			[ "$content" = "$(expected_answer "What is $i plus $i?")" ] ||
			    { echo "$id: content '$content'"; return 1; }
			[[ "$pt" =~ ^[0-9]+$ && "$ct" =~ ^[0-9]+$ && "$tt" =~ ^[0-9]+$ ]] ||
			    { echo "$id: tokens '$pt' '$ct' '$tt' are not numbers"; return 1; }
			# words: "Be concise." + "What is i plus i?"; "Answer to: What is i plus i?"
			[ "$pt" = 7 ] || { echo "$id: prompt_tokens $pt, not 7"; return 1; }
			[ "$ct" = 7 ] || { echo "$id: completion_tokens $ct, not 7"; return 1; }
			[ "$tt" = $((pt + ct)) ] || { echo "$id: total_tokens $tt != $pt + $ct"; return 1; }
		else
			# a Failed line carries the reason, and no usage
			[ -n "$content" ] || { echo "$id: empty failure reason"; return 1; }
			[ "$content" != Completed ] || { echo "$id: failure reason is 'Completed'"; return 1; }
			[ -z "$pt$ct$tt" ] || { echo "$id: a failed generation has tokens '$pt' '$ct' '$tt'"; return 1; }
		fi
	done < <(tr '\t' '\037' <"$BATS_TEST_TMPDIR/lines")
	[ "$n" = 20 ]
}

@test "sample client: 20 generations succeed with the expected answers" {
	mock_start --complete-after 0.5,1.5 --group-delay 0.5
	run_client
	[ "$status" = 0 ]
	check_lines Success
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/out")" = "done: 20 success, 0 failed" ]
	# what the mock saw agrees: 20 generations, 1 group, all Success
	[ "$(stats '.generations | "\(.total) \(.Success) \(.Failed)"')" = '"20 20 0"' ]
	[ "$(stats .groups)" = 1 ]
}

@test "sample client: --fail-rate 1 gives 20 failed generations" {
	mock_start --complete-after 0.5,1.5 --group-delay 0.5 --fail-rate 1
	run_client
	[ "$status" = 0 ]
	check_lines Failed
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/out")" = "done: 0 success, 20 failed" ]
	[ "$(stats '.generations | "\(.total) \(.Success) \(.Failed)"')" = '"20 0 20"' ]
}

@test "sample client: a slow mock (--latency 100 --429-rate 0) still works" {
	mock_start --complete-after 0.5,1.5 --group-delay 0.5 --latency 100 --429-rate 0
	run_client
	[ "$status" = 0 ]
	check_lines Success
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/out")" = "done: 20 success, 0 failed" ]
	[ "$(stats '.faults | [.[]] | add')" = 0 ]
}
