#!/usr/bin/env bats
# The HTTP engine (lib/http.c) through tests/t_http, against ia-mock.

load helper
bats_require_minimum_version 1.5.0

T_HTTP="$BATS_TEST_DIRNAME/t_http"

setup() {
	[ -x "$T_HTTP" ] || { echo "tests/t_http is not built" >&2; return 1; }
}

# submits N [FIRST]: N chat submissions "POST /v1/async/chat/completions BODY".
submits() {
	local i
	for i in $(seq "${2:-1}" $(($1 + ${2:-1} - 1))); do
		printf 'POST /v1/async/chat/completions %s\n' "$(chat "question $i")"
	done
}

@test "pure parts: Retry-After parsing, backoff bounds, URL escaping, retryable statuses" {
	run "$T_HTTP" pure
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^t_http:\ [0-9]+\ checks\ passed$ ]]
}

@test "every request comes back once, in one attempt, on a healthy server" {
	mock_start
	submits 20 > "$BATS_TEST_TMPDIR/in"
	run "$T_HTTP" run < "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | wc -l)" -eq 20 ]
	[ "$(echo "$output" | jq -s 'map(.line) | sort == [range(1; 21)]')" = true ]
	[ "$(echo "$output" | jq -s 'all(.status == 200 and .attempts == 1 and .error == null)')" = true ]
	[ "$(echo "$output" | jq -s 'all(.body.id | length == 21)')" = true ]
	[ "$(stats .requests.total)" -eq 20 ]
}

@test "GETs work too, with ids escaped by the caller" {
	mock_start --complete-after 0
	code=$(http POST /v1/async/chat/completions "$(chat hello)")
	[ "$code" = 200 ]
	id=$(body | jq -r .id)
	run "$T_HTTP" run <<-EOF
	GET /v1/generation/$id
	GET /v1/generation/no%2Fsuch%20id
	EOF
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r 'select(.line == 1) | .body.response.choices[0].message.content')" = "Answer to: hello" ]
	[ "$(echo "$output" | jq -r 'select(.line == 2) | .status')" = 404 ]
	[ "$(echo "$output" | jq -r 'select(.line == 2) | .error')" = "HTTP 404: generation not found" ]
}

@test "faults are retried until each request succeeds exactly once" {
	mock_start --seed 3 --error-rate 0.3 --429-rate 0.1 --reset-rate 0.1
	submits 100 > "$BATS_TEST_TMPDIR/in"
	run "$T_HTTP" run --retries 30 < "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | wc -l)" -eq 100 ]
	[ "$(echo "$output" | jq -s 'map(.line) | sort == [range(1; 101)]')" = true ]
	[ "$(echo "$output" | jq -s 'all(.status == 200)')" = true ]
	# Faults made retries; every request that was not faulted made one
	# generation.  (The mock may see more requests than attempts: libcurl
	# itself resends once on a reused connection that died unanswered.)
	attempts=$(echo "$output" | jq -s 'map(.attempts) | add')
	[ "$attempts" -gt 100 ]
	total=$(stats .requests.total)
	[ "$total" -ge "$attempts" ]
	[ $((total - $(stats '.faults | add'))) -eq 100 ]
	[ "$(stats .generations.total)" -eq 100 ]
}

@test "4xx answers are not retried and say why" {
	mock_start
	run "$T_HTTP" run <<-'EOF'
	POST /v1/async/chat/completions {"messages": [{"role": "user", "content": "x"}]}
	EOF
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r .status)" = 400 ]
	[ "$(echo "$output" | jq -r .attempts)" = 1 ]
	[ "$(echo "$output" | jq -r .error)" = "HTTP 400: model is required" ]
	[ "$(stats .requests.total)" -eq 1 ]
}

@test "401 is not retried either" {
	mock_start --key right-key
	run "$T_HTTP" run <<< "GET /v1/generation/x"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r '[.status, .attempts] | @tsv')" = "401	1" ]
	total=$(curl -sS -H 'Authorization: Bearer right-key' "$MOCK_URL/mock/stats" |
	    jq .requests.total)
	[ "$total" -eq 1 ]
}

@test "Retry-After is honoured, and retries stop at --retries" {
	mock_start --429-rate 1
	start=$(date +%s.%N)
	run "$T_HTTP" run --retries 2 <<< "GET /v1/generation/x"
	end=$(date +%s.%N)
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r .status)" = 429 ]
	[ "$(echo "$output" | jq -r .attempts)" = 3 ]
	[[ "$(echo "$output" | jq -r .error)" == *"(gave up after 3 attempts)" ]]
	# Two waits of Retry-After: 1 each.
	ge "$(echo "$end $start" | awk '{ print $1 - $2 }')" 2
	[ "$(stats '.faults["429"]')" -eq 3 ]
}

@test "--retries 0 makes one attempt" {
	mock_start --error-rate 1
	run "$T_HTTP" run --retries 0 <<< "GET /v1/generation/x"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r .attempts)" = 1 ]
	[[ "$(echo "$output" | jq -r .status)" =~ ^50[023]$ ]]
}

@test "a stalled server is cut off by --timeout and the run ends" {
	mock_start --stall-rate 1
	run timeout 20 "$T_HTTP" run --timeout 0.5 --retries 1 <<< "GET /v1/generation/x"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r .status)" = 0 ]
	[ "$(echo "$output" | jq -r .attempts)" = 2 ]
	[[ "$(echo "$output" | jq -r .error)" == *"imed out"* ]]
	[ "$(stats .faults.stall)" -eq 2 ]
}

@test "a refused connection is a network error, retried, then reported" {
	mock_start
	port=$MOCK_PORT
	mock_stop
	run "$T_HTTP" run --retries 2 --base-url "http://127.0.0.1:$port" <<< "GET /v1/generation/x"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r .status)" = 0 ]
	[ "$(echo "$output" | jq -r .attempts)" = 3 ]
	[[ "$(echo "$output" | jq -r .error)" == *"onnect"*"(gave up after 3 attempts)" ]]
}

@test "-j caps the requests in flight" {
	mock_start --latency 300
	submits 8 > "$BATS_TEST_TMPDIR/in"
	start=$(date +%s.%N)
	run "$T_HTTP" run -j 2 < "$BATS_TEST_TMPDIR/in"
	end=$(date +%s.%N)
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | wc -l)" -eq 8 ]
	# 8 requests, 2 at a time, 0.3 s each: at least 4 rounds.
	slow=$(echo "$end $start" | awk '{ print $1 - $2 }')
	ge "$slow" 1.2
	start=$(date +%s.%N)
	run "$T_HTTP" run -j 8 < "$BATS_TEST_TMPDIR/in"
	end=$(date +%s.%N)
	[ "$status" -eq 0 ]
	# All 8 at once take one round, well under the four rounds of -j 2.
	ge "$(echo "$slow $end $start" | awk '{ print $1 / 2 - ($2 - $3) }')" 0
}

@test "input is read while requests are in flight: the first result comes before input ends" {
	mock_start
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	"$T_HTTP" run < "$BATS_TEST_TMPDIR/fifo" > "$BATS_TEST_TMPDIR/out" 3>&- &
	pid=$!
	exec 4> "$BATS_TEST_TMPDIR/fifo"
	submits 1 >&4
	wait_lines "$BATS_TEST_TMPDIR/out" 1 5
	# The first answer is out while stdin is still open.
	[ "$(wc -l < "$BATS_TEST_TMPDIR/out")" -eq 1 ]
	kill -0 "$pid"
	submits 1 2 >&4
	exec 4>&-
	wait "$pid"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/out")" -eq 2 ]
}

@test "-v logs each exchange with the key redacted, retries included" {
	mock_start --seed 1 --error-rate 0.5
	submits 6 > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr "$T_HTTP" run -v --retries 20 < "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	echo "$stderr"
	[[ "$stderr" == *"ia: > POST $MOCK_URL/v1/async/chat/completions (attempt 1)"* ]]
	[[ "$stderr" == *"ia: > Authorization: Bearer <redacted>"* ]]
	[[ "$stderr" == *"ia: < HTTP 200"* ]]
	[[ "$stderr" == *"ia: retry 1 of 20 in "* ]]
	[[ "$stderr" != *"$INFERENCE_API_KEY"* ]]
	[[ "$output" != *"$INFERENCE_API_KEY"* ]]
}

@test "a response over 64 MiB is refused, not retried" {
	py_server <<-'EOF'
	class H(http.server.BaseHTTPRequestHandler):
	    def do_GET(self):
	        n = 65 * 1024 * 1024
	        self.send_response(200)
	        self.send_header("Content-Length", str(n))
	        self.end_headers()
	        chunk = b"x" * (1024 * 1024)
	        try:
	            for _ in range(65):
	                self.wfile.write(chunk)
	        except OSError:
	            pass
	EOF
	run "$T_HTTP" run --base-url "$SERVER_URL" <<< "GET /big"
	kill "$SERVER_PID"
	echo "${output:0:300}"
	# A 2xx cut at the cap keeps its status (the work may exist), unread.
	[ "$(echo "$output" | jq -r .status)" = 200 ]
	[ "$(echo "$output" | jq -r .body)" = null ]
	[ "$(echo "$output" | jq -r .attempts)" = 1 ]
	[ "$(echo "$output" | jq -r .error)" = "HTTP 200: response larger than 64 MiB" ]
}

@test "plain http to a host that is not loopback is refused before any I/O" {
	run "$T_HTTP" run --base-url http://example.com <<< "GET /x"
	[ "$status" -eq 2 ]
	[[ "$output" == *"http"* ]]
}

@test "no key is exit 2 before any work" {
	mock_start
	run env -u INFERENCE_API_KEY "$T_HTTP" run <<< "GET /v1/generation/x"
	[ "$status" -eq 2 ]
	[[ "$output" == *"INFERENCE_API_KEY"* ]]
	[ "$(stats .requests.total)" -eq 0 ]
}
