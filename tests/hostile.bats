#!/usr/bin/env bats
# Hostile answers (ia-mock --garbage-rate) against every tool that meets
# them, and fault storms at scale.  What is asserted is what the user sees:
# every prompt ends as exactly one record downstream, no tool crashes, hangs
# or swells, and the key never goes where a redirect points.
#
# Each kind runs four pipelines at once, each on a mock of its own: garbage
# on POSTs through ia-submit | ia-poll and ia-group | ia-poll, and garbage on
# GETs through the same two.  A bad answer to a GET never abandons paid
# work: it is retried, so every prompt ends as its answer.  A 200 to a POST
# that cannot be read is not retried (the work may exist): one error record
# with status 200 that says so.  A redirect is never followed: to a POST it
# is an error record naming the 307; to a GET it is a bad answer like the
# others, asked again.
bats_require_minimum_version 1.5.0
load helper

# teardown: the mocks a test started (MOCKS) are stopped, the other
# background processes killed; a mock that does not stop does not fail it.
teardown() {
	local pid
	for pid in ${MOCKS:-}; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	default_teardown KILL || true
}

N=200			# prompts per pipeline
RATE=0.15		# --garbage-rate
RSS_MAX=102400		# KB: the peak RSS a tool may reach, against 256 MiB bodies
# Under make sanitize, ASan's shadow memory and its quarantine of freed blocks
# (256 MiB) count in a tool's RSS: there the bound only catches a runaway;
# make check holds the real one.
[ -z "${IA_SANITIZED:-}" ] || RSS_MAX=614400

# listener: a server where redirects point, that notes every request it gets
# (method, path, whether it carried an Authorization header) in $HEARD.  It
# is checked to note what it gets, with one request of ours.
listener() {
	HEARD=$BATS_TEST_TMPDIR/heard
	: >"$HEARD"
	py_server "$HEARD" <<-'PY'
	class H(http.server.BaseHTTPRequestHandler):
	    def any(self):
	        n = int(self.headers.get("Content-Length") or 0)
	        if n:
	            self.rfile.read(n)
	        with open(sys.argv[2], "a") as f:
	            f.write("%s %s auth=%s\n" % (self.command, self.path,
	                "yes" if self.headers.get("Authorization") else "no"))
	        body = b'{"id": "redirectedAAAAAAAAAAAA", "groupId": "redirected"}'
	        self.send_response(200)
	        self.send_header("Content-Type", "application/json")
	        self.send_header("Content-Length", str(len(body)))
	        self.end_headers()
	        self.wfile.write(body)
	    do_GET = do_POST = any
	PY
	curl -s -o /dev/null --max-time 5 "$SERVER_URL/ping"
	[ "$(cat "$HEARD")" = "GET /ping auth=no" ]
}

# heard_nothing: the listener got no request but ours.
heard_nothing() {
	if [ "$(cat "$HEARD")" != "GET /ping auth=no" ]; then
		echo "the redirect target was sent requests:" >&2
		cat "$HEARD" >&2
		return 1
	fi
}

# tool DIR NAME SECS CMD...: run CMD under timeout SECS and /usr/bin/time;
# DIR/NAME.rc gets its exit status (124: it did not end in time), DIR/NAME.time
# "SECONDS PEAK-RSS-KB" on its last line, DIR/NAME.err its stderr.
tool() {
	local d=$1 name=$2 secs=$3 rc
	shift 3
	timeout -k 5 "$secs" /usr/bin/time -f '%e %M' -o "$d/$name.time" "$@" \
	    2>"$d/$name.err" && rc=0 || rc=$?
	echo "$rc" >"$d/$name.rc"
}

# pipeline DIR PIPE SECS [CLIENT-OPTION...]: DIR/in through PIPE, "submit"
# (ia-submit | ia-poll) or "group" (ia-group -n GROUP_N | ia-poll), to the current
# mock, each tool with CLIENT-OPTIONs, ia-poll also with POLL_OPTS and
# POLL_MORE; DIR/out gets what ia-poll writes, DIR/stats the mock's
# /mock/stats at the end.  In the background (its pid added to BG_PIDS and
# WAIT_PIDS); await it.
pipeline() {
	local d=$1 pipe=$2 secs=$3 first
	shift 3
	if [ "$pipe" = submit ]; then
		first=(ia-submit)
	else
		first=(ia-group -n "$GROUP_N")
	fi
	{
		tool "$d" first "$secs" "${first[@]}" "$@" <"$d/in" |
		    tool "$d" poll "$secs" ia-poll "${POLL_OPTS[@]}" --deadline 150 \
		    "${POLL_MORE[@]}" "$@" >"$d/out"
		stats >"$d/stats"
	} 3>&- &
	BG_PIDS="$BG_PIDS $!"
	WAIT_PIDS="${WAIT_PIDS:-} $!"
}

POLL_MORE=()
GROUP_N=4

# garbage_mock KIND ROUTES [ia-mock option...]: a mock of its own with
# --garbage-rate KIND_RATE (default RATE) --garbage KIND --garbage-routes ROUTES, redirecting to
# the listener; its pid is added to MOCKS.
garbage_mock() {
	local kind=$1 routes=$2
	shift 2
	mock_start --garbage-rate "${KIND_RATE:-$RATE}" --garbage "$kind" --garbage-routes "$routes" \
	    --redirect-to "$SERVER_URL" --complete-after 0.1,0.5 --group-delay 0.2 "$@"
	MOCKS="${MOCKS:-} $MOCK_PID"
}

# await: wait for the pipelines started since the last await.
await() {
	local pid
	for pid in ${WAIT_PIDS:-}; do
		wait "$pid" || true
	done
	WAIT_PIDS=
}

# ended DIR: each tool of the pipeline in DIR (each DIR/NAME.rc) ended by
# itself, exit 0 or 1, never a signal or the timeout, and its peak RSS stayed
# under RSS_MAX.
ended() {
	local d=$1 f name rc secs rss
	TOOK=
	for f in "$d"/*.rc; do
		name=$(basename "$f" .rc)
		rc=$(cat "$f")
		case $rc in
		0 | 1) ;;
		124 | 137)
			echo "$d: $name did not end in time" >&2
			tail -n 3 "$d/$name.err" >&2
			return 1 ;;
		*)
			echo "$d: $name exited $rc (a signal when above 128)" >&2
			tail -n 5 "$d/$name.err" >&2
			return 1 ;;
		esac
		read -r secs rss <<<"$(tail -n 1 "$d/$name.time")"
		TOOK="${TOOK:-}$name ${secs}s ${rss}KB, "
		if [ "$rss" -ge "$RSS_MAX" ]; then
			echo "$d: $name peak RSS $rss KB, not under $RSS_MAX KB" >&2
			return 1
		fi
	done
}

# JQ_ERRS: jq definitions of the error records each policy allows.
# shellcheck disable=SC2016 # jq, not shell
JQ_ERRS='
def once: .error.attempts == 1;
def unread: .error.status == 200 and (.error.message | test("may have been made"; "i"));
def redirect: .error.message | test("307");
def allowed: (.error.stage as $s | $stages | index($s)) and
    if $policy == "none" then false
    elif $policy == "unread" then unread and once
    elif $policy == "redirect" then redirect and once
    elif $policy == "mixed-post" then unread or redirect
    else false end;'

# outcome DIR POLICY STAGES KIND: the pipeline in DIR ended well (ended),
# each prompt of DIR/in is one record of DIR/out, each either its right answer
# or an error record of a stage in STAGES (a JSON array) that POLICY allows:
# none, unread (a 200 that cannot be read: status 200, "may have been made",
# and attempts 1: not retried), redirect (names the 307, attempts 1), or,
# with every kind drawn, where other garbage may come first and be retried,
# mixed-post (unread or redirect, after any attempts); and the mock sent
# garbage of KIND ("all": of any kind).
outcome() {
	local d=$1 policy=$2 stages=$3 kind=$4 bad n
	# called in a list (|| rc=1), where set -e does not hold: each step returns
	ended "$d" || return 1
	check_once "$d/in" "$d/out" || return 1
	bad=$(jq -c --slurpfile in "$d/in" --arg policy "$policy" --argjson stages "$stages" \
	    "$JQ_ERRS"'
	    ($in | map({key: .metadata.custom_id, value: .messages[0].content})
	        | from_entries) as $q
	    | select(if has("error") then allowed | not
	        else (.state == "Success" and (.response.choices[0].message.content
	            == "Answer to: " + $q[.custom_id])) | not end)' "$d/out") || return 1
	if [ -n "$bad" ]; then
		echo "$d ($policy): records that should not be:" >&2
		printf '%s\n' "$bad" | head -n 5 >&2
		return 1
	fi
	if ! jq -e '.faults | type == "object"' "$d/stats" >/dev/null 2>&1; then
		echo "$d: no stats from the mock: $(head -c 300 "$d/stats")" >&2
		return 1
	fi
	if [ "$kind" = all ]; then
		n=$(jq '[.faults | to_entries[] | select(.key | startswith("garbage-")) | .value] | add' "$d/stats")
	else
		n=$(jq --arg k "garbage-$kind" '.faults[$k]' "$d/stats")
	fi
	if ! [ "${n:-0}" -gt 0 ]; then
		echo "$d: the mock sent no garbage of kind $kind; it had $(jq -c '{requests, faults}' "$d/stats")" >&2
		return 1
	fi
	echo "$d: $(jq -s 'map(select(has("error"))) | length' "$d/out") error records, $n garbage answers; $TOOK"
}

# kind_start KIND SECS [CLIENT-OPTION...]: the four pipelines of KIND at
# once, each on a mock of its own, within SECS each: garbage on POSTs and on
# GETs, through ia-submit | ia-poll and ia-group | ia-poll; each with KIND_N
# prompts (default N), in $BATS_TEST_TMPDIR/KIND/ROUTES-PIPE.
kind_start() {
	local k=$1 secs=$2 routes pipe d
	shift 2
	for routes in post get; do
		for pipe in submit group; do
			d=$BATS_TEST_TMPDIR/$k/$routes-$pipe
			mkdir -p "$d"
			reqs "${KIND_N:-$N}" >"$d/in"
			garbage_mock "$k" "$routes"
			pipeline "$d" "$pipe" "$secs" "$@"
		done
	done
}

# kind_check KIND POST-POLICY GET-POLICY: the outcomes of the pipelines of
# KIND: on POSTs with POST-POLICY (stages submit and group), on GETs with
# GET-POLICY (stage poll).
kind_check() {
	local k=$1 post=$2 get=$3 pipe rc=0
	for pipe in submit group; do
		outcome "$BATS_TEST_TMPDIR/$k/post-$pipe" "$post" '["submit","group"]' "$k" || rc=1
		outcome "$BATS_TEST_TMPDIR/$k/get-$pipe" "$get" '["poll"]' "$k" || rc=1
	done
	return "$rc"
}

# kind KIND POST-POLICY GET-POLICY SECS [CLIENT-OPTION...]: KIND's four
# pipelines, and their outcomes; nothing went where redirects point.
kind() {
	local k=$1 post=$2 get=$3 secs=$4 rc=0
	shift 4
	listener
	kind_start "$k" "$secs" "$@"
	await
	kind_check "$k" "$post" "$get" || rc=1
	heard_nothing || rc=1
	[ "$rc" = 0 ]
}

# --- the mock's garbage, as curl sees it ------------------------------------------------

# get_raw PATH: GET PATH from the current mock with curl, at most 5 s; prints
# "CODE CURL-EXIT SIZE"; the body is in $BATS_TEST_TMPDIR/body, the headers
# (CR dropped) in .../headers.
get_raw() {
	local out rc code size
	out=$(curl -s -o "$BATS_TEST_TMPDIR/body" -D "$BATS_TEST_TMPDIR/h" \
	    -w '%{http_code} %{size_download}' --max-time 5 \
	    -H "Authorization: Bearer $INFERENCE_API_KEY" "$MOCK_URL$1") && rc=0 || rc=$?
	tr -d '\r' <"$BATS_TEST_TMPDIR/h" >"$BATS_TEST_TMPDIR/headers"
	read -r code size <<<"$out"
	echo "$code $rc ${size:-0}"
}

# header NAME: the value of header NAME in the last get_raw answer.
header() {
	sed -n "s/^$1: //Ip" "$BATS_TEST_TMPDIR/headers"
}

# refute_json: the last body is not JSON.
refute_json() {
	if jq . "$BATS_TEST_TMPDIR/body" >/dev/null 2>&1; then
		echo "the body is JSON:" >&2
		cat "$BATS_TEST_TMPDIR/body" >&2
		return 1
	fi
}

# huge_check: three GETs of the current mock, which sends huge garbage: 256
# MiB said and sent, valid JSON: {"padding":"aaa...", then the answer.
huge_check() {
	local out
	out=$(curl -s -o /dev/null -D - -w '%{http_code} %{size_download}' --max-time 20 \
	    -H "Authorization: Bearer $INFERENCE_API_KEY" "$MOCK_URL/v1/generation/AAAAAAAAAAAAAAAAAAAAA")
	echo "$out" | tr -d '\r' | grep -qix "content-length: $((256 << 20))"
	[ "$(echo "$out" | tail -n 1)" = "200 $((256 << 20))" ]
	[ "$(curl -s --max-time 20 -H "Authorization: Bearer $INFERENCE_API_KEY" \
	    "$MOCK_URL/v1/generation/AAAAAAAAAAAAAAAAAAAAA" | head -c 16)" = '{"padding":"aaaa' ]
	[ "$(curl -s --max-time 20 -H "Authorization: Bearer $INFERENCE_API_KEY" \
	    "$MOCK_URL/v1/generation/AAAAAAAAAAAAAAAAAAAAA" | tail -c 48)" = \
	    'aaa","error":{"message":"generation not found"}}' ]
}

@test "ia-mock --garbage KIND: each kind as curl sees it, counted by kind; the same seed draws the same" {
	local id gid g code rc size n
	for g in json html short huge types empty retry-after redirect; do
		mock_start --seed 5 --complete-after 0.1 --garbage-rate 1 --garbage "$g" \
		    --redirect-to http://127.0.0.9:9
		if [ "$g" = huge ]; then
			huge_check
			read -r code rc size <<<"200 0 $((256 << 20))"
		else
			read -r code rc size <<<"$(get_raw /v1/generation/AAAAAAAAAAAAAAAAAAAAA)"
		fi
		echo "$g: $code $rc $size"
		case $g in
		json)
			[ "$code $rc" = "200 0" ]
			header Content-Type | grep -qx application/json
			refute_json ;;
		html)
			[ "$code $rc" = "502 0" ]
			header Content-Type | grep -qx text/html
			grep -q '<title>502 Bad Gateway</title>' "$BATS_TEST_TMPDIR/body" ;;
		short)
			# curl: 18, the transfer closed with bytes left to read
			[ "$code $rc" = "200 18" ]
			[ "$(header Content-Length)" -eq $((size * 2)) ] ||
			    [ "$(header Content-Length)" -eq $((size * 2 + 1)) ] ;;
		huge) ;;
		types)
			[ "$code $rc" = "200 0" ]
			[ "$(body)" = '{"error":{"message":404}}' ] ;;
		empty)
			[ "$code $rc $size" = "200 0 0" ]
			header Content-Type | grep -qx application/json ;;
		retry-after)
			[ "$code $rc" = "429 0" ]
			header Retry-After | grep -qxE 'soon|-30|999999999' ;;
		redirect)
			[ "$code $rc $size" = "307 0 0" ]
			[ "$(header Location)" = http://127.0.0.9:9/v1/generation/AAAAAAAAAAAAAAAAAAAAA ] ;;
		esac
		n=1
		[ "$g" != huge ] || n=3
		[ "$(stats ".faults[\"garbage-$g\"]")" = "$n" ]
		[ "$(stats '[.faults[]] | add')" = "$n" ]
		mock_stop
	done

	# the kinds that answer 200 garble the answer the request had
	mock_start --complete-after 0.1 --garbage-rate 1 --garbage types
	http POST /v1/async/chat/completions "$(chat "typed")" >/dev/null
	body | jq -e '.id | type == "object" and (.id | type == "string")' >/dev/null
	http POST /v1/async/group/chat/completions "{\"requests\":[$(chat a)]}" >/dev/null
	[ "$(body)" = '{"groupSize":1}' ]
	[ "$(stats .generations.total)" = 2 ]
	[ "$(stats .groups)" = 1 ]
	mock_stop

	# --garbage-routes get: POSTs are left alone, GETs are hit
	mock_start --complete-after 0.1 --group-delay 0 --garbage-rate 1 --garbage types \
	    --garbage-routes get
	[ "$(http POST /v1/async/chat/completions "$(chat "typed")")" = 200 ]
	id=$(body | jq -r .id)
	[ "$(http POST /v1/async/group/chat/completions "{\"requests\":[$(chat a),$(chat b)]}")" = 200 ]
	gid=$(body | jq -r .groupId)
	sleep 0.2
	[ "$(http GET "/v1/generation/$id")" = 200 ]
	body | jq -e '.state == 2 and .response.choices[0].message.content == "Answer to: typed"' >/dev/null
	[ "$(http GET "/v1/async/group/$gid/generations")" = 200 ]
	body | jq -e '.generations | type == "object" and length == 2
	    and all(.[]; .state == "Success")' >/dev/null
	[ "$(stats '.faults["garbage-types"]')" = 2 ]
	mock_stop

	# --garbage-routes post: the other way round
	mock_start --garbage-rate 1 --garbage empty --garbage-routes post
	[ "$(http POST /v1/async/chat/completions "$(chat "empty")")" = 200 ]
	[ -z "$(body)" ]
	[ "$(http GET /v1/generation/AAAAAAAAAAAAAAAAAAAAA)" = 404 ]
	mock_stop

	# --garbage all (the default) draws every kind; the same seed, the same draws
	mock_start --seed 11 --garbage-rate 1 --garbage all
	draws 40 >"$BATS_TEST_TMPDIR/a"
	stats .faults
	[ "$(stats '[.faults | to_entries[] | select(.key | startswith("garbage-")) | .value > 0] | all')" = true ]
	stats .faults >"$BATS_TEST_TMPDIR/fa"
	mock_stop
	mock_start --seed 11 --garbage-rate 1
	draws 40 >"$BATS_TEST_TMPDIR/b"
	stats .faults >"$BATS_TEST_TMPDIR/fb"
	cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	cmp "$BATS_TEST_TMPDIR/fa" "$BATS_TEST_TMPDIR/fb"
	# without --redirect-to, redirects go to the mock's port on 127.0.0.2 or
	# to a name that never resolves
	grep -q "^307 http://127.0.0.2:PORT/v1/generation/" "$BATS_TEST_TMPDIR/b"
	grep -q '^307 http://ia-mock-redirect.invalid/v1/generation/' "$BATS_TEST_TMPDIR/b"
}

# draws N: N GETs of the current mock, each cut off after 0.3 s; a line
# each with the status and the Retry-After or Location sent (the mock's
# port in it as PORT).
draws() {
	local code
	for _ in $(seq "$1"); do
		code=$(curl -s -o /dev/null -D "$BATS_TEST_TMPDIR/h" -w '%{http_code}' \
		    --max-time 0.3 -H "Authorization: Bearer $INFERENCE_API_KEY" \
		    "$MOCK_URL/v1/generation/AAAAAAAAAAAAAAAAAAAAA") || true
		echo "$code $(tr -d '\r' <"$BATS_TEST_TMPDIR/h" | sed -n 's/^\(retry-after\|location\): //Ip')"
	done | sed "s/:$MOCK_PORT\//:PORT\//"
}

@test "ia-mock --garbage drip: a byte a second, for ever, without holding the mock; SIGTERM still stops it at once" {
	local t0 pid ms
	mock_start --garbage-rate 1 --garbage drip --threads 1
	t0=$(date +%s%N)
	run curl -s -o "$BATS_TEST_TMPDIR/drip" --max-time 2.5 \
	    -H "Authorization: Bearer $INFERENCE_API_KEY" "$MOCK_URL/v1/generation/AAAAAAAAAAAAAAAAAAAAA"
	[ "$status" = 28 ]
	# a space at once, then one a second
	[ "$(wc -c <"$BATS_TEST_TMPDIR/drip")" -eq 3 ]
	[ "$(tr -d ' ' <"$BATS_TEST_TMPDIR/drip")" = "" ]
	# 20 drips open on one thread, and the mock still answers
	for _ in $(seq 20); do
		curl -s -o /dev/null --max-time 30 -H "Authorization: Bearer $INFERENCE_API_KEY" \
		    "$MOCK_URL/v1/generation/AAAAAAAAAAAAAAAAAAAAA" 3>&- &
		BG_PIDS="$BG_PIDS $!"
	done
	pid=$!
	sleep 1
	[ "$(stats '.faults["garbage-drip"]')" = 21 ]
	kill -0 "$pid"
	t0=$(date +%s%N)
	kill -TERM "$MOCK_PID"
	wait_gone "$MOCK_PID" 3
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "stopped in $ms ms"
	[ "$ms" -lt 3000 ]
	wait "$MOCK_PID"
	MOCK_PID=
	# and the drips are let go
	wait_gone "$pid" 3
}

@test "ia-mock --garbage huge: 256 MiB bodies cost the mock no memory" {
	local hwm
	mock_start --garbage-rate 1 --garbage huge
	for _ in 1 2 3 4; do
		curl -s -o /dev/null --max-time 20 -H "Authorization: Bearer $INFERENCE_API_KEY" \
		    "$MOCK_URL/v1/generation/AAAAAAAAAAAAAAAAAAAAA" 3>&- &
		BG_PIDS="$BG_PIDS $!"
	done
	for pid in $BG_PIDS; do wait "$pid"; done
	hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$MOCK_PID/status")
	echo "mock peak RSS: $hwm KB"
	[ "$hwm" -lt 32768 ]
	[ "$(stats '.faults["garbage-huge"]')" = 4 ]
}

@test "ia-mock: bad --garbage and --garbage-routes exit 2 naming the option; garbage counts in the rates' sum" {
	local args opt
	while IFS='|' read -r opt args; do
		# shellcheck disable=SC2086 # args is a list of words
		run --separate-stderr timeout 3 ia-mock -p 0 $args
		echo "ia-mock $args -> status $status, stderr: $stderr"
		[ "$status" = 2 ]
		[[ "$stderr" == *"$opt"* ]]
	done <<-'EOF'
	--garbage-rate|--garbage-rate 1.5
	--garbage|--garbage nonsense
	--garbage|--garbage json,,html
	--garbage|--garbage json,
	--garbage-routes|--garbage-routes put
	--redirect-to|--redirect-to ftp://x
	rates|--garbage-rate 0.6 --error-rate 0.6
	EOF
	mock_start --garbage json,html --garbage-routes post --garbage-rate 0.5 --error-rate 0.5
	[ "$(stats '.faults | has("garbage-json") and has("garbage-redirect")')" = true ]
}

# --- each kind against the tools --------------------------------------------------------

@test "garbage json: a POST's unreadable 200 is one error record saying the request may have been made; a GET's is retried until the answer" {
	kind json unread none 60 --timeout 2
}

@test "garbage html: a proxy's 502 page is retried, on POSTs and GETs alike" {
	kind html none none 60 --timeout 2
}

@test "garbage short: a body cut short ends each prompt once; a GET's is retried until the answer" {
	# On a POST the status 200 came, the body did not: either retried as a
	# network error, or an error record saying the request may have been made.
	kind short unread none 60 --timeout 2
}

@test "garbage huge: a 256 MiB answer neither swells a tool nor loses a prompt; a GET's is retried" {
	# A body is held up to the 64 MiB cap (ia(7), HTTP BEHAVIOUR), so a
	# tool's peak is at worst -j times that: -j 1 puts it under RSS_MAX.
	kind huge unread none 60 --timeout 5 -j 1
}

@test "garbage types: wrong types in valid JSON are never taken for an answer; a GET's is retried" {
	kind types unread none 60 --timeout 2
}

@test "garbage empty: an empty 200 is one error record on a POST, retried on a GET" {
	kind empty unread none 60 --timeout 2
}

@test "garbage drip: a body that never ends is cut off by --timeout and retried" {
	kind drip none none 60 --timeout 1
}

@test "garbage redirect: a 307 to another host is never followed, the key never goes there; an error record to a POST, asked again to a GET" {
	kind redirect redirect none 60 --timeout 2
}

# ra_seeds: the seeds under which the first request to a mock with
# --garbage-rate 1 --garbage retry-after gets each Retry-After; sets
# RA_SOON, RA_NEGATIVE and RA_ENORMOUS.
ra_seeds() {
	local s v
	RA_SOON='' RA_NEGATIVE='' RA_ENORMOUS=''
	for s in $(seq 1 60); do
		mock_start --seed "$s" --garbage-rate 1 --garbage retry-after
		get_raw /v1/generation/AAAAAAAAAAAAAAAAAAAAA >/dev/null
		v=$(header Retry-After)
		mock_stop
		case $v in
		soon) RA_SOON=${RA_SOON:-$s} ;;
		-30) RA_NEGATIVE=${RA_NEGATIVE:-$s} ;;
		999999999) RA_ENORMOUS=${RA_ENORMOUS:-$s} ;;
		*) echo "seed $s: Retry-After: $v" >&2; return 1 ;;
		esac
		[ -n "$RA_SOON" ] && [ -n "$RA_NEGATIVE" ] && [ -n "$RA_ENORMOUS" ] && return 0
	done
	echo "no seed of 60 gives each Retry-After" >&2
	return 1
}

@test "garbage retry-after, and all kinds at once: a garbage or negative Retry-After is ignored, an enormous one capped at 60 s; every prompt ends once" {
	local v d rc=0 secs status attempts seed
	ra_seeds
	echo "seeds: soon $RA_SOON, -30 $RA_NEGATIVE, 999999999 $RA_ENORMOUS"
	listener
	# one prompt, --retries 1, its first answer a 429 with each Retry-After
	for v in SOON NEGATIVE ENORMOUS; do
		d=$BATS_TEST_TMPDIR/one-$v
		mkdir -p "$d"
		chat "wait for me" >"$d/in"
		seed=RA_$v
		mock_start --seed "${!seed}" --garbage-rate 1 --garbage retry-after
		MOCKS="${MOCKS:-} $MOCK_PID"
		{
			t0=$(date +%s%N)
			tool "$d" first 100 ia-submit --retries 1 <"$d/in" >"$d/out"
			echo $((($(date +%s%N) - t0) / 1000000)) >"$d/ms"
		} 3>&- &
		BG_PIDS="$BG_PIDS $!"
		WAIT_PIDS="${WAIT_PIDS:-} $!"
	done
	# The pipelines of both kinds at once, since an enormous Retry-After
	# costs each 60 s.  retry-after at a rate of 0.03, not 0.15, on more
	# requests (groups of 1, each id polled about once): as many garbage
	# answers in all, but few requests meet two enormous ones in a row, which
	# cost 120 s.
	KIND_RATE=0.03 GROUP_N=1 POLL_MORE=(--interval 0.3)
	kind_start retry-after 200 --timeout 2 -j 64
	KIND_RATE='' GROUP_N=4 POLL_MORE=()
	kind_start all 200 --timeout 1.5 -j 8
	await
	kind_check retry-after none none || rc=1
	# All kinds hold huge bodies too, up to the 64 MiB cap a transfer, and
	# several at once: the bound is -j (8) bodies and the tool itself.
	RSS_MAX=$(( (8 * 64 + 100) * 1024 )) kind_check all mixed-post none || rc=1
	heard_nothing || rc=1
	for v in SOON NEGATIVE ENORMOUS; do
		d=$BATS_TEST_TMPDIR/one-$v
		secs=$(awk -v ms="$(cat "$d/ms")" 'BEGIN { printf "%.1f", ms / 1000 }')
		read -r status attempts <<<"$(jq -r '"\(.error.status) \(.error.attempts)"' "$d/out")"
		echo "Retry-After $v: rc $(cat "$d/first.rc"), $secs s, status $status, attempts $attempts"
		[ "$(cat "$d/first.rc")" = 1 ] || rc=1
		[ "$status $attempts" = "429 2" ] || rc=1
		case $v in
		ENORMOUS) { ge "$secs" 59 && lt "$secs" 75; } || rc=1 ;;
		*) lt "$secs" 10 || rc=1 ;;
		esac
	done
	[ "$rc" = 0 ]
}

# --- fault storms at scale ------------------------------------------------------------------

# storm DIR PIPE: 2,000 requests ($IN) through PIPE | ia-collect against a
# mock of its own under every fault at once, with --models test-model; in
# the background.  DIR/polled gets what ia-poll writes, DIR/out what
# ia-collect writes, DIR/stats the stats at the end.
storm() {
	local d=$1 pipe=$2 first
	mkdir -p "$d"
	if [ "$pipe" = submit ]; then
		first=(ia-submit)
	else
		first=(ia-group -n 10)
	fi
	mock_start --error-rate 0.1 --429-rate 0.05 --reset-rate 0.03 --stall-rate 0.01 \
	    --fail-rate 0.05 --lose-rate 0.01 --models test-model \
	    --complete-after 0.1,0.5 --group-delay 0.2
	MOCKS="${MOCKS:-} $MOCK_PID"
	{
		tool "$d" first 150 "${first[@]}" --timeout 2 -j 32 <"$IN" |
		    tool "$d" poll 150 ia-poll "${POLL_OPTS[@]}" --timeout 2 -j 32 |
		    tee "$d/polled" | tool "$d" collect 150 ia-collect >"$d/out"
		stats >"$d/stats"
	} 3>&- &
	BG_PIDS="$BG_PIDS $!"
	WAIT_PIDS="${WAIT_PIDS:-} $!"
}

# BAD: the input lines whose model the mock does not serve, each in a group
# of its own whatever ia-group makes of the rest.
BAD="100 500 900 1300 1700"

@test "fault storms: 2,000 requests through ia-submit | ia-poll | ia-collect and ia-group | ia-poll | ia-collect, each once, each right" {
	local pipe d bad q400 n
	reqs 2000 | jq -c --argjson bad "[${BAD// /,}]" \
	    'if ([input_line_number] | inside($bad)) then .model = "bad-model-\(input_line_number)" else . end' >"$IN"
	[ "$(jq -s 'map(select(.model != "test-model")) | length' "$IN")" = 5 ]
	storm "$BATS_TEST_TMPDIR/submit" submit
	storm "$BATS_TEST_TMPDIR/group" group
	await
	for pipe in submit group; do
		d=$BATS_TEST_TMPDIR/$pipe
		echo "$pipe: $(jq -c '{faults, retry_after, responses, generations}' "$d/stats")"
		ended "$d"
		[ "$(file_lines "$d/out")" -eq 2000 ]
		check_once "$IN" "$d/out"
		# every answer is its own request's
		bad=$(jq -c 'select(has("content")) | select(.content != "Answer to: question " + .custom_id)' "$d/out")
		[ -z "$bad" ] || { echo "$pipe: wrong answers: $bad"; false; }
		# every Failed generation is an error record, and so is nothing else
		# but the requests for a model not served (and their groups)
		jq -c 'select(.state == "Failed") | .custom_id' "$d/polled" | sort >"$d/failed"
		jq -c 'select(.error.stage == "generation") | .custom_id' "$d/out" | sort >"$d/gen-errs"
		cmp "$d/failed" "$d/gen-errs"
		n=$(file_lines "$d/failed")
		echo "$pipe: $n Failed"
		[ "$n" -gt 20 ]
		[ "$n" -lt 300 ]
		bad=$(jq -c --arg st "$pipe" 'select(has("error")) | select(.error.stage != "generation")
		    | select(.error.stage != $st or .error.status != 400)' "$d/out")
		[ -z "$bad" ] || { echo "$pipe: unexpected errors: $(echo "$bad" | head -n 3)"; false; }
		# the requests for a model not served: each a 400 error record
		[ "$(jq -c 'select(.error.status == 400 and (.request.model | startswith("bad-model-"))) | .custom_id' "$d/out" | sort)" = \
		    "$(jq -c 'select(.model != "test-model") | .metadata.custom_id' "$IN" | sort)" ]
		# ... and each 400 was sent once, never retried: one per request, or
		# one per group (a group is refused whole, naming its bad model)
		q400=$(jq '.responses["400"] // 0' "$d/stats")
		[ "$q400" -eq 5 ]
		[ "$(jq -s 'map(select(.error.status == 400) | .error.message) | unique | length' "$d/out")" -eq 5 ]
		# every fault was met (lose, on POSTs only, may miss the groups)
		[ "$(jq '[.faults | ."500", ."502", ."503", ."429", .reset, .stall] | all(. > 0)' "$d/stats")" = true ]
		[ "$pipe" = group ] || [ "$(jq .faults.lose "$d/stats")" -gt 0 ]
		# Retry-After: 1 was honoured: 429s were retried, none within the second
		[ "$(jq .retry_after.retried "$d/stats")" -gt 10 ]
		[ "$(jq .retry_after.early "$d/stats")" -eq 0 ]
		[ "$(jq .retry_after.min_ms "$d/stats")" -ge 1000 ]
	done
}
