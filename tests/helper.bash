# shellcheck shell=bash
# Shared set-up for the bats files: the freshly built tools first on PATH, and
# ia-mock started on a free port (--port-file), never the network.

IA_TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
PATH="$IA_TOP/bin:$PATH"
export INFERENCE_API_KEY=test-key-0123456789
unset INFERENCE_BASE_URL

# mock_start [ia-mock options]: start a mock and point the tools at it.
# Sets MOCK_PID, MOCK_DIR (its stderr is $MOCK_DIR/stderr), MOCK_PORT, MOCK_URL.
# A mock that does not come up fails the caller, with its stderr shown.
mock_start() {
	local dir pid i
	dir=$(mktemp -d "${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/mock.XXXXXX")
	ia-mock -p 0 --port-file "$dir/port" "$@" >"$dir/stdout" 2>"$dir/stderr" 3>&- &
	pid=$!
	echo "$pid" >>"${BATS_FILE_TMPDIR:-/tmp}/mock.pids"
	for i in $(seq 200); do
		[ -s "$dir/port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.025
	done
	if [ ! -s "$dir/port" ]; then
		echo "ia-mock $* did not start (after $i tries):" >&2
		cat "$dir/stderr" >&2
		return 1
	fi
	MOCK_PID=$pid
	MOCK_DIR=$dir
	MOCK_PORT=$(cat "$dir/port")
	MOCK_URL="http://127.0.0.1:$MOCK_PORT"
	INFERENCE_BASE_URL=$MOCK_URL
	export MOCK_PID MOCK_DIR MOCK_PORT MOCK_URL INFERENCE_BASE_URL
}

# mock_stop: stop the last mock started (SIGTERM); it must exit 0 within 5 s.
mock_stop() {
	[ -n "${MOCK_PID:-}" ] || return 0
	local pid=$MOCK_PID i rc
	MOCK_PID=
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.025
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		echo "ia-mock did not stop on SIGTERM within 5 s" >&2
		return 1
	fi
	rc=0
	wait "$pid" 2>/dev/null || rc=$?
	# 127: not a child of this shell (started in another test's process).
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 127 ]; then
		echo "ia-mock exited $rc on SIGTERM" >&2
		return 1
	fi
}

# mock_stop_all: in teardown_file, stop any mock a test left running.
mock_stop_all() {
	local pid
	[ -f "${BATS_FILE_TMPDIR:-/tmp}/mock.pids" ] || return 0
	while read -r pid; do
		kill -KILL "$pid" 2>/dev/null || true
	done <"${BATS_FILE_TMPDIR:-/tmp}/mock.pids"
	rm -f "${BATS_FILE_TMPDIR:-/tmp}/mock.pids"
}

# http METHOD PATH [BODY]: one request to the current mock with the test key.
# Prints the status code; the answer's body is in $BATS_TEST_TMPDIR/body and
# its headers in $BATS_TEST_TMPDIR/headers.
http() {
	local method=$1 path=$2
	shift 2
	curl -sS --max-time 30 -o "$BATS_TEST_TMPDIR/body" -D "$BATS_TEST_TMPDIR/headers" \
	    -w '%{http_code}' -X "$method" \
	    -H "Authorization: Bearer $INFERENCE_API_KEY" \
	    -H 'Content-Type: application/json' \
	    ${1+--data-binary "$1"} "$MOCK_URL$path"
}

# body: the body of the last http answer.
body() {
	cat "$BATS_TEST_TMPDIR/body"
}

# stats [JQ]: the mock's /mock/stats, optionally through a jq filter.
stats() {
	curl -sS --max-time 10 -H "Authorization: Bearer $INFERENCE_API_KEY" \
	    "$MOCK_URL/mock/stats" |
	    jq -c "${1:-.}"
}

# chat CONTENT [EXTRA-JSON]: a chat request body with one user message.
chat() {
	jq -nc --arg c "$1" --argjson x "${2:-{\}}" \
	    '{model: "test-model", messages: [{role: "user", content: $c}]} + $x'
}

# expected_answer TEXT: what ia-mock answers to a request whose last message
# (or prompt) is TEXT, with no max_tokens (see ia-mock(1), ANSWERS).
expected_answer() {
	printf 'Answer to: %s' "$1"
}

# now: seconds since the epoch, with fractions.
now() {
	date +%s.%N
}

# since T: the seconds since T (from now).
since() {
	awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.3f", a - b }'
}

# ge A B / lt A B: comparisons of decimal numbers.
ge() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'
}
lt() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'
}
