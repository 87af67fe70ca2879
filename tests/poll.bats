#!/usr/bin/env bats
# ia-poll(1) against ia-mock, alone and as ia-submit | ia-poll: the input forms
# and custom_ids, pass-through of records, Failed generations, the deadline
# and the grace for 404s, the stream contract under faults, streaming,
# --once --pending, the key, the options and the adaptive schedule.

load helper
bats_require_minimum_version 1.5.0

# post CONTENT [CUSTOM_ID]: submit one chat request straight to the mock
# (not through ia-submit) and print the generation id.
post() {
	local code x='{}'
	[ $# -lt 2 ] || x="{\"metadata\": {\"custom_id\": \"$2\"}}"
	code=$(http POST /v1/async/chat/completions "$(chat "$1" "$x")")
	if [ "$code" != 200 ]; then
		echo "POST: HTTP $code: $(body)" >&2
		return 1
	fi
	body | jq -r .id
}

# bg_wait: wait for the ia-poll the test started in the background
# ($BG_PIDS, which teardown then leaves alone); its exit status in $rc.
bg_wait() {
	rc=0
	wait "$BG_PIDS" || rc=$?
	BG_PIDS=
}

# --- the pipeline ------------------------------------------------------------------

@test "ia-submit | ia-poll: one generation per request, custom_id first, the right answer" {
	mock_start --complete-after 0.2,1
	reqs 20 > "$IN"
	run bash -c 'set -o pipefail; ia-submit < "$1" | ia-poll "${@:3}" > "$2"' _ \
	    "$IN" "$OUT" "${POLL_OPTS[@]}"
	echo "$output"
	cat "$OUT"
	[ "$status" -eq 0 ]
	[ "$(file_lines "$OUT")" -eq 20 ]
	[ "$(jq -s 'all(keys_unsorted[0] == "custom_id")' "$OUT")" = true ]
	[ "$(jq -s 'all(.state == "Success")' "$OUT")" = true ]
	check_answers "$IN" "$OUT"
	# Each generation was fetched, and no request was made twice.
	[ "$(stats .generations.total)" -eq 20 ]
}

@test "the custom_id of the input record wins; without one it is request.metadata.custom_id" {
	mock_start --complete-after 0.2,0.5
	id1=$(post "first" theirs1)
	id2=$(post "second" theirs2)
	id3=$(post "third" theirs3)
	id4=$(post "fourth")
	{
		printf '{"custom_id": "mine1", "id": "%s"}\n' "$id1"
		printf '{"id": "%s"}\n' "$id2"
		printf '%s\n' "$id3"
		printf '{"id": "%s"}\n' "$id4"
	} > "$IN"
	run --separate-stderr poll < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 4 ]
	[ "$(printf '%s\n' "$output" | jq -s 'all(keys_unsorted[0] == "custom_id")')" = true ]
	g() { printf '%s\n' "$output" | jq -c --arg id "$1" 'select(.id == $id) | [.custom_id, .request.metadata.custom_id, .response.choices[0].message.content]'; }
	[ "$(g "$id1")" = '["mine1","theirs1","Answer to: first"]' ]
	[ "$(g "$id2")" = '["theirs2","theirs2","Answer to: second"]' ]
	[ "$(g "$id3")" = '["theirs3","theirs3","Answer to: third"]' ]
	# No custom_id anywhere: null, still first.
	[ "$(g "$id4")" = '[null,null,"Answer to: fourth"]' ]
}

@test "bare ids: a plain id line and a JSON string line are followed" {
	mock_start --complete-after 0.2,0.5
	id1=$(post "plain" p1)
	id2=$(post "quoted" p2)
	printf '%s\n"%s"\n' "$id1" "$id2" > "$IN"
	run --separate-stderr poll < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 2 ]
	[ "$(printf '%s\n' "$output" | jq -c --arg id "$id1" 'select(.id == $id) | [keys_unsorted[0], .custom_id, .state, .response.choices[0].message.content]')" = \
	    '["custom_id","p1","Success","Answer to: plain"]' ]
	[ "$(printf '%s\n' "$output" | jq -c --arg id "$id2" 'select(.id == $id) | [keys_unsorted[0], .custom_id, .state, .response.choices[0].message.content]')" = \
	    '["custom_id","p2","Success","Answer to: quoted"]' ]
}

# --- pass-through --------------------------------------------------------------------

@test "error records, generations and unknown records pass through byte for byte, at once" {
	mock_start --complete-after 2,2
	slow=$(post "slow one" s1)
	other=$(post "not to be followed" s2)
	pass=$BATS_TEST_TMPDIR/pass
	# Odd spacing and key order: a re-encoded record would differ.
	{
		echo '{"custom_id":"x",  "error":{"stage":"input","status":null,"message":"line 1: not JSON","attempts":0},"request":null,"line":1}'
		printf '{"state": "Success",  "id": "%s", "custom_id": "old"}\n' "$other"
		echo '{"foo":1}'
	} > "$pass"
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	poll < "$BATS_TEST_TMPDIR/fifo" > "$OUT" 2>/dev/null 3>&- &
	BG_PIDS=$!
	exec 4> "$BATS_TEST_TMPDIR/fifo"
	printf '{"custom_id": "s1", "id": "%s"}\n' "$slow" >&4
	cat "$pass" >&4
	# Out before the generation (2 s) and before the input ends.
	wait_lines "$OUT" 3 1
	cat "$OUT"
	[ "$(file_lines "$OUT")" -eq 3 ]
	cmp "$pass" "$OUT"
	kill -0 "$BG_PIDS"
	exec 4>&-
	bg_wait
	cat "$OUT"
	# The error record makes it exit 1.
	[ "$rc" -eq 1 ]
	[ "$(file_lines "$OUT")" -eq 4 ]
	[ "$(sed -n 4p "$OUT" | jq -c '[.custom_id, .state, .response.choices[0].message.content]')" = \
	    '["s1","Success","Answer to: slow one"]' ]
	# The record with a state was not followed.
	[ "$(jq -s --arg id "$other" 'map(select(.id == $id)) | length' "$OUT")" -eq 1 ]
}

@test "unknown records alone pass through and give exit 0, without a request" {
	mock_start
	printf '%s\n' '{"foo":1}' '[1, 2]' '{"id": 5}' '42' > "$IN"
	run --separate-stderr poll < "$IN"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "$IN")" ]
	# A Failed generation passed through counts as a failure (ia-poll(1)).
	printf '%s\n' '{"foo":1}' '{"custom_id": "f", "id": "gone", "state": "Failed", "stateMessage": "no"}' > "$IN"
	run --separate-stderr poll < "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "$(cat "$IN")" ]
	[ "$(stats .requests.total)" -eq 0 ]
}

# --- failures ------------------------------------------------------------------------

@test "Failed generations are printed with state Failed and a stateMessage, exit 1" {
	mock_start --fail-rate 1 --complete-after 0.2,0.5
	reqs 3 > "$IN"
	run bash -c 'ia-submit < "$1" | ia-poll "${@:3}" > "$2"' _ "$IN" "$OUT" "${POLL_OPTS[@]}"
	echo "$output"
	cat "$OUT"
	[ "$status" -eq 1 ]
	[ "$(file_lines "$OUT")" -eq 3 ]
	[ "$(jq -s -c 'map(.custom_id) | sort' "$OUT")" = '["c1","c2","c3"]' ]
	[ "$(jq -s 'all(keys_unsorted[0] == "custom_id" and .state == "Failed"
	    and (.stateMessage | type == "string" and length > 0) and (has("response") | not))' "$OUT")" = true ]
}

@test "--deadline: a generation still running becomes a poll error record, and the run ends" {
	mock_start --complete-after 30
	id=$(post "too slow" d0)
	printf '{"custom_id": "d1", "id": "%s"}\n' "$id" > "$IN"
	t=$(now)
	run --separate-stderr poll --deadline 1 < "$IN"
	took=$(since "$t")
	echo "$output"
	echo "took $took s"
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
	[ "$(jq -c '[.custom_id, .error.stage, .line]' <<<"$output")" = '["d1","poll",1]' ]
	[[ "$(jq -r .error.message <<<"$output")" == "deadline passed"* ]]
	[ "$(jq -r .error.status <<<"$output")" -eq 200 ]
	[ "$(jq -c --arg id "$id" '.request == {custom_id: "d1", id: $id}' <<<"$output")" = true ]
	# Its last poll falls on the deadline, not before (ia-poll(1)).
	ge "$took" 1
	lt "$took" 4
}

@test "an unknown id is a poll error 404 once --grace has passed, not before" {
	mock_start
	t=$(now)
	run --separate-stderr poll --grace 1 <<< "noSuchGenerationId123"
	took=$(since "$t")
	echo "$output"
	echo "took $took s"
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
	[ "$(jq -c '[.custom_id, .error.stage, .error.status, .request.id, .line]' <<<"$output")" = \
	    '[null,"poll",404,"noSuchGenerationId123",1]' ]
	ge "$took" 1
	lt "$took" 5
	# It asked again within the grace.
	[ "$(gets)" -ge 3 ]
}

@test "within --grace a 404 is retried, and an id that appears late is followed" {
	# ia-mock's ids depend only on --seed: learn the first id, then restart
	# the mock so that the id is unknown until it is created again.
	mock_start --seed 3
	id=$(post "late comer" late)
	mock_stop
	mock_start --seed 3 --complete-after 0.2,0.2
	printf '{"custom_id": "late", "id": "%s"}\n' "$id" > "$IN"
	poll --grace 10 < "$IN" > "$OUT" 2>/dev/null 3>&- &
	BG_PIDS=$!
	sleep 1
	[ "$(stats '.responses["404"]')" -ge 1 ]
	[ "$(post "late comer" late)" = "$id" ]
	bg_wait
	cat "$OUT"
	[ "$rc" -eq 0 ]
	[ "$(jq -c '[.custom_id, .id, .state, .response.choices[0].message.content]' "$OUT")" = \
	    "$(jq -nc --arg id "$id" '["late", $id, "Success", "Answer to: late comer"]')" ]
}

# --- the stream contract under faults ----------------------------------------------------

@test "under faults, 300 requests through ia-submit | ia-poll come out exactly once" {
	mock_start --seed 9 --error-rate 0.1 --429-rate 0.05 --reset-rate 0.03 --complete-after 0.2,1
	reqs 300 > "$IN"
	run bash -c 'set -o pipefail; ia-submit --retries 20 < "$1" |
	    ia-poll --retries 20 "${@:3}" > "$2"' _ "$IN" "$OUT" "${POLL_OPTS[@]}"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(file_lines "$OUT")" -eq 300 ]
	[ "$(jq -s 'map(select(has("error"))) | length' "$OUT")" -eq 0 ]
	check_answers "$IN" "$OUT"
	[ "$(stats '.faults | add')" -gt 0 ]
	[ "$(stats .generations.total)" -eq 300 ]
}

@test "stalled requests: the pipeline ends, one record for each request" {
	mock_start --seed 2 --stall-rate 0.1 --complete-after 0.2,1
	reqs 50 > "$IN"
	# shellcheck disable=SC2016 # a script for bash -c, expanded there
	run timeout 120 bash -c 'ia-submit --timeout 1 < "$1" |
	    ia-poll --timeout 1 "${@:3}" > "$2"' _ "$IN" "$OUT" "${POLL_OPTS[@]}"
	echo "status $status"
	echo "$output" | tail -n 5
	[ "$status" -ne 124 ]
	[ "$(file_lines "$OUT")" -eq 50 ]
	[ "$(jq -s -c 'map(.custom_id) | sort' "$OUT")" = "$(jq -s -c 'map(.metadata.custom_id) | sort' "$IN")" ]
	# Each a right answer or an error record.
	jq -c 'select(has("error") | not)' "$OUT" > "$BATS_TEST_TMPDIR/ok"
	jq -c 'select(has("error"))' "$OUT" > "$BATS_TEST_TMPDIR/errs"
	[ "$(jq -s 'all(.error.stage == "submit" or .error.stage == "poll")' "$BATS_TEST_TMPDIR/errs")" = true ]
	jq -c --slurpfile ok "$BATS_TEST_TMPDIR/ok" 'select(.metadata.custom_id as $c | $ok | map(.custom_id) | index($c))' \
	    "$IN" > "$BATS_TEST_TMPDIR/okin"
	check_answers "$BATS_TEST_TMPDIR/okin" "$BATS_TEST_TMPDIR/ok"
	[ "$(stats .faults.stall)" -gt 0 ]
}

# --- streaming -----------------------------------------------------------------------------

@test "a generation comes out while the input is still open" {
	mock_start --complete-after 0.2,0.2
	id1=$(post "streamed 1" st1)
	id2=$(post "streamed 2" st2)
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	poll < "$BATS_TEST_TMPDIR/fifo" > "$OUT" 2>/dev/null 3>&- &
	BG_PIDS=$!
	exec 4> "$BATS_TEST_TMPDIR/fifo"
	printf '{"custom_id": "st1", "id": "%s"}\n' "$id1" >&4
	wait_lines "$OUT" 1 5
	[ "$(file_lines "$OUT")" -eq 1 ]
	[ "$(jq -c '[.custom_id, .state]' "$OUT")" = '["st1","Success"]' ]
	kill -0 "$BG_PIDS"
	printf '{"custom_id": "st2", "id": "%s"}\n' "$id2" >&4
	exec 4>&-
	bg_wait
	[ "$rc" -eq 0 ]
	[ "$(file_lines "$OUT")" -eq 2 ]
	[ "$(sed -n 2p "$OUT" | jq -c '[.custom_id, .state, .response.choices[0].message.content]')" = \
	    '["st2","Success","Answer to: streamed 2"]' ]
}

# --- --once --pending ----------------------------------------------------------------------

@test "--once --pending: prints what is final, keeps the rest, and a later run finishes it" {
	# Each takes 2 s: the first half is final, the second not yet.
	mock_start --complete-after 2,2
	reqs 3 a > "$BATS_TEST_TMPDIR/a"
	reqs 3 b > "$BATS_TEST_TMPDIR/b"
	ia-submit < "$BATS_TEST_TMPDIR/a" > "$BATS_TEST_TMPDIR/ids-a"
	sleep 2.2
	ia-submit < "$BATS_TEST_TMPDIR/b" > "$BATS_TEST_TMPDIR/ids-b"
	cat "$BATS_TEST_TMPDIR/ids-a" "$BATS_TEST_TMPDIR/ids-b" > "$IN"
	p1=$BATS_TEST_TMPDIR/pending1 p2=$BATS_TEST_TMPDIR/pending2
	run --separate-stderr ia-poll --once --pending "$p1" < "$IN"
	echo "$output"
	echo "$stderr"
	cat "$p1"
	[ "$status" -eq 3 ]	# some still pending
	printf '%s\n' "$output" > "$OUT"
	check_answers "$BATS_TEST_TMPDIR/a" "$OUT"
	# The others, as {"custom_id", "id"} records, ready to be read again.
	[ "$(jq -s -c 'sort_by(.custom_id)' "$p1")" = "$(jq -s -c 'sort_by(.custom_id)' "$BATS_TEST_TMPDIR/ids-b")" ]
	[ "$(jq -s 'all(keys == ["custom_id", "id"])' "$p1")" = true ]
	# One GET each, no more.
	[ "$(gets)" -eq 6 ]

	sleep 2
	run --separate-stderr ia-poll --once --pending "$p2" < "$p1"
	echo "$output"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" > "$OUT"
	check_answers "$BATS_TEST_TMPDIR/b" "$OUT"
	[ -f "$p2" ]
	[ ! -s "$p2" ]
}

@test "--once without --pending is a usage error; --pending alone ends empty when all ended" {
	mock_start
	run --separate-stderr ia-poll --once < /dev/null
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *--pending* ]]
	[ "$(stats .requests.total)" -eq 0 ]
	reqs 3 | ia-submit > "$IN"
	run --separate-stderr poll --pending "$BATS_TEST_TMPDIR/p" < "$IN"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 3 ]
	[ -f "$BATS_TEST_TMPDIR/p" ]
	[ ! -s "$BATS_TEST_TMPDIR/p" ]
}

@test "--once: an id not visible yet (404) goes to --pending, as {\"id\"} when it has no custom_id" {
	mock_start
	printf '%s\n' 'notThereYet1' '{"custom_id": "n2", "id": "notThereYet2"}' > "$IN"
	p=$BATS_TEST_TMPDIR/pending
	run --separate-stderr ia-poll --once --pending "$p" < "$IN"
	echo "$output"
	cat "$p"
	[ "$status" -eq 3 ]	# some still pending
	[ -z "$output" ]
	[ "$(jq -s -c 'sort_by(.id)' "$p")" = '[{"id":"notThereYet1"},{"custom_id":"n2","id":"notThereYet2"}]' ]
	[ "$(gets)" -eq 2 ]
}

@test "ia-poll exits as soon as its input has ended and nothing is pending" {
	mock_start --complete-after 0.1,0.1
	for input in /dev/null "$IN"; do
		printf '{"foo":1}\n' > "$IN"
		t=$(now)
		run --separate-stderr poll < "$input"
		took=$(since "$t")
		echo "$input: took $took s"
		[ "$status" -eq 0 ]
		lt "$took" 0.5
	done
	# --once, on ids that are all final.
	for i in 1 2 3; do post "final $i"; done > "$IN"
	sleep 0.5
	for i in 1 2 3 4 5; do
		t=$(now)
		run --separate-stderr ia-poll --once --pending "$BATS_TEST_TMPDIR/p" < "$IN"
		took=$(since "$t")
		echo "--once: took $took s"
		[ "$status" -eq 0 ]
		[ "$(printf '%s\n' "$output" | wc -l)" -eq 3 ]
		lt "$took" 0.5
	done
}

# --- the key -------------------------------------------------------------------------------

@test "-v logs the GETs with the key redacted, and never prints the key" {
	mock_start --complete-after 0.2,0.5
	id=$(post "verbose" v1)
	run --separate-stderr poll -v <<< "$id"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(jq -r .custom_id <<<"$output")" = v1 ]
	[[ "$stderr" == *"GET $MOCK_URL/v1/generation/$id"* ]]
	[[ "$stderr" == *"Bearer <redacted>"* ]]
	[[ "$stderr" != *"$INFERENCE_API_KEY"* ]]
	[[ "$output" != *"$INFERENCE_API_KEY"* ]]
}

# --- options -------------------------------------------------------------------------------

@test "-h, -V, a bad --interval, and no key" {
	run --separate-stderr ia-poll -h
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: ia-poll"* ]]
	[ -z "$stderr" ]
	run --separate-stderr ia-poll -V
	[ "$status" -eq 0 ]
	[ "$output" = "ia-poll 0.1.0" ]
	run --separate-stderr ia-poll --interval abc < /dev/null
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == "ia-poll: "*"--interval"* ]]
	mock_start
	id=$(post "no key")
	run --separate-stderr env -u INFERENCE_API_KEY ia-poll <<< "$id"
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *INFERENCE_API_KEY* ]]
	[ "$(gets)" -eq 0 ]
}

@test "a line that is neither JSON nor an id is an input error record; the rest goes on" {
	mock_start --complete-after 0.2,0.5
	id1=$(post "before" g1)
	id3=$(post "after" g3)
	printf '%s\n{broken\n%s\n' "$id1" "$id3" > "$IN"
	run --separate-stderr poll < "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 3 ]
	[ "$(printf '%s\n' "$output" | jq -c 'select(has("error")) | [.error.stage, .error.status, .line, .custom_id, .request]')" = \
	    '["input",null,2,null,null]' ]
	[[ "$(printf '%s\n' "$output" | jq -r 'select(has("error")) | .error.message')" == "line 2: "* ]]
	[ "$(printf '%s\n' "$output" | jq -s -c 'map(select(has("state")) | [.custom_id, .state]) | sort')" = \
	    '[["g1","Success"],["g3","Success"]]' ]
	# Read from a named file, the message names it.
	run --separate-stderr poll "$IN"
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "$output" | jq -r 'select(has("error")) | .error.message')" = \
	    "$IN:2: not JSON, nor a generation id" ]
}

# --- the schedule ---------------------------------------------------------------------------

@test "polls back off: a fixed 0.2 s interval asks about 10 times in 2 s, backing off far fewer" {
	mock_start --complete-after 2,2
	id=$(post "two seconds")
	run --separate-stderr ia-poll --interval 0.2 --max-interval 0.2 <<< "$id"
	[ "$status" -eq 0 ]
	[ "$(jq -r .state <<<"$output")" = Success ]
	n=$(gets)
	echo "fixed: $n GETs"
	[ "$n" -ge 6 ]
	[ "$n" -le 14 ]

	id=$(post "two seconds again")
	run --separate-stderr ia-poll --interval 0.2 --max-interval 5 <<< "$id"
	[ "$status" -eq 0 ]
	[ "$(jq -r .state <<<"$output")" = Success ]
	m=$(($(gets) - n))
	echo "backing off: $m GETs"
	[ "$m" -ge 2 ]
	[ "$m" -le 6 ]
}

@test "ids read before the first answers are aimed again by what those teach: sooner, with no more GETs" {
	mock_start --complete-after 0.2,0.3
	for i in $(seq 8); do post "early $i" "a$i" >>"$BATS_TEST_TMPDIR/a"; done
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	ia-poll --interval 2 <"$BATS_TEST_TMPDIR/fifo" >"$OUT" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	BG_PIDS=$!
	exec 4>"$BATS_TEST_TMPDIR/fifo"
	cat "$BATS_TEST_TMPDIR/a" >&4
	sleep 1
	# Read 1 s later: their first polls are due 2 s after that, on the
	# bound, until the first eight answers (at 2 s) say 0.3 s is enough.
	for i in $(seq 8); do post "late $i" "b$i" >&4; done
	exec 4>&-
	wait_lines "$OUT" 8 10
	t=$(now)
	wait_lines "$OUT" 16 10
	took=$(since "$t")
	bg_wait
	[ "$rc" -eq 0 ]
	echo "the later eight came $took s after the first eight"
	lt "$took" 0.5
	[ "$(jq -s 'map(select(.state == "Success")) | length' "$OUT")" -eq 16 ]
	[ "$(gets)" -eq 16 ]
}

@test "aiming again leaves alone what was polled already: an id that was 404 keeps its schedule" {
	mock_start --complete-after 0.2,0.3
	for i in $(seq 8); do post "known $i" "k$i" >>"$BATS_TEST_TMPDIR/ids"; done
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	ia-poll --interval 2 --grace 30 --deadline 3 <"$BATS_TEST_TMPDIR/fifo" \
	    >"$OUT" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	BG_PIDS=$!
	exec 4>"$BATS_TEST_TMPDIR/fifo"
	# Polled first, at about 2 s: a 404, then its last look at the
	# deadline, 3 s.  The eight known ids, read 0.5 s later, are polled at
	# about 2.5 s; their answers aim again only what waits for a first poll.
	echo '{"custom_id": "gone", "id": "noSuchId"}' >&4
	sleep 0.5
	cat "$BATS_TEST_TMPDIR/ids" >&4
	exec 4>&-
	bg_wait
	cat "$OUT"
	[ "$rc" -eq 1 ]
	[ "$(jq -s 'map(select(.state == "Success")) | length' "$OUT")" -eq 8 ]
	[ "$(jq -c 'select(.error) | [.custom_id, .error.status]' "$OUT")" = '["gone",404]' ]
	# One GET for each known id, two for the unknown one.
	[ "$(gets)" -eq 10 ]
}

@test "ia-poll reads its input while every poll is busy: the tool upstream is never held up" {
	# One poll at a time, each taking 3 s: from 1 s to 4 s the only
	# connection is busy.  What is written at 1.5 s (far more than a
	# pipe holds) must not wait for it.
	mock_start --latency 3000
	jq -nc 'range(2000) | {custom_id: "c\(.)", id: ("x\(.)" + "0" * 60)}' \
	    >"$BATS_TEST_TMPDIR/ids"
	[ "$(wc -c <"$BATS_TEST_TMPDIR/ids")" -gt 131072 ]
	t=$(now)
	{
		echo '{"custom_id": "first", "id": "first0"}'
		sleep 1.5
		cat "$BATS_TEST_TMPDIR/ids"
		since "$t" >"$BATS_TEST_TMPDIR/wrote"
	} | ia-poll -j 1 --interval 1 >"$OUT" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	BG_PIDS=$!
	for i in $(seq 100); do
		[ -s "$BATS_TEST_TMPDIR/wrote" ] && break
		sleep 0.05
	done
	[ -s "$BATS_TEST_TMPDIR/wrote" ]
	echo "the writer was done after $(cat "$BATS_TEST_TMPDIR/wrote") s"
	lt "$(cat "$BATS_TEST_TMPDIR/wrote")" 3
	# Reading is not polling: still one GET at a time.
	[ "$(gets)" -le 2 ]
}

@test "polls due while -j is full wait for an answer without spinning the loop" {
	# -j 1 and 3 s an answer: from 0.1 s on, two polls are due with no
	# room for them.  Waiting in poll(2) for the answer is a few wake-ups;
	# waking each millisecond to look again was some 2,000 by 2.5 s.
	mock_start --latency 3000
	printf 'a1\na2\na3\n' >"$IN"
	ia-poll -j 1 --interval 0.1 <"$IN" >"$OUT" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	BG_PIDS=$!
	sleep 2.5
	n=$(awk '/^voluntary_ctxt_switches:/ { print $2 }' "/proc/$BG_PIDS/status")
	echo "$n voluntary context switches in 2.5 s"
	[ "$(gets)" -eq 1 ]
	lt "$n" 200
}

# --- a closed pipe ----------------------------------------------------------------------------

@test "a reader that goes away ends ia-poll" {
	mock_start --complete-after 0.2,20
	reqs 50 > "$IN"
	t=$(now)
	run bash -c 'timeout 30 ia-submit < "$1" 2>/dev/null | timeout 30 ia-poll "${@:2}" | head -n 1;
	    echo "ia-poll: ${PIPESTATUS[1]}"' _ "$IN" "${POLL_OPTS[@]}"
	took=$(since "$t")
	echo "$output"
	echo "took $took s"
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 2 ]
	printf '%s\n' "$output" | sed -n 1p | jq -e '.state == "Success"'
	# Ended by SIGPIPE as cat(1) is, not by timeout (124), and long before
	# the last generation (20 s).
	[ "$(printf '%s\n' "$output" | sed -n 2p)" = "ia-poll: 141" ]
	lt "$took" 10
}

@test "a --grace longer than --deadline: an id still 404 ends at the deadline, polled on its schedule" {
	mock_start
	t=$(now)
	run --separate-stderr poll --deadline 1 --grace 30 <<<'{"custom_id": "q", "id": "noSuchId"}'
	took=$(since "$t")
	echo "$output"
	echo "took $took s"
	[ "$status" -eq 1 ]
	[ "$(jq -c '[.custom_id, .error.stage, .error.status, .line, .request]' <<<"$output")" = \
	    '["q","poll",404,1,{"id":"noSuchId","custom_id":"q"}]' ]
	[ "$(jq -r .error.message <<<"$output")" = \
	    "generation noSuchId not found 1 s after it was first seen" ]
	ge "$took" 1
	lt "$took" 3
	# A poll every 0.1 s growing by half up to the deadline: a handful,
	# not a GET as fast as the mock answers.
	n=$(gets)
	echo "$n GETs"
	[ "$n" -le 10 ]
}
