# shellcheck shell=bash disable=SC2016
# ia-mock's API as a client sees it: routes, validation, generations and their
# states, answers, groups, auth, errors and /mock/stats.  Faults are tested in
# mock-faults.bats.

load helper

# One shared mock for the tests that need no special options.  A test that
# needs other options starts its own mock: each test runs in its own process,
# so its MOCK_* variables never leak into the next test, and teardown stops
# the test's own mock (never the shared one) even when the test fails.
setup_file() {
	mock_start --complete-after 0.2,0.4 --group-delay 0.3
	SHARED_MOCK_PID=$MOCK_PID
	export SHARED_MOCK_PID
}

teardown_file() {
	mock_stop
	mock_stop_all
}

teardown() {
	if [ -n "${MOCK_PID:-}" ] && [ "$MOCK_PID" != "${SHARED_MOCK_PID:-}" ]; then
		mock_stop || true
	fi
}

# jq definitions for the checks: an ISO 8601 UTC time with milliseconds, and
# such a time in milliseconds since the epoch.
JQ_DEFS='
def iso: type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$");
def ms: (.[0:19] + "Z" | fromdateiso8601) * 1000 + (.[20:23] | tonumber);
def words: [splits("[ \\t\\n\\r\\f\\x0b]+") | select(length > 0)] | length;
'
ID_RE='^[A-Za-z0-9_-]{21}$'

# fail MESSAGE: fail the test, saying why on stderr.
fail() {
	printf '%s\n' "$*" >&2
	return 1
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: expected [$3], got [$2]"
}

# expect_status WHAT GOT WANT: as expect_eq, showing the answer's body.
expect_status() {
	[ "$2" = "$3" ] || fail "$1: expected status $3, got $2; body: $(body)"
}

# err_msg: the .error.message of the last answer; fails if there is none.
err_msg() {
	body | jq -er '.error.message | strings | select(length > 0)'
}

# expect_error WHAT CODE STATUS MESSAGE: status and exact error message.
expect_error() {
	local got
	expect_status "$1" "$2" "$3"
	got=$(err_msg) || fail "$1: no JSON error message in: $(body)"
	expect_eq "$1: message" "$got" "$4"
}

# expect_json_error WHAT CODE STATUS: status and some JSON error message.
expect_json_error() {
	expect_status "$1" "$2" "$3"
	err_msg >/dev/null || fail "$1: no JSON error message in: $(body)"
}

# header NAME: the value of a header of the last answer.
header() {
	tr -d '\r' <"$BATS_TEST_TMPDIR/headers" | sed -n "s/^$1:[[:space:]]*//Ip" | tail -n 1
}

# jcheck WHAT JSON FILTER [JQ-OPTIONS...]: FILTER must be true of JSON.
jcheck() {
	local what=$1 json=$2 filter=$3
	shift 3
	printf '%s' "$json" | jq -e "$@" "$JQ_DEFS $filter" >/dev/null ||
	    fail "$what: ($filter) is not true of: $json"
}

# http_as AUTH METHOD PATH [BODY]: as http, with "Authorization: AUTH", or
# with no Authorization header when AUTH is empty.
http_as() {
	local auth=$1 method=$2 path=$3
	local -a h=()
	shift 3
	[ -z "$auth" ] || h=(-H "Authorization: $auth")
	curl -sS --max-time 30 -o "$BATS_TEST_TMPDIR/body" -D "$BATS_TEST_TMPDIR/headers" \
	    -w '%{http_code}' -X "$method" "${h[@]}" \
	    -H 'Content-Type: application/json' \
	    ${1+--data-binary "$1"} "$MOCK_URL$path"
}

# http_file METHOD PATH FILE: as http, with the body read from FILE.
http_file() {
	curl -sS --max-time 30 -o "$BATS_TEST_TMPDIR/body" -D "$BATS_TEST_TMPDIR/headers" \
	    -w '%{http_code}' -X "$1" \
	    -H "Authorization: Bearer $INFERENCE_API_KEY" \
	    -H 'Content-Type: application/json' \
	    --data-binary "@$3" "$MOCK_URL$2"
}

# submit PATH BODY: POST a request that must be accepted; prints its id.
submit() {
	local code
	code=$(http POST "$1" "$2")
	[ "$code" = 200 ] || fail "POST $1: expected 200, got $code: $(body)"
	body | jq -er '.id'
}

# submit_group PATH BODY: POST a group that must be accepted; prints its id.
submit_group() {
	local code
	code=$(http POST "$1" "$2")
	[ "$code" = 200 ] || fail "POST $1: expected 200, got $code: $(body)"
	body | jq -er '.groupId'
}

# get_gen ID: the generation, which must exist.
get_gen() {
	local code
	code=$(http GET "/v1/generation/$1")
	[ "$code" = 200 ] || fail "GET /v1/generation/$1: expected 200, got $code: $(body)"
	body
}

# get_group PATH-PREFIX GROUP-ID: the group's generations, which must be listed.
get_group() {
	local code
	code=$(http GET "$1/$2/generations")
	[ "$code" = 200 ] || fail "GET $1/$2/generations: expected 200, got $code: $(body)"
	body
}

# now_ms: the wall clock in milliseconds.
now_ms() {
	date +%s%3N
}

# sleep_until T0 MS: sleep until MS milliseconds after T0 (from now_ms).
sleep_until() {
	local left=$(($1 + $2 - $(now_ms)))
	if [ "$left" -gt 0 ]; then
		sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
	fi
}

@test "submit: POST /v1/async/chat/completions and /v1/slow/chat/completions answer 200 with a 21-character id" {
	local path code id ids=()
	for path in /v1/async/chat/completions /v1/slow/chat/completions; do
		code=$(http POST "$path" "$(chat "hello from $path")")
		expect_status "POST $path" "$code" 200
		jcheck "POST $path" "$(body)" 'keys == ["id"] and (.id | test($re))' --arg re "$ID_RE"
		expect_eq "POST $path: Content-Type" "$(header Content-Type)" application/json
		ids+=("$(body | jq -r .id)")
	done
	[ "${ids[0]}" != "${ids[1]}" ] || fail "two submissions got the same id ${ids[0]}"
	id=${ids[1]}
	jcheck "the slow-alias generation" "$(get_gen "$id")" \
	    '.id == $id and .request.messages[0].content == "hello from /v1/slow/chat/completions"' \
	    --arg id "$id"
}

@test "text completions: /v1/async/completions takes a prompt; a chat body there and a text body on the chat route are 400" {
	local code id
	for path in /v1/async/completions /v1/slow/completions; do
		code=$(http POST "$path" '{"model":"m","prompt":"Say hi"}')
		expect_status "POST $path" "$code" 200
		jcheck "POST $path" "$(body)" 'keys == ["id"] and (.id | test($re))' --arg re "$ID_RE"
		id=$(body | jq -r .id)
		jcheck "text generation" "$(get_gen "$id")" '.request == {"model":"m","prompt":"Say hi"}'
	done

	code=$(http POST /v1/async/completions "$(chat hi)")
	expect_error "chat body on the text route" "$code" 400 \
	    "messages is not allowed in a text completion (a request with messages is a chat completion)"

	code=$(http POST /v1/async/chat/completions '{"model":"m","prompt":"Say hi"}')
	expect_status "text body on the chat route" "$code" 400
	case $(err_msg) in
	*"text completion"*) ;;
	*) fail "text body on the chat route: message does not mention a text completion: $(body)" ;;
	esac
	expect_eq "text body on the chat route: message" "$(err_msg)" \
	    "messages is required (a request with prompt is a text completion)"
}

@test "validation: every invalid request is 400 with a message naming the field, and creates nothing" {
	local before code i route body mode want got n=0
	local msgs='"messages":[{"role":"user","content":"x"}]'
	# route (C chat, S chat under /v1/slow, T text), match (eq exact, pre prefix), body, message
	local -a cases=(
		C eq '' 'request body is empty; expected a JSON object'
		T eq '' 'request body is empty; expected a JSON object'
		C pre '{"model": "m",' 'request body is not valid JSON: '
		S pre 'not json at all' 'request body is not valid JSON: '
		T pre '{"model":"m","prompt":"x"' 'request body is not valid JSON: '
		C eq '[{"model":"m"}]' 'request body must be a JSON object, not array'
		T eq '[]' 'request body must be a JSON object, not array'
		C eq "{$msgs}" 'model is required'
		C eq "{\"model\":5,$msgs}" 'model must be a string'
		C eq "{\"model\":null,$msgs}" 'model must be a string'
		C eq "{\"model\":\"\",$msgs}" 'model must not be empty'
		C eq "{\"model\":\"m\",\"metadata\":\"req-1\",$msgs}" 'metadata must be an object'
		C eq "{\"model\":\"m\",\"metadata\":[\"req-1\"],$msgs}" 'metadata must be an object'
		C eq '{"model":"m"}' 'messages is required'
		C eq '{"model":"m","prompt":"x"}' 'messages is required (a request with prompt is a text completion)'
		C eq '{"model":"m","messages":[]}' 'messages must be a non-empty array'
		C eq '{"model":"m","messages":"hi"}' 'messages must be a non-empty array'
		C eq '{"model":"m","messages":["hi"]}' 'messages[0] must be an object'
		C eq '{"model":"m","messages":[{"content":"x"}]}' 'messages[0].role must be a string'
		C eq '{"model":"m","messages":[{"role":1,"content":"x"}]}' 'messages[0].role must be a string'
		C eq '{"model":"m","messages":[{"role":"user"}]}' 'messages[0].content is required'
		S eq '{"model":"m","messages":[{"role":"user","content":"x"},{"role":"user"}]}' 'messages[1].content is required'
		T eq '{"model":"m"}' 'prompt is required'
		T eq '{"prompt":"x"}' 'model is required'
		T eq '{"model":"m","prompt":5}' 'prompt must be a string or a non-empty array of strings'
		T eq '{"model":"m","prompt":[]}' 'prompt must be a string or a non-empty array of strings'
		T eq '{"model":"m","prompt":["a",1]}' 'prompt must be a string or a non-empty array of strings'
		T eq "{\"model\":\"m\",$msgs}" 'messages is not allowed in a text completion (a request with messages is a chat completion)'
	)
	before=$(stats .generations.total)
	for ((i = 0; i < ${#cases[@]}; i += 4)); do
		case ${cases[i]} in
		C) route=/v1/async/chat/completions ;;
		S) route=/v1/slow/chat/completions ;;
		T) route=/v1/async/completions ;;
		esac
		mode=${cases[i + 1]} body=${cases[i + 2]} want=${cases[i + 3]}
		code=$(http POST "$route" "$body")
		expect_status "POST $route $body" "$code" 400
		got=$(err_msg) || fail "POST $route $body: no JSON error message: $(body)"
		if [ "$mode" = eq ]; then
			expect_eq "POST $route $body: message" "$got" "$want"
		else
			[ "${got#"$want"}" != "$got" ] && [ -n "${got#"$want"}" ] ||
			    fail "POST $route $body: message [$got] does not start with [$want]"
		fi
		n=$((n + 1))
	done
	[ "$n" -eq 28 ]
	expect_eq "generations after invalid requests" "$(stats .generations.total)" "$before"
}

@test "GET /v1/generation/{id}: the request as sent while queued, then the answer, times and usage once done; unknown ids are 404" {
	local req id g t0 t1 bad code
	req='{"model":"test-model","messages":[{"role":"system","content":"Be concise."},{"role":"user","content":"What is the capital of France?"}],"max_tokens":100,"temperature":0.5,"metadata":{"custom_id":"req-001","webhook_id":"AhALzdz8S"}}'
	t0=$(now_ms)
	id=$(submit /v1/async/chat/completions "$req")
	t1=$(now_ms)
	g=$(get_gen "$id")
	jcheck "generation while running" "$g" '
	    .id == $id and (.state == "Queued" or .state == "In Progress") and
	    .stateMessage == .state and .request == $req and
	    .request.metadata.custom_id == "req-001" and
	    (.createdAt | iso) and ((.createdAt | ms) - $t0 | fabs) < 5000 and
	    (if .state == "Queued" then .dispatchedAt == null else (.dispatchedAt | iso) end) and
	    .finishedAt == null and (has("response") | not)' \
	    --arg id "$id" --argjson req "$req" --argjson t0 "$t0"

	sleep_until "$t1" 450
	g=$(get_gen "$id")
	jcheck "finished generation" "$g" '
	    .id == $id and .state == "Success" and .stateMessage == "Completed" and
	    .request == $req and .request.metadata.custom_id == "req-001" and
	    .response.object == "chat.completion" and .response.id == "chatcmpl-" + $id and
	    .response.model == "test-model" and (.response.choices | length) == 1 and
	    .response.choices[0].index == 0 and
	    .response.choices[0].message.role == "assistant" and
	    .response.choices[0].message.content == $answer and
	    .response.choices[0].finish_reason == "stop" and
	    .response.usage == {"prompt_tokens": 8, "completion_tokens": 8, "total_tokens": 16} and
	    .response.usage.total_tokens == .response.usage.prompt_tokens + .response.usage.completion_tokens and
	    all(.createdAt, .dispatchedAt, .finishedAt; iso) and
	    (.createdAt | ms) <= (.dispatchedAt | ms) and
	    (.dispatchedAt | ms) <= (.finishedAt | ms) and
	    ((.finishedAt | ms) - (.createdAt | ms)) as $total |
	    ((.dispatchedAt | ms) - (.createdAt | ms)) as $dispatch |
	    $total >= 200 and $total <= 400 and
	    $dispatch >= $total * 0.1 - 1 and $dispatch <= $total * 0.5 + 1' \
	    --arg id "$id" --argjson req "$req" \
	    --arg answer "$(expected_answer "What is the capital of France?")"

	# An id it never gave out: a real one with its first character changed,
	# a well-formed one, and ones of the wrong length or alphabet.
	case $id in
	A*) bad=B${id#?} ;;
	*) bad=A${id#?} ;;
	esac
	for bad in "$bad" AAAAAAAAAAAAAAAAAAAAA zzzzzzzzzzzzzzzzzzzzz \
	    '!!!!!!!!!!!!!!!!!!!!!' '~~~~~~~~~~~~~~~~~~~~~' x "${id}x" "${id%?}"; do
		code=$(http GET "/v1/generation/$bad")
		expect_json_error "GET /v1/generation/$bad" "$code" 404
		expect_eq "GET /v1/generation/$bad: Content-Type" "$(header Content-Type)" application/json
	done
}

@test "states: a generation goes Queued, then In Progress, then Success, never back, and finishes on time" {
	local t0 id g s now i rank last=-1 first='' seen_progress=0 done_at=''
	mock_start --complete-after 1.5
	t0=$(now_ms)
	id=$(submit /v1/async/chat/completions "$(chat "progress check")")
	for i in $(seq 50); do
		g=$(get_gen "$id")
		now=$(now_ms)
		s=$(jq -r .state <<<"$g")
		case $s in
		Queued)
			rank=0
			jcheck "Queued" "$g" '.stateMessage == "Queued" and .dispatchedAt == null and
			    .finishedAt == null and (has("response") | not)'
			;;
		"In Progress")
			rank=1
			seen_progress=1
			jcheck "In Progress" "$g" '.stateMessage == "In Progress" and (.dispatchedAt | iso) and
			    .finishedAt == null and (has("response") | not)'
			;;
		Success)
			rank=2
			jcheck "Success" "$g" '.stateMessage == "Completed" and (.dispatchedAt | iso) and
			    (.finishedAt | iso) and .response.choices[0].message.content == $a' \
			    --arg a "$(expected_answer "progress check")"
			;;
		*) fail "unexpected state [$s]: $g" ;;
		esac
		[ -n "$first" ] || first=$s
		[ "$rank" -ge "$last" ] || fail "state went back to $s: $g"
		last=$rank
		if [ "$s" = Success ]; then
			done_at=$((now - t0))
			break
		fi
		sleep 0.1
	done
	[ "$first" = Queued ] || [ "$first" = "In Progress" ] || fail "first state seen: $first"
	[ "$seen_progress" = 1 ] || fail "never saw In Progress"
	[ -n "$done_at" ] || fail "no Success after $(($(now_ms) - t0)) ms: $g"
	[ "$done_at" -ge 1450 ] || fail "Success after only $done_at ms with --complete-after 1.5"
	jcheck "timestamps" "$g" '
	    ((.finishedAt | ms) - (.createdAt | ms)) == 1500 and
	    ((.dispatchedAt | ms) - (.createdAt | ms)) as $d | $d >= 149 and $d <= 751'
	mock_stop
}

@test "answers: each generation answers its own request (unicode, lines, parts, last message, prompt arrays) with word-count usage" {
	# kind (C chat, T text), request, TEXT answered as a JSON string, prompt words, answer words
	local -a cases=(
		C '{"model":"m","messages":[{"role":"user","content":"hello"}]}' '"hello"' 1 3
		C '{"model":"m","messages":[{"role":"user","content":"héllo wörld ✓ 日本"}]}' '"héllo wörld ✓ 日本"' 4 6
		C '{"model":"m","messages":[{"role":"user","content":"line1\nline2"}]}' '"line1\nline2"' 2 4
		C '{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a "},{"type":"text","text":"b"}]}]}' '"a b"' 2 4
		C '{"model":"m","messages":[{"role":"system","content":"Be concise."},{"role":"user","content":"What is the capital of France?"},{"role":"assistant","content":"Paris."},{"role":"user","content":"And of Spain?"}]}' '"And of Spain?"' 12 5
		T '{"model":"m","prompt":"Once upon a time"}' '"Once upon a time"' 4 6
		T '{"model":"m","prompt":["first prompt","second one here"]}' '"second one here"' 5 5
		C '{"model":"m","messages":[{"role":"user","content":"a\tb  c"}]}' '"a\tb  c"' 3 5
		C '{"model":"m","messages":[{"role":"user","content":"  spaced  out  "}]}' '"  spaced  out  "' 2 4
		C '{"model":"m","messages":[{"role":"user","content":""}]}' '""' 0 2
		C '{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://x/y.png"}},{"type":"text","text":"describe"}]}]}' '"describe"' 1 3
		C '{"model":"m","messages":[{"role":"user","content":"say \"hi\" \\ back"}]}' '"say \"hi\" \\ back"' 4 6
		C '{"model":"m","messages":[{"role":"user","content":"one two three four five six seven eight nine ten"}]}' '"one two three four five six seven eight nine ten"' 10 12
		C '{"model":"m","messages":[{"role":"user","content":"🙂 smile"}]}' '"🙂 smile"' 2 4
		C '{"model":"other-model","messages":[{"role":"user","content":"hello"}],"metadata":{"custom_id":"again"}}' '"hello"' 1 3
		C '{"model":"m","messages":[{"role":"user","content":"question here"},{"role":"system","content":"final note"}]}' '"final note"' 4 4
		T '{"model":"m","prompt":"p1\np2 p3"}' '"p1\np2 p3"' 3 5
		C '{"model":"m","messages":[{"role":"user","content":"<tag>&amp;"}]}' '"<tag>&amp;"' 1 3
		T '{"model":"m","prompt":["only"]}' '"only"' 1 3
		C '{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x y"}]},{"role":"user","content":"z"}]}' '"z"' 3 3
	)
	local i n route t0 text want g field
	local -a ids=()
	n=${#cases[@]}
	[ "$n" -eq 100 ]
	for ((i = 0; i < n; i += 5)); do
		[ "${cases[i]}" = T ] && route=/v1/async/completions || route=/v1/async/chat/completions
		ids+=("$(submit "$route" "${cases[i + 1]}")")
	done
	# the last one created finishes within 0.4 s
	t0=$(now_ms)
	sleep_until "$t0" 450
	for ((i = 0; i < n; i += 5)); do
		[ "${cases[i]}" = T ] && field=.text || field=.message.content
		text=$(jq -jn --argjson t "${cases[i + 2]}" '$t')
		want=$(expected_answer "$text")
		g=$(get_gen "${ids[i / 5]}")
		jcheck "answer to ${cases[i + 1]}" "$g" "
		    .state == \"Success\" and .request == \$req and
		    .response.choices[0]$field == \$want and
		    .response.choices[0].finish_reason == \"stop\" and
		    .response.usage.prompt_tokens == \$p and
		    .response.usage.completion_tokens == \$c and
		    .response.usage.completion_tokens == (\$want | words) and
		    .response.usage.total_tokens == \$p + \$c" \
		    --argjson req "${cases[i + 1]}" --arg want "$want" \
		    --argjson p "${cases[i + 3]}" --argjson c "${cases[i + 4]}"
	done
}

@test "max_tokens and max_completion_tokens cut the answer after that many words with finish_reason length" {
	local q='one two three four' i t0 g field route
	# extra request fields, answer, finish_reason, completion_tokens
	local -a cases=(
		'{"max_tokens":2}' 'Answer to:' length 2
		'{"max_completion_tokens":2}' 'Answer to:' length 2
		'{"max_tokens":3}' 'Answer to: one' length 3
		'{"max_completion_tokens":5}' 'Answer to: one two three' length 5
		'{"max_tokens":0}' '' length 0
		'{"max_tokens":6}' 'Answer to: one two three four' stop 6
		'{"max_tokens":100}' 'Answer to: one two three four' stop 6
		'{"max_completion_tokens":1000}' 'Answer to: one two three four' stop 6
		'{"max_tokens":"2"}' 'Answer to: one two three four' stop 6
	)
	local -a ids=() tids=()
	for ((i = 0; i < ${#cases[@]}; i += 4)); do
		ids+=("$(submit /v1/async/chat/completions "$(chat "$q" "${cases[i]}")")")
	done
	tids+=("$(submit /v1/async/completions '{"model":"m","prompt":"one two three four","max_tokens":2}')")
	tids+=("$(submit /v1/async/completions '{"model":"m","prompt":"one two three four","max_completion_tokens":3}')")
	t0=$(now_ms)
	sleep_until "$t0" 450
	for ((i = 0; i < ${#cases[@]}; i += 4)); do
		g=$(get_gen "${ids[i / 4]}")
		jcheck "chat \"$q\" with ${cases[i]}" "$g" '
		    .state == "Success" and
		    .response.choices[0].message.content == $a and
		    .response.choices[0].finish_reason == $f and
		    .response.usage == {"prompt_tokens": 4, "completion_tokens": $c, "total_tokens": (4 + $c)}' \
		    --arg a "${cases[i + 1]}" --arg f "${cases[i + 2]}" --argjson c "${cases[i + 3]}"
	done
	jcheck "text with max_tokens 2" "$(get_gen "${tids[0]}")" '
	    .response.choices[0].text == "Answer to:" and .response.choices[0].finish_reason == "length" and
	    .response.usage.completion_tokens == 2'
	jcheck "text with max_completion_tokens 3" "$(get_gen "${tids[1]}")" '
	    .response.choices[0].text == "Answer to: one" and .response.choices[0].finish_reason == "length" and
	    .response.usage.completion_tokens == 3'
}

@test "text completion response: object text_completion with the answer in choices[0].text" {
	local req='{"model":"text-model","prompt":"Tell me a story","metadata":{"custom_id":"t-1"}}' id t0
	id=$(submit /v1/async/completions "$req")
	t0=$(now_ms)
	sleep_until "$t0" 450
	jcheck "text completion" "$(get_gen "$id")" '
	    .state == "Success" and .stateMessage == "Completed" and .request == $req and
	    .response.object == "text_completion" and .response.model == "text-model" and
	    (.response.choices | length) == 1 and
	    .response.choices[0].text == $a and (.response.choices[0] | has("message") | not) and
	    .response.choices[0].finish_reason == "stop" and
	    .response.usage == {"prompt_tokens": 4, "completion_tokens": 6, "total_tokens": 10}' \
	    --argjson req "$req" --arg a "$(expected_answer "Tell me a story")"
}

@test "groups: a group is 404 during --group-delay, then lists each generation with its own answer; /v1/slow/ and text groups work" {
	local reqs sreqs treqs code gid sgid tgid t0 tlast g i id
	mock_start --group-delay 1 --complete-after 0.2,0.4
	reqs=$(jq -nc '{requests: [range(3) | {model: "m", messages: [{role: "user", content: "group question \(.)"}], metadata: {custom_id: "g-\(.)"}}]}')
	sreqs=$(jq -nc '{requests: [range(2) | {model: "m", messages: [{role: "user", content: "slow question \(.)"}], metadata: {custom_id: "s-\(.)"}}]}')
	treqs=$(jq -nc '{requests: [range(3) | {model: "m", prompt: "text prompt \(.)", metadata: {custom_id: "t-\(.)"}}]}')
	t0=$(now_ms)
	code=$(http POST /v1/async/group/chat/completions "$reqs")
	expect_status "POST group of 3" "$code" 200
	jcheck "group answer" "$(body)" 'keys == ["groupId", "groupSize"] and .groupSize == 3 and (.groupId | test($re))' --arg re "$ID_RE"
	gid=$(body | jq -r .groupId)
	code=$(http POST /v1/slow/group/chat/completions "$sreqs")
	expect_status "POST /v1/slow/group/chat/completions" "$code" 200
	jcheck "slow group answer" "$(body)" '.groupSize == 2 and (.groupId | test($re))' --arg re "$ID_RE"
	sgid=$(body | jq -r .groupId)
	code=$(http POST /v1/async/group/completions "$treqs")
	expect_status "POST /v1/async/group/completions" "$code" 200
	jcheck "text group answer" "$(body)" '.groupSize == 3 and (.groupId | test($re))' --arg re "$ID_RE"
	tgid=$(body | jq -r .groupId)
	tlast=$(now_ms)
	[ "$gid" != "$sgid" ] && [ "$gid" != "$tgid" ] && [ "$sgid" != "$tgid" ]

	for g in "/v1/async/group/$gid" "/v1/slow/group/$sgid" "/v1/async/group/$tgid"; do
		code=$(http GET "$g/generations")
		expect_json_error "GET $g/generations at once" "$code" 404
	done
	sleep 0.5
	if [ $(($(now_ms) - t0)) -lt 900 ]; then
		code=$(http GET "/v1/async/group/$gid/generations")
		expect_json_error "GET group generations after 0.5 s of 1" "$code" 404
	fi
	sleep_until "$tlast" 1100

	g=$(get_group /v1/async/group "$gid")
	jcheck "group of 3" "$g" '(.generations | length) == 3 and
	    ([.generations[].request.metadata.custom_id] | sort) == ["g-0", "g-1", "g-2"] and
	    ([.generations[].id] | unique | length) == 3 and
	    all(.generations[]; .state == "Success" and .stateMessage == "Completed" and (.id | test($re)))' \
	    --arg re "$ID_RE"
	for i in 0 1 2; do
		jcheck "group member g-$i" "$g" '.generations[] | select(.request.metadata.custom_id == $c) |
		    .request == $req and .response.choices[0].message.content == $a' \
		    --arg c "g-$i" --argjson req "$(jq -c ".requests[$i]" <<<"$reqs")" \
		    --arg a "$(expected_answer "group question $i")"
		id=$(jq -r --arg c "g-$i" '.generations[] | select(.request.metadata.custom_id == $c) | .id' <<<"$g")
		jcheck "GET /v1/generation of group member g-$i" "$(get_gen "$id")" \
		    '.id == $id and .request.metadata.custom_id == $c' --arg id "$id" --arg c "g-$i"
	done
	jcheck "group via /v1/slow/" "$(get_group /v1/slow/group "$gid")" '(.generations | length) == 3'

	g=$(get_group /v1/slow/group "$sgid")
	jcheck "slow group" "$g" '(.generations | length) == 2 and
	    ([.generations[].request.metadata.custom_id] | sort) == ["s-0", "s-1"]'
	for i in 0 1; do
		jcheck "slow group member s-$i" "$g" '.generations[] | select(.request.metadata.custom_id == $c) |
		    .state == "Success" and .response.choices[0].message.content == $a' \
		    --arg c "s-$i" --arg a "$(expected_answer "slow question $i")"
	done
	jcheck "slow group via /v1/async/" "$(get_group /v1/async/group "$sgid")" '(.generations | length) == 2'

	g=$(get_group /v1/async/group "$tgid")
	jcheck "text group" "$g" '(.generations | length) == 3 and
	    ([.generations[].request.metadata.custom_id] | sort) == ["t-0", "t-1", "t-2"]'
	for i in 0 1 2; do
		jcheck "text group member t-$i" "$g" '.generations[] | select(.request.metadata.custom_id == $c) |
		    .state == "Success" and .response.object == "text_completion" and
		    .response.choices[0].text == $a' \
		    --arg c "t-$i" --arg a "$(expected_answer "text prompt $i")"
	done
	mock_stop
}

@test "groups: 1 to 50 requests; 0, 51, missing or non-array requests, an invalid request or chat mixed with text are 400 and create nothing" {
	local before after code body one text
	one=$(chat "member")
	text='{"model":"m","prompt":"member"}'
	before=$(stats '[.generations.total, .groups]')
	code=$(http POST /v1/async/group/chat/completions \
	    "$(jq -nc '{requests: [range(50) | {model: "m", messages: [{role: "user", content: "n \(.)"}]}]}')")
	expect_status "group of 50" "$code" 200
	jcheck "group of 50" "$(body)" '.groupSize == 50'
	after=$(stats '[.generations.total, .groups]')
	jcheck "stats after a group of 50" "$after" '. == [$b[0] + 50, $b[1] + 1]' --argjson b "$before"

	# group route, body, message (prefix when it ends in "...")
	local -a cases=(
		chat "$(jq -nc --argjson r "$one" '{requests: [range(51) | $r]}')" 'requests must hold 1 to 50 requests, not 51'
		text "$(jq -nc --argjson r "$text" '{requests: [range(51) | $r]}')" 'requests must hold 1 to 50 requests, not 51'
		chat '{"requests":[]}' 'requests must hold 1 to 50 requests, not 0'
		text '{"requests":[]}' 'requests must hold 1 to 50 requests, not 0'
		chat '{}' 'requests is required'
		text '{"request":[]}' 'requests is required'
		chat "{\"requests\":$one}" 'requests...'
		text '{"requests":"x"}' 'requests...'
		chat '' 'request body is empty; expected a JSON object'
		chat '[]' 'request body must be a JSON object, not array'
		chat "$(jq -nc --argjson r "$one" '{requests: [$r, $r, $r, ($r | .messages = []), $r, $r]}')" \
		    'requests[3]: messages must be a non-empty array'
		chat "$(jq -nc --argjson r "$one" '{requests: [$r, ($r | del(.model))]}')" \
		    'requests[1]: model is required'
		chat "$(jq -nc --argjson r "$one" --argjson t "$text" '{requests: [$r, $t, $r]}')" \
		    'requests[1]: a text completion in a chat group (a group must not mix chat and text completions)'
		text "$(jq -nc --argjson r "$one" --argjson t "$text" '{requests: [$t, $t, $r, $t]}')" \
		    'requests[2]: a chat completion in a text group (a group must not mix chat and text completions)'
		text "$(jq -nc --argjson t "$text" '{requests: [$t, $t, $t, $t, ($t | .prompt = 5)]}')" \
		    'requests[4]: prompt must be a string or a non-empty array of strings'
	)
	local i route want got
	for ((i = 0; i < ${#cases[@]}; i += 3)); do
		[ "${cases[i]}" = chat ] && route=/v1/async/group/chat/completions ||
		    route=/v1/async/group/completions
		body=${cases[i + 1]} want=${cases[i + 2]}
		code=$(http POST "$route" "$body")
		expect_status "POST $route ${body:0:200}" "$code" 400
		got=$(err_msg) || fail "POST $route ${body:0:200}: no JSON error message: $(body)"
		case $want in
		*...) [ "${got#"${want%...}"}" != "$got" ] ||
		    fail "POST $route ${body:0:200}: message [$got] does not start with [${want%...}]" ;;
		*) expect_eq "POST $route ${body:0:200}: message" "$got" "$want" ;;
		esac
		expect_eq "generations and groups after POST $route ${body:0:200}" \
		    "$(stats '[.generations.total, .groups]')" "$after"
	done
}

@test "groups: generations come back in an order that is not the submit order, drawn anew per listing, each exactly once" {
	local reqs gid t0 g ids k
	local -a orders=()
	reqs=$(jq -nc '{requests: [range(10) | {model: "m", messages: [{role: "user", content: "order \(.)"}], metadata: {custom_id: "o-\(.)"}}]}')
	gid=$(submit_group /v1/async/group/chat/completions "$reqs")
	t0=$(now_ms)
	sleep_until "$t0" 450
	for k in 1 2 3; do
		g=$(get_group /v1/async/group "$gid")
		ids=$(jq -c '[.generations[].request.metadata.custom_id]' <<<"$g")
		orders+=("$ids")
		jcheck "group of 10, listing $k" "$ids" '
		    length == 10 and sort == $submitted and (unique | length) == 10 and . != $submitted' \
		    --argjson submitted '["o-0","o-1","o-2","o-3","o-4","o-5","o-6","o-7","o-8","o-9"]'
		jcheck "group of 10 answers" "$g" 'all(.generations[];
		    .state == "Success" and
		    .response.choices[0].message.content == "Answer to: order " + (.request.metadata.custom_id | ltrimstr("o-")))'
	done
	# the order is drawn anew for each listing: three draws of 10! orders all
	# alike would mean it is fixed
	[ "${orders[0]}" != "${orders[1]}" ] || [ "${orders[1]}" != "${orders[2]}" ] ||
	    fail "three listings in the same order: ${orders[0]}"
}

@test "groups: an unknown group id is 404" {
	local gid bad code t0 id
	gid=$(submit_group /v1/async/group/chat/completions "{\"requests\":[$(chat "known group")]}")
	t0=$(now_ms)
	id=$(submit /v1/async/chat/completions "$(chat "not a group")")
	sleep_until "$t0" 350
	get_group /v1/async/group "$gid" >/dev/null
	case $gid in
	A*) bad=B${gid#?} ;;
	*) bad=A${gid#?} ;;
	esac
	for bad in "$bad" "$id" AAAAAAAAAAAAAAAAAAAAA zzzzzzzzzzzzzzzzzzzzz x "${gid}x"; do
		for prefix in /v1/async/group /v1/slow/group; do
			code=$(http GET "$prefix/$bad/generations")
			expect_json_error "GET $prefix/$bad/generations" "$code" 404
		done
	done
}

@test "auth: every route needs a bearer token (401 + WWW-Authenticate), and with --key only that token" {
	local id gid t0 before i auth code
	id=$(submit /v1/async/chat/completions "$(chat "auth")")
	gid=$(submit_group /v1/async/group/chat/completions "{\"requests\":[$(chat "auth")]}")
	t0=$(now_ms)
	local -a methods=(POST POST GET POST POST GET GET)
	local -a paths=(/v1/async/chat/completions /v1/async/completions "/v1/generation/$id"
	    /v1/async/group/chat/completions /v1/async/group/completions
	    "/v1/async/group/$gid/generations" /mock/stats)
	local -a bodies=("$(chat auth)" '{"model":"m","prompt":"auth"}' ''
	    "{\"requests\":[$(chat auth)]}" '{"requests":[{"model":"m","prompt":"auth"}]}' '' '')
	sleep_until "$t0" 350
	before=$(stats '[.generations.total, .groups]')
	for auth in '' 'Bearer ' 'Bearer    ' 'Basic xyz' 'Basic dGVzdDp0ZXN0' "$INFERENCE_API_KEY"; do
		for ((i = 0; i < 7; i++)); do
			if [ -n "${bodies[i]}" ]; then
				code=$(http_as "$auth" "${methods[i]}" "${paths[i]}" "${bodies[i]}")
			else
				code=$(http_as "$auth" "${methods[i]}" "${paths[i]}")
			fi
			expect_json_error "${methods[i]} ${paths[i]} with Authorization [$auth]" "$code" 401
			expect_eq "${methods[i]} ${paths[i]} with Authorization [$auth]: WWW-Authenticate" \
			    "$(header WWW-Authenticate)" Bearer
		done
	done
	expect_eq "generations and groups after unauthorized requests" \
	    "$(stats '[.generations.total, .groups]')" "$before"
	# the same routes with a token answer (the shared mock takes any token)
	for ((i = 0; i < 7; i++)); do
		if [ -n "${bodies[i]}" ]; then
			code=$(http_as "Bearer any-token" "${methods[i]}" "${paths[i]}" "${bodies[i]}")
		else
			code=$(http_as "Bearer any-token" "${methods[i]}" "${paths[i]}")
		fi
		expect_status "${methods[i]} ${paths[i]} with any token" "$code" 200
	done

	mock_start --key secret --group-delay 0
	id=$(http_as "Bearer secret" POST /v1/async/chat/completions "$(chat auth)" >/dev/null; body | jq -er .id)
	gid=$(http_as "Bearer secret" POST /v1/async/group/chat/completions "{\"requests\":[$(chat auth)]}" >/dev/null; body | jq -er .groupId)
	paths[2]=/v1/generation/$id
	paths[5]=/v1/async/group/$gid/generations
	for ((i = 0; i < 7; i++)); do
		for auth in 'Bearer wrong' 'Bearer secre' 'Bearer secrets' 'Bearer SECRET' 'Basic secret' '' "Bearer $INFERENCE_API_KEY"; do
			if [ -n "${bodies[i]}" ]; then
				code=$(http_as "$auth" "${methods[i]}" "${paths[i]}" "${bodies[i]}")
			else
				code=$(http_as "$auth" "${methods[i]}" "${paths[i]}")
			fi
			expect_json_error "--key secret: ${methods[i]} ${paths[i]} with Authorization [$auth]" "$code" 401
			expect_eq "--key secret: ${methods[i]} ${paths[i]} [$auth]: WWW-Authenticate" \
			    "$(header WWW-Authenticate)" Bearer
		done
		if [ -n "${bodies[i]}" ]; then
			code=$(http_as "Bearer secret" "${methods[i]}" "${paths[i]}" "${bodies[i]}")
		else
			code=$(http_as "Bearer secret" "${methods[i]}" "${paths[i]}")
		fi
		expect_status "--key secret: ${methods[i]} ${paths[i]} with the key" "$code" 200
	done
	mock_stop
}

@test "routing: an unknown path is 404 JSON; a wrong method on a known path is 405 with Allow" {
	local code m p want i
	for p in / /v1 /v1/nope /v1/async/nope /v1/async/chat /v1/generation/ /v1/generations/abc \
	    /mock /mock/stats/x /v2/async/chat/completions /v1/async/group//generations; do
		for m in GET POST; do
			code=$(http "$m" "$p")
			expect_json_error "$m $p" "$code" 404
			expect_eq "$m $p: Content-Type" "$(header Content-Type)" application/json
		done
	done
	local -a cases=(
		GET /v1/async/chat/completions POST
		GET /v1/slow/chat/completions POST
		PUT /v1/async/completions POST
		GET /v1/async/group/chat/completions POST
		DELETE /v1/async/group/completions POST
		POST /v1/generation/x GET
		DELETE /v1/generation/AAAAAAAAAAAAAAAAAAAAA GET
		POST /v1/async/group/abc/generations GET
		POST /mock/stats GET
	)
	for ((i = 0; i < ${#cases[@]}; i += 3)); do
		m=${cases[i]} p=${cases[i + 1]} want=${cases[i + 2]}
		code=$(http "$m" "$p")
		expect_json_error "$m $p" "$code" 405
		expect_eq "$m $p: Allow" "$(header Allow)" "$want"
	done
}

@test "/mock/stats: counts requests per route (slow aliases under async), generations per state and groups, not its own requests" {
	local s t0 tlast id gid sgid i states elapsed
	local -a ids=()
	# --fail-rate 0.5 with this seed makes some of these 6 generations fail
	mock_start --complete-after 3 --group-delay 0 --fail-rate 0.5 --seed 7
	s=$(stats)
	jcheck "fresh stats" "$s" '.requests == {"total": 0, "POST /v1/async/chat/completions": 0,
	    "POST /v1/async/completions": 0, "GET /v1/generation/{id}": 0,
	    "POST /v1/async/group/chat/completions": 0, "POST /v1/async/group/completions": 0,
	    "GET /v1/async/group/{id}/generations": 0, "other": 0} and
	    .generations == {"total": 0, "Queued": 0, "In Progress": 0, "Success": 0, "Failed": 0} and
	    .groups == 0'
	t0=$(now_ms)
	ids[0]=$(submit /v1/async/chat/completions "$(chat "stats one")")
	stats >/dev/null
	ids[1]=$(submit /v1/slow/chat/completions "$(chat "stats two")")
	expect_status "invalid chat" "$(http POST /v1/async/chat/completions '{"model":"m"}')" 400
	ids[2]=$(submit /v1/async/completions '{"model":"m","prompt":"stats three"}')
	get_gen "${ids[0]}" >/dev/null
	expect_status "unknown generation" "$(http GET /v1/generation/AAAAAAAAAAAAAAAAAAAAA)" 404
	gid=$(submit_group /v1/async/group/chat/completions "{\"requests\":[$(chat "g one"),$(chat "g two")]}")
	stats >/dev/null
	sgid=$(submit_group /v1/slow/group/completions '{"requests":[{"model":"m","prompt":"g three"}]}')
	tlast=$(now_ms)
	get_group /v1/async/group "$gid" >/dev/null
	expect_status "unknown group" "$(http GET /v1/slow/group/AAAAAAAAAAAAAAAAAAAAA/generations)" 404
	expect_status "unknown path" "$(http GET /nope)" 404
	s=$(stats)
	elapsed=$(($(now_ms) - t0))
	jcheck "stats after the sequence" "$s" '.requests == {"total": 11,
	    "POST /v1/async/chat/completions": 3, "POST /v1/async/completions": 1,
	    "GET /v1/generation/{id}": 2, "POST /v1/async/group/chat/completions": 1,
	    "POST /v1/async/group/completions": 1, "GET /v1/async/group/{id}/generations": 2,
	    "other": 1} and
	    .generations.total == 6 and .groups == 2'
	# dispatch comes at 10% to 50% of 3 s: before 300 ms every one is Queued
	if [ "$elapsed" -lt 300 ]; then
		jcheck "stats before any dispatch" "$s" \
		    '.generations == {"total": 6, "Queued": 6, "In Progress": 0, "Success": 0, "Failed": 0}'
	fi
	for i in 1 2 3; do
		stats >/dev/null
	done
	# all dispatched (at most 50% of 3 s after creation), none finished (3 s)
	sleep_until "$tlast" 1600
	elapsed=$(($(now_ms) - t0))
	s=$(stats)
	jcheck "stats while in progress" "$s" '.requests.total == 11 and .generations.total == 6 and
	    .generations.Queued == 0 and .groups == 2'
	if [ "$elapsed" -lt 2900 ]; then
		jcheck "stats while in progress" "$s" \
		    '.generations == {"total": 6, "Queued": 0, "In Progress": 6, "Success": 0, "Failed": 0}'
	fi
	sleep_until "$tlast" 3100
	s=$(stats)
	jcheck "stats when done" "$s" '.requests.total == 11 and .generations.total == 6 and
	    .generations.Queued == 0 and .generations["In Progress"] == 0 and
	    .generations.Success + .generations.Failed == 6 and
	    .generations.Success > 0 and .generations.Failed > 0 and .groups == 2'
	# The per-state counts agree with the generations themselves.
	states=$( {
		for i in 0 1 2; do get_gen "${ids[i]}"; done
		get_group /v1/async/group "$gid" | jq -c '.generations[]'
		get_group /v1/async/group "$sgid" | jq -c '.generations[]'
	} | jq -sc 'map(.state) | {Success: map(select(. == "Success")) | length,
	    Failed: map(select(. == "Failed")) | length}')
	jcheck "states of the 6 generations" "$s" \
	    '.generations.Success == $st.Success and .generations.Failed == $st.Failed' --argjson st "$states"
	id=$(submit /v1/async/chat/completions "$(chat "one more")")
	jcheck "stats after 6 more requests" "$(stats)" '.requests.total == 17 and
	    .requests["POST /v1/async/chat/completions"] == 4 and
	    .requests["GET /v1/generation/{id}"] == 5 and
	    .requests["GET /v1/async/group/{id}/generations"] == 4 and
	    .generations.total == 7 and .generations.Queued == 1 and .groups == 2'
	mock_stop
}

@test "/mock/stats: counts responses per status exactly, and not the answers to /mock/stats itself" {
	local i
	mock_start --complete-after 0.2
	jcheck "fresh responses" "$(stats)" '.responses == {}'
	submit /v1/async/chat/completions "$(chat "r one")" >/dev/null
	submit /v1/async/completions '{"model":"m","prompt":"r two"}' >/dev/null
	expect_status "400" "$(http POST /v1/async/chat/completions '{}')" 400
	expect_status "404" "$(http GET /v1/generation/x)" 404
	expect_status "404" "$(http GET /nope)" 404
	expect_status "405" "$(http GET /v1/async/chat/completions)" 405
	expect_status "401" "$(http_as '' GET /v1/generation/x)" 401
	for i in 1 2 3; do
		stats >/dev/null
	done
	expect_status "401 on /mock/stats" "$(http_as '' GET /mock/stats)" 401
	jcheck "responses per status" "$(stats)" '.responses == {"200": 2, "400": 1, "401": 1, "404": 2, "405": 1}'
	mock_stop
}

@test "/mock/stats: counts connections opened and open, one per connection however many requests it carries" {
	local body url
	mock_start
	jcheck "fresh connections" "$(stats)" '.connections == {"opened": 1, "open": 1}'
	# Three requests on one connection (curl keeps it alive), then two alone.
	body=$(chat "kept alive")
	url="$MOCK_URL/v1/async/chat/completions"
	set -- -sS -o /dev/null -H "Authorization: Bearer $INFERENCE_API_KEY" \
	    -H 'Content-Type: application/json' --data-binary "$body" "$url"
	curl "$@" --next "$@" --next "$@"
	submit /v1/async/chat/completions "$body" >/dev/null
	submit /v1/async/chat/completions "$body" >/dev/null
	# With the /mock/stats before, and this one, which is open.
	jcheck "after 5 requests on 3 connections" "$(stats)" \
	    '.requests["POST /v1/async/chat/completions"] == 5 and
	    .connections == {"opened": 5, "open": 1}'
	mock_stop
}

@test "--max-generations 2: a submission past the limit is 503 and a group that would pass it is 503 and creates nothing" {
	local code
	mock_start --max-generations 2 --complete-after 0.2
	code=$(http POST /v1/async/group/chat/completions "{\"requests\":[$(chat a),$(chat b),$(chat c)]}")
	expect_json_error "group of 3 with room for 2" "$code" 503
	jcheck "stats after refused group" "$(stats)" '.generations.total == 0 and .groups == 0'
	submit /v1/async/chat/completions "$(chat one)" >/dev/null
	submit /v1/async/completions '{"model":"m","prompt":"two"}' >/dev/null
	code=$(http POST /v1/async/chat/completions "$(chat three)")
	expect_json_error "third submission" "$code" 503
	code=$(http POST /v1/async/completions '{"model":"m","prompt":"three"}')
	expect_json_error "third text submission" "$code" 503
	code=$(http POST /v1/async/group/completions '{"requests":[{"model":"m","prompt":"g"}]}')
	expect_json_error "group of 1 with no room" "$code" 503
	jcheck "stats at the limit" "$(stats)" '.generations.total == 2 and .groups == 0 and .responses["503"] == 4'
	mock_stop
}

@test "a body over 32 MiB is 413; one of exactly 32 MiB is read" {
	local big=$BATS_FILE_TMPDIR/big exact=$BATS_FILE_TMPDIR/exact code before
	head -c $((32 * 1024 * 1024 + 1)) /dev/zero | tr '\0' x >"$big"
	head -c $((32 * 1024 * 1024)) /dev/zero | tr '\0' x >"$exact"
	before=$(stats '[.generations.total, .groups]')
	code=$(http_file POST /v1/async/chat/completions "$big")
	expect_json_error "32 MiB + 1 to the chat route" "$code" 413
	code=$(http_file POST /v1/async/group/completions "$big")
	expect_json_error "32 MiB + 1 to the text group route" "$code" 413
	code=$(http_file POST /v1/async/chat/completions "$exact")
	expect_status "32 MiB of x" "$code" 400
	case $(err_msg) in
	"request body is not valid JSON: "*) ;;
	*) fail "32 MiB of x: $(body | head -c 300)" ;;
	esac
	expect_eq "generations and groups" "$(stats '[.generations.total, .groups]')" "$before"
	rm -f "$big" "$exact"
}

@test "--models: a model not listed is 400 naming it, alone or in a group (which creates nothing); listed models are served" {
	mock_start --models good,other
	[ "$(http POST /v1/async/chat/completions "$(chat hi '{"model": "bad"}')")" = 400 ]
	body | jq -e '.error.message == "model \"bad\" is not available"'
	[ "$(http POST /v1/async/chat/completions "$(chat hi '{"model": "other"}')")" = 200 ]
	[ "$(http POST /v1/async/group/chat/completions \
	    "{\"requests\": [$(chat a '{"model": "good"}'), $(chat b '{"model": "bad"}')]}")" = 400 ]
	body | jq -e '.error.message == "requests[1]: model \"bad\" is not available"'
	[ "$(http POST /v1/async/group/chat/completions \
	    "{\"requests\": [$(chat a '{"model": "good"}')]}")" = 200 ]
	stats '.generations.total, .groups' | tr '\n' ' ' | grep -qx '2 1 '
}
