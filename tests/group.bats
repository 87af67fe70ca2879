#!/usr/bin/env bats
# ia-group against ia-mock, alone and as ia-group | ia-poll: group sizes and
# -n, one kind per group, --linger, groups refused (400, 401) as one error
# record per request, input errors, the input forms and flags it shares with
# ia-submit, --dry-run, the key, the stream contract under faults, and what
# grouping saves in polling.

load helper
bats_require_minimum_version 1.5.0

# Short mock timings, so that the file runs in well under a minute and a half.
FAST=(--complete-after '0.1,0.3' --group-delay 0.1)

setup() {
	default_setup
	GROUPS_OUT=$BATS_TEST_TMPDIR/groups
}

# text CUSTOM_ID: one text completion request, prompt "question CUSTOM_ID".
text() {
	jq -nc --arg c "$1" '{model: "test-model", prompt: ("question " + $c), metadata: {custom_id: $c}}'
}

# ids_of FILE: the custom_ids of the requests in FILE, as a JSON array.
ids_of() {
	jq -s -c 'map(.metadata.custom_id)' "$1"
}

# group_lines: the group lines in $output, one a line.
group_lines() {
	printf '%s\n' "$output" | jq -c 'select(has("group_id"))'
}

# check_groups FILE [SIZES]: every line of FILE is a group line with exactly
# the keys group_id (a non-empty string) and custom_ids; the group_ids
# differ; the custom_ids, group after group in the order of their first
# request in the input, are those of IN in input order (so each group is a
# run of consecutive requests in input order); and, with SIZES (a JSON
# array), the group sizes in that order are SIZES.
check_groups() {
	local file=$1 bad
	bad=$(jq -c 'select((keys != ["custom_ids", "group_id"])
	    or (.group_id | type != "string" or length == 0)
	    or (.custom_ids | type != "array" or length == 0))' "$file")
	if [ -n "$bad" ]; then
		echo "not a group line: $bad" >&2
		return 1
	fi
	if [ "$(jq -s 'map(.group_id) | unique | length' "$file")" -ne "$(grep -c . "$file")" ]; then
		echo "a group_id twice" >&2
		return 1
	fi
	local order got
	order=$(jq -s -c --slurpfile in "$IN" '
	    ($in | map(.metadata.custom_id // .custom_id)) as $ids
	    | sort_by(.custom_ids[0] as $c | $ids | index($c))' "$file")
	got=$(jq -c 'map(.custom_ids) | add' <<<"$order")
	if [ "$got" != "$(jq -s -c 'map(.metadata.custom_id // .custom_id)' "$IN")" ]; then
		echo "custom_ids not those of the input in input order: $got" >&2
		return 1
	fi
	if [ $# -ge 2 ] && [ "$(jq -c 'map(.custom_ids | length)' <<<"$order")" != "$2" ]; then
		echo "group sizes $(jq -c 'map(.custom_ids | length)' <<<"$order"), not $2" >&2
		return 1
	fi
}

# pipeline [ia-group options]: ia-group < IN | tee GROUPS_OUT | ia-poll > OUT,
# and the exit status of the pipeline (pipefail) in $status.
pipeline() {
	status=0
	set -o pipefail
	ia-group "$@" < "$IN" | tee "$GROUPS_OUT" | ia-poll "${POLL_OPTS[@]}" > "$OUT" || status=$?
	set +o pipefail
}

# group_posts: the group POSTs the mock saw, both kinds.
group_posts() {
	stats '.requests["POST /v1/async/group/chat/completions"] + .requests["POST /v1/async/group/completions"]'
}

# stamp START: each line read, prefixed with the seconds since START.
stamp() {
	local l
	while IFS= read -r l; do
		printf '%s %s\n' "$(since "$1")" "$l"
	done
}

# --- sizes -------------------------------------------------------------------------

@test "1, 49, 50, 51 and 120 requests make 1, 1, 1, 2 and 3 groups; ia-poll gets every answer" {
	for n in 1 49 50 51 120; do
		case $n in
		1) sizes='[1]' ;;
		49) sizes='[49]' ;;
		50) sizes='[50]' ;;
		51) sizes='[50,1]' ;;
		120) sizes='[50,50,20]' ;;
		esac
		mock_start "${FAST[@]}"
		reqs "$n" "n${n}-" > "$IN"
		pipeline
		echo "$n requests: status $status"
		cat "$GROUPS_OUT"
		[ "$status" -eq 0 ]
		[ "$(wc -l < "$GROUPS_OUT")" -eq "$(jq -n "$sizes | length")" ]
		check_groups "$GROUPS_OUT" "$sizes"
		[ "$(wc -l < "$OUT")" -eq "$n" ]
		check_answers "$IN" "$OUT"
		[ "$(stats '.requests["POST /v1/async/group/chat/completions"]')" -eq "$(jq -n "$sizes | length")" ]
		[ "$(stats '.requests["POST /v1/async/chat/completions"]')" -eq 0 ]
		[ "$(stats .groups)" -eq "$(jq -n "$sizes | length")" ]
		[ "$(stats .generations.total)" -eq "$n" ]
		mock_stop
	done
}

@test "-n 7 makes groups of 7; -n 51, -n 0, -n abc are usage errors and send nothing" {
	mock_start
	reqs 20 > "$IN"
	run --separate-stderr ia-group -n 7 < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	printf '%s\n' "$output" > "$GROUPS_OUT"
	check_groups "$GROUPS_OUT" '[7,7,6]'
	[ "$(group_posts)" -eq 3 ]
	# -n 1: one group per request.
	reqs 3 one > "$IN"
	run ia-group -n 1 < "$IN"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" > "$GROUPS_OUT"
	check_groups "$GROUPS_OUT" '[1,1,1]'
	[ "$(group_posts)" -eq 6 ]

	reqs 3 > "$IN"
	for n in 51 0 abc -1 7x ''; do
		run --separate-stderr ia-group -n "$n" < "$IN"
		echo "-n '$n': $status: $stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[[ "$stderr" == "ia-group: "*"-n"* ]]
	done
	[ "$(group_posts)" -eq 6 ]
	[ "$(stats .requests.total)" -eq 6 ]
}

@test "chat and text requests go to separate groups on their own routes" {
	mock_start "${FAST[@]}"
	{
		chat "question k1" '{"metadata": {"custom_id": "k1"}}'
		chat "question k2" '{"metadata": {"custom_id": "k2"}}'
		text k3
		text k4
		chat "question k5" '{"metadata": {"custom_id": "k5"}}'
	} > "$IN"
	pipeline
	cat "$GROUPS_OUT"
	[ "$status" -eq 0 ]
	# A change of kind closes the group: c c | t t | c.
	check_groups "$GROUPS_OUT" '[2,2,1]'
	[ "$(jq -c 'select(.custom_ids == ["k3","k4"]) | .custom_ids' "$GROUPS_OUT")" = '["k3","k4"]' ]
	[ "$(stats '.requests["POST /v1/async/group/chat/completions"]')" -eq 2 ]
	[ "$(stats '.requests["POST /v1/async/group/completions"]')" -eq 1 ]
	[ "$(stats '.requests["POST /v1/async/chat/completions"] + .requests["POST /v1/async/completions"]')" -eq 0 ]
	[ "$(wc -l < "$OUT")" -eq 5 ]
	check_answers "$IN" "$OUT"
	# The text ones were text completions.
	[ "$(jq -s -c 'map(select(.response.choices[0].text != null) | .custom_id) | sort' "$OUT")" = '["k3","k4"]' ]
}

# --- --linger -------------------------------------------------------------------------

@test "--linger: a part-filled group goes out after a second without input, not at end of input" {
	mock_start
	t=$(now)
	{ echo "first"; sleep 3; echo "second"; } | ia-group -t -m test-model | stamp "$t" > "$OUT"
	rc=("${PIPESTATUS[@]}")
	cat "$OUT"
	[ "${rc[1]}" -eq 0 ]
	[ "$(wc -l < "$OUT")" -eq 2 ]
	first=$(sed -n 1p "$OUT" | cut -d' ' -f1)
	second=$(sed -n 2p "$OUT" | cut -d' ' -f1)
	# About 1 s (the default linger), well before the input ends at 3 s.
	ge "$first" 0.7
	lt "$first" 2.5
	ge "$second" 2.9
	[ "$(cut -d' ' -f2- "$OUT" | jq -s -c 'map(.custom_ids | length)')" = '[1,1]' ]
	[ "$(group_posts)" -eq 2 ]

	# A linger longer than the pause keeps both in one group.
	{ echo "first"; sleep 1.5; echo "second"; } | ia-group -t -m test-model --linger 5000 > "$OUT"
	cat "$OUT"
	[ "$(wc -l < "$OUT")" -eq 1 ]
	[ "$(jq -c '.custom_ids | length' "$OUT")" -eq 2 ]
	# --linger 0: a group goes out as soon as no record is waiting.
	{ echo "first"; sleep 0.7; echo "second"; } | ia-group -t -m test-model --linger 0 > "$OUT"
	cat "$OUT"
	[ "$(wc -l < "$OUT")" -eq 2 ]
	[ "$(group_posts)" -eq 5 ]

	for l in abc -1 1.5 ''; do
		run --separate-stderr ia-group -t -m test-model --linger "$l" <<< "x"
		echo "--linger '$l': $status: $stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[[ "$stderr" == "ia-group: "*"--linger"* ]]
	done
	[ "$(group_posts)" -eq 5 ]
}

# --- groups refused ----------------------------------------------------------------------

@test "a group refused with 400 is one error record per request, with its request and line" {
	mock_start --models good
	printf '%s\n' 'bad one' 'bad two' 'bad three' > "$IN"
	run --separate-stderr ia-group -t -m bad < "$IN"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[ "$(nlines)" -eq 3 ]
	[ "$(group_lines | grep -c .)" -eq 0 ]
	for i in 1 2 3; do
		rec=$(printf '%s\n' "$output" | jq -c --argjson n "$i" 'select(.line == $n)')
		q=$(sed -n "${i}p" "$IN")
		echo "line $i: $rec"
		[ "$(jq -c 'keys' <<<"$rec")" = '["custom_id","error","line","request"]' ]
		[ "$(jq -c '[.error.stage, .error.status, .error.attempts]' <<<"$rec")" = '["group",400,1]' ]
		[[ "$(jq -r .error.message <<<"$rec")" == *'"bad"'* ]]
		cid=$(jq -r .custom_id <<<"$rec")
		[[ "$cid" =~ ^req-[0-9a-f]{16}$ ]]
		[ "$(jq -c .request <<<"$rec")" = "$(jq -nc --arg q "$q" --arg c "$cid" \
		    '{model: "bad", messages: [{role: "user", content: $q}], metadata: {custom_id: $c}}')" ]
	done
	[ "$(errs | jq -s 'map(.custom_id) | unique | length')" -eq 3 ]
	[ "$(stats '.requests["POST /v1/async/group/chat/completions"]')" -eq 1 ]
	[ "$(stats .generations.total)" -eq 0 ]

	# A group holding one bad model is refused whole; the others go through.
	{
		chat "g1" '{"model": "good", "metadata": {"custom_id": "g1"}}'
		chat "g2" '{"model": "good", "metadata": {"custom_id": "g2"}}'
		chat "g3" '{"model": "good", "metadata": {"custom_id": "g3"}}'
		chat "b4" '{"model": "bad", "metadata": {"custom_id": "b4"}}'
	} > "$IN"
	run --separate-stderr ia-group -n 2 < "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(nlines)" -eq 3 ]
	[ "$(group_lines | jq -c .custom_ids)" = '["g1","g2"]' ]
	[ "$(errs | jq -c '[.custom_id, .error.stage, .error.status, .line, .request.model]' | sort)" = \
	    "$(printf '%s\n' '["b4","group",400,4,"bad"]' '["g3","group",400,3,"good"]')" ]
	[ "$(errs | jq -c 'select(.custom_id == "g3") | .request')" = "$(sed -n 3p "$IN" | jq -c .)" ]
}

@test "a refused key: one group error 401 per request, and the key is never printed, -v included" {
	mock_start --key other-key
	reqs 120 > "$IN"
	run --separate-stderr ia-group -v < "$IN"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *"ia-group: the server refused the API key (HTTP 401: "*"nothing more was sent"* ]]
	[[ "$stderr" == *"POST $MOCK_URL/v1/async/group/chat/completions"* ]]
	[[ "$stderr" == *"Bearer <redacted>"* ]]
	[[ "$stderr" != *"$INFERENCE_API_KEY"* ]]
	[[ "$output" != *"$INFERENCE_API_KEY"* ]]
	[ "$(INFERENCE_API_KEY=other-key stats .requests.total)" -eq 1 ]
	[ "$(INFERENCE_API_KEY=other-key stats .groups)" -eq 0 ]

	# With the right key, -v still shows no key.
	mock_stop
	mock_start
	reqs 3 > "$IN"
	run --separate-stderr ia-group -v < "$IN"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 1 ]
	[[ "$stderr" == *"Bearer <redacted>"* ]]
	[[ "$stderr" != *"$INFERENCE_API_KEY"* ]]
	[[ "$output" != *"$INFERENCE_API_KEY"* ]]
}

# --- input errors ----------------------------------------------------------------------

@test "bad lines and duplicate custom_ids are input error records and join no group" {
	mock_start
	{
		chat "question c1" '{"metadata": {"custom_id": "c1"}}'  # 1
		echo '{"model": "m", "messages": '                      # 2 not JSON
		chat "question c2" '{"metadata": {"custom_id": "c2"}}'  # 3
		echo '{"model": "m", "temperature": 1}'                 # 4 no messages/prompt
		chat "again c1" '{"metadata": {"custom_id": "c1"}}'     # 5 duplicate
		chat "question c3" '{"metadata": {"custom_id": "c3"}}'  # 6
		chat "$(head -c 300 /dev/zero | tr '\0' x)"             # 7 over --max-line
	} > "$IN"
	run --separate-stderr ia-group --max-line 200 < "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(nlines)" -eq 5 ]
	[ "$(group_lines | jq -c .custom_ids)" = '["c1","c2","c3"]' ]
	[ "$(errs | grep -c .)" -eq 4 ]
	chk() {
		local rec
		rec=$(errs | jq -c --argjson n "$1" 'select(.line == $n)')
		echo "line $1: $rec"
		[ "$(printf '%s\n' "$rec" | grep -c .)" -eq 1 ]
		[ "$(jq -c '[.error.stage, .error.status, .error.attempts]' <<<"$rec")" = '["input",null,0]' ]
		[[ "$(jq -r .error.message <<<"$rec")" == "line $1: "* ]]
		[[ "$(jq -r .error.message <<<"$rec")" =~ $2 ]]
	}
	chk 2 JSON
	chk 4 'messages|prompt'
	chk 5 'duplicate custom_id'
	chk 7 'max-line'
	[ "$(errs | jq -c 'select(.line == 5) | [.custom_id, .request]')" = \
	    "$(sed -n 5p "$IN" | jq -c '["c1", .]')" ]
	# The error records come out at once, before the group is acknowledged.
	[ "$(printf '%s\n' "$output" | tail -n 1 | jq -r 'has("group_id")')" = true ]
	[ "$(group_posts)" -eq 1 ]
	[ "$(stats .generations.total)" -eq 3 ]

	# Only bad lines: no group at all.
	printf '%s\n' 'not json' '[1]' > "$IN"
	run --separate-stderr ia-group < "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(nlines)" -eq 2 ]
	[ "$(errs | jq -s -c 'map(.line)')" = '[1,2]' ]
	[ "$(group_posts)" -eq 1 ]
}

@test "files are read in turn into the same groups, and an error names FILE:LINE" {
	mock_start
	a=$BATS_TEST_TMPDIR/a.jsonl b=$BATS_TEST_TMPDIR/b.jsonl
	reqs 2 a > "$a"
	{ reqs 1 b; echo '[]'; } > "$b"
	run --separate-stderr ia-group "$a" "$b"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(nlines)" -eq 2 ]
	[ "$(group_lines | jq -c .custom_ids)" = '["a1","a2","b1"]' ]
	rec=$(errs)
	[ "$(jq -c '[.error.stage, .line]' <<<"$rec")" = '["input",2]' ]
	[[ "$(jq -r .error.message <<<"$rec")" == "$b:2: "* ]]
	[ "$(group_posts)" -eq 1 ]
}

# --- input forms and flags -----------------------------------------------------------------

@test "--dry-run prints each group POST with the key redacted, sends nothing, needs no key" {
	mock_start
	{
		chat "question d1" '{"metadata": {"custom_id": "d1"}}'
		chat "question d2" '{"metadata": {"custom_id": "d2"}}'
		chat "question d3" '{"metadata": {"custom_id": "d3"}}'
		text d4
	} > "$IN"
	run --separate-stderr ia-group -n 2 --dry-run < "$IN"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$output" != *"$INFERENCE_API_KEY"* ]]
	[[ "$stderr" != *"$INFERENCE_API_KEY"* ]]
	[ "$(grep '^POST ' <<<"$output")" = "$(printf '%s\n' \
	    "POST $MOCK_URL/v1/async/group/chat/completions" \
	    "POST $MOCK_URL/v1/async/group/chat/completions" \
	    "POST $MOCK_URL/v1/async/group/completions")" ]
	[ "$(grep -cx 'Authorization: Bearer <redacted>' <<<"$output")" -eq 3 ]
	[ "$(grep -c '^{' <<<"$output")" -eq 3 ]
	[ "$(grep '^{' <<<"$output" | sed -n 1p)" = "$(sed -n 1,2p "$IN" | jq -s -c '{requests: .}')" ]
	[ "$(grep '^{' <<<"$output" | sed -n 2p)" = "$(sed -n 3p "$IN" | jq -s -c '{requests: .}')" ]
	[ "$(grep '^{' <<<"$output" | sed -n 3p)" = "$(sed -n 4p "$IN" | jq -s -c '{requests: .}')" ]
	# No group line: nothing was acknowledged.
	[ "$(grep -c group_id <<<"$output")" -eq 0 ]
	[ "$(stats .requests.total)" -eq 0 ]

	# Without a key at all; an assigned custom_id shows in the body.
	run --separate-stderr env -u INFERENCE_API_KEY ia-group --dry-run -t -m m <<< "no key"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(sed -n 1p <<<"$output")" = "POST $MOCK_URL/v1/async/group/chat/completions" ]
	body=$(grep '^{' <<<"$output")
	[[ "$(jq -r '.requests[0].metadata.custom_id' <<<"$body")" =~ ^req-[0-9a-f]{16}$ ]]
	[ "$(jq -c '.requests | map(del(.metadata))' <<<"$body")" = \
	    '[{"model":"m","messages":[{"role":"user","content":"no key"}]}]' ]
	[ "$(stats .requests.total)" -eq 0 ]
}

@test "-e, -t --system, -m and --webhook-id shape the requests inside the group" {
	mock_start "${FAST[@]}"
	# -e, through --dry-run.
	printf '%s\n' '{"text": "alpha"}' '{"text": "beta"}' > "$IN"
	run --separate-stderr ia-group --dry-run \
	    -e '{model: "m", messages: [{role: "user", content: ("Summarize: " + .text)}]}' < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	body=$(grep '^{' <<<"$output")
	[ "$(jq -c '.requests | map(del(.metadata.custom_id))' <<<"$body")" = \
	    '[{"model":"m","messages":[{"role":"user","content":"Summarize: alpha"}],"metadata":{}},{"model":"m","messages":[{"role":"user","content":"Summarize: beta"}],"metadata":{}}]' ]
	# -e yielding a chat and a text request per line: kinds alternate, 4 groups.
	run --separate-stderr ia-group --dry-run -e '{model: "m", messages: [{role: "user", content: .text}]},
	    {model: "m", prompt: .text}' < "$IN"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^POST .*/v1/async/group/chat/completions$' <<<"$output")" -eq 2 ]
	[ "$(grep -c '^POST .*/v1/async/group/completions$' <<<"$output")" -eq 2 ]

	# -m fills in a missing model only.
	{
		jq -nc '{messages: [{role: "user", content: "no model"}], metadata: {custom_id: "m1"}}'
		jq -nc '{model: "own", messages: [{role: "user", content: "own model"}], metadata: {custom_id: "m2"}}'
	} > "$IN"
	run --separate-stderr ia-group --dry-run -m fill < "$IN"
	[ "$status" -eq 0 ]
	[ "$(grep '^{' <<<"$output" | jq -c '.requests | map(.model)')" = '["fill","own"]' ]

	# -t --system --webhook-id, sent for real and read back through ia-poll.
	printf '%s\n' 'question one' 'question two' > "$IN"
	run bash -c 'set -o pipefail; ia-group -t -m test-model --system "Be brief." \
	    --webhook-id hook-42 < "$1" | ia-poll "${@:3}" > "$2"' _ "$IN" "$OUT" "${POLL_OPTS[@]}"
	echo "$output"
	cat "$OUT"
	[ "$status" -eq 0 ]
	[ "$(wc -l < "$OUT")" -eq 2 ]
	[ "$(jq -s -c 'map(.request | del(.metadata.custom_id)) | sort_by(.messages[1].content)' "$OUT")" = \
	    "$(jq -nc '["question one", "question two"] | map({model: "test-model",
	        messages: [{role: "system", content: "Be brief."}, {role: "user", content: .}],
	        metadata: {webhook_id: "hook-42"}})')" ]
	[ "$(jq -s 'all(.custom_id == .request.metadata.custom_id
	    and .response.choices[0].message.content == "Answer to: " + .request.messages[1].content)' "$OUT")" = true ]
	[ "$(group_posts)" -eq 1 ]

	# --system without -t, and -t without -m, are usage errors.
	run --separate-stderr ia-group --system x -m m <<< "$(chat x)"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == "ia-group: "*"--system"* ]]
	run --separate-stderr ia-group -t <<< "x"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == "ia-group: "*"-m"* ]]
	[ "$(group_posts)" -eq 1 ]
}

@test "Batch API lines: custom_id from the line, kind from url, another url an input error" {
	mock_start "${FAST[@]}"
	cat > "$IN" <<-'EOF'
	{"custom_id": "b1", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", "messages": [{"role": "user", "content": "batch one"}]}}
	{"custom_id": "b2", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", "messages": [{"role": "user", "content": "batch two"}], "max_tokens": 50}}
	{"custom_id": "b3", "method": "POST", "url": "/v1/completions", "body": {"model": "m", "prompt": "batch three"}}
	{"custom_id": "b4", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", "messages": [{"role": "user", "content": "batch four"}]}}
	EOF
	pipeline
	cat "$GROUPS_OUT"
	cat "$OUT"
	[ "$status" -eq 0 ]
	check_groups "$GROUPS_OUT" '[2,1,1]'
	[ "$(stats '.requests["POST /v1/async/group/chat/completions"]')" -eq 2 ]
	[ "$(stats '.requests["POST /v1/async/group/completions"]')" -eq 1 ]
	[ "$(wc -l < "$OUT")" -eq 4 ]
	check_answers "$IN" "$OUT"
	# The body is what was sent, with the line's custom_id as metadata.custom_id.
	for i in 1 2 3 4; do
		[ "$(jq -c --arg c "b$i" 'select(.custom_id == $c) | .request' "$OUT")" = \
		    "$(sed -n "${i}p" "$IN" | jq -c '.custom_id as $c | .body | .metadata.custom_id = $c')" ]
	done

	run --separate-stderr ia-group <<-'EOF'
	{"custom_id": "e1", "method": "POST", "url": "/v1/embeddings", "body": {"model": "m", "input": "x"}}
	{"custom_id": "e2", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", "messages": [{"role": "user", "content": "fine"}]}}
	EOF
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(nlines)" -eq 2 ]
	[ "$(errs | jq -c '[.custom_id, .error.stage, .line]')" = '["e1","input",1]' ]
	[ "$(group_lines | jq -c .custom_ids)" = '["e2"]' ]
}

# --- the stream contract under faults -------------------------------------------------

@test "under faults, 500 requests through ia-group | ia-poll come out exactly once" {
	mock_start --seed 11 --error-rate 0.2 --429-rate 0.1 --reset-rate 0.1 \
	    --complete-after 0.2,1 --group-delay 0.2
	reqs 500 > "$IN"
	pipeline
	echo "status $status"
	cat "$GROUPS_OUT"
	[ "$(wc -l < "$OUT")" -eq 500 ]
	check_once "$IN" "$OUT"
	# Whatever did not succeed is an error record, not a line lost.
	[ "$(jq -s 'all(.state == "Success" or has("error"))' "$OUT")" = true ]
	# The group lines and any group error records cover the input once.
	[ "$(jq -s '[.[] | .custom_ids // [] | .[]] | length' "$GROUPS_OUT")" -eq \
	    "$((500 - $(jq -s 'map(select(.error.stage == "group")) | length' "$OUT")))" ]
	[ "$(stats '.faults | add')" -gt 0 ]
	[ "$status" -le 1 ]
}

# --- polling cost -------------------------------------------------------------------------

@test "grouping cuts the HTTP requests of a pipeline at least 25-fold" {
	reqs 500 > "$IN"
	opts=(--interval 0.5 --max-interval 2)
	mock_start --seed 3 --complete-after 1,3
	set -o pipefail
	ia-submit < "$IN" | ia-poll "${opts[@]}" > "$OUT"
	set +o pipefail
	check_answers "$IN" "$OUT"
	single=$(stats .requests.total)
	mock_stop
	mock_start --seed 3 --complete-after 1,3
	set -o pipefail
	ia-group < "$IN" | ia-poll "${opts[@]}" > "$OUT"
	set +o pipefail
	check_answers "$IN" "$OUT"
	grouped=$(stats .requests.total)
	echo "single: $single HTTP requests; grouped: $grouped"
	stats .requests
	[ "$single" -ge 1000 ]
	[ "$((grouped * 25))" -le "$single" ]
}

# --- options and exit status --------------------------------------------------------------

@test "exit 0 and nothing on stderr when every group is acknowledged" {
	mock_start
	reqs 5 > "$IN"
	run --separate-stderr ia-group -n 2 -j 1 < "$IN"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(nlines)" -eq 3 ]
	# With -j 1 the groups come out in the order sent.
	[ "$(printf '%s\n' "$output" | jq -c .custom_ids)" = \
	    "$(printf '%s\n' '["c1","c2"]' '["c3","c4"]' '["c5"]')" ]
	# Empty input: nothing sent, nothing printed, exit 0.
	run --separate-stderr ia-group < /dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(group_posts)" -eq 3 ]
}

@test "-h, -V, an unknown option, and no key" {
	run --separate-stderr ia-group -h
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: ia-group"* ]]
	[[ "$output" == *"-n size"* ]]
	[[ "$output" == *"--linger"* ]]
	[ -z "$stderr" ]
	run --separate-stderr ia-group -V
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^ia-group\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	[ -z "$stderr" ]
	run --separate-stderr ia-group --no-such-option < /dev/null
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *"usage: ia-group"* ]]

	mock_start
	run --separate-stderr env -u INFERENCE_API_KEY ia-group <<< "$(chat "no key")"
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *INFERENCE_API_KEY* ]]
	[ "$(stats .requests.total)" -eq 0 ]
}
