# shellcheck shell=bash
# Shared set-up for the bats files: the freshly built tools first on PATH, and
# ia-mock started on a free port (--port-file), never the network.

IA_TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
PATH="$IA_TOP/bin:$PATH"
export INFERENCE_API_KEY=test-key-0123456789
unset INFERENCE_BASE_URL IA_MODEL
# Under `make check` the tests inherit make's MAKELEVEL and jobserver flags; a make
# a test runs must behave as one a user types (no "make[1]:", no jobserver).
unset MAKELEVEL MAKEFLAGS MFLAGS

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
	local pid=$MOCK_PID rc
	MOCK_PID=
	kill -TERM "$pid" 2>/dev/null || true
	if ! wait_gone "$pid" 5; then
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

# wait_gone PID SECONDS: wait until process PID has exited, at most SECONDS;
# fails if it has not.
wait_gone() {
	local i
	for i in $(seq $(($2 * 50))); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.02
	done
	! kill -0 "$1" 2>/dev/null
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

# stats [JQ]: the mock's /mock/stats, optionally through a jq filter.  An
# answer that is not the stats (none, an error, not an object with
# "requests") fails, saying what came, so a check of a count never reads a
# missing answer as a count of 0.
stats() {
	local s
	s=$(curl -sS --fail --max-time 10 -H "Authorization: Bearer $INFERENCE_API_KEY" \
	    "$MOCK_URL/mock/stats") || s="(curl exit $?) $s"
	if ! printf '%s' "$s" | jq -e 'has("requests")' >/dev/null 2>&1; then
		echo "stats: $MOCK_URL/mock/stats answered: $(printf '%s' "$s" | head -c 300)" >&2
		return 1
	fi
	printf '%s\n' "$s" | jq -c "${1:-.}"
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

# POLL_OPTS: short ia-poll timings, so that the files run quickly.
POLL_OPTS=(--interval 0.1 --max-interval 0.5)

# poll [ia-poll options]: ia-poll with the short timings of POLL_OPTS.
poll() {
	ia-poll "${POLL_OPTS[@]}" "$@"
}

# reqs N [PREFIX]: N chat requests (as chat makes them), custom_id PREFIXi
# (PREFIX: c) and content "question PREFIXi", one a line.  Contents differ
# from custom_ids, so an answer given to the wrong custom_id is seen.
reqs() {
	jq -nc --argjson n "$1" --arg p "${2:-c}" 'range(1; $n + 1) | "\($p)\(.)" as $c
	    | {model: "test-model", messages: [{role: "user", content: ("question " + $c)}],
	        metadata: {custom_id: $c}}'
}

# nlines: the number of lines in $output (0 when it is empty).
nlines() {
	if [ -z "$output" ]; then
		echo 0
	else
		printf '%s\n' "$output" | wc -l
	fi
}

# file_lines FILE: the number of lines in FILE.
file_lines() {
	wc -l < "$1" | tr -d ' '
}

# wait_lines FILE N SECONDS: wait until FILE has at least N lines, at most
# SECONDS; fails if it does not.
wait_lines() {
	local i
	for i in $(seq $(($3 * 20))); do
		[ -f "$1" ] && [ "$(file_lines "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "$1: $(file_lines "$1") lines after $3 s, not $2" >&2
	return 1
}

# errs: the error records in $output, one a line.
errs() {
	printf '%s\n' "$output" | jq -c 'select(has("error"))'
}

# gets: the GET /v1/generation/{id} the mock has answered.
gets() {
	stats '.requests["GET /v1/generation/{id}"] // 0'
}

# check_answers IN OUT: OUT holds exactly one generation for each request of
# IN (chat or text, bare or as {custom_id, body}), each with custom_id as its
# first key, state Success, and the answer to that custom_id's own request.
check_answers() {
	local in=$1 out=$2 bad
	bad=$(jq -c --slurpfile in "$in" '
	    ($in | map((.custom_id // (.body // .).metadata.custom_id) as $c
	        | .body // . | {key: $c,
	            value: ((.messages // [] | last | .content) // .prompt)})
	        | from_entries) as $q
	    | select(((keys_unsorted[0] == "custom_id") and .state == "Success"
	        and (.custom_id | type) == "string" and $q[.custom_id] != null
	        and .request.metadata.custom_id == .custom_id
	        and (.response.choices[0] | .message.content // .text)
	            == "Answer to: " + $q[.custom_id])
	        | not)' "$out") || return 1
	if [ -n "$bad" ]; then
		echo "not the right generation: $bad" >&2
		return 1
	fi
	check_once "$in" "$out"
}

# check_once IN OUT: the custom_ids of the records in OUT are those of the
# requests in IN, each exactly once.
check_once() {
	local got want
	got=$(jq -s -c 'map(.custom_id) | sort' "$2")
	want=$(jq -s -c 'map(.metadata.custom_id // .custom_id) | sort' "$1")
	if [ "$got" != "$want" ]; then
		echo "the custom_ids out are not those in, each once:" >&2
		jq -n -c --argjson g "$got" --argjson w "$want" \
		    '{missing: ($w - $g), extra: ($g - $w), out: ($g | length), in: ($w | length)}' >&2
		return 1
	fi
}

# py_server [ARG...]: in the background, a Python HTTP server on a free
# loopback port, whose handler class H is the Python code on stdin (with
# http.server, os and sys imported; sys.argv[2:] are the ARGs; no request
# log).  Sets SERVER_PID (also added to BG_PIDS) and SERVER_URL; fails if it
# does not listen within 5 s.
py_server() {
	local dir
	dir=$(mktemp -d "$BATS_TEST_TMPDIR/server.XXXXXX")
	{
		echo 'import http.server, os, sys'
		cat
		cat <<-'PY'
		H.log_message = lambda self, *a: None
		s = http.server.HTTPServer(("127.0.0.1", 0), H)
		open(sys.argv[1] + ".tmp", "w").write(str(s.server_port))
		os.rename(sys.argv[1] + ".tmp", sys.argv[1])
		s.serve_forever()
		PY
	} >"$dir/server.py"
	"${PYTHON:-/usr/bin/python3}" "$dir/server.py" "$dir/port" "$@" 3>&- &
	SERVER_PID=$!
	BG_PIDS="${BG_PIDS:-} $SERVER_PID"
	for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.05; done
	if [ ! -s "$dir/port" ]; then
		echo "py_server: no server listening after 5 s" >&2
		return 1
	fi
	# shellcheck disable=SC2034 # for the caller
	SERVER_URL="http://127.0.0.1:$(cat "$dir/port")"
}

# tools: the tools GNUmakefile builds and installs (TOOLS), one a word.
tools() {
	sed -n 's/^TOOLS[[:space:]]*=[[:space:]]*//p' "$IA_TOP/GNUmakefile"
}

# help_options: the options a --help text on stdin names at the start of its
# lines ("  -V, --version  ..."), one a line, sorted.
help_options() {
	sed -n 's/^  \(-.*\)/\1/p' | sed 's/  .*//; s/, /\n/g' |
	    awk '{ print $1 }' | sort -u
}

# The default set-up, which a file may replace by defining its own setup,
# teardown or teardown_file after "load helper".

# default_setup: what setup does: IN and OUT name files in the test's own
# directory, and BG_PIDS (the processes default_teardown ends) is empty.
default_setup() {
	# shellcheck disable=SC2034 # for the tests
	IN=$BATS_TEST_TMPDIR/in
	# shellcheck disable=SC2034 # for the tests
	OUT=$BATS_TEST_TMPDIR/out
	BG_PIDS=
	# What the test starts carries it: so default_teardown finds it.
	IA_TEST_MARK=$BATS_TEST_TMPDIR
	export IA_TEST_MARK
}

# tree_pids PID: PID and every process under it, children first.
tree_pids() {
	local c
	for c in $(pgrep -P "$1" 2>/dev/null); do
		tree_pids "$c"
	done
	echo "$1"
}

# test_pids: the programs this test started that are still running, known
# by the IA_TEST_MARK default_setup gave them (bats's own processes, such
# as its timer, started before it, have none), this shell apart.
test_pids() {
	local f pid found
	[ -n "${IA_TEST_MARK:-}" ] || return 0
	# Read whole first: grep finds itself, and has ended once this returns.
	found=$(grep -lzxF -- "IA_TEST_MARK=$IA_TEST_MARK" /proc/[0-9]*/environ 2>/dev/null)
	while read -r f; do
		pid=${f#/proc/}
		pid=${pid%/environ}
		if [ -z "$pid" ] || [ ! -e "/proc/$pid" ]; then
			continue
		fi
		[ "$pid" = "$$" ] || [ "$pid" = "$BASHPID" ] || echo "$pid"
	done <<<"$found"
}

# default_teardown [SIGNAL]: what teardown does: send SIGNAL (TERM) to the
# processes in BG_PIDS and all under them; stop the test's mock
# (mock_stop); then TERM, and KILL a second later, to any other process
# the test started that still runs.  A test that fails half way leaves
# nothing running: a process that outlived its test would hold bats's
# output open, and the suite would never end.
default_teardown() {
	local pid all='' i rc=0
	for pid in ${BG_PIDS:-}; do
		all="$all $(tree_pids "$pid")"
	done
	# shellcheck disable=SC2086 # the pids, one a word
	[ -z "${all// /}" ] || kill -"${1:-TERM}" $all 2>/dev/null || true
	mock_stop || rc=$?
	all=$(test_pids)
	if [ -n "$all" ]; then
		# shellcheck disable=SC2086 # the pids, one a word
		kill -TERM $all 2>/dev/null || true
		for i in 1 2 3 4 5 6 7 8 9 10; do
			[ -n "$(test_pids)" ] || break
			sleep 0.1
		done
		all=$(test_pids)
		# shellcheck disable=SC2086 # the pids, one a word
		[ -z "$all" ] || kill -KILL $all 2>/dev/null || true
	fi
	return "$rc"
}

setup() {
	default_setup
}

teardown() {
	default_teardown TERM
}

# teardown_file: stop any mock a test left running.
teardown_file() {
	mock_stop_all
}
