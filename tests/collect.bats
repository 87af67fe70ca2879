#!/usr/bin/env bats
# ia-collect: one answer per custom_id (a success wins), the output forms
# (ndjson, -r, -0, -f openai, tsv, csv, -e), --failed and --sort (with
# --input), the summary, pending work with no result, the retry loop end to
# end against ia-mock, --skip-done on ia-submit and ia-group, flat memory when
# streaming, the options and a closed pipe.  The fixtures and what each of
# their lines holds are in tests/fixtures/collect/README.

load helper
bats_require_minimum_version 1.5.0

FIX=$BATS_TEST_DIRNAME/fixtures/collect
RESULTS=$FIX/results.jsonl
INPUT=$FIX/input.jsonl

setup() {
	default_setup
	T=$BATS_TEST_TMPDIR
}

# out_line CUSTOM_ID: the line of $output for CUSTOM_ID ("null": none).
out_line() {
	printf '%s\n' "$output" | jq -c --argjson c "$(jq -n --arg c "$1" 'if $c == "null" then null else $c end')" \
	    'select(.custom_id == $c)'
}

# ids: the custom_ids of the lines of $output, in order, as a JSON array.
ids() {
	printf '%s\n' "$output" | jq -s -c 'map(.custom_id)'
}

# gen_ok CUSTOM_ID CONTENT: a Success generation as ia-poll prints it.
gen_ok() {
	jq -nc --arg c "$1" --arg a "$2" '{custom_id: $c, id: ("gen-" + $c), state: "Success",
	    stateMessage: "Completed",
	    request: {model: "m", messages: [{role: "user", content: $c}], metadata: {custom_id: $c}},
	    response: {object: "chat.completion", model: "m",
	        choices: [{index: 0, message: {role: "assistant", content: $a}, finish_reason: "stop"}],
	        usage: {prompt_tokens: 1, completion_tokens: 2, total_tokens: 3}},
	    dispatchedAt: "2026-01-01T00:00:00.000Z", finishedAt: "2026-01-01T00:00:01.000Z"}'
}

# gen_failed CUSTOM_ID MESSAGE: a Failed generation as ia-poll prints it.
gen_failed() {
	jq -nc --arg c "$1" --arg m "$2" '{custom_id: $c, id: ("gen-" + $c), state: "Failed",
	    stateMessage: $m,
	    request: {model: "m", messages: [{role: "user", content: $c}], metadata: {custom_id: $c}},
	    dispatchedAt: "2026-01-01T00:00:00.000Z", finishedAt: "2026-01-01T00:00:01.000Z"}'
}

# fixture_line N: line N of results.jsonl, compact.
fixture_line() {
	sed -n "$1p" "$RESULTS" | jq -c .
}

# The answers of results.jsonl, in order of arrival (first per custom_id).
ANSWER_IDS='["c-chat","c-text","dup-ok","fail-then-ok","ok-then-fail","unicode","multiline","no-usage","no-finish","no-choices","null-content","no-dispatch","g2"]'
# Its failures, in order of first failure, the pending ones, then the bad line.
FAILURE_IDS='["c-fail","e-input","e-submit","e-group","e-poll","two-fails","c-fail2","acked","g1",null]'
# What ia-collect says at the end about the fixture's line 26, {"foo":1}.
NOTE='ia-collect: 1 line was not a result and was skipped (first: line 26)'
MULTILINE=$'line one\n\tcol "quoted", a, b\\c\r\nlast line'
UNICODE='héllo — 日本語 😀'

# --- the default output --------------------------------------------------------------

@test "ndjson: one line per custom_id, answers as they come, failures at the end, exit 1" {
	run --separate-stderr ia-collect < "$RESULTS"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[ "$stderr" = "$NOTE" ]
	[ "$(nlines)" -eq 23 ]
	[ "$(ids)" = "$(jq -c -n --argjson a "$ANSWER_IDS" --argjson f "$FAILURE_IDS" '$a + $f')" ]
	# Answers: exactly these four keys, in this order.
	[ "$(out_line c-chat)" = '{"custom_id":"c-chat","content":"Answer to: q c-chat","finish_reason":"stop","usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}' ]
	# A text completion: choices[0].text.
	[ "$(out_line c-text)" = '{"custom_id":"c-text","content":"Answer to: q c-text","finish_reason":"length","usage":{"prompt_tokens":4,"completion_tokens":6,"total_tokens":10}}' ]
	# Success wins, and the first success is the one printed.
	[ "$(out_line dup-ok | jq -r .content)" = "first answer" ]
	[ "$(out_line fail-then-ok | jq -r .content)" = "Answer to: q fail-then-ok" ]
	[ "$(out_line ok-then-fail | jq -r .content)" = "Answer to: q ok-then-fail" ]
	# A generation without a top-level custom_id: request.metadata.custom_id.
	[ "$(out_line g2 | jq -r .content)" = "Answer to: q g2" ]
	# An ack followed by its answer is not pending.
	[ "$(printf '%s\n' "$output" | grep -c '"c-chat"')" -eq 1 ]
	# A Failed generation: stage generation, its stateMessage and its request.
	[ "$(out_line c-fail)" = "$(jq -nc --argjson r "$(fixture_line 5 | jq -c .request)" \
	    '{custom_id: "c-fail", error: {stage: "generation", status: null,
	      message: "Inference backend error: upstream timed out", attempts: null},
	      request: $r, line: null}')" ]
	# Error records of every stage are printed as they came.
	[ "$(out_line e-input)" = "$(fixture_line 6)" ]
	[ "$(out_line e-submit)" = "$(fixture_line 7)" ]
	[ "$(out_line e-group)" = "$(fixture_line 8)" ]
	[ "$(out_line e-poll)" = "$(fixture_line 9)" ]
	# Two failures: the last one, with the request of the earlier one.
	[ "$(out_line two-fails | jq -c '[.error.stage, .error.message]')" = \
	    '["generation","Inference backend error: out of memory"]' ]
	[ "$(out_line two-fails | jq -c .request)" = "$(fixture_line 16 | jq -c .request)" ]
	# The line that is not JSON; {"foo":1} gives nothing.
	[ "$(out_line null)" = '{"custom_id":null,"error":{"stage":"input","status":null,"message":"line 25: not JSON","attempts":0},"request":null,"line":25}' ]
	[[ "$output" != *foo* ]]
	# What ia-collect prints reads back as the same.
	run --separate-stderr ia-collect <<<"$output"
	[ "$status" -eq 1 ]
	[ "$output" = "$(ia-collect < "$RESULTS")" ]
}

@test "unicode, multi-line content and missing fields come out as they are, or null" {
	run --separate-stderr ia-collect < "$RESULTS"
	[ "$(out_line unicode | jq -r .content)" = "$UNICODE" ]
	# Not \u-escaped: the UTF-8 bytes themselves.
	[[ "$(out_line unicode)" == *"\"content\":\"$UNICODE\""* ]]
	[ "$(out_line multiline | jq -j .content)" = "$MULTILINE" ]
	[ "$(out_line no-usage | jq -c '[.content, .finish_reason, .usage]')" = '["Answer to: q no-usage","stop",null]' ]
	[ "$(out_line no-finish | jq -c '[.content, .finish_reason]')" = '["Answer to: q no-finish",null]' ]
	[ "$(out_line no-choices | jq -c '[.content, .finish_reason, .usage.total_tokens]')" = '[null,null,1]' ]
	[ "$(out_line null-content | jq -c '[.content, .finish_reason]')" = '[null,"stop"]' ]
	[ "$(out_line no-dispatch | jq -r .content)" = "Answer to: q no-dispatch" ]
}

@test "exit 0 when every custom_id ends in a success, after failures and duplicates" {
	{
		gen_failed a "Inference backend error: upstream timed out"
		gen_ok a "answer a"
		gen_ok b "answer b"
		gen_ok b "answer b again"
		echo '{"custom_id":"c","error":{"stage":"submit","status":503,"message":"HTTP 503","attempts":9},"request":null,"line":3}'
		gen_ok c "answer c"
		gen_ok a "answer a again"
		gen_failed b "too late"
	} > "$IN"
	run --separate-stderr ia-collect < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(printf '%s\n' "$output" | jq -c '[.custom_id, .content]' | tr -d '\n')" = \
	    '["a","answer a"]["b","answer b"]["c","answer c"]' ]
	# One failure left is enough for exit 1.
	gen_failed d "no" >> "$IN"
	run --separate-stderr ia-collect < "$IN"
	[ "$status" -eq 1 ]
	[ "$(nlines)" -eq 4 ]
	[ "$(printf '%s\n' "$output" | sed -n 4p | jq -c '[.custom_id, .error.stage, .error.message]')" = '["d","generation","no"]' ]
}

@test "files are read in turn, - is standard input, and a success in a later file wins" {
	gen_failed a "first try failed" > "$T/one"
	gen_ok b "answer b" >> "$T/one"
	gen_ok a "answer a" > "$T/three"
	run --separate-stderr ia-collect "$T/one" - "$T/three" < <(gen_ok c "answer c")
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -c '[.custom_id, .content]' | tr -d '\n')" = \
	    '["b","answer b"]["c","answer c"]["a","answer a"]' ]
	run --separate-stderr ia-collect "$T/no-such-file" < /dev/null
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *no-such-file* ]]
}

@test "a line over --max-line is an input failure with its line number; one of exactly --max-line is read" {
	# answer N: an answer line of exactly N bytes (newline aside).
	answer() {
		jq -nc --arg c "$1" --arg x "$(head -c $(($2 - 29 - ${#1})) /dev/zero | tr '\0' x)" \
		    '{custom_id: $c, content: $x}'
	}
	{ answer a 100; answer b 101; answer c 60; } > "$IN"
	[ "$(sed -n 1p "$IN" | tr -d '\n' | wc -c)" -eq 100 ]
	[ "$(sed -n 2p "$IN" | tr -d '\n' | wc -c)" -eq 101 ]
	run --separate-stderr ia-collect --max-line 100 < "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(ids)" = '["a","c",null]' ]
	[ "$(out_line a | jq -r '.content | length')" -eq 70 ]
	[ "$(out_line null | jq -c '[.error.stage, .error.message, .line]')" = \
	    '["input","line 2: line longer than --max-line (100 bytes)",2]' ]
}

# --- -r and -0 ------------------------------------------------------------------------

@test "-r: only the contents, as jq -r prints them; failures print nothing" {
	run --separate-stderr ia-collect -r < "$RESULTS"
	[ "$status" -eq 1 ]
	[ "$stderr" = "$NOTE" ]
	expected=$(printf '%s\n' "Answer to: q c-chat" "Answer to: q c-text" "first answer" \
	    "Answer to: q fail-then-ok" "Answer to: q ok-then-fail" "$UNICODE" "$MULTILINE" \
	    "Answer to: q no-usage" "Answer to: q no-finish" null null \
	    "Answer to: q no-dispatch" "Answer to: q g2")
	[ "$output" = "$expected" ]
}

@test "-r -0: each content ends with a NUL, multi-line content whole" {
	ia-collect -r -0 < "$RESULTS" > "$OUT" || [ $? -eq 1 ]
	printf '%s\0' "Answer to: q c-chat" "Answer to: q c-text" "first answer" \
	    "Answer to: q fail-then-ok" "Answer to: q ok-then-fail" "$UNICODE" "$MULTILINE" \
	    "Answer to: q no-usage" "Answer to: q no-finish" null null \
	    "Answer to: q no-dispatch" "Answer to: q g2" > "$T/expected"
	od -c "$OUT"
	cmp "$OUT" "$T/expected"
	# 13 records: the NULs are the only ends.
	[ "$(tr -cd '\0' < "$OUT" | wc -c)" -eq 13 ]
}

@test "-0 without -r or -e is a usage error" {
	run --separate-stderr ia-collect -0 < "$RESULTS"
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *-0* ]]
	run --separate-stderr ia-collect -0 -f tsv < "$RESULTS"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
}

# --- -f ---------------------------------------------------------------------------------

@test "-f openai: Batch output lines for answers and failures" {
	run --separate-stderr ia-collect -f openai < "$RESULTS"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(nlines)" -eq 23 ]
	[ "$(ids)" = "$(jq -c -n --argjson a "$ANSWER_IDS" --argjson f "$FAILURE_IDS" '$a + $f')" ]
	# A success: the completion as the body, the generation id as request_id.
	[ "$(out_line c-chat)" = "$(fixture_line 3 | jq -c '{id: ("batch_req_" + .id),
	    custom_id, response: {status_code: 200, request_id: .id, body: .response}, error: null}')" ]
	[ "$(out_line c-text)" = "$(fixture_line 4 | jq -c '{id: ("batch_req_" + .id),
	    custom_id, response: {status_code: 200, request_id: .id, body: .response}, error: null}')" ]
	[ "$(out_line g2 | jq -c '[.id, .response.request_id]')" = '["batch_req_gen-g2","gen-g2"]' ]
	# A failure: no response, the stage as the code.
	[ "$(out_line c-fail)" = '{"id":null,"custom_id":"c-fail","response":null,"error":{"code":"generation","message":"Inference backend error: upstream timed out"}}' ]
	[ "$(out_line e-submit | jq -c '[.response, .error]')" = '[null,{"code":"submit","message":"HTTP 503: Service Unavailable"}]' ]
	[ "$(out_line acked | jq -c .error.code)" = '"collect"' ]
	[ "$(out_line null | jq -c .error)" = '{"code":"input","message":"line 25: not JSON"}' ]
}

@test "-f openai read back by ia-collect gives the same answers and failures" {
	ia-collect -f openai < "$RESULTS" > "$T/openai" || [ $? -eq 1 ]
	run --separate-stderr ia-collect < "$T/openai"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 1 ]
	direct=$(ia-collect < "$RESULTS" || true)
	# The answers, line for line.
	[ "$(printf '%s\n' "$output" | jq -c 'select(has("content"))')" = \
	    "$(printf '%s\n' "$direct" | jq -c 'select(has("content"))')" ]
	# The failures with a custom_id: the same stages and messages.
	[ "$(printf '%s\n' "$output" | jq -c 'select(has("error") and .custom_id != null) | [.custom_id, .error.stage, .error.message]')" = \
	    "$(printf '%s\n' "$direct" | jq -c 'select(has("error") and .custom_id != null) | [.custom_id, .error.stage, .error.message]')" ]
	# All successes: exit 0 both ways.
	{ gen_ok a "answer a"; gen_ok b "answer b"; } > "$IN"
	# shellcheck disable=SC2016
	run --separate-stderr bash -c 'ia-collect -f openai < "$1" | ia-collect' _ "$IN"
	[ "$status" -eq 0 ]
	[ "$output" = "$(ia-collect < "$IN")" ]
}

@test "-f openai: a failure without a custom_id reads back as a failure" {
	# The line that is not JSON, as -f openai prints it, read again.
	printf 'not JSON\n' | ia-collect -f openai > "$T/openai" || [ $? -eq 1 ]
	cat "$T/openai"
	[ "$(cat "$T/openai")" = '{"id":null,"custom_id":null,"response":null,"error":{"code":"input","message":"line 1: not JSON"}}' ]
	run --separate-stderr ia-collect --summary-json "$T/sum.json" < "$T/openai"
	echo "$output"
	jq -c . "$T/sum.json"
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "$output" | jq -c '[.custom_id, .error.stage, .error.message]')" = \
	    '[null,"input","line 1: not JSON"]' ]
	jq -e '.failed == 1 and .other_records == 0 and .errors == {input: 1}' "$T/sum.json"
}

@test "-f tsv: custom_id, a tab, the content escaped; answers only, no header" {
	ia-collect -f tsv < "$RESULTS" > "$OUT" || [ $? -eq 1 ]
	cat -A "$OUT"
	printf '%s\t%s\n' c-chat "Answer to: q c-chat" c-text "Answer to: q c-text" \
	    dup-ok "first answer" fail-then-ok "Answer to: q fail-then-ok" \
	    ok-then-fail "Answer to: q ok-then-fail" unicode "$UNICODE" \
	    multiline 'line one\n\tcol "quoted", a, b\\c\r\nlast line' \
	    no-usage "Answer to: q no-usage" no-finish "Answer to: q no-finish" \
	    no-choices "" null-content "" no-dispatch "Answer to: q no-dispatch" \
	    g2 "Answer to: q g2" > "$T/expected"
	cmp "$OUT" "$T/expected"
}

@test "-f csv: RFC 4180, header, CRLF, quoted only when needed, exact bytes" {
	ia-collect -f csv < "$RESULTS" > "$OUT" || [ $? -eq 1 ]
	cat -A "$OUT"
	printf '%s,%s\r\n' custom_id content c-chat "Answer to: q c-chat" \
	    c-text "Answer to: q c-text" dup-ok "first answer" \
	    fail-then-ok "Answer to: q fail-then-ok" ok-then-fail "Answer to: q ok-then-fail" \
	    unicode "$UNICODE" \
	    multiline $'"line one\n\tcol ""quoted"", a, b\\c\r\nlast line"' \
	    no-usage "Answer to: q no-usage" no-finish "Answer to: q no-finish" \
	    no-choices "" null-content "" no-dispatch "Answer to: q no-dispatch" \
	    g2 "Answer to: q g2" > "$T/expected"
	cmp "$OUT" "$T/expected"
	# A field with a comma, or a quote, or a custom_id that needs it.
	jq -nc '{custom_id: "a,b", content: "x, y"}, {custom_id: "q", content: "say \"hi\""}' > "$IN"
	run --separate-stderr ia-collect -f csv < "$IN"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\r\n' custom_id,content '"a,b","x, y"' 'q,"say ""hi"""')" ]
	# Nothing to print: the header alone, or nothing; never a failure line.
	gen_failed z "no" > "$IN"
	run --separate-stderr ia-collect -f csv < "$IN"
	[ "$status" -eq 1 ]
	[[ "$output" != *z* ]]
}

@test "-f bogus, -f with -r or -e, and --failed with -r, -e or -f are usage errors" {
	local args
	for args in "-f bogus" "-f tsv -r" "-f csv -e .id" "--failed -r" "--failed -e .id" \
	    "--failed -f openai"; do
		# shellcheck disable=SC2086
		run --separate-stderr ia-collect $args < "$RESULTS"
		echo "$args: $status: $stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ -n "$stderr" ]
	done
	run --separate-stderr ia-collect -f bogus < "$RESULTS"
	[[ "$stderr" == *bogus* ]]
}

# --- -e -----------------------------------------------------------------------------------

@test "-e runs on each generation as it came, and on each failure's error record" {
	run --separate-stderr ia-collect -e '.response.model' < "$RESULTS"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf '"m"\n"text-model"\n'; printf '"m"\n%.0s' $(seq 11);
	    printf 'null\n%.0s' $(seq 10))" ]
	# -r: strings raw.
	run --separate-stderr ia-collect -r -e 'select(.state == "Success") | .response.model' < "$RESULTS"
	[ "$output" = "$(printf 'm\ntext-model\n'; printf 'm\n%.0s' $(seq 11))" ]
	{
		gen_ok a "answer a"
		gen_ok b "answer b" | jq -c '.response.usage.total_tokens = 42'
		gen_failed c "it failed"
	} > "$IN"
	run --separate-stderr ia-collect -e '{id: .custom_id, n: .response.usage.total_tokens}' < "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf '%s\n' '{"id":"a","n":3}' '{"id":"b","n":42}' '{"id":"c","n":null}')" ]
	# Several outputs per record, NUL-ended with -0.
	ia-collect -r -0 -e '.custom_id, .state' < "$IN" > "$OUT" || [ $? -eq 1 ]
	printf '%s\0' a Success b Success c null > "$T/expected"
	cmp "$OUT" "$T/expected"
}

@test "-e failing at run time names the line, the rest goes on, exit 1" {
	{
		gen_ok a "Hello"
		gen_ok b "ignored" | jq -c '.response.choices[0].message.content = 7'
		gen_ok c "World"
	} > "$IN"
	run --separate-stderr ia-collect -r -e '.response.choices[0].message.content | ascii_downcase' < "$IN"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf 'hello\nworld')" ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	[[ "$stderr" == "ia-collect: line 2: -e: "* ]]
}

@test "-e that does not compile is exit 2 before reading" {
	# Standard input stays open (for 5 s): not read, or this would be 124.
	exec 4< <(exec sleep 5 2>/dev/null 3>&-)
	run --separate-stderr timeout 4 ia-collect -e '.[' <&4
	exec 4<&-
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == "ia-collect: -e: "* ]]
}

# --- --failed -----------------------------------------------------------------------------

@test "--failed: the requests that never succeeded, in order; ia-submit takes them" {
	run --separate-stderr ia-collect --failed < "$RESULTS"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 1 ]
	# Requests as they came in the stream; nothing for those answered later;
	# the generation's request for a Failed generation; the earlier request
	# when the last failure had none.
	[ "$(printf '%s\n' "$output" | jq -s -c 'map(.metadata.custom_id)')" = \
	    '["c-fail","e-input","e-submit","e-group","two-fails","c-fail2"]' ]
	[ "$(printf '%s\n' "$output" | sed -n 1p)" = "$(fixture_line 5 | jq -c .request)" ]
	[ "$(printf '%s\n' "$output" | sed -n 2p)" = "$(fixture_line 6 | jq -c .request)" ]
	[ "$(printf '%s\n' "$output" | sed -n 5p)" = "$(fixture_line 16 | jq -c .request)" ]
	# The poll error and the bad line have no request; the two pending ones
	# (acked, g1) are to be followed, not sent again, which could pay twice.
	[ "$stderr" = "$(printf '%s\n' \
	    "ia-collect: 2 failed without a request to resubmit (not in the stream; try --input)" \
	    "ia-collect: 2 still pending, not printed: sending them again could pay twice; follow them with ia-collect --pending | ia-poll" \
	    "$NOTE")" ]
	printf '%s\n' "$output" > "$T/retry"
	run --separate-stderr env -u INFERENCE_API_KEY ia-submit --dry-run < "$T/retry"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$output" != *'"error"'* ]]
	[ "$(grep -c '^POST ' <<<"$output")" -eq 6 ]
	[ "$(grep '^{' <<<"$output")" = "$(cat "$T/retry")" ]
	# Everything answered: nothing to resubmit, exit 0.
	{ gen_failed a "x"; gen_ok a "y"; } > "$IN"
	run --separate-stderr ia-collect --failed < "$IN"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "--failed --input: the requests from the input file, in its order" {
	run --separate-stderr ia-collect --failed --input "$INPUT" < "$RESULTS"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 1 ]
	# In the order of input.jsonl, then e-group (not in it) from the stream;
	# g1 and acked are still pending: followed, not sent again.
	[ "$(printf '%s\n' "$output" | jq -s -c 'map(.metadata.custom_id)')" = \
	    '["two-fails","e-poll","c-fail2","e-submit","c-fail","e-input","e-group"]' ]
	# The original requests, not those carried in the stream.
	[ "$(printf '%s\n' "$output" | sed -n 1p)" = "$(sed -n 1p "$INPUT" | jq -c .)" ]
	[ "$(printf '%s\n' "$output" | sed -n 2p)" = "$(sed -n 5p "$INPUT" | jq -c .)" ]
	[ "$(printf '%s\n' "$output" | sed -n 7p)" = "$(fixture_line 8 | jq -c .request)" ]
	# The Batch line: its body, with its custom_id as metadata.custom_id.
	[ "$(printf '%s\n' "$output" | sed -n 3p | jq -c '[.messages[0].content, .max_tokens]')" = '["original q c-fail2",50]' ]
	# Only the line that was not JSON is left without a request.
	[ "$stderr" = "$(printf '%s\n' \
	    "ia-collect: 1 failed without a request to resubmit (not in the stream nor in --input)" \
	    "ia-collect: 2 still pending, not printed: sending them again could pay twice; follow them with ia-collect --pending | ia-poll" \
	    "$NOTE")" ]
	printf '%s\n' "$output" > "$T/retry"
	run --separate-stderr env -u INFERENCE_API_KEY ia-submit --dry-run < "$T/retry"
	[ "$status" -eq 0 ]
	[[ "$output" != *'"error"'* ]]
	[ "$(grep '^{' <<<"$output" | jq -s -c 'map(.metadata.custom_id)')" = \
	    '["two-fails","e-poll","c-fail2","e-submit","c-fail","e-input","e-group"]' ]
	# An --input that cannot be read.
	run --separate-stderr ia-collect --failed --input "$T/nothing" < "$RESULTS"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *nothing* ]]
}

# --- --sort -------------------------------------------------------------------------------

@test "--sort: everything in custom_id order, failures included, at the end" {
	run --separate-stderr ia-collect --sort < "$RESULTS"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(nlines)" -eq 23 ]
	[ "$(ids)" = "$(jq -c -n --argjson a "$ANSWER_IDS" --argjson f "$FAILURE_IDS" \
	    '($a + $f) | map(select(. != null)) | sort + [null]')" ]
	# The same lines as without --sort.
	[ "$(printf '%s\n' "$output" | sort)" = "$(ia-collect < "$RESULTS" | sort)" ]
	# -r --sort: the contents in custom_id order.
	{ gen_ok b "answer b"; gen_ok c "answer c"; gen_ok a "answer a"; } > "$IN"
	run --separate-stderr ia-collect -r --sort < "$IN"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'answer a\nanswer b\nanswer c')" ]
}

@test "--sort --input: the order of the input file, the rest after" {
	run --separate-stderr ia-collect --sort --input "$INPUT" < "$RESULTS"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(nlines)" -eq 23 ]
	[ "$(ids | jq -c '.[:20]')" = "$(jq -s -c 'map(.metadata.custom_id // .custom_id)' "$INPUT")" ]
	# Not in input.jsonl: after; the record without a custom_id last.
	[ "$(ids | jq -c '.[20:22] | sort')" = '["e-group","no-dispatch"]' ]
	[ "$(ids | jq -c '.[22]')" = null ]
	[ "$(printf '%s\n' "$output" | sort)" = "$(ia-collect < "$RESULTS" | sort)" ]
}

@test "--input without --sort or --failed is a usage error" {
	run --separate-stderr ia-collect --input "$INPUT" < "$RESULTS"
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *--input* ]]
}

# --- --input read as ia-submit read it: -t, -m, --system, --webhook-id, -e ------------------

@test "-t --input: answer i for line i of a text file, repeated lines too, as ia-submit -t assigned the ids" {
	mock_start --complete-after 0.1,0.6
	printf '%s\n' zeta alpha mid alpha 'with "quotes", a comma' alpha omega > "$T/q.txt"
	ia-submit -t -m m < "$T/q.txt" | poll > "$T/res"
	# Without --sort: the order the answers came in, not that of the lines.
	run --separate-stderr ia-collect -r --sort -t -m m --input "$T/q.txt" < "$T/res"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$(sed 's/^/Answer to: /' "$T/q.txt")" ]
	# The same for ia-group, and with --system on both sides.
	ia-group -t -m m --system 'Be brief.' < "$T/q.txt" | poll > "$T/res2"
	run --separate-stderr ia-collect -r --sort -t -m m --system 'Be brief.' \
	    --input "$T/q.txt" < "$T/res2"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$(sed 's/^/Answer to: /' "$T/q.txt")" ]
	# Without --system, no id is found: a usage error, not a wrong order.
	run --separate-stderr ia-collect -r --sort -t -m m --input "$T/q.txt" < "$T/res2"
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == "ia-collect: --input: none of the 7 custom_ids read is in $T/q.txt as read (first: \"req-"* ]]
	[[ "$stderr" == *"read it with the options it was submitted with (-t, -m, --system, --webhook-id; -e as --input-filter)" ]]
}

@test "--input-filter is ia-submit's -e, --webhook-id its --webhook-id: the same ids, the order of the input" {
	mock_start --complete-after 0.1,0.6
	jq -nc '{q: "three"}, {q: "one"}, {q: "two"}, {q: "one"}' > "$T/docs"
	filter='{model: "m", messages: [{role: "user", content: .q}]}'
	ia-submit -e "$filter" --webhook-id hook < "$T/docs" | poll > "$T/res"
	run --separate-stderr ia-collect -r --sort --input-filter "$filter" --webhook-id hook \
	    --input "$T/docs" < "$T/res"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$(printf 'Answer to: %s\n' three one two one)" ]
	# -t with -e: the filter gets each line as a string.
	printf '%s\n' b a b > "$T/q.txt"
	ia-submit -t -e '{model: "m", messages: [{role: "user", content: ("Q: " + .)}]}' \
	    < "$T/q.txt" | poll > "$T/res2"
	run --separate-stderr ia-collect -r --sort -t \
	    --input-filter '{model: "m", messages: [{role: "user", content: ("Q: " + .)}]}' \
	    --input "$T/q.txt" < "$T/res2"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'Answer to: Q: %s\n' b a b)" ]
	# A filter that does not compile: exit 2 before reading.
	run --separate-stderr ia-collect --sort --input-filter '{' --input "$T/docs" < /dev/null
	[ "$status" -eq 2 ]
	[[ "$stderr" == "ia-collect: --input: "* ]]
}

@test "--failed -t --input: the request of each failed line, as ia-submit -t sent it" {
	printf '%s\n' first second first > "$T/q.txt"
	env -u INFERENCE_API_KEY ia-submit --requests-only -t -m m "$T/q.txt" > "$T/reqs"
	id() { sed -n "$1p" "$T/reqs" | jq -r .metadata.custom_id; }
	{ gen_ok "$(id 1)" x; gen_failed "$(id 2)" "bad luck"; gen_failed "$(id 3)" "bad luck"; } > "$IN"
	run --separate-stderr ia-collect --failed -t -m m --input "$T/q.txt" < "$IN"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	[ "$output" = "$(sed -n '2,3p' "$T/reqs")" ]
}

@test "--input of a text file without -t: exit 2, naming the file and line, and -t" {
	printf '%s\n' 'What is 2 + 2?' 'Name a colour.' > "$T/q.txt"
	gen_ok req-0000000000000001 x > "$IN"
	for mode in --sort --failed; do
		run --separate-stderr ia-collect "$mode" --input "$T/q.txt" < "$IN"
		echo "$stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[[ "$stderr" == "ia-collect: --input: no line of $T/q.txt is a request as read ($T/q.txt:1: not JSON: "* ]]
		[[ "$stderr" == *"; is it plain text? read it as ia-submit did: -t -m MODEL" ]]
	done
	# Some lines that give no request: a note naming the first, unless -q.
	{ chat one '{"metadata": {"custom_id": "a"}}'; echo 'not json'; } > "$T/in.jsonl"
	gen_ok a "answer a" > "$IN"
	run --separate-stderr ia-collect --sort --input "$T/in.jsonl" < "$IN"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(jq -r .content <<<"$output")" = "answer a" ]
	[[ "$stderr" == "ia-collect: --input: 1 line of $T/in.jsonl gave no request, as ia-submit gave none (first: $T/in.jsonl:2: not JSON: "* ]]
	run --separate-stderr ia-collect -q --sort --input "$T/in.jsonl" < "$IN"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
}

@test "--sort --input: custom_ids not in the input are printed after, and named in a note unless -q" {
	run --separate-stderr ia-collect --sort --input "$INPUT" < "$RESULTS"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[ "$stderr" = "$(printf '%s\n' \
	    "ia-collect: --input: 2 of the 22 custom_ids read are not in $INPUT, and are printed after the others (first: \"e-group\")" \
	    "$NOTE")" ]
	run --separate-stderr ia-collect -q --sort --input "$INPUT" < "$RESULTS"
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
}

@test "-t, -m, --system, --webhook-id and --input-filter go with --input; -t needs -m" {
	for opt in -t "-m m" "--system s" "--webhook-id w" "--input-filter ."; do
		# shellcheck disable=SC2086 # the option and its value
		run --separate-stderr ia-collect --sort $opt < "$RESULTS"
		echo "$stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ "$stderr" = "ia-collect: ${opt%% *} goes with --input: it says how to read the --input file, as ia-submit read it" ]
	done
	printf 'q\n' > "$T/q.txt"
	run --separate-stderr ia-collect --sort -t --input "$T/q.txt" < "$RESULTS"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == "ia-collect: -t needs -m MODEL or IA_MODEL (or --input-filter), as with ia-submit"* ]]
	run --separate-stderr ia-collect --sort -m m --system s --input "$T/q.txt" < "$RESULTS"
	[ "$status" -eq 2 ]
	[ "$stderr" = "ia-collect: --input: --system goes with -t" ]
	run --separate-stderr ia-collect --sort -m '' --input "$T/q.txt" < "$RESULTS"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
}

# --- what the output cannot show ----------------------------------------------------------

@test "lines that are not results: said once at the end, with the count and the first; exit 0; -q silences it" {
	run --separate-stderr ia-collect <<<'{"a":1}'
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$stderr" = "ia-collect: 1 line was not a result and was skipped (first: line 1)" ]
	run --separate-stderr ia-collect -q <<<'{"a":1}'
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	# Among answers, from a named file: the file and line of the first.
	{ gen_ok a "answer a"; echo 42; echo '[1]'; gen_ok b "answer b"; echo '{"b":2}'; } > "$IN"
	run --separate-stderr ia-collect -r "$IN"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'answer a\nanswer b')" ]
	[ "$stderr" = "ia-collect: 3 lines were not results and were skipped (first: $IN:2)" ]
	run --separate-stderr ia-collect --summary-json "$T/sum.json" -q "$IN"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	jq -e '.other_records == 3' "$T/sum.json"
	# Results alone: nothing said.
	{ gen_ok a "answer a"; gen_ok a "answer a"; } > "$IN"
	run --separate-stderr ia-collect "$IN"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
}

# gen_for CUSTOM_ID PROMPT GENERATION_ID: a Success generation for PROMPT
# under CUSTOM_ID, answered as ia-mock answers, from generation GENERATION_ID.
gen_for() {
	jq -nc --arg c "$1" --arg q "$2" --arg g "$3" '{custom_id: $c, id: $g,
	    state: "Success", request: {model: "m", messages: [{role: "user", content: $q}],
	        metadata: {custom_id: $c}},
	    response: {choices: [{message: {content: ("Answer to: " + $q)}, finish_reason: "stop"}]}}'
}

@test "a custom_id answered for two different requests: said whatever -q, counted in --summary-json; exit status as before" {
	{
		gen_for q1 "first prompt" g1
		gen_for q2 "second prompt" g2
		gen_for q1 "another prompt" g3
		gen_for q3 "third" g4
		# The request differs in its metadata only: the same request.
		jq -c '.request.metadata.webhook_id = "w" | .id = "g5"' <<<"$(gen_for q3 third g4)"
		gen_for q2 "yet another" g6
	} > "$IN"
	run --separate-stderr ia-collect -q -r --summary-json "$T/sum.json" "$IN"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'Answer to: %s\n' "first prompt" "second prompt" third)" ]
	[ "$(grep -c . <<<"$stderr")" -eq 2 ]
	grep -qx 'ia-collect: 2 answers dropped: each answers another request than the one answered under its custom_id (first: "q1"); different requests shared a custom_id: give each its own, or assign ids before splitting the input (ia-submit --requests-only; see ia(7), SHARDING)' <<<"$stderr"
	grep -qx 'ia-collect: 1 answer dropped: it is another generation of the request answered under its custom_id (first: "q3"), which was submitted, and paid for, more than once: assign ids before splitting the input (ia-submit --requests-only; see ia(7), SHARDING)' <<<"$stderr"
	jq -e '.duplicates == 3 and .clashes == {count: 2, first: "q1"}
	    and .extra_generations == {count: 1, first: "q3"}' "$T/sum.json"
	# In the summary too.
	run --separate-stderr ia-collect -s "$IN"
	grep -Eq '^  clashes: +2 answers to another request than their custom_id.s, dropped \(first: q1\)$' <<<"$stderr"
	grep -Eq '^  extra gens: +1 answers from another generation of their request, dropped \(first: q3\)$' <<<"$stderr"
	# The same generation read twice, a failure then a success, answers read
	# again: duplicates, nothing said.
	{ gen_for a x g1; gen_for a x g1; gen_failed b oops; gen_for b y g2; } > "$IN"
	ia-collect -q "$IN" > "$T/answers"
	cat "$T/answers" >> "$IN"
	run --separate-stderr ia-collect --summary-json "$T/sum.json" "$IN"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	jq -e '.duplicates == 4 and .clashes.count == 0 and .extra_generations.count == 0' "$T/sum.json"
}

# --- the summary ----------------------------------------------------------------------------

@test "-s: the counts, stages, top failures, tokens, latency and span on stderr" {
	run --separate-stderr ia-collect -s < "$RESULTS"
	echo "$stderr"
	[ "$status" -eq 1 ]
	# The output is the same as without -s.
	[ "$output" = "$(ia-collect < "$RESULTS")" ]
	first=$(printf '%s\n' "$stderr" | sed -n 1p)
	[ "$first" = "ia-collect: 13 answers, 10 failed (56.5% success); 29 records read, 4 duplicates, 1 recovered by a retry" ]
	stages=$(grep 'failed by stage:' <<<"$stderr")
	for kv in "generation 3" "input 2" "submit 1" "group 1" "poll 1" "collect 2"; do
		[[ "$stages" == *" $kv"* ]]
	done
	# The five most common messages, most common first, ties by message.
	[ "$(grep -E '^ +[0-9]+ x ' <<<"$stderr" | sed 's/^ *//')" = "$(printf '%s\n' \
	    "2 x Inference backend error: upstream timed out" \
	    "1 x HTTP 503: Service Unavailable" \
	    "1 x Inference backend error: out of memory" \
	    "1 x deadline passed: gen-e-poll still Queued" \
	    "1 x group POST: HTTP 500: Internal Server Error")" ]
	grep -Eq 'tokens: +50 prompt, 50 completion, 100 total \(7\.7 per answer\)' <<<"$stderr"
	grep -Eq 'latency: +p50 3\.0[0-6] s, p90 20\.00 s, max 20\.00 s' <<<"$stderr"
	grep -Eq 'span: +100\.0 s, 0\.13 answers/s' <<<"$stderr"
	grep -Eq 'not results: +1 ' <<<"$stderr"
}

@test "--summary-json: the exact numbers for the fixture" {
	run --separate-stderr ia-collect -q --summary-json "$T/sum.json" < "$RESULTS"
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	[ "$output" = "$(ia-collect < "$RESULTS")" ]
	jq . "$T/sum.json"
	[ "$(jq -c '[.records, .success, .failed, .recovered, .duplicates, .other_records]' "$T/sum.json")" = '[29,13,10,1,4,1]' ]
	# dup-ok's second answer is the same generation again: no clash.
	jq -e '.clashes == {count: 0, first: null} and .extra_generations == {count: 0, first: null}' "$T/sum.json"
	jq -e '.success_rate == 13 / 23' "$T/sum.json"
	jq -e '.errors == {generation: 3, input: 2, submit: 1, group: 1, poll: 1, collect: 2}' "$T/sum.json"
	jq -e '.top_failures == [
	    {message: "Inference backend error: upstream timed out", count: 2},
	    {message: "HTTP 503: Service Unavailable", count: 1},
	    {message: "Inference backend error: out of memory", count: 1},
	    {message: "deadline passed: gen-e-poll still Queued", count: 1},
	    {message: "group POST: HTTP 500: Internal Server Error", count: 1}]' "$T/sum.json"
	jq -e '.tokens == {prompt: 50, completion: 50, total: 100,
	    average_per_answer: (100 / 13), average_completion: (50 / 13)}' "$T/sum.json"
	# Latencies 1 1 2 2 3 3 3 3 3 20 20 20 s: p50 3, p90 20, max 20, to 2%.
	jq -e 'def near($x): (. - $x) as $d | ($d * $d) <= (0.02 * $x) * (0.02 * $x);
	    .latency_seconds | (.p50 | near(3)) and (.p90 | near(20)) and .max == 20' "$T/sum.json"
	jq -e '.span_seconds == 100 and .answers_per_second == 0.13' "$T/sum.json"
	# Nothing known: nulls, not zeros.
	: > "$IN"
	run --separate-stderr ia-collect --summary-json "$T/empty.json" < "$IN"
	[ "$status" -eq 0 ]
	jq -e '.records == 0 and .success == 0 and .failed == 0 and .success_rate == null
	    and .latency_seconds == {p50: null, p90: null, max: null} and .span_seconds == null
	    and .tokens.average_per_answer == null' "$T/empty.json"
	# A file that cannot be written.
	run --separate-stderr ia-collect --summary-json "$T/no/such/dir/sum.json" < "$RESULTS"
	[ "$status" -eq 2 ]
}

@test "no summary when stderr is not a terminal or with -q; one on a terminal" {
	run --separate-stderr ia-collect < "$RESULTS"
	[ "$status" -eq 1 ]
	[ "$stderr" = "$NOTE" ]
	run --separate-stderr ia-collect -q < "$RESULTS"
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	# On a terminal (script(1) gives one): a summary, unless -q.
	export RESULTS
	# shellcheck disable=SC2016
	run script -qec 'ia-collect < "$RESULTS" > /dev/null' /dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"ia-collect: 13 answers, 10 failed"* ]]
	# shellcheck disable=SC2016
	run script -qec 'ia-collect -q < "$RESULTS" > /dev/null' /dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
}

# --- pending -----------------------------------------------------------------------------

@test "submitted with no result: a collect failure naming the id or group, that ia-poll can follow" {
	mock_start --complete-after 0.1,0.3 --group-delay 0.1
	reqs 2 a > "$T/in-a"
	reqs 3 b > "$T/in-b"
	ia-submit < "$T/in-a" > "$T/acks"
	ia-group < "$T/in-b" > "$T/groups"
	cat "$T/acks" "$T/groups" > "$T/stream"
	run --separate-stderr ia-collect < "$T/stream"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(nlines)" -eq 5 ]
	[ "$(printf '%s\n' "$output" | jq -s -c 'map(.custom_id) | sort')" = '["a1","a2","b1","b2","b3"]' ]
	[ "$(printf '%s\n' "$output" | jq -s 'all(.error.stage == "collect")')" = true ]
	id=$(jq -r 'select(.custom_id == "a1") | .id' "$T/acks")
	[ "$(out_line a1 | jq -r .error.message)" = "no result in the input: submitted as $id (follow it with ia-poll)" ]
	[ "$(out_line a1 | jq -c .request)" = "{\"id\":\"$id\",\"custom_id\":\"a1\"}" ]
	gid=$(jq -r .group_id "$T/groups")
	[ "$(out_line b2 | jq -r .error.message)" = "no result in the input: submitted in group $gid (follow it with ia-poll)" ]
	[ "$(out_line b2 | jq -c .request)" = "{\"group_id\":\"$gid\",\"custom_ids\":[\"b2\"]}" ]
	# Each request, given to ia-poll, brings its answer.
	printf '%s\n' "$output" | jq -c .request | poll > "$T/polled"
	[ "$(jq -s -c 'map(select(.state == "Success")) | map(.custom_id) | sort' "$T/polled")" = '["a1","a2","b1","b2","b3"]' ]
	[ "$(jq -r 'select(.custom_id == "b3") | .response.choices[0].message.content' "$T/polled")" = "Answer to: question b3" ]
	# A generation still Queued and never final: the same, with its id.
	jq -c 'select(.custom_id == "a1") | .response = null | .state = "Queued"' "$T/polled" > "$T/queued"
	run --separate-stderr ia-collect "$T/queued"
	[ "$status" -eq 1 ]
	[ "$(jq -r .error.message <<<"$output")" = "no result in the input: submitted as $id (follow it with ia-poll)" ]
	[ "$(jq -c .request <<<"$output")" = "{\"id\":\"$id\",\"custom_id\":\"a1\"}" ]
	run --separate-stderr ia-collect "$T/stream" "$T/polled"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 5 ]
	[ "$(printf '%s\n' "$output" | jq -s 'all(.content == "Answer to: question " + .custom_id)')" = true ]
}

# --- the retry loop ----------------------------------------------------------------------------

@test "the retry loop converges: every answer exactly once, with the right content" {
	mock_start --fail-rate 0.2 --complete-after 0.1,0.5
	reqs 50 > "$IN"
	all=$T/all
	ia-submit < "$IN" | poll >> "$all" || true
	rounds=0 retried=0
	while ! ia-collect -q < "$all" > /dev/null; do
		[ "$rounds" -lt 8 ]
		rounds=$((rounds + 1))
		ia-collect --failed < "$all" > "$T/retry" || true
		# What --failed gives is what ia-collect counts as failed.
		[ "$(grep -c . "$T/retry")" -eq "$(ia-collect < "$all" | grep -c '"error"')" ]
		[ -s "$T/retry" ]
		retried=$((retried + $(grep -c . "$T/retry")))
		ia-submit < "$T/retry" | poll >> "$all" || true
	done
	echo "converged after $rounds rounds, $retried requests retried"
	# With --fail-rate 0.2 some failed the first time (0.8^50 otherwise).
	[ "$rounds" -ge 1 ]
	run --separate-stderr ia-collect --summary-json "$T/sum.json" < "$all"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 50 ]
	[ "$(printf '%s\n' "$output" | jq -s -c 'map(.custom_id) | sort')" = "$(jq -s -c 'map(.metadata.custom_id) | sort' "$IN")" ]
	bad=$(printf '%s\n' "$output" | jq -c 'select(.content != "Answer to: question " + .custom_id)')
	[ -z "$bad" ]
	jq -e --argjson n "$retried" '.success == 50 and .failed == 0 and .recovered >= 1
	    and .records == 50 + $n' "$T/sum.json"
	run --separate-stderr ia-collect --failed < "$all"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

# --- --skip-done ------------------------------------------------------------------------------

@test "--skip-done: ia-submit submits nothing again for a finished job" {
	mock_start --complete-after 0.1,0.3
	reqs 10 > "$IN"
	ia-submit < "$IN" | poll > "$T/results.jsonl"
	[ "$(grep -c . "$T/results.jsonl")" -eq 10 ]
	before=$(stats '.requests["POST /v1/async/chat/completions"]')
	[ "$before" -eq 10 ]
	run --separate-stderr ia-submit --skip-done "$T/results.jsonl" < "$IN"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$stderr" = "ia-submit: 10 already done in $T/results.jsonl, not submitted again" ]
	[ "$(stats '.requests["POST /v1/async/chat/completions"]')" -eq 10 ]
	# ia-collect's answers, and Batch output lines, count as done too.
	ia-collect < "$T/results.jsonl" > "$T/answers.jsonl"
	ia-collect -f openai < "$T/results.jsonl" > "$T/openai.jsonl"
	for f in answers openai; do
		run --separate-stderr ia-submit --skip-done "$T/$f.jsonl" < "$IN"
		[ "$status" -eq 0 ]
		[ -z "$output" ]
		[ "$stderr" = "ia-submit: 10 already done in $T/$f.jsonl, not submitted again" ]
	done
	[ "$(stats '.requests["POST /v1/async/chat/completions"]')" -eq 10 ]
}

@test "--skip-done: assigned custom_ids (req-<hash>) are the same on every run, so they count" {
	mock_start --complete-after 0.1,0.3 --group-delay 0.1
	for i in 1 2 3 4; do chat "assigned $i"; done > "$IN"
	ia-submit < "$IN" | poll > "$T/results.jsonl"
	[ "$(jq -s 'map(.custom_id | test("^req-[0-9a-f]{16}$")) | all and length == 4' "$T/results.jsonl")" = true ]
	for tool in ia-submit ia-group; do
		run --separate-stderr "$tool" --skip-done "$T/results.jsonl" < "$IN"
		echo "$stderr"
		[ "$status" -eq 0 ]
		[ -z "$output" ]
		[ "$stderr" = "$tool: 4 already done in $T/results.jsonl, not submitted again" ]
	done
	[ "$(stats '.requests["POST /v1/async/chat/completions"]')" -eq 4 ]
	[ "$(stats '.requests["POST /v1/async/group/chat/completions"]')" -eq 0 ]
	# A new request among them is the only one sent.
	chat "assigned 5" >> "$IN"
	run --separate-stderr ia-submit --skip-done "$T/results.jsonl" < "$IN"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 1 ]
	[ "$stderr" = "ia-submit: 4 already done in $T/results.jsonl, not submitted again" ]
	[ "$(stats '.requests["POST /v1/async/chat/completions"]')" -eq 5 ]
}

@test "--skip-done: ia-group submits nothing again for a finished job" {
	mock_start --complete-after 0.1,0.3 --group-delay 0.1
	reqs 10 > "$IN"
	ia-group < "$IN" | poll > "$T/results.jsonl"
	ia-collect < "$T/results.jsonl" > "$T/answers.jsonl"
	[ "$(grep -c . "$T/answers.jsonl")" -eq 10 ]
	before=$(stats '.requests["POST /v1/async/group/chat/completions"]')
	[ "$before" -eq 1 ]
	for f in results answers; do
		run --separate-stderr ia-group --skip-done "$T/$f.jsonl" < "$IN"
		echo "$stderr"
		[ "$status" -eq 0 ]
		[ -z "$output" ]
		[ "$stderr" = "ia-group: 10 already done in $T/$f.jsonl, not submitted again" ]
	done
	[ "$(stats '.requests["POST /v1/async/group/chat/completions"]')" -eq 1 ]
	[ "$(stats '.requests["POST /v1/async/chat/completions"]')" -eq 0 ]
}

@test "--skip-done: a partly done job submits only what is left" {
	mock_start --complete-after 0.1,0.3 --group-delay 0.1
	reqs 10 > "$IN"
	# A job killed after 6 answers, one failure among them.
	head -n 6 "$IN" | ia-submit | poll > "$T/results.jsonl"
	gen_failed c7 "Inference backend error: upstream timed out" >> "$T/results.jsonl"
	run --separate-stderr ia-submit --skip-done "$T/results.jsonl" < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -s -c 'map(.custom_id) | sort')" = '["c10","c7","c8","c9"]' ]
	[ "$stderr" = "ia-submit: 6 already done in $T/results.jsonl, not submitted again" ]
	[ "$(stats '.requests["POST /v1/async/chat/completions"]')" -eq 10 ]
	# The same with ia-group, and the whole job then has every answer.
	run --separate-stderr ia-group --skip-done "$T/results.jsonl" < "$IN"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -s -c 'map(.custom_ids[]) | sort')" = '["c10","c7","c8","c9"]' ]
	[ "$stderr" = "ia-group: 6 already done in $T/results.jsonl, not submitted again" ]
	printf '%s\n' "$output" | poll >> "$T/results.jsonl"
	run --separate-stderr ia-collect < "$T/results.jsonl"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 10 ]
}

@test "--skip-done with a file that cannot be read is exit 2, and nothing is sent" {
	mock_start
	reqs 3 > "$IN"
	for tool in ia-submit ia-group; do
		run --separate-stderr "$tool" --skip-done "$T/missing.jsonl" < "$IN"
		echo "$stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[[ "$stderr" == "$tool: --skip-done: $T/missing.jsonl: "* ]]
	done
	[ "$(stats '.requests.total')" -eq 0 ]
}

# --- memory -------------------------------------------------------------------------------------

# maxrss FILE [OPTIONS]: the peak resident set of ia-collect -q OPTIONS < FILE
# > /dev/null, in kB.  GNU time when there is one; else VmHWM sampled from
# /proc while it runs.
maxrss() {
	local f=$1
	shift
	# Under make sanitize, ASan's quarantine of freed memory would be
	# measured instead of ia-collect's own.
	local ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
	export ASAN_OPTIONS
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f %M -o "$T/rss" ia-collect -q "$@" < "$f" > /dev/null || return 1
		tail -n 1 "$T/rss"
		return
	fi
	local pid hwm=0 v
	ia-collect -q "$@" < "$f" > /dev/null &
	pid=$!
	while v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) && [ -n "$v" ]; do
		hwm=$v
		sleep 0.01
	done
	wait "$pid" || return 1
	echo "$hwm"
}

@test "memory stays flat when streaming: 100000 answers take little more than 20000" {
	# Answers of about 1 kB each, all different custom_ids.
	awk -v n=100000 'BEGIN {
		s = sprintf("%1000s", ""); gsub(/ /, "x", s)
		for (i = 1; i <= n; i++)
			printf "{\"custom_id\":\"r%d\",\"id\":\"gen-%d\",\"state\":\"Success\",\"stateMessage\":\"Completed\",\"request\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"q %d\"}],\"metadata\":{\"custom_id\":\"r%d\"}},\"response\":{\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"%d %s\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":250,\"total_tokens\":252}},\"dispatchedAt\":\"2026-01-01T00:00:00.000Z\",\"finishedAt\":\"2026-01-01T00:00:0%d.000Z\"}\n", i, i, i, i, i, s, 1 + i % 9
	}' > "$T/big"
	head -n 20000 "$T/big" > "$T/small"
	small=$(maxrss "$T/small")
	big=$(maxrss "$T/big" --summary-json "$T/sum.json")
	# It was read whole.
	jq -e '.success == 100000 and .failed == 0' "$T/sum.json"
	size=$(($(wc -c < "$T/big") / 1024))
	echo "max RSS: $small kB for 20000 answers, $big kB for 100000 ($size kB of input)"
	[ "$big" -lt $((2 * small + 8192)) ]
	[ "$big" -lt $((size / 4)) ]
}

# --- options and the key ----------------------------------------------------------------------

@test "-h prints the usage, -V the version, an unknown option is exit 2" {
	run --separate-stderr ia-collect -h
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$(printf '%s\n' \
	    'usage: ia-collect [-0hqrsV] [-e filter] [-f format] [--failed] [--sort]' \
	    '                  [--input file [-t] [-m model] [--system text]' \
	    '                  [--webhook-id id] [--input-filter filter]]' \
	    '                  [--summary-json file] [--max-line bytes] [file ...]' \
	    '       ia-collect --pending | --status [file ...]')" ]
	if [ -f "$IA_TOP/man/ia-collect.1" ]; then
		# The same as the man page's SYNOPSIS, white space aside.
		words() { tr -s ' \t\n' ' ' | sed 's/^ *usage: *//; s/^ *//; s/ *$//'; }
		[ "$(printf '%s\n' "$output" | words)" = "$(mandoc -Tascii "$IA_TOP/man/ia-collect.1" |
		    col -b | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | words)" ]
	fi
	run --separate-stderr ia-collect --help
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: ia-collect "* ]]
	run --separate-stderr ia-collect -V
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^ia-collect\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	run --separate-stderr ia-collect --no-such-option < "$RESULTS"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *"usage: ia-collect"* ]]
	run --separate-stderr ia-collect -x < "$RESULTS"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	# An output that cannot be written: exit 2, with a message.
	# shellcheck disable=SC2016
	run --separate-stderr bash -c 'ia-collect < "$1" > /dev/full' _ "$RESULTS"
	echo "$stderr"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *stdout* ]]
	run --separate-stderr ia-collect --max-line 0 < "$RESULTS"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
}

@test "no API key needed, and no network: the same output without one" {
	run --separate-stderr env -u INFERENCE_API_KEY INFERENCE_BASE_URL=https://192.0.2.1 \
	    ia-collect < "$RESULTS"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[ "$stderr" = "$NOTE" ]
	[ "$output" = "$(ia-collect < "$RESULTS")" ]
	[ "$(nlines)" -eq 23 ]
}

# --- a closed pipe -------------------------------------------------------------------------------

@test "a reader that goes away ends ia-collect without a message" {
	local opts
	awk 'BEGIN { for (i = 1; i <= 20000; i++) printf "{\"custom_id\":\"p%d\",\"content\":\"answer %d\"}\n", i, i }' > "$IN"
	for opts in "" "-r" "-f csv" "--sort"; do
		# shellcheck disable=SC2016
		run --separate-stderr bash -c 'timeout 30 ia-collect $2 < "$1" | head -n 1; echo "rc ${PIPESTATUS[0]}"' _ "$IN" "$opts"
		echo "[$opts] $output / $stderr"
		[ "$(nlines)" -eq 2 ]
		[ -z "$stderr" ]
		[[ "$(printf '%s\n' "$output" | sed -n 2p)" =~ ^rc\ (141|0)$ ]]
	done
}

@test "odd records do not break -f openai: an error without a message has a null one" {
	echo '{"custom_id":"m","error":{"stage":"submit"}}' > "$T/odd"
	run --separate-stderr ia-collect -f openai "$T/odd"
	echo "$output $stderr"
	[ "$status" -eq 1 ]
	[ "$output" = '{"id":null,"custom_id":"m","response":null,"error":{"code":"submit","message":null}}' ]
}

@test "-e: debug writes to stderr, inputs finds no more input, import finds no module" {
	run --separate-stderr ia-collect -e 'debug | .custom_id' "$RESULTS"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *'["DEBUG:",{"custom_id":'* ]]
	run --separate-stderr ia-collect -q -e '[inputs]' "$RESULTS"
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	[ "$(echo "$output" | sort -u)" = "[]" ]
	run --separate-stderr ia-collect -e 'import "x" as x; .' "$RESULTS"
	[ "$status" -eq 2 ]
	[[ "$stderr" == "ia-collect: -e: "* ]]
	# The same program handling in ia-submit.
	run --separate-stderr ia-submit --dry-run -e 'debug' <<< "$(chat hi)"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *'["DEBUG:",{"model":"test-model"'* ]]
}

@test "-e: halt_error is an error for that record, named on stderr" {
	run --separate-stderr ia-collect -e 'if .custom_id == "c-chat" then "stop\n" | halt_error else .custom_id end' "$RESULTS"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"-e: stop"* ]]
}

@test "--input that cannot be read is exit 2, at once" {
	run --separate-stderr timeout 10 ia-collect --failed --input "$T" "$RESULTS"
	echo "$stderr"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--input: $T: Is a directory"* ]]
	run --separate-stderr ia-collect --sort --input "$T/nonexistent" "$RESULTS"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
}

@test "-f csv has its header even when there is no answer" {
	run --separate-stderr ia-collect -f csv < /dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'custom_id,content\r')" ]
}

@test "--max-line takes a size with a suffix, as the other tools do" {
	run --separate-stderr ia-collect --max-line 1K "$RESULTS"
	[ "$status" -eq 1 ]
	[ -n "$output" ]
	run --separate-stderr ia-collect --max-line 2G "$RESULTS"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--max-line: 2G: must be a size in bytes"* ]]
}

@test "messages about a line of a named file name the file" {
	printf '{"custom_id":"a","content":"x"}\nnot json\n' > "$T/f.jsonl"
	run --separate-stderr ia-collect "$T/f.jsonl"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r 'select(.error) | .error.message')" = "$T/f.jsonl:2: not JSON" ]
}

@test "a bad input file is exit 2 before --summary-json is written or the CSV header printed" {
	run --separate-stderr ia-collect -f csv --summary-json "$T/s.json" "$T/nonexistent"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ ! -e "$T/s.json" ]
}

@test "--failed keeps the request that can be resubmitted when a later failure carries only an id" {
	{
		jq -nc --argjson r "$(chat again '{"metadata": {"custom_id": "k"}}')" \
		    '{custom_id: "k", error: {stage: "submit", status: 503, message: "busy", attempts: 8}, request: $r, line: 1}'
		echo '{"custom_id":"k","error":{"stage":"poll","status":null,"message":"deadline passed","attempts":1},"request":{"id":"g1","custom_id":"k"},"line":1}'
	} > "$T/two"
	run --separate-stderr ia-collect --failed "$T/two"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -c '[.messages[0].content, .metadata.custom_id]')" = '["again","k"]' ]
	# The failure printed is the last one, with that request.
	run --separate-stderr ia-collect "$T/two"
	[ "$(echo "$output" | jq -c '[.error.stage, .request.messages[0].content]')" = '["poll","again"]' ]
}

@test "a generation still running without an id, and a group record without custom_ids, end without a crash" {
	printf '%s\n' '{"custom_id":"x","state":"Queued"}' '{"group_id":"G"}' > "$T/odd"
	run --separate-stderr ia-collect --summary-json "$T/s.json" "$T/odd"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -c '[.custom_id, .error.stage, .error.message, .request]')" = \
	    '["x","collect","no result in the input: still running when last seen",{"id":null,"custom_id":"x"}]' ]
	[ "$(jq -c '[.failed, .other_records]' "$T/s.json")" = '[1,1]' ]
}

@test "--failed leaves out what the server refused (4xx but 408, 429): the same request would be refused again" {
	{
		jq -nc '{custom_id: "r400", error: {stage: "submit", status: 400, message: "HTTP 400: model", attempts: 1},
		    request: {model: "nope", messages: [{role: "user", content: "q"}], metadata: {custom_id: "r400"}}, line: 1}'
		jq -nc '{custom_id: "r429", error: {stage: "group", status: 429, message: "HTTP 429", attempts: 9},
		    request: {model: "m", messages: [{role: "user", content: "q"}], metadata: {custom_id: "r429"}}, line: 2}'
	} > "$IN"
	run --separate-stderr ia-collect --failed < "$IN"
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "$output" | jq -r .metadata.custom_id)" = r429 ]
	[ "$stderr" = "ia-collect: 1 refused by the server (4xx), not printed: the same request would be refused again" ]
}

@test "--pending: every submission with no result, one record a group; --status counts; any order of files" {
	printf '%s\n' '{"custom_id":"a","id":"g1"}' '{"custom_id":"a","id":"g2"}' \
	    '{"group_id":"G","custom_ids":["c","d"]}' '{"custom_id":"e","id":"g5"}' > "$T/journal"
	printf '%s\n' '{"custom_id":"a","id":"g1","state":"Failed","stateMessage":"x"}' \
	    '{"custom_id":"a","id":"g1","state":"Failed","stateMessage":"x"}' \
	    '{"custom_id":"e","id":"g5","state":"Success","response":{"choices":[{"message":{"content":"ok"}}]}}' \
	    > "$T/results"
	run --separate-stderr ia-collect --pending "$T/journal" "$T/results"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$(printf '%s\n' '{"id":"g2","custom_id":"a"}' '{"group_id":"G","custom_ids":["c","d"]}')" ]
	run --separate-stderr ia-collect --pending "$T/results" "$T/journal"
	[ "$output" = "$(printf '%s\n' '{"id":"g2","custom_id":"a"}' '{"group_id":"G","custom_ids":["c","d"]}')" ]
	run --separate-stderr ia-collect --status "$T/results" "$T/journal"
	[ "$status" -eq 0 ]
	[ "$output" = "submitted 4, done 1, failed 0, pending 3" ]
	run --separate-stderr ia-collect --pending --status "$T/journal"
	[ "$status" -eq 2 ]
	[ "$stderr" = "ia-collect: --pending and --status go alone" ]
}
