# Fault injection, timing, determinism, options, logging and signals of ia-mock.
# Each test starts its own mock(s) and asserts what a client sees.
bats_require_minimum_version 1.5.0
load helper

# teardown: as the default, but with SIGKILL for the background processes,
# and a mock that does not stop cleanly does not fail the test.
teardown() {
	default_teardown KILL || true
}

# refute CMD...: fail if CMD succeeds (a bare "! CMD" would not fail a bats test).
refute() {
	if "$@"; then
		echo "unexpectedly succeeded: $*" >&2
		return 1
	fi
}

# req METHOD PATH [BODY]: one request with the test key; prints "CODE CURL_EXIT".
# The body is in $BATS_TEST_TMPDIR/body, the headers in .../headers.
req() {
	local method=$1 path=$2 code rc
	shift 2
	code=$(curl -s -o "$BATS_TEST_TMPDIR/body" -D "$BATS_TEST_TMPDIR/headers" \
	    -w '%{http_code}' -X "$method" --max-time 10 \
	    -H "Authorization: Bearer $INFERENCE_API_KEY" \
	    -H 'Content-Type: application/json' \
	    ${1+--data-binary "$1"} "$MOCK_URL$path") && rc=0 || rc=$?
	echo "${code:-000} $rc"
}

# mstats [JQ]: like helper's stats, but a hung /mock/stats fails within 5 s.
mstats() {
	local out
	out=$(curl -sS --max-time 5 -H "Authorization: Bearer $INFERENCE_API_KEY" \
	    "$MOCK_URL/mock/stats") || { echo "GET /mock/stats failed" >&2; return 1; }
	jq -c "${1:-.}" <<<"$out"
}

# stats_code: the status of GET /mock/stats (never faulted).
stats_code() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	    -H "Authorization: Bearer $INFERENCE_API_KEY" "$MOCK_URL/mock/stats"
}

# stop_with SIG: send SIG to the current mock; it must be gone within 3 s.
# Sets STOP_STATUS (its exit status) and STOP_MS (how long it took).
stop_with() {
	local sig=$1 t0
	t0=$(date +%s%N)
	kill -"$sig" "$MOCK_PID"
	if ! wait_gone "$MOCK_PID" 3; then
		kill -KILL "$MOCK_PID"
		wait "$MOCK_PID" 2>/dev/null || true
		MOCK_PID=
		echo "ia-mock did not stop within 3 s of SIG$sig" >&2
		return 1
	fi
	STOP_MS=$((($(date +%s%N) - t0) / 1000000))
	wait "$MOCK_PID" && STOP_STATUS=0 || STOP_STATUS=$?
	MOCK_PID=
}

# wait_log PATTERN N: wait (up to 3 s) until the mock's stderr has N lines
# matching the extended regex PATTERN; show the log if it never does.
wait_log() {
	local i
	for i in $(seq 150); do
		[ "$(grep -cE -- "$1" "$MOCK_DIR/stderr")" -ge "$2" ] && return 0
		sleep 0.02
	done
	echo "expected $2 line(s) matching '$1' in the log, got:" >&2
	cat "$MOCK_DIR/stderr" >&2
	return 1
}

# jq function: ISO 8601 "....sss Z" timestamp to milliseconds since the epoch.
JQ_MS='def ms: (sub("\\.[0-9]{3}Z$"; "Z") | fromdateiso8601) * 1000
    + (capture("\\.(?<f>[0-9]{3})Z$").f | tonumber);'

TEXT='{"model":"test-model","prompt":"say hi"}'

@test "--error-rate 1: every API route answers 500/502/503 with a JSON error; stats counts them; nothing is created" {
	mock_start --error-rate 1
	local chat_body group_chat group_text n=0 c500=0 c502=0 c503=0 out code rc i
	chat_body=$(chat hello)
	group_chat="{\"requests\":[$chat_body]}"
	group_text="{\"requests\":[$TEXT]}"
	for i in $(seq 8); do
		for r in "POST /v1/async/chat/completions" "POST /v1/async/completions" \
		    "POST /v1/slow/chat/completions" "POST /v1/async/group/chat/completions" \
		    "POST /v1/async/group/completions" "GET /v1/generation/AAAAAAAAAAAAAAAAAAAAA" \
		    "GET /v1/async/group/AAAAAAAAAAAAAAAAAAAAA/generations" "GET /no/such/path"; do
			# shellcheck disable=SC2086 # split the row into fields
			set -- $r
			case $2 in
			*group/chat*) b=$group_chat ;;
			*group/completions) b=$group_text ;;
			*/completions) [ "$2" = /v1/async/completions ] && b=$TEXT || b=$chat_body ;;
			esac
			if [ "$1" = POST ]; then out=$(req POST "$2" "$b"); else out=$(req GET "$2"); fi
			read -r code rc <<<"$out"
			[ "$rc" = 0 ] || { echo "curl exit $rc on $r"; false; }
			case $code in
			500) c500=$((c500 + 1)) ;;
			502) c502=$((c502 + 1)) ;;
			503) c503=$((c503 + 1)) ;;
			*) echo "$r answered $code, not a 5xx fault"; body; false ;;
			esac
			body | jq -e '.error.message | type == "string" and length > 0' >/dev/null ||
			    { echo "$r: body is not a JSON error:"; body; false; }
			grep -qi '^content-type: application/json' "$BATS_TEST_TMPDIR/headers"
			n=$((n + 1))
			# /mock/stats itself is never faulted
			if [ $((n % 8)) = 0 ]; then
				[ "$(stats_code)" = 200 ]
			fi
		done
	done
	[ "$n" = 64 ]
	echo "500: $c500 502: $c502 503: $c503"
	[ "$c500" -gt 0 ]
	[ "$c502" -gt 0 ]
	[ "$c503" -gt 0 ]
	[ "$(stats_code)" = 200 ]
	mstats
	[ "$(mstats '.faults | [."500", ."502", ."503", ."429", .reset, .stall] | map(tostring) | join(" ")')" = "\"$c500 $c502 $c503 0 0 0\"" ]
	[ "$(mstats '.responses."500" // 0')" = "$c500" ]
	[ "$(mstats '.responses."502" // 0')" = "$c502" ]
	[ "$(mstats '.responses."503" // 0')" = "$c503" ]
	[ "$(mstats .requests.total)" = 64 ]
	[ "$(mstats .generations.total)" = 0 ]
	[ "$(mstats .groups)" = 0 ]
}

@test "--429-rate 1: 429 with Retry-After: 1 and a JSON error" {
	mock_start --429-rate 1
	local i
	for i in 1 2 3; do
		[ "$(req POST /v1/async/chat/completions "$(chat hi)")" = "429 0" ]
		tr -d '\r' <"$BATS_TEST_TMPDIR/headers" | grep -qix 'retry-after: 1' ||
		    { cat "$BATS_TEST_TMPDIR/headers"; false; }
		body | jq -e '.error.message | length > 0' >/dev/null
		[ "$(req GET /v1/generation/AAAAAAAAAAAAAAAAAAAAA)" = "429 0" ]
		tr -d '\r' <"$BATS_TEST_TMPDIR/headers" | grep -qix 'retry-after: 1'
	done
	[ "$(mstats '.faults."429"')" = 6 ]
	[ "$(mstats '.faults."500" + .faults."502" + .faults."503" + .faults.reset + .faults.stall')" = 0 ]
	[ "$(mstats .generations.total)" = 0 ]
}

@test "--reset-rate 1: the connection closes without an answer (curl exit 52)" {
	mock_start --reset-rate 1
	local i
	for i in 1 2 3; do
		run curl -sS --max-time 5 -H "Authorization: Bearer $INFERENCE_API_KEY" \
		    -H 'Content-Type: application/json' --data-binary "$(chat hi)" \
		    "$MOCK_URL/v1/async/chat/completions"
		echo "$output"
		[ "$status" = 52 ]
	done
	run curl -sS --max-time 5 -H "Authorization: Bearer $INFERENCE_API_KEY" \
	    "$MOCK_URL/v1/generation/AAAAAAAAAAAAAAAAAAAAA"
	[ "$status" = 52 ]
	[ "$(mstats .faults.reset)" = 4 ]
	[ "$(mstats .requests.total)" = 4 ]
	[ "$(mstats .generations.total)" = 0 ]
}

@test "--stall-rate 1: no answer (curl timeout 28); SIGTERM still stops the mock at once with status 0" {
	mock_start --stall-rate 1
	local t0 ms pid i
	t0=$(date +%s%N)
	run curl -sS --max-time 1 -H "Authorization: Bearer $INFERENCE_API_KEY" \
	    -H 'Content-Type: application/json' --data-binary "$(chat hi)" \
	    "$MOCK_URL/v1/async/chat/completions"
	echo "$output"
	[ "$status" = 28 ]
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -ge 900 ]
	[ "$(mstats .faults.stall)" = 1 ]
	[ "$(mstats .generations.total)" = 0 ]

	# a second stalled request stays open while the mock is stopped
	curl -s -o /dev/null --max-time 30 -H "Authorization: Bearer $INFERENCE_API_KEY" \
	    "$MOCK_URL/v1/generation/AAAAAAAAAAAAAAAAAAAAA" 3>&- &
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	for i in $(seq 100); do
		[ "$(mstats .faults.stall)" = 2 ] && break
		sleep 0.02
	done
	[ "$(mstats .faults.stall)" = 2 ]
	kill -0 "$pid"		# the curl is still waiting
	stop_with TERM
	echo "stopped in ${STOP_MS} ms with status $STOP_STATUS"
	[ "$STOP_STATUS" = 0 ]
	[ "$STOP_MS" -lt 3000 ]
	# and the stalled client is let go (connection closed), not left hanging
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	refute kill -0 "$pid" 2>/dev/null
}

@test "rates mix (--error-rate 0.2 --429-rate 0.1 --reset-rate 0.1 --seed 7): proportions plausible, stats agree exactly" {
	mock_start --error-rate 0.2 --429-rate 0.1 --reset-rate 0.1 --seed 7
	local i out code rc err=0 r429=0 reset=0 ok=0 created=0 other=0
	for i in $(seq 200); do
		if [ $((i % 2)) = 0 ]; then
			out=$(req POST /v1/async/chat/completions "$(chat "q $i")")
		else
			out=$(req GET /v1/generation/AAAAAAAAAAAAAAAAAAAAA)
		fi
		read -r code rc <<<"$out"
		case "$code $rc" in
		"500 0" | "502 0" | "503 0") err=$((err + 1)) ;;
		"429 0") r429=$((r429 + 1)) ;;
		"000 52") reset=$((reset + 1)) ;;
		"200 0") created=$((created + 1)); ok=$((ok + 1)) ;;
		"404 0") ok=$((ok + 1)) ;;
		*) echo "request $i: unexpected status $code, curl exit $rc"; other=$((other + 1)) ;;
		esac
	done
	echo "error $err, 429 $r429, reset $reset, ok $ok (created $created), other $other"
	[ "$other" = 0 ]
	[ "$err" -ge 20 ]		# 0.1 .. 0.3
	[ "$err" -le 60 ]
	[ "$r429" -ge 6 ]	# 0.03 .. 0.2
	[ "$r429" -le 40 ]
	[ "$reset" -ge 6 ]
	[ "$reset" -le 40 ]
	mstats
	[ "$(mstats '.faults."500" + .faults."502" + .faults."503"')" = "$err" ]
	[ "$(mstats '.faults."429"')" = "$r429" ]
	[ "$(mstats .faults.reset)" = "$reset" ]
	[ "$(mstats .faults.stall)" = 0 ]
	[ "$(mstats .requests.total)" = 200 ]
	[ "$(mstats .generations.total)" = "$created" ]
}

@test "--lose-rate 1: a submit does its work, then its connection closes with no answer (curl exit 52); other routes are answered" {
	mock_start -v --lose-rate 1 --complete-after 0.1
	local i
	for i in 1 2 3; do
		[ "$(req POST /v1/async/chat/completions "$(chat "q $i")")" = "000 52" ]
	done
	[ "$(req POST /v1/slow/completions "$TEXT")" = "000 52" ]
	mstats
	[ "$(mstats .faults.lose)" = 4 ]
	[ "$(mstats .generations.total)" = 4 ]
	[ "$(mstats .responses)" = '{}' ]
	# a refused submit loses its answer too, and creates nothing
	[ "$(req POST /v1/async/chat/completions '{"model":"m"}')" = "000 52" ]
	[ "$(mstats .faults.lose)" = 5 ]
	[ "$(mstats .generations.total)" = 4 ]
	# GETs are never lost
	[ "$(req GET /v1/generation/AAAAAAAAAAAAAAAAAAAAA)" = "404 0" ]
	[ "$(req GET /v1/async/group/AAAAAAAAAAAAAAAAAAAAA/generations)" = "404 0" ]
	[ "$(mstats .faults.lose)" = 5 ]
	[ "$(mstats '[.faults | to_entries[] | select(.key != "lose") | .value] | add')" = 0 ]
	[ "$(mstats .requests.total)" = 7 ]
	# the generations whose answers were lost run to the end like any other
	sleep 0.3
	[ "$(mstats .generations.Success)" = 4 ]
	wait_log '^ia-mock: POST /v1/async/chat/completions lose 200 \(injected fault\) [0-9.]+ms$' 3
	wait_log '^ia-mock: POST /v1/slow/completions lose 200 \(injected fault\)' 1
	wait_log '^ia-mock: POST /v1/async/chat/completions lose 400 \(injected fault\)' 1
}

@test "--lose-rate 1 --seed: a lost submit and a lost group are made under the ids the same seed gives without the fault, and complete" {
	local id gid group
	group="{\"requests\":[$(chat a),$(chat b),$(chat c)]}"
	mock_start --seed 5 --complete-after 0.1 --group-delay 0
	[ "$(req POST /v1/async/chat/completions "$(chat "lost one")")" = "200 0" ]
	id=$(body | jq -r .id)
	[ "$(req POST /v1/async/group/chat/completions "$group")" = "200 0" ]
	gid=$(body | jq -r .groupId)
	mock_stop

	mock_start --seed 5 --complete-after 0.1 --group-delay 0 --lose-rate 1
	[ "$(req POST /v1/async/chat/completions "$(chat "lost one")")" = "000 52" ]
	[ "$(req POST /v1/async/group/chat/completions "$group")" = "000 52" ]
	[ "$(mstats '[.generations.total, .groups, .faults.lose]')" = "[4,1,2]" ]
	sleep 0.3
	[ "$(req GET "/v1/generation/$id")" = "200 0" ]
	body
	body | jq -e --arg a "$(expected_answer "lost one")" '.state == "Success"
	    and .request.messages[0].content == "lost one"
	    and .response.choices[0].message.content == $a' >/dev/null
	[ "$(req GET "/v1/async/group/$gid/generations")" = "200 0" ]
	body | jq -e '[.generations[] | select(.state == "Success")
	    | .request.messages[0].content] | sort == ["a", "b", "c"]' >/dev/null
}

# lose_seq FILE: 40 chat submits to the current mock, each followed by a GET
# of an unknown generation; one line "POST-CODE CURL-EXIT GET-CODE" per pair
# appended to FILE.
lose_seq() {
	local i post rc get
	for i in $(seq 40); do
		read -r post rc <<<"$(req POST /v1/async/chat/completions "$(chat "q $i")")"
		read -r get _ <<<"$(req GET /v1/generation/AAAAAAAAAAAAAAAAAAAAA)"
		echo "$post $rc $get" >>"$1"
	done
}

@test "--lose-rate 0.5 --seed 3: about half the submits lose their answer, every one makes its generation, no GET is lost; the same seed repeats it" {
	local a=$BATS_TEST_TMPDIR/a b=$BATS_TEST_TMPDIR/b lost
	mock_start --lose-rate 0.5 --seed 3
	lose_seq "$a"
	sort "$a" | uniq -c
	refute grep -qvE '^(200 0|000 52) 404$' "$a"
	lost=$(grep -c '^000 52 ' "$a")
	[ "$lost" -ge 10 ]
	[ "$lost" -le 30 ]
	mstats
	[ "$(mstats .faults.lose)" = "$lost" ]
	[ "$(mstats .generations.total)" = 40 ]
	[ "$(mstats '.responses."200"')" = $((40 - lost)) ]
	[ "$(mstats '.responses."404"')" = 40 ]
	[ "$(mstats .requests.total)" = 80 ]
	mock_stop
	mock_start --lose-rate 0.5 --seed 3
	lose_seq "$b"
	cmp "$a" "$b"
}

@test "--lose-rate counts in the fault rates' sum" {
	run --separate-stderr timeout 3 ia-mock -p 0 --lose-rate 0.5 --error-rate 0.6
	echo "$stderr"
	[ "$status" = 2 ]
	[[ "$stderr" == *rate* ]]
	mock_start --lose-rate 0.5 --error-rate 0.5
	[ "$(stats_code)" = 200 ]
}

# submit_seq FILE: 40 sequential chat submits to the current mock; one line
# "CODE ID" per request (ID "-" when there is none) appended to FILE.
submit_seq() {
	local i out code rc id
	for i in $(seq 40); do
		out=$(req POST /v1/async/chat/completions "$(chat "question $i")")
		read -r code rc <<<"$out"
		id=-
		[ "$code" = 200 ] && id=$(body | jq -r .id)
		echo "$code $id" >>"$1"
	done
}

# outcomes CODES-FILE OUT-FILE: for each created id, fetch the (final)
# generation, retrying injected faults; one line "ID STATE FINISH_MS DISPATCH_MS".
outcomes() {
	local code id out c rc
	while read -r code id; do
		[ "$code" = 200 ] || continue
		for _ in $(seq 60); do
			out=$(req GET "/v1/generation/$id")
			read -r c rc <<<"$out"
			[ "$c" = 200 ] && break
		done
		[ "$c" = 200 ] || { echo "GET $id never answered 200" >&2; return 1; }
		body | jq -r "$JQ_MS"' "\(.id) \(.state) \((.finishedAt | ms) - (.createdAt | ms)) \((.dispatchedAt | ms) - (.createdAt | ms))"' >>"$2"
	done <"$1"
}

@test "--seed: same seed and requests give the same statuses, ids, outcomes and timings; another seed differs" {
	local opts=(--error-rate 0.3 --429-rate 0.1 --fail-rate 0.3 --complete-after "0.2,2")
	local a=$BATS_TEST_TMPDIR/a b=$BATS_TEST_TMPDIR/b c=$BATS_TEST_TMPDIR/c
	mock_start --seed 42 "${opts[@]}"
	submit_seq "$a.codes"
	sleep 2.2		# every generation is final now
	outcomes "$a.codes" "$a.gens"
	mock_stop
	mock_start --seed 42 "${opts[@]}"
	submit_seq "$b.codes"
	sleep 2.2
	outcomes "$b.codes" "$b.gens"
	mock_stop
	paste -d' ' "$a.codes" "$b.codes"
	cat "$a.gens"
	[ "$(wc -l <"$a.codes")" = 40 ]
	# the sequence is non-trivial: faults, successes and failures all occur
	grep -qv '^200 ' "$a.codes"
	[ "$(grep -c '^200 ' "$a.codes")" -ge 10 ]
	grep -q ' Success ' "$a.gens"
	grep -q ' Failed ' "$a.gens"
	refute grep -qvE '^[A-Za-z0-9_-]{21} (Success|Failed) [0-9]+ [0-9]+$' "$a.gens"
	cmp "$a.codes" "$b.codes"
	cmp "$a.gens" "$b.gens"

	mock_start --seed 43 "${opts[@]}"
	submit_seq "$c.codes"
	mock_stop
	# statuses or ids (the file holds both) differ
	refute cmp -s "$a.codes" "$c.codes"
}

@test "--fail-rate 1: generations end Failed with a reason and no response; default: Success" {
	local ids id i
	mock_start --fail-rate 1 --complete-after 0.1
	ids=
	for i in 1 2 3 4 5; do
		[ "$(req POST /v1/async/chat/completions "$(chat "q $i")")" = "200 0" ]
		ids="$ids $(body | jq -r .id)"
	done
	sleep 0.3
	for id in $ids; do
		[ "$(req GET "/v1/generation/$id")" = "200 0" ]
		body
		body | jq -e '.state == "Failed"
		    and (.stateMessage | type == "string" and length > 0 and . != "Completed")
		    and (has("response") | not)
		    and (.finishedAt | type == "string")' >/dev/null
	done
	[ "$(mstats .generations.Failed)" = 5 ]
	mock_stop

	mock_start --complete-after 0.1
	[ "$(req POST /v1/async/chat/completions "$(chat hi)")" = "200 0" ]
	id=$(body | jq -r .id)
	sleep 0.3
	[ "$(req GET "/v1/generation/$id")" = "200 0" ]
	body | jq -e --arg a "$(expected_answer hi)" '.state == "Success" and .stateMessage == "Completed"
	    and .response.choices[0].message.content == $a' >/dev/null
}

@test "--latency 500: a request takes >= 0.5 s, concurrent requests are not serialised, /mock/stats is not delayed" {
	mock_start --latency 500
	local t t0 ms i pids=
	t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 \
	    -H "Authorization: Bearer $INFERENCE_API_KEY" --data-binary "$(chat hi)" \
	    "$MOCK_URL/v1/async/chat/completions")
	echo "one request: $t"
	[ "${t% *}" = 200 ]
	awk -v t="${t#* }" 'BEGIN { exit !(t >= 0.5) }'

	t0=$(date +%s%N)
	for i in $(seq 8); do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 \
		    -H "Authorization: Bearer $INFERENCE_API_KEY" --data-binary "$(chat "q $i")" \
		    "$MOCK_URL/v1/async/chat/completions" >"$BATS_TEST_TMPDIR/c$i" 3>&- &
		pids="$pids $!"
	done
	BG_PIDS=$pids
	# /mock/stats answers at once even while the 8 requests are delayed
	t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 \
	    -H "Authorization: Bearer $INFERENCE_API_KEY" "$MOCK_URL/mock/stats")
	echo "stats during: $t"
	[ "${t% *}" = 200 ]
	awk -v t="${t#* }" 'BEGIN { exit !(t < 0.3) }'
	for i in $pids; do wait "$i"; done
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "8 concurrent requests took $ms ms"
	[ "$ms" -ge 500 ]
	[ "$ms" -lt 2500 ]
	[ "$(cat "$BATS_TEST_TMPDIR"/c* | sort -u)" = 200 ]
	[ "$(mstats .generations.total)" = 9 ]
}

@test "--complete-after 0.5 gives exactly 500 ms; --complete-after 0.2,0.4 gives 200..400 ms" {
	local ids id i d
	mock_start --complete-after 0.5
	ids=
	for i in 1 2 3 4 5; do
		[ "$(req POST /v1/async/chat/completions "$(chat "q $i")")" = "200 0" ]
		ids="$ids $(body | jq -r .id)"
	done
	sleep 0.7
	for id in $ids; do
		[ "$(req GET "/v1/generation/$id")" = "200 0" ]
		d=$(body | jq -r "$JQ_MS"'[.state, (.finishedAt | ms) - (.createdAt | ms),
		    (.dispatchedAt | ms) - (.createdAt | ms)] | map(tostring) | join(" ")')
		echo "$id: $d"
		# shellcheck disable=SC2086 # split into fields
		set -- $d
		[ "$1" = Success ]
		[ "$2" -ge 499 ]
		[ "$2" -le 501 ]
		[ "$3" -ge 0 ]
		[ "$3" -le "$2" ]
	done
	mock_stop

	mock_start --complete-after 0.2,0.4
	ids=
	for i in $(seq 8); do
		[ "$(req POST /v1/async/chat/completions "$(chat "q $i")")" = "200 0" ]
		ids="$ids $(body | jq -r .id)"
	done
	sleep 0.6
	for id in $ids; do
		[ "$(req GET "/v1/generation/$id")" = "200 0" ]
		d=$(body | jq -r "$JQ_MS"'[.state, (.finishedAt | ms) - (.createdAt | ms)] | map(tostring) | join(" ")')
		echo "$id: $d"
		# shellcheck disable=SC2086 # split into fields
		set -- $d
		[ "$1" = Success ]
		[ "$2" -ge 200 ]
		[ "$2" -le 400 ]
	done
}

@test "--group-delay 0: group generations are available at once; --group-delay 1: 404 first" {
	local body gid
	body="{\"requests\":[$(chat a),$(chat b),$(chat c)]}"
	mock_start --group-delay 0
	[ "$(req POST /v1/async/group/chat/completions "$body")" = "200 0" ]
	gid=$(body | jq -r .groupId)
	[ "$(req GET "/v1/async/group/$gid/generations")" = "200 0" ]
	body | jq -e '.generations | length == 3' >/dev/null
	mock_stop

	mock_start --group-delay 1
	[ "$(req POST /v1/async/group/chat/completions "$body")" = "200 0" ]
	gid=$(body | jq -r .groupId)
	[ "$(req GET "/v1/async/group/$gid/generations")" = "404 0" ]
	sleep 1.1
	[ "$(req GET "/v1/async/group/$gid/generations")" = "200 0" ]
	body | jq -e '.generations | length == 3' >/dev/null
}

@test "-h prints usage on stdout and exits 0; -V prints the version" {
	run --separate-stderr ia-mock -h
	[ "$status" = 0 ]
	[[ "$output" == "usage: ia-mock"* ]]
	[ -z "$stderr" ]
	run --separate-stderr ia-mock --help
	[ "$status" = 0 ]
	[[ "$output" == "usage: ia-mock"* ]]
	run --separate-stderr ia-mock -V
	[ "$status" = 0 ]
	[[ "$output" =~ ^ia-mock\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "bad option values exit 2 with a message naming the option" {
	local args opt
	while IFS='|' read -r opt args; do
		# shellcheck disable=SC2086 # args is a list of words
		run --separate-stderr timeout 3 ia-mock -p 0 $args
		echo "ia-mock $args -> status $status, stderr: $stderr"
		[ "$status" = 2 ]
		[ -z "$output" ]
		[[ "$stderr" == *"$opt"* ]]
	done <<-'EOF'
	--fail-rate|--fail-rate 2
	--error-rate|--error-rate -1
	--429-rate|--429-rate 1.5
	--reset-rate|--reset-rate x
	--lose-rate|--lose-rate 1.5
	--lose-rate|--lose-rate -0.5
	--latency|--latency abc
	--complete-after|--complete-after 3,1
	--complete-after|--complete-after soon
	--group-delay|--group-delay -1
	--threads|--threads 0
	-p|-p 70000
	--seed|--seed x
	--max-generations|--max-generations -5
	--bogus|--bogus
	'q'|-q
	--fail-rate|--fail-rate
	EOF
	# a stray argument: exit 2 with the usage on stderr
	run --separate-stderr timeout 3 ia-mock -p 0 stray
	[ "$status" = 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *"usage: ia-mock"* ]]
}

@test "fault rates adding to more than 1 exit 2; exactly 1 is accepted" {
	run --separate-stderr timeout 3 ia-mock -p 0 --error-rate 0.6 --429-rate 0.3 --stall-rate 0.2
	echo "$stderr"
	[ "$status" = 2 ]
	[[ "$stderr" == *rate* ]]
	run --separate-stderr timeout 3 ia-mock -p 0 --reset-rate 0.6 --stall-rate 0.5
	[ "$status" = 2 ]
	mock_start --error-rate 0.1 --429-rate 0.2 --reset-rate 0.7
	[ "$(stats_code)" = 200 ]
}

@test "--port-file holds the port that answers, with -p 0 and with a fixed -p" {
	local port
	mock_start
	[[ "$(cat "$MOCK_DIR/port")" =~ ^[0-9]+$ ]]
	[ "$MOCK_PORT" -gt 0 ]
	[ "$(stats_code)" = 200 ]
	mock_stop
	# a fixed port: pick a free one, then ask for it
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mock_start -p "$port"
	[ "$MOCK_PORT" = "$port" ]
	[ "$(stats_code)" = 200 ]
}

@test "-p with a port another program listens on exits 2" {
	local port pid i
	python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(30)' >"$BATS_TEST_TMPDIR/lport" 3>&- &
	pid=$!
	BG_PIDS=$pid
	for i in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/lport" ] && break; sleep 0.02; done
	port=$(cat "$BATS_TEST_TMPDIR/lport")
	run --separate-stderr timeout 3 ia-mock -p "$port"
	echo "$stderr"
	[ "$status" = 2 ]
	[[ "$stderr" == *"$port"* ]]
}

@test "-p with the port of a running ia-mock exits 2 (no silent port sharing)" {
	mock_start
	run --separate-stderr timeout 3 ia-mock -p "$MOCK_PORT"
	echo "second ia-mock -p $MOCK_PORT: status $status, stderr: $stderr"
	[ "$status" = 2 ]
}

@test "-b ::1 listens on the IPv6 loopback" {
	ip -6 addr show lo | grep -q '::1' || skip "no ::1 on lo"
	mock_start -b ::1
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	    -H "Authorization: Bearer $INFERENCE_API_KEY" "http://[::1]:$MOCK_PORT/mock/stats")
	[ "$code" = 200 ]
	MOCK_URL="http://[::1]:$MOCK_PORT"
	[ "$(req POST /v1/async/chat/completions "$(chat hi)")" = "200 0" ]
}

@test "-v logs one line per request with method, path and status, marks faults, never logs the key" {
	local id key=$INFERENCE_API_KEY
	mock_start -v --key "$key"
	[ "$(req POST /v1/async/chat/completions "$(chat hi)")" = "200 0" ]
	id=$(body | jq -r .id)
	[ "$(req GET "/v1/generation/$id")" = "200 0" ]
	[ "$(req GET /no/such/path)" = "404 0" ]
	INFERENCE_API_KEY=wrong-secret-key-987 
	[ "$(req GET "/v1/generation/$id")" = "401 0" ]
	INFERENCE_API_KEY=$key
	wait_log '^ia-mock: GET /v1/generation/[^ ]+ 401 ' 1
	cat "$MOCK_DIR/stderr"
	grep -qE '^ia-mock: POST /v1/async/chat/completions 200 [0-9.]+ms$' "$MOCK_DIR/stderr"
	grep -qE "^ia-mock: GET /v1/generation/$id 200 [0-9.]+ms\$" "$MOCK_DIR/stderr"
	grep -qE '^ia-mock: GET /no/such/path 404 [0-9.]+ms$' "$MOCK_DIR/stderr"
	[ "$(grep -cE '^ia-mock: (GET|POST) ' "$MOCK_DIR/stderr")" = 4 ]
	refute grep -qF "$key" "$MOCK_DIR/stderr"
	refute grep -qF wrong-secret-key-987 "$MOCK_DIR/stderr"
	refute grep -q 'injected fault' "$MOCK_DIR/stderr"
	mock_stop
	refute grep -qF "$key" "$MOCK_DIR/stderr"

	mock_start -v --error-rate 1
	[[ "$(req POST /v1/async/chat/completions "$(chat hi)")" == 50[023]" 0" ]]
	wait_log '^ia-mock: POST /v1/async/chat/completions 50[023] \(injected fault\) [0-9.]+ms$' 1
	mock_stop
	refute grep -qF "$key" "$MOCK_DIR/stderr"

	mock_start -v --429-rate 1
	[ "$(req GET /v1/generation/AAAAAAAAAAAAAAAAAAAAA)" = "429 0" ]
	wait_log '^ia-mock: GET /v1/generation/AAAAAAAAAAAAAAAAAAAAA 429 \(injected fault\) [0-9.]+ms$' 1
	mock_stop

	mock_start -v --reset-rate 1
	[ "$(req POST /v1/async/chat/completions "$(chat hi)")" = "000 52" ]
	wait_log '^ia-mock: POST /v1/async/chat/completions reset \(injected fault\)' 1
	mock_stop

	mock_start -v --stall-rate 1
	run curl -s --max-time 0.5 -H "Authorization: Bearer $key" "$MOCK_URL/v1/generation/AAAAAAAAAAAAAAAAAAAAA"
	[ "$status" = 28 ]
	wait_log '^ia-mock: GET /v1/generation/AAAAAAAAAAAAAAAAAAAAA stall \(injected fault\)' 1
	mock_stop
	refute grep -qF "$key" "$MOCK_DIR/stderr"
}

@test "SIGTERM and SIGINT stop the mock with status 0" {
	mock_start
	[ "$(req POST /v1/async/chat/completions "$(chat hi)")" = "200 0" ]
	stop_with INT
	echo "SIGINT: status $STOP_STATUS after $STOP_MS ms"
	[ "$STOP_STATUS" = 0 ]
	mock_start --latency 10000
	# a delayed answer pending does not hold up the stop
	curl -s -o /dev/null --max-time 30 -H "Authorization: Bearer $INFERENCE_API_KEY" \
	    "$MOCK_URL/v1/generation/AAAAAAAAAAAAAAAAAAAAA" 3>&- &
	BG_PIDS=$!
	sleep 0.3
	stop_with INT
	echo "SIGINT with a pending request: status $STOP_STATUS after $STOP_MS ms"
	[ "$STOP_STATUS" = 0 ]
	mock_start
	[ "$(stats_code)" = 200 ]
	stop_with TERM
	echo "SIGTERM: status $STOP_STATUS after $STOP_MS ms"
	[ "$STOP_STATUS" = 0 ]
}

@test "--max-generations caps what is created (503 beyond it)" {
	mock_start --max-generations 3
	local i
	for i in 1 2 3; do
		[ "$(req POST /v1/async/chat/completions "$(chat "q $i")")" = "200 0" ]
	done
	[ "$(req POST /v1/async/chat/completions "$(chat q4)")" = "503 0" ]
	body | jq -e '.error.message | length > 0' >/dev/null
	[ "$(req POST /v1/async/group/chat/completions "{\"requests\":[$(chat a)]}")" = "503 0" ]
	[ "$(mstats .generations.total)" = 3 ]
	[ "$(mstats .groups)" = 0 ]
	[ "$(mstats '[.faults[]] | add')" = 0 ]
	mock_stop
	mock_start --max-generations 2
	[ "$(req POST /v1/async/group/chat/completions "{\"requests\":[$(chat a),$(chat b),$(chat c)]}")" = "503 0" ]
	[ "$(req POST /v1/async/group/chat/completions "{\"requests\":[$(chat a),$(chat b)]}")" = "200 0" ]
	[ "$(mstats .generations.total)" = 2 ]
}

@test "--threads 1 serves requests" {
	mock_start --threads 1 --complete-after 0.1
	local id
	[ "$(req POST /v1/async/chat/completions "$(chat hi)")" = "200 0" ]
	id=$(body | jq -r .id)
	sleep 0.2
	[ "$(req GET "/v1/generation/$id")" = "200 0" ]
	body | jq -e '.state == "Success"' >/dev/null
	[ "$(stats_code)" = 200 ]
}

# burst N PATH BODY: N POSTs of BODY to PATH at once (curl --parallel); prints
# each status, one a line.
burst() {
	local args=() i
	for i in $(seq "$1"); do
		args+=(-o /dev/null "$MOCK_URL$2")
	done
	curl -s -Z --parallel-max "$1" --max-time 10 -w '%{http_code}\n' \
	    -H "Authorization: Bearer $INFERENCE_API_KEY" \
	    -H 'Content-Type: application/json' --data-binary "$3" "${args[@]}"
}

@test "--rate-limit 10: a burst of 30 submits gets 10 through, the rest 429 with Retry-After: 1; GETs are not limited; a group counts as one; stats agree" {
	mock_start --rate-limit 10 --complete-after 0.1 --group-delay 0
	local codes ok refused id group i
	codes=$(burst 30 /v1/async/chat/completions "$(chat hi)")
	ok=$(grep -c '^200$' <<<"$codes" || true)
	refused=$(grep -c '^429$' <<<"$codes" || true)
	echo "200: $ok, 429: $refused"
	[ "$((ok + refused))" = 30 ]
	# the bucket's 10, and what it refilled while the burst lasted (10 a second)
	[ "$ok" -ge 10 ]
	[ "$ok" -le 14 ]
	# the bucket is empty: a submission is refused as the API refuses it
	[ "$(req POST /v1/async/completions "$TEXT")" = "429 0" ]
	tr -d '\r' <"$BATS_TEST_TMPDIR/headers" | grep -qix 'retry-after: 1' ||
	    { cat "$BATS_TEST_TMPDIR/headers"; false; }
	body | jq -e '.error.message | test("rate limited")' >/dev/null
	refused=$((refused + 1))
	# other routes are answered while it is empty
	for i in $(seq 20); do
		[ "$(req GET /v1/generation/AAAAAAAAAAAAAAAAAAAAA)" = "404 0" ]
	done
	# a second later the bucket is full again: a group of 50 is one submission
	sleep 1.1
	group=$(jq -nc --argjson c "$(chat g)" '{requests: [range(50) | $c]}')
	[ "$(req POST /v1/async/group/chat/completions "$group")" = "200 0" ]
	id=$(body | jq -r .groupId)
	[ "$(req GET "/v1/async/group/$id/generations")" = "200 0" ]
	[ "$(mstats .rate_limit)" = "{\"limit\":10,\"allowed\":$((ok + 1)),\"refused\":$refused}" ]
	[ "$(mstats '.responses."429"')" = "$refused" ]
	[ "$(mstats .retry_after.sent)" = "$refused" ]
	[ "$(mstats .generations.total)" = "$((ok + 50))" ]
	[ "$(mstats '[.faults[]] | add')" = 0 ]
}

@test "--rate-limit 20: 80 submits at 40 a second get 20 + 20 a second through; none is refused without it" {
	mock_start --rate-limit 20
	local args=() t0 codes ok n elapsed i
	for i in $(seq 80); do
		args+=(-o /dev/null "$MOCK_URL/v1/async/chat/completions")
	done
	t0=$(now)
	codes=$(curl -s --rate 40/s --max-time 30 -w '%{http_code}\n' \
	    -H "Authorization: Bearer $INFERENCE_API_KEY" \
	    -H 'Content-Type: application/json' --data-binary "$(chat hi)" "${args[@]}")
	elapsed=$(since "$t0")
	ok=$(grep -c '^200$' <<<"$codes" || true)
	n=$(grep -c . <<<"$codes")
	echo "$ok of $n in $elapsed s"
	[ "$n" = 80 ]
	[ "$(grep -vc '^200$\|^429$' <<<"$codes")" = 0 ]
	# at most the bucket and its refill over the time; at least that over the
	# time less the last request's interval, less a token's rounding
	ge "$(awk -v t="$elapsed" 'BEGIN { print 20 + 20 * t + 1 }')" "$ok"
	ge "$ok" "$(awk -v t="$elapsed" 'BEGIN { print 20 + 20 * (t - 0.1) - 2 }')"
	[ "$(mstats .rate_limit.allowed)" = "$ok" ]
	[ "$(mstats .rate_limit.refused)" = "$((n - ok))" ]
	mock_stop
	mock_start
	[ "$(burst 30 /v1/async/chat/completions "$(chat hi)" | sort -u)" = 200 ]
	[ "$(mstats .rate_limit)" = '{"limit":null,"allowed":0,"refused":0}' ]
}

@test "--rate-limit: a bad value exits 2 naming the option; 0 is no limit" {
	local v
	for v in -1 x 1.5 1000001 ''; do
		run --separate-stderr timeout 3 ia-mock -p 0 --rate-limit "$v"
		echo "--rate-limit '$v' -> status $status, stderr: $stderr"
		[ "$status" = 2 ]
		[[ "$stderr" == *--rate-limit* ]]
		[[ "$stderr" != *unrecognized* ]]
	done
	mock_start --rate-limit 0
	[ "$(burst 30 /v1/async/chat/completions "$(chat hi)" | sort -u)" = 200 ]
	[ "$(mstats .rate_limit.limit)" = null ]
}
