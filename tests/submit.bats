#!/usr/bin/env bats
# ia-submit(1) against ia-mock: the input forms, custom_ids, input and submit
# error records, the options, and the stream contract of ia(7) under faults.
# What was sent is proved through GET /v1/generation/{id}, whose request is
# the body as the mock received it.

load helper
bats_require_minimum_version 1.5.0

# posts: the POSTs of requests the mock saw, chat and text (GETs not counted).
posts() {
	stats '.requests["POST /v1/async/chat/completions"] + .requests["POST /v1/async/completions"]'
}

# oks: the acknowledgements in $output, one a line.
oks() {
	printf '%s\n' "$output" | jq -c 'select(has("error") | not)'
}

# err_at N: the error record of input line N in $output.
err_at() {
	printf '%s\n' "$output" | jq -c --argjson n "$1" 'select(has("error") and .line == $n)'
}

# sent ID: the request the mock received for generation ID, compact.
sent() {
	local code
	code=$(http GET "/v1/generation/$1")
	if [ "$code" != 200 ]; then
		echo "GET /v1/generation/$1: HTTP $code: $(body)" >&2
		return 1
	fi
	body | jq -c .request
}

# sent_by_content TEXT: the request sent whose last message (or prompt) is
# TEXT, among the acknowledgements in $output; fails unless exactly one.
sent_by_content() {
	local id r found=0 hit=
	for id in $(oks | jq -r .id); do
		r=$(sent "$id") || return 1
		if [ "$(jq -r '(.messages // [] | last | .content) // .prompt' <<<"$r")" = "$1" ]; then
			found=$((found + 1))
			hit=$r
		fi
	done
	if [ "$found" -ne 1 ]; then
		echo "sent_by_content $1: $found requests" >&2
		return 1
	fi
	echo "$hit"
}

# check_acks_match_input FILE: every acknowledgement in $output has exactly
# the keys custom_id and id; its id resolves to a generation whose
# request.metadata.custom_id is the custom_id printed and whose request is one
# line of FILE with that custom_id set as metadata.custom_id; and every line
# of FILE is matched exactly once.
check_acks_match_input() {
	local file=$1 ack cid id r n matched=()
	while read -r ack; do
		[ -n "$ack" ] || continue
		if [ "$(jq -c 'keys' <<<"$ack")" != '["custom_id","id"]' ]; then
			echo "not an acknowledgement: $ack" >&2
			return 1
		fi
		cid=$(jq -r .custom_id <<<"$ack")
		id=$(jq -r .id <<<"$ack")
		r=$(sent "$id") || return 1
		if [ "$(jq -r '.metadata.custom_id' <<<"$r")" != "$cid" ]; then
			echo "$id: sent metadata.custom_id is not $cid: $r" >&2
			return 1
		fi
		n=$(jq -s --argjson r "$r" --arg c "$cid" \
		    'map(select((.metadata.custom_id = $c) == $r)) | length' "$file")
		if [ "$n" -ne 1 ]; then
			echo "$cid: the request sent matches $n input lines: $r" >&2
			return 1
		fi
		matched+=("$cid")
	done < <(oks)
	if [ "${#matched[@]}" -ne "$(grep -c . "$file")" ]; then
		echo "${#matched[@]} acknowledgements for $(grep -c . "$file") lines" >&2
		return 1
	fi
}

# check_input_error N PATTERN: the error record of line N is of stage input,
# status null, attempts 0, line N, and its message starts "line N: " and
# matches the extended regex PATTERN.
check_input_error() {
	local rec
	rec=$(err_at "$1")
	echo "line $1: $rec"
	[ "$(printf '%s\n' "$rec" | grep -c .)" -eq 1 ]
	[ "$(jq -c '[.error.stage, .error.status, .error.attempts, .line]' <<<"$rec")" = "[\"input\",null,0,$1]" ]
	[[ "$(jq -r .error.message <<<"$rec")" == "line $1: "* ]]
	[[ "$(jq -r .error.message <<<"$rec")" =~ $2 ]]
}

# --- input forms -------------------------------------------------------------

@test "request objects: one {custom_id, id} per line, custom_id from metadata, sent as read" {
	mock_start
	{
		chat "first" '{"metadata": {"custom_id": "q1"}}'
		chat "second" '{"metadata": {"custom_id": "q2", "tag": "kept"}, "max_tokens": 5}'
		chat "third" '{"metadata": {"custom_id": "q3"}, "temperature": 0.5, "seed": 7}'
		jq -nc '{model: "text-model", prompt: "fourth", metadata: {custom_id: "q4"}}'
		chat "fifth" '{"metadata": {"custom_id": "q5"}, "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "fifth"}]}'
	} > "$IN"
	run ia-submit < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 5 ]
	[ "$(printf '%s\n' "$output" | jq -s -c 'map(.custom_id) | sort')" = '["q1","q2","q3","q4","q5"]' ]
	[ "$(printf '%s\n' "$output" | jq -s 'all(.id | type == "string" and length > 0)')" = true ]
	check_acks_match_input "$IN"
	[ "$(stats .generations.total)" -eq 5 ]
}

@test "text completions go to /v1/async/completions, chat to /v1/async/chat/completions" {
	mock_start
	{
		chat "chat one"
		jq -nc '{model: "m", prompt: "text one"}'
		jq -nc '{model: "m", prompt: ["text", "two"]}'
		chat "chat two"
		jq -nc '{model: "m", prompt: "text three", max_tokens: 3}'
	} > "$IN"
	run ia-submit < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 5 ]
	[ "$(stats '.requests["POST /v1/async/chat/completions"]')" -eq 2 ]
	[ "$(stats '.requests["POST /v1/async/completions"]')" -eq 3 ]
	[ "$(posts)" -eq 5 ]
	check_acks_match_input "$IN"
}

@test "Batch API lines: custom_id from the line, kind from url; another url is an input error" {
	mock_start
	cat > "$IN" <<-'EOF'
	{"custom_id": "b-chat", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", "messages": [{"role": "user", "content": "batch chat"}], "max_tokens": 9}}
	{"custom_id": "b-text", "method": "POST", "url": "/v1/completions", "body": {"model": "m", "prompt": "batch text"}}
	{"custom_id": "b-bad", "method": "POST", "url": "/v1/embeddings", "body": {"model": "m", "input": "x"}}
	EOF
	run ia-submit < "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(nlines)" -eq 3 ]
	[ "$(oks | jq -s -c 'map(.custom_id) | sort')" = '["b-chat","b-text"]' ]
	# The body is what is sent, with the line's custom_id as metadata.custom_id.
	id=$(oks | jq -r 'select(.custom_id == "b-chat") | .id')
	[ "$(sent "$id")" = "$(sed -n 1p "$IN" | jq -c '.body | .metadata.custom_id = "b-chat"')" ]
	id=$(oks | jq -r 'select(.custom_id == "b-text") | .id')
	[ "$(sent "$id")" = "$(sed -n 2p "$IN" | jq -c '.body | .metadata.custom_id = "b-text"')" ]
	[ "$(stats '.requests["POST /v1/async/chat/completions"]')" -eq 1 ]
	[ "$(stats '.requests["POST /v1/async/completions"]')" -eq 1 ]
	[ "$(posts)" -eq 2 ]
	check_input_error 3 'url'
	[ "$(err_at 3 | jq -c .request)" = "$(sed -n 3p "$IN" | jq -c .)" ]
}

@test "-t -m: each line is a user message for MODEL" {
	mock_start
	printf '%s\n' 'What is 2 + 2?' 'say "hi" {not json}' > "$IN"
	run ia-submit -t -m text-model < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 2 ]
	for text in 'What is 2 + 2?' 'say "hi" {not json}'; do
		r=$(sent_by_content "$text")
		cid=$(jq -r .metadata.custom_id <<<"$r")
		[ "$(oks | jq -r --arg c "$cid" 'select(.custom_id == $c) | .custom_id')" = "$cid" ]
		[ "$r" = "$(jq -nc --arg t "$text" --arg c "$cid" \
		    '{model: "text-model", messages: [{role: "user", content: $t}], metadata: {custom_id: $c}}')" ]
	done
	[ "$(stats '.requests["POST /v1/async/chat/completions"]')" -eq 2 ]
}

@test "-t --system: the system message comes first" {
	mock_start
	printf 'question one\n' > "$IN"
	run ia-submit -t -m m --system 'Answer in one sentence.' < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	r=$(sent "$(oks | jq -r .id)")
	echo "$r"
	[ "$(jq -c .messages <<<"$r")" = '[{"role":"system","content":"Answer in one sentence."},{"role":"user","content":"question one"}]' ]
	[ "$(jq -r .model <<<"$r")" = m ]
}

@test "IA_MODEL is the model -m would give: -t needs no -m, a request naming none gets it, -m wins" {
	mock_start
	printf 'question one\n' > "$IN"
	IA_MODEL=env-model run ia-submit -t < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r .model <<<"$(sent "$(oks | jq -r .id)")")" = env-model ]
	IA_MODEL=env-model run ia-submit -t -m flag-model < "$IN"
	[ "$status" -eq 0 ]
	[ "$(jq -r .model <<<"$(sent "$(oks | jq -r .id)")")" = flag-model ]
	printf '%s\n' '{"messages":[{"role":"user","content":"hi"}]}' \
	    '{"model":"own","messages":[{"role":"user","content":"hi"}]}' > "$IN"
	IA_MODEL=env-model run ia-submit < "$IN"
	[ "$status" -eq 0 ]
	[ "$(oks | jq -r .id | while read -r id; do sent "$id" | jq -r .model; done | sort | tr '\n' ' ')" = "env-model own " ]
	# An empty IA_MODEL is none.
	IA_MODEL='' run --separate-stderr ia-submit -t <<< "hello"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"-m MODEL or IA_MODEL"* ]]
}

@test "-t without -m, and --system without -t, are usage errors" {
	mock_start
	run --separate-stderr ia-submit -t <<< "hello"
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == "ia-submit: "*"-m"* ]]
	run --separate-stderr ia-submit --system 'be brief' -m m <<< "$(chat hello)"
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == "ia-submit: "*"--system"* ]]
	[ "$(stats .requests.total)" -eq 0 ]
}

# --- -e ------------------------------------------------------------------------

@test "-e templates each record into a request" {
	mock_start
	printf '%s\n' '{"text": "alpha"}' '{"text": "beta gamma"}' > "$IN"
	run ia-submit -e '{model: "m", messages: [{role: "user", content: ("Summarize: " + .text)}]}' < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 2 ]
	for t in alpha 'beta gamma'; do
		r=$(sent_by_content "Summarize: $t")
		cid=$(jq -r .metadata.custom_id <<<"$r")
		[ "$r" = "$(jq -nc --arg t "Summarize: $t" --arg c "$cid" \
		    '{model: "m", messages: [{role: "user", content: $t}], metadata: {custom_id: $c}}')" ]
	done
}

@test "-e yielding two values per line submits two requests" {
	mock_start
	printf '%s\n' '{"text": "one"}' '{"text": "two"}' > "$IN"
	run ia-submit -e '{model: "m", messages: [{role: "user", content: ("A " + .text)}]},
	    {model: "m", prompt: ("B " + .text)}' < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 4 ]
	[ "$(printf '%s\n' "$output" | jq -s 'map(.custom_id) | unique | length')" -eq 4 ]
	for t in "A one" "B one" "A two" "B two"; do
		sent_by_content "$t" >/dev/null
	done
	[ "$(stats '.requests["POST /v1/async/chat/completions"]')" -eq 2 ]
	[ "$(stats '.requests["POST /v1/async/completions"]')" -eq 2 ]
}

@test "-e that does not compile is exit 2 before any request" {
	mock_start
	run --separate-stderr ia-submit -e '{model: "m", messages: [' <<< '{"text": "x"}'
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == "ia-submit: -e:"* ]]
	[ "$(stats .requests.total)" -eq 0 ]
}

@test "-e failing at run time makes that line an input error record; the rest goes on" {
	mock_start
	{
		jq -nc --argjson r "$(chat "via x one")" '{x: {y: $r}}'
		echo '"just a string"'
		jq -nc --argjson r "$(chat "via x three")" '{x: {y: $r}}'
	} > "$IN"
	run ia-submit -e '.x.y' < "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(nlines)" -eq 3 ]
	[ "$(oks | grep -c .)" -eq 2 ]
	check_input_error 2 '-e'
	[ "$(err_at 2 | jq -c .request)" = '"just a string"' ]
	sent_by_content "via x one" >/dev/null
	sent_by_content "via x three" >/dev/null

	printf '%s\n' '{"t": "a"}' '{"t": "b", "fail": true}' '{"t": "c"}' > "$IN"
	run ia-submit -e 'if .fail then error("boom") else {model: "m", messages: [{role: "user", content: .t}]} end' < "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(nlines)" -eq 3 ]
	[ "$(oks | grep -c .)" -eq 2 ]
	check_input_error 2 'boom'
	[ "$(err_at 2 | jq -c .request)" = '{"t":"b","fail":true}' ]
}

# --- -m, --webhook-id --------------------------------------------------------------

@test "-m fills in a missing model and leaves one that is there" {
	mock_start
	{
		jq -nc '{messages: [{role: "user", content: "no model"}]}'
		jq -nc '{model: "own-model", messages: [{role: "user", content: "has model"}]}'
		jq -nc '{prompt: "text without model"}'
	} > "$IN"
	run ia-submit -m fill-model < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 3 ]
	[ "$(sent_by_content "no model" | jq -r .model)" = fill-model ]
	[ "$(sent_by_content "has model" | jq -r .model)" = own-model ]
	[ "$(sent_by_content "text without model" | jq -r .model)" = fill-model ]
}

@test "--webhook-id sets metadata.webhook_id" {
	mock_start
	{
		chat "hooked one" '{"metadata": {"custom_id": "w1", "tag": "kept"}}'
		chat "hooked two"
	} > "$IN"
	run ia-submit --webhook-id hook-42 < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 2 ]
	[ "$(sent_by_content "hooked one" | jq -c '.metadata | to_entries | sort_by(.key) | from_entries')" = '{"custom_id":"w1","tag":"kept","webhook_id":"hook-42"}' ]
	r=$(sent_by_content "hooked two")
	[ "$(jq -r .metadata.webhook_id <<<"$r")" = hook-42 ]
	[ "$(jq -r .metadata.custom_id <<<"$r")" = "$(oks | jq -r 'select(.custom_id != "w1") | .custom_id')" ]
}

# --- --dry-run ---------------------------------------------------------------------

@test "--dry-run prints the requests, key redacted, and sends nothing, without a key" {
	mock_start
	{
		chat "dry chat" '{"metadata": {"custom_id": "d1"}}'
		jq -nc '{model: "m", prompt: "dry text", metadata: {custom_id: "d2"}}'
	} > "$IN"
	run --separate-stderr ia-submit --dry-run < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"$INFERENCE_API_KEY"* ]]
	[[ "$stderr" != *"$INFERENCE_API_KEY"* ]]
	[ "$(printf '%s\n' "$output" | sed -n 1p)" = "POST $MOCK_URL/v1/async/chat/completions" ]
	grep -qx "POST $MOCK_URL/v1/async/completions" <<<"$output"
	[ "$(grep -cx 'Authorization: Bearer <redacted>' <<<"$output")" -eq 2 ]
	[ "$(grep '^{' <<<"$output" | sed -n 1p)" = "$(sed -n 1p "$IN" | jq -c .)" ]
	[ "$(grep '^{' <<<"$output" | sed -n 2p)" = "$(sed -n 2p "$IN" | jq -c .)" ]
	[ "$(stats .requests.total)" -eq 0 ]

	# No key at all, and an assigned custom_id shows in the body.
	chat "no key" > "$IN"
	run --separate-stderr env -u INFERENCE_API_KEY ia-submit --dry-run < "$IN"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | sed -n 1p)" = "POST $MOCK_URL/v1/async/chat/completions" ]
	[[ "$(grep '^{' <<<"$output" | jq -r .metadata.custom_id)" =~ ^req-[0-9a-f]{16}$ ]]
	[ "$(grep '^{' <<<"$output" | jq -c 'del(.metadata)')" = "$(chat "no key")" ]
	[ "$(stats .requests.total)" -eq 0 ]
}

# --- custom_ids ------------------------------------------------------------------

@test "custom_ids are assigned as req- and 16 hex digits, the same on every run" {
	mock_start
	for i in 1 2 3 4; do chat "assigned $i"; done > "$IN"
	run ia-submit < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 4 ]
	[ "$(printf '%s\n' "$output" | jq -s 'all(.custom_id | test("^req-[0-9a-f]{16}$"))')" = true ]
	[ "$(printf '%s\n' "$output" | jq -s 'map(.custom_id) | unique | length')" -eq 4 ]
	check_acks_match_input "$IN"
	first=$(printf '%s\n' "$output" | jq -s -c 'map(.custom_id) | sort')
	run ia-submit < "$IN"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -s -c 'map(.custom_id) | sort')" = "$first" ]
}

@test "the same request twice in one run gets X and X-2" {
	mock_start
	{ chat "twice"; chat "twice"; } > "$IN"
	run ia-submit -j 1 < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 2 ]
	x=$(printf '%s\n' "$output" | sed -n 1p | jq -r .custom_id)
	[[ "$x" =~ ^req-[0-9a-f]{16}$ ]]
	[ "$(printf '%s\n' "$output" | sed -n 2p | jq -r .custom_id)" = "$x-2" ]
	for cid in "$x" "$x-2"; do
		id=$(oks | jq -r --arg c "$cid" 'select(.custom_id == $c) | .id')
		[ "$(sent "$id" | jq -r .metadata.custom_id)" = "$cid" ]
	done
}

@test "a numeric metadata.custom_id 7 becomes \"7\"" {
	mock_start
	chat "numbered" '{"metadata": {"custom_id": 7}}' > "$IN"
	run ia-submit < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -c .custom_id)" = '"7"' ]
	[ "$(sent "$(printf '%s\n' "$output" | jq -r .id)" | jq -c .metadata.custom_id)" = '"7"' ]
}

# --- input errors -----------------------------------------------------------------

@test "every kind of bad line is an input error record with its line; the rest are sent" {
	mock_start
	{
		chat "good 1"                                                   # 1
		echo '{"model": "m", "messages": '                              # 2 not JSON
		echo '[1, 2]'                                                   # 3 array
		echo '"a string"'                                               # 4 string
		echo '{"messages": [{"role": "user", "content": "x"}]}'         # 5 no model
		echo '{"model": "m", "temperature": 1}'                         # 6 no messages/prompt
		echo '{"model": "m", "messages": []}'                           # 7 empty messages
		echo '{"model": "m", "messages": [{"content": "x"}]}'           # 8 no role
		echo '{"model": "m", "messages": [{"role": "user"}]}'           # 9 no content
		echo '{"model": "m", "prompt": 42}'                             # 10 prompt a number
		chat "bad metadata" '{"metadata": "x"}'                         # 11 metadata
		chat "good 12" '{"metadata": {"custom_id": "dup"}}'             # 12
		chat "again 13" '{"metadata": {"custom_id": "dup"}}'            # 13 duplicate
		chat "good 14"                                                  # 14
	} > "$IN"
	run ia-submit < "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(nlines)" -eq 14 ]
	[ "$(oks | grep -c .)" -eq 3 ]
	[ "$(errs | grep -c .)" -eq 11 ]
	check_input_error 2 'JSON'
	check_input_error 3 'object'
	check_input_error 4 'object'
	check_input_error 5 'model'
	check_input_error 6 'messages|prompt'
	check_input_error 7 'messages'
	check_input_error 8 'role'
	check_input_error 9 'content'
	check_input_error 10 'prompt'
	check_input_error 11 'metadata'
	check_input_error 13 'duplicate custom_id'
	# The request is the value as read, or null for a line that is not JSON.
	[ "$(err_at 2 | jq -c .request)" = null ]
	for n in 3 4 5 6 7 8 9 10 11 13; do
		[ "$(err_at "$n" | jq -c .request)" = "$(sed -n "${n}p" "$IN" | jq -c .)" ]
	done
	sent_by_content "good 1" >/dev/null
	[ "$(sent_by_content "good 12" | jq -r .metadata.custom_id)" = dup ]
	sent_by_content "good 14" >/dev/null
	[ "$(posts)" -eq 3 ]
}

@test "a line over --max-line is an input error; a line of exactly --max-line is taken" {
	mock_start
	# pad N: a chat request of exactly N bytes.
	pad() {
		local base
		base=$(chat "" | tr -d '\n' | wc -c)
		chat "$(head -c $(($1 - base)) /dev/zero | tr '\0' x)"
	}
	{ pad 100; pad 200; pad 100 | sed 's/x/y/'; } > "$IN"
	[ "$(sed -n 1p "$IN" | tr -d '\n' | wc -c)" -eq 100 ]
	[ "$(sed -n 2p "$IN" | tr -d '\n' | wc -c)" -eq 200 ]
	run ia-submit --max-line 100 < "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(nlines)" -eq 3 ]
	[ "$(oks | grep -c .)" -eq 2 ]
	check_input_error 2 '--max-line'
	[ "$(err_at 2 | jq -c .request)" = null ]
	[ "$(posts)" -eq 2 ]
}

@test "empty lines are skipped but counted, CRLF works, a last line without newline is sent" {
	mock_start
	{
		printf '%s\r\n' "$(chat "crlf one")"  # 1
		printf '\r\n'                         # 2
		printf '\n'                           # 3
		printf 'not json\r\n'                 # 4
		printf '\n'                           # 5
		printf '%s' "$(chat "no newline")"    # 6
	} > "$IN"
	run ia-submit < "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(nlines)" -eq 3 ]
	check_input_error 4 'JSON'
	[ "$(sent_by_content "crlf one" | jq -c 'del(.metadata)')" = "$(chat "crlf one")" ]
	[ "$(sent_by_content "no newline" | jq -c 'del(.metadata)')" = "$(chat "no newline")" ]
	[ "$(posts)" -eq 2 ]

	# With -t, the line end is not part of the prompt.
	printf 'text one\r\n\r\ntext two' > "$IN"
	run ia-submit -t -m m < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 2 ]
	sent_by_content "text one" >/dev/null
	sent_by_content "text two" >/dev/null
}

# --- files -------------------------------------------------------------------------

@test "files are read in turn, and an error names FILE:LINE" {
	mock_start
	a=$BATS_TEST_TMPDIR/a.jsonl b=$BATS_TEST_TMPDIR/b.jsonl
	{ chat "a1" '{"metadata": {"custom_id": "a1"}}'; chat "a2" '{"metadata": {"custom_id": "a2"}}'; } > "$a"
	{ chat "b1" '{"metadata": {"custom_id": "b1"}}'; echo '[]'; } > "$b"
	run ia-submit -j 1 "$a" "$b"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(nlines)" -eq 4 ]
	[ "$(oks | jq -s -c 'map(.custom_id)')" = '["a1","a2","b1"]' ]
	rec=$(errs)
	[ "$(jq -c '[.error.stage, .error.status, .error.attempts, .line]' <<<"$rec")" = '["input",null,0,2]' ]
	[[ "$(jq -r .error.message <<<"$rec")" == "$b:2: "* ]]
}

@test "a file that does not exist is exit 2 before any request" {
	mock_start
	chat "exists" > "$IN"
	run --separate-stderr ia-submit "$IN" "$BATS_TEST_TMPDIR/no-such-file"
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *"no-such-file"* ]]
	[ "$(stats .requests.total)" -eq 0 ]
}

@test "- reads standard input among the files" {
	mock_start
	chat "from file" > "$IN"
	run ia-submit "$IN" - <<< "$(chat "from stdin")"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 2 ]
	sent_by_content "from file" >/dev/null
	sent_by_content "from stdin" >/dev/null
}

# --- submit errors -------------------------------------------------------------------

@test "a refused key after 200 input lines: one request sent, one message naming the fix, exit 2" {
	mock_start --key other-key
	reqs 200 > "$IN"
	run --separate-stderr ia-submit -j 16 < "$IN"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "$(printf '%s\n' "$stderr" | grep -c .)" -eq 1 ]
	[[ "$stderr" == "ia-submit: the server refused the API key (HTTP 401: "*"): check INFERENCE_API_KEY or --api-key-file; nothing more was sent" ]]
	[[ "$stderr" != *"$INFERENCE_API_KEY"* ]]
	[ "$(INFERENCE_API_KEY=other-key stats .requests.total)" -eq 1 ]
	[ "$(INFERENCE_API_KEY=other-key stats .generations.total)" -eq 0 ]
}

@test "a 403 stops ia-poll at once too, after one request, exit 2" {
	export HITS=$BATS_TEST_TMPDIR/hits
	: > "$HITS"
	py_server <<-'PY'
	class H(http.server.BaseHTTPRequestHandler):
	    def do_GET(self):
	        with open(os.environ["HITS"], "a") as f:
	            f.write(self.path + "\n")
	        b = b'{"error":{"message":"this key may not read generations"}}'
	        self.send_response(403)
	        self.send_header("Content-Length", str(len(b)))
	        self.end_headers()
	        self.wfile.write(b)
	PY
	for i in $(seq 50); do echo "{\"custom_id\":\"c$i\",\"id\":\"g$i\"}"; done > "$IN"
	INFERENCE_BASE_URL=$SERVER_URL run --separate-stderr ia-poll --interval 0.1 < "$IN"
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == "ia-poll: the server refused the API key (HTTP 403: this key may not read generations): check"* ]]
	[ "$(grep -c . "$HITS")" -eq 1 ]
}

# --- faults ---------------------------------------------------------------------------

@test "under faults every request is submitted exactly once" {
	mock_start --seed 5 --error-rate 0.1 --429-rate 0.05 --reset-rate 0.03
	for i in $(seq 300); do
		printf '{"model":"m","messages":[{"role":"user","content":"q%d"}],"metadata":{"custom_id":"c%d"}}\n' "$i" "$i"
	done > "$IN"
	run ia-submit -j 16 < "$IN"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 300 ]
	[ "$(errs | grep -c .)" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -s -c 'map(.custom_id) | sort')" = \
	    "$(jq -nc '[range(1; 301) | "c\(.)"] | sort')" ]
	[ "$(stats '.faults | add')" -gt 0 ]
	[ "$(stats .generations.total)" -eq 300 ]
}

@test "keep-alive: 200 requests at -j 4 go over at most 4 connections, each reused" {
	local s
	mock_start
	reqs 200 > "$IN"
	run ia-submit -j 4 < "$IN"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 200 ]
	# At most one a -j slot, and the one of the /mock/stats that asks.
	s=$(stats)
	echo "$s"
	[ "$(jq '.requests["POST /v1/async/chat/completions"]' <<<"$s")" -eq 200 ]
	[ "$(jq .connections.opened <<<"$s")" -le 5 ]
}

@test "stalled requests are timed out and retried, and the run ends" {
	mock_start --seed 2 --stall-rate 0.2
	for i in $(seq 20); do chat "stall $i"; done > "$IN"
	run timeout 60 ia-submit --timeout 1 --retries 5 < "$IN"
	echo "$output"
	[ "$status" -ne 124 ]
	[ "$(nlines)" -eq 20 ]
	[ "$(printf '%s\n' "$output" | jq -s 'map(.custom_id) | unique | length')" -eq 20 ]
	[ "$(stats .faults.stall)" -gt 0 ]
	# A stalled request created nothing, so no generation was made twice.
	[ "$(stats .generations.total)" -eq "$(oks | grep -c .)" ]
}

# --- streaming -----------------------------------------------------------------------

@test "the first result comes out while input is still open" {
	mock_start
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	ia-submit < "$BATS_TEST_TMPDIR/fifo" > "$BATS_TEST_TMPDIR/out" 3>&- &
	pid=$!
	exec 4> "$BATS_TEST_TMPDIR/fifo"
	chat "streamed 1" >&4
	wait_lines "$BATS_TEST_TMPDIR/out" 1 5
	[ "$(wc -l < "$BATS_TEST_TMPDIR/out")" -eq 1 ]
	kill -0 "$pid"
	chat "streamed 2" >&4
	exec 4>&-
	wait "$pid"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/out")" -eq 2 ]
}

# --- the key ---------------------------------------------------------------------------

@test "-v logs the exchanges with the key redacted, and never prints the key" {
	mock_start
	for i in 1 2; do chat "verbose $i"; done > "$IN"
	run --separate-stderr ia-submit -v < "$IN"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 2 ]
	[[ "$stderr" == *"POST $MOCK_URL/v1/async/chat/completions"* ]]
	[[ "$stderr" == *"Bearer <redacted>"* ]]
	[[ "$stderr" != *"$INFERENCE_API_KEY"* ]]
	[[ "$output" != *"$INFERENCE_API_KEY"* ]]
}

@test "no key is exit 2 naming INFERENCE_API_KEY, and nothing is sent" {
	mock_start
	run --separate-stderr env -u INFERENCE_API_KEY ia-submit <<< "$(chat "no key")"
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *INFERENCE_API_KEY* ]]
	[ "$(stats .requests.total)" -eq 0 ]
}

# --- options -------------------------------------------------------------------------

@test "-h, -V, an unknown option and -j 0" {
	run --separate-stderr ia-submit -h
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: ia-submit"* ]]
	[ -z "$stderr" ]
	run --separate-stderr ia-submit -V
	[ "$status" -eq 0 ]
	[ "$output" = "ia-submit 0.1.0" ]
	run --separate-stderr ia-submit --no-such-option </dev/null
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	run --separate-stderr ia-submit -j 0 </dev/null
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *"-j"* ]]
}

# --- a closed pipe ------------------------------------------------------------------------

@test "a reader that goes away ends ia-submit" {
	mock_start --latency 50
	for i in $(seq 50); do chat "piped $i"; done > "$IN"
	run bash -c 'timeout 30 ia-submit < "$1" | head -n 1; echo "ia-submit: ${PIPESTATUS[0]}"' _ "$IN"
	echo "$output"
	[ "$(nlines)" -eq 2 ]
	printf '%s\n' "$output" | sed -n 1p | jq -e 'has("custom_id") and has("id")'
	# Not killed by timeout (124): ended by SIGPIPE as cat(1) is, or done.
	[[ "$(printf '%s\n' "$output" | sed -n 2p)" =~ ^ia-submit:\ (141|0)$ ]]
}

@test "a custom_id beside a plain request is its custom_id, and is not sent as a parameter" {
	mock_start
	run --separate-stderr ia-submit --dry-run <<-'EOF2'
	{"custom_id": "top", "model": "m", "messages": [{"role": "user", "content": "x"}]}
	{"custom_id": 12, "model": "m", "prompt": "y"}
	{"custom_id": "beside", "model": "m", "prompt": "z", "metadata": {"custom_id": "inside"}}
	EOF2
	[ "$status" -eq 0 ]
	bodies=$(echo "$output" | grep '^{')
	[ "$(echo "$bodies" | jq -sc 'map(.metadata.custom_id)')" = '["top","12","inside"]' ]
	[ "$(echo "$bodies" | jq -s 'map(has("custom_id")) | any')" = false ]
}

@test "--webhook-id does not hide a bad metadata" {
	mock_start
	run ia-submit --webhook-id W <<-'EOF2'
	{"model": "m", "messages": [{"role": "user", "content": "x"}], "metadata": 3}
	EOF2
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r .error.message)" = "line 1: metadata must be an object" ]
	[ "$(stats .requests.total)" -eq 0 ]
}

@test "a batch line whose method is not POST is an input error" {
	mock_start
	run ia-submit <<-'EOF2'
	{"custom_id": "g", "method": "GET", "url": "/v1/chat/completions", "body": {"model": "m", "messages": [{"role": "user", "content": "x"}]}}
	EOF2
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r .error.stage)" = input ]
	[[ "$(echo "$output" | jq -r .error.message)" == "line 1: batch line: method must be POST"* ]]
	[ "$(stats .requests.total)" -eq 0 ]
}

@test "waiting retries do not spin the loop while -j is full" {
	# -e makes several requests of one line, more than -j 1 can run: retries
	# come due while a slow request holds the only slot.  The loop must
	# then sleep in poll, not spin: CPU time stays far below wall time.
	mock_start --seed 4 --error-rate 0.5 --latency 1000
	TIMEFORMAT='%R %U %S'
	# shellcheck disable=SC2016 # a jq program, not shell
	{ time ia-submit -j 1 -e '(1, 2, 3, 4) as $n | {model: "m",
	    messages: [{role: "user", content: "\(.) \($n)"}]}' \
	    < <(echo '"x"') > "$BATS_TEST_TMPDIR/out" ; } 2> "$BATS_TEST_TMPDIR/time"
	cat "$BATS_TEST_TMPDIR/time"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/out")" -eq 4 ]
	read -r real user sys < <(tail -n 1 "$BATS_TEST_TMPDIR/time")
	awk -v r="$real" -v u="$user" -v s="$sys" 'BEGIN { exit !(r > 2 && u + s < 0.4) }'
}

@test "before the key is seen to work, retries due while the one request runs do not spin the loop" {
	# Until a first answer, one request at a time: a retry that comes due
	# meanwhile must wait in poll for that slot, not spin on it.
	mock_start --stall-rate 1
	reqs 6 > "$IN"
	TIMEFORMAT='%R %U %S'
	{ time ia-submit -j 4 --timeout 1s --retries 2 < "$IN" > "$OUT" || true ; } \
	    2> "$BATS_TEST_TMPDIR/time"
	cat "$BATS_TEST_TMPDIR/time"
	[ "$(jq -r .error.stage "$OUT" | sort | uniq -c | awk '{print $1, $2}')" = "6 submit" ]
	read -r real user sys < <(tail -n 1 "$BATS_TEST_TMPDIR/time")
	awk -v r="$real" -v u="$user" -v s="$sys" 'BEGIN { exit !(r > 1 && u + s < 0.4) }'
}

@test "retries due but held back by the pace (--rate 5, ia-mock --429-rate 0.3) do not spin the loop" {
	# A retry that is due while the pace holds it back waits for the
	# pace's slot in poll: a timer of 0 for it spun the loop, 0.6 s of CPU
	# in the 8 s this takes.
	mock_start --seed 4 --429-rate 0.3
	reqs 30 > "$IN"
	TIMEFORMAT='%R %U %S'
	{ time ia-submit --rate 5 < "$IN" > "$OUT" ; } 2> "$BATS_TEST_TMPDIR/time"
	cat "$BATS_TEST_TMPDIR/time"
	[ "$(jq -r .id "$OUT" | sort -u | wc -l)" -eq 30 ]
	[ "$(stats .responses.\"429\")" -gt 5 ]
	read -r real user sys < <(tail -n 1 "$BATS_TEST_TMPDIR/time")
	awk -v r="$real" -v u="$user" -v s="$sys" 'BEGIN { exit !(r > 5 && u + s < 0.2) }'
}

# --- --rate --------------------------------------------------------------------

# created_times: the createdAt of each generation acknowledged in $output, as
# seconds of the day, sorted.
created_times() {
	local id
	oks | jq -r .id | while read -r id; do
		http GET "/v1/generation/$id" >/dev/null
		body | jq -r '.createdAt | capture("T(?<h>[0-9]+):(?<m>[0-9]+):(?<s>[0-9.]+)Z")
		    | (.h | tonumber) * 3600 + (.m | tonumber) * 60 + (.s | tonumber)'
	done | sort -n
}

@test "--rate 10: 20 POSTs spread over about 2 s, none two within 50 ms (half the spacing, for a loaded machine); without it, all at once" {
	mock_start
	reqs 20 > "$IN"
	run --separate-stderr ia-submit --rate 10 < "$IN"
	[ "$status" -eq 0 ]
	[ "$(oks | wc -l)" -eq 20 ]
	created_times > "$BATS_TEST_TMPDIR/t"
	span=$(awk 'NR == 1 { f = $1 } { l = $1 } END { printf "%.3f", l - f }' "$BATS_TEST_TMPDIR/t")
	gap=$(awk 'NR > 1 { d = $1 - p; if (m == "" || d < m) m = d } { p = $1 } END { printf "%.3f", m }' "$BATS_TEST_TMPDIR/t")
	echo "span $span s, least gap $gap s"
	awk -v s="$span" -v g="$gap" 'BEGIN { exit !(s >= 1.8 && s < 3 && g >= 0.05) }'
	run --separate-stderr ia-submit --rate 600/m < "$IN"
	[ "$status" -eq 0 ]
	created_times > "$BATS_TEST_TMPDIR/t"
	gap=$(awk 'NR > 1 { d = $1 - p; if (m == "" || d < m) m = d } { p = $1 } END { printf "%.3f", m }' "$BATS_TEST_TMPDIR/t")
	awk -v g="$gap" 'BEGIN { exit !(g >= 0.05) }'
	run --separate-stderr ia-submit < "$IN"
	[ "$status" -eq 0 ]
	created_times > "$BATS_TEST_TMPDIR/t"
	span=$(awk 'NR == 1 { f = $1 } { l = $1 } END { printf "%.3f", l - f }' "$BATS_TEST_TMPDIR/t")
	echo "unpaced span $span s"
	awk -v s="$span" 'BEGIN { exit !(s < 0.5) }'
}

@test "--rate: a bad value is a usage error naming the forms, before any request" {
	mock_start
	for bad in 0 -1 abc 10/d 10/ '' 1e9 nan; do
		run --separate-stderr ia-submit --rate "$bad" <<< "$(chat hi)"
		echo "$bad: $stderr"
		[ "$status" -eq 2 ]
		[[ "$stderr" == "ia-submit: --rate: "*"/m"* ]]
	done
	[ "$(stats .requests.total)" -eq 0 ]
}

@test "stray 429s to a tool with less work than -j takes do not pace it: no limit is taken from them" {
	mock_start --429-rate 0.4
	reqs 30 > "$IN"
	# --retries 20: at the default 8, one of 30 requests refused 9 times
	# running (0.4^9 each) failed the run about once in 50.
	run --separate-stderr ia-submit -v -j 64 --retries 20 < "$IN"
	[ "$status" -eq 0 ]
	[ "$(oks | jq -r .custom_id | sort -u | wc -l)" -eq 30 ]
	# The 429s came, and were retried...
	grep -q 'HTTP 429' <<<"$stderr"
	# ...but 30 requests never fill -j 64: no pace was set from them.
	[ "$(grep -c 'pacing to' <<<"$stderr")" -eq 0 ]
}

@test "stray 429s among many requests (ia-mock --429-rate 0.05): no pace is set from one 429, only from several in a row" {
	mock_start --429-rate 0.05
	reqs 300 > "$IN"
	run --separate-stderr ia-submit -v -j 8 < "$IN"
	[ "$status" -eq 0 ]
	[ "$(oks | jq -r .custom_id | sort -u | wc -l)" -eq 300 ]
	# The 429s came, to a tool with more work than -j takes...
	[ "$(grep -c '^ia: < HTTP 429 ' <<<"$stderr")" -ge 3 ]
	# ...and a pace, if one was set (seldom: 4 refused among the 8 in
	# flight), only after several: one, when the last second held a few
	# answers, set a crawl.  The fourth's answer is logged after its cut.
	before=$(sed -n '/pacing to/q;p' <<<"$stderr" | grep -c '^ia: < HTTP 429 ' || true)
	echo "429s before the first cut: $before"
	grep -q 'pacing to' <<<"$stderr" || before=3
	[ "$before" -ge 3 ]
}

@test "429s at random (ia-mock --429-rate 0.3), no limit: the cuts they bring are undone, the pace is no crawl; each request once" {
	mock_start --429-rate 0.3
	reqs 600 > "$IN"
	# --retries 20: at the default 8, one of 600 refused 9 times running
	# (0.3^9 each) failed the run about once in 80.
	run --separate-stderr timeout 240 ia-submit -v --retries 20 < "$IN"
	[ "$status" -eq 0 ]
	[ "$(oks | jq -r .custom_id | sort -u | wc -l)" -eq 600 ]
	[ "$(oks | wc -l)" -eq 600 ]
	# 4 of the 16 in flight refused, no fewer than were taken among them,
	# are the rule for a first cut: one came, and went once 429s kept
	# coming to requests sent after it...
	grep -q '^ia: HTTP 429: pacing to [0-9.]* requests a second$' <<<"$stderr"
	grep -q '^ia: HTTP 429s at any pace, no limit: pace undone$' <<<"$stderr"
	# ...each chain of cuts short (a cut a second at most, undone at the
	# fourth 429 after it), never a pace cut on and on to a crawl.
	longest=$(grep -E 'pacing to|pace undone' <<<"$stderr" |
	    awk '/pacing/ { if (++n > m) m = n; next } { n = 0 } END { print m + 0 }')
	echo "longest chain of cuts: $longest"
	[ "$longest" -le 5 ]
}

@test "429s with stalls (ia-mock --429-rate 0.05 --stall-rate 0.01, --timeout 2): no 429 holds the tools until a stall times out; no crawl, each request once" {
	local d=$BATS_TEST_TMPDIR t low
	mock_start --429-rate 0.05 --stall-rate 0.01 --complete-after 0.1,0.3
	reqs 1000 > "$IN"
	# A crawl does not end in a minute: the code before took 35 to 86 s.
	timeout 60 ia-submit -v --timeout 2 -j 32 <"$IN" 2>"$d/submit.err" |
	    timeout 60 ia-poll "${POLL_OPTS[@]}" -v --timeout 2 -j 32 >"$d/out" 2>"$d/poll.err"
	[ "$(jq -r .custom_id "$d/out" | sort -u | wc -l)" -eq 1000 ]
	[ "$(file_lines "$d/out")" -eq 1000 ]
	# A pause after each 429 until the stall in flight timed out sent in
	# bursts 2 s apart, and the cuts measured those: paces of 4 to 16 a
	# second; and a first cut in the first second, from 4 429s at random
	# in a burst of 32, measured its few milliseconds: 20 a second.  Now
	# a pause lasts as long as an answer takes, and a first cut needs as
	# many refused as taken: a tool is cut, if at all, to about what it did.
	for t in submit poll; do
		low=$(grep -o 'pacing to [0-9.]*' "$d/$t.err" | awk '$3 < 100' | wc -l)
		echo "$t: $(grep -c 'pacing to' "$d/$t.err") cuts, $low of them under 100 a second"
		[ "$low" -eq 0 ]
	done
}

@test "a rate limit (ia-mock --rate-limit 50), default flags: after the first 429s the pace holds it; few refused, each request once" {
	mock_start --rate-limit 50
	reqs 150 > "$IN"
	run --separate-stderr ia-submit -v < "$IN"
	[ "$status" -eq 0 ]
	[ "$(oks | jq -r .custom_id | sort -u | wc -l)" -eq 150 ]
	grep -q '^ia: HTTP 429: pacing to [0-9.]* requests a second$' <<<"$stderr"
	refused=$(stats .rate_limit.refused)
	echo "refused: $refused of $((150 + refused))"
	# Unpaced, each of the 16 in flight is refused about once a second:
	# about 30 of these.  Paced, the first burst and a probe or two.
	[ "$refused" -le 20 ]
	[ "$(stats .rate_limit.allowed)" -eq 150 ]
}
