#!/usr/bin/env bats
# ia-run(1) and examples/Makefile against ia-mock: what the user sees.  Each
# job runs to its end, is resumed, interrupted, retried or refused, and is
# checked by its answers on stdout, its status line, its exit status and the
# mock's /mock/stats, which counts every POST and every generation made.

load helper
bats_require_minimum_version 1.5.0

# RUN_OPTS: short ia-poll timings (ia-run passes them on), no progress line.
RUN_OPTS=(-q --interval 0.1 --max-interval 0.3)

# ia_run [options] PROMPTS DIR: ia-run with RUN_OPTS.
ia_run() {
	ia-run "${RUN_OPTS[@]}" "$@"
}

# "${SIGDFL[@]}" CMD &: CMD with SIGINT as a terminal gives it (see
# durable.bats): a background job of a non-interactive shell starts with it
# ignored, and the tools keep an ignored signal ignored.
SIGDFL=(env --default-signal=INT --default-signal=QUIT)

# posts: the single chat POSTs the mock has answered.
posts() {
	stats '.requests["POST /v1/async/chat/completions"]'
}

# gens: the generations the mock has made.
gens() {
	stats .generations.total
}

# answers_ok IN: $output holds exactly one answer for each request of IN
# (as reqs makes them), as ia-collect prints it, each with the content the
# mock gives to that custom_id's own request.
answers_ok() {
	local bad
	bad=$(printf '%s\n' "$output" | jq -c --slurpfile in "$1" '
	    ($in | map({key: .metadata.custom_id,
	        value: ("Answer to: " + (.messages | last | .content))}) | from_entries) as $a
	    | select(($a[.custom_id] == null) or .content != $a[.custom_id])') || return 1
	if [ -n "$bad" ]; then
		echo "not the right answer: $bad" >&2
		return 1
	fi
	check_once "$1" <(printf '%s\n' "$output")
}

# file_answers_ok IN FILE: answers_ok for the answers in FILE.
file_answers_ok() {
	local output
	output=$(cat "$2")
	answers_ok "$1"
}

# wait_child PID NAME SECONDS: wait until PID has a child process NAME, at
# most SECONDS; fails if it has none by then.
wait_child() {
	for _ in $(seq $(($3 * 20))); do
		pgrep -P "$1" -x "$2" > /dev/null && return 0
		sleep 0.05
	done
	echo "no $2 under $1 after $3 s" >&2
	return 1
}

# ends_in_newline FILE: FILE is empty or its last byte is a newline.
ends_in_newline() {
	[ ! -s "$1" ] || [ "$(tail -c 1 "$1" | od -An -tx1 | tr -d ' ')" = 0a ]
}

# The synopsis, as ia-run -h prints it and man/ia-run.1 has it.
SYNOPSIS='usage: ia-run [-ghqtVv] [-e filter] [-j n] [-m model] [--rounds n]
              [--system text] [--interval duration] [--max-interval duration]
              [--deadline duration] [--rate rate] prompts dir
       ia-run --status dir'

# --- usage --------------------------------------------------------------------------------

@test "-h prints the synopsis alone, on stdout, and exits 0" {
	run --separate-stderr ia-run -h
	[ "$status" -eq 0 ]
	[ "$output" = "$SYNOPSIS" ]
	[ -z "$stderr" ]
}

@test "--help prints the synopsis and a line for each option of the man page, and no other" {
	run --separate-stderr ia-run --help
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(head -n 4 <<<"$output")" = "$SYNOPSIS" ]
	[ "$(sed -n 5p <<<"$output")" = "" ]
	# Each line after the blank one starts an option, or goes on with the
	# description of the one before (past the option column).
	local bad
	bad=$(tail -n +6 <<<"$output" | grep -Ev '^  -[-a-zA-Z]|^                       [^ ]' || true)
	[ -z "$bad" ]
	local got want
	got=$(tail -n +6 <<<"$output" | grep -o '^  -[^ ]*\(, -[^ ]*\)\?' |
	    sed 's/^  //; s/, /\n/' | sort)
	want=$(sed -n 's/^\.It Fl //p' "$IA_TOP/man/ia-run.1" | grep -o '\(^\|Fl \)\\\?-\?[a-zA-Z][-a-zA-Z]*' |
	    sed 's/^Fl //; s/\\//; s/^/-/' | sort)
	echo "got: $got"
	echo "want: $want"
	[ "$(wc -l <<<"$want")" -eq 18 ]
	[ "$got" = "$want" ]
}

@test "-V and --version print the name and the version" {
	run --separate-stderr ia-run -V
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^ia-run\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	local v=$output
	run --separate-stderr ia-run --version
	[ "$status" -eq 0 ]
	[ "$output" = "$v" ]
}

@test "usage errors: exit 2, a message naming the problem, then the synopsis, on stderr; nothing made" {
	cd "$BATS_TEST_TMPDIR"
	reqs 2 > p.jsonl
	local args msg
	while IFS='|' read -r args msg; do
		# shellcheck disable=SC2086 # the arguments of each case, split
		run --separate-stderr ia-run $args
		echo "ia-run $args: $status: $stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ "$stderr" = "ia-run: $msg
$SYNOPSIS" ]
	done <<-'CASES'
	-x p.jsonl job|unknown option -x
	--bogus p.jsonl job|unknown option --bogus
	p.jsonl job -j|a prompts file and a job directory, please
	-j|-j needs a value
	--rounds|--rounds needs a value
	-m|-m needs a value
	--rounds x p.jsonl job|--rounds: x: not a whole number
	--rounds -1 p.jsonl job|--rounds: -1: not a whole number
	|a prompts file and a job directory, please
	p.jsonl|a prompts file and a job directory, please
	--status|--status takes one job directory
	--status job other|--status takes one job directory
	CASES
	[ ! -e job ]
	[ ! -e other ]
}

@test "short options bundle, as the synopsis and the other tools have them: -gqj4, -qtm model" {
	mock_start --complete-after 0.1,0.2 --group-delay 0.1
	reqs 20 > "$IN"
	run --separate-stderr ia-run -gqj4 --interval 0.1 --max-interval 0.3 "$IN" "$BATS_TEST_TMPDIR/g"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	answers_ok "$IN"
	[ "$(stats .groups)" -eq 1 ]
	seq -f 'question t%g' 5 > "$BATS_TEST_TMPDIR/q"
	run --separate-stderr ia-run -qtm text-model --interval 0.1 "$BATS_TEST_TMPDIR/q" "$BATS_TEST_TMPDIR/t"
	[ "$status" -eq 0 ]
	[ "$(jq -r .content <<<"$output" | sort)" = "$(sed 's/^/Answer to: /' "$BATS_TEST_TMPDIR/q" | sort)" ]
	[ "$(jq -r .request.model "$BATS_TEST_TMPDIR/t/results.jsonl" | sort -u)" = text-model ]
	run --separate-stderr ia-run -qx "$IN" "$BATS_TEST_TMPDIR/x"
	[ "$status" -eq 2 ]
	[ "$stderr" = "ia-run: unknown option -x
$SYNOPSIS" ]
	run --separate-stderr ia-run -qj
	[ "$status" -eq 2 ]
	[ "$(head -n 1 <<<"$stderr")" = "ia-run: -j needs a value" ]
}

@test "a prompts file that cannot be read: exit 2, that file named, no job directory made" {
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr ia-run missing.jsonl job
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "$stderr" = "ia-run: missing.jsonl: cannot read it" ]
	[ ! -e job ]
}

# --- a job --------------------------------------------------------------------------------

@test "a job to the end: every prompt answered once, rightly, exit 0; DIR holds the journal and the results" {
	mock_start --complete-after 0.1,0.3
	reqs 50 > "$IN"
	local dir=$BATS_TEST_TMPDIR/job
	run --separate-stderr ia_run "$IN" "$dir"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(nlines)" -eq 50 ]
	answers_ok "$IN"
	# The journal: one acknowledgement for each; the results: one Success each.
	[ "$(file_lines "$dir/submitted.jsonl")" -eq 50 ]
	check_once "$IN" "$dir/submitted.jsonl"
	[ "$(jq -c 'keys' "$dir/submitted.jsonl" | sort -u)" = '["custom_id","id"]' ]
	check_answers "$IN" "$dir/results.jsonl"
	[ "$(posts)" -eq 50 ]
	[ "$(gens)" -eq 50 ]
	run ia-run --status "$dir"
	[ "$status" -eq 0 ]
	[ "$output" = "submitted 50, done 50, failed 0, pending 0" ]
}

@test "--rounds 0 leaves the failures: exit 1, error records after the answers; the default rounds then recover them" {
	# Seed 1: 7 of the first 40 generations fail, 2 of the 7 retried, none
	# of those 2.
	mock_start --seed 1 --fail-rate 0.3 --complete-after 0.1,0.2
	reqs 40 > "$IN"
	local dir=$BATS_TEST_TMPDIR/job
	run --separate-stderr ia_run --rounds 0 "$IN" "$dir"
	[ "$status" -eq 1 ]
	[ "$(nlines)" -eq 40 ]
	# 33 answers, then the 7 failures, each an error record of stage
	# generation with its request.
	[ "$(printf '%s\n' "$output" | jq -r 'if has("error") then "E" else "A" end' | tr -d '\n')" = \
	    "$(printf 'A%.0s' $(seq 33))$(printf 'E%.0s' $(seq 7))" ]
	[ "$(errs | jq -r '[.error.stage, (.request.metadata.custom_id == .custom_id)] | @tsv' | sort -u)" = "generation	true" ]
	check_once "$IN" <(printf '%s\n' "$output")
	[ "$(stats .generations.Failed)" -eq 7 ]
	[ "$(gens)" -eq 40 ]
	run ia-run --status "$dir"
	[ "$output" = "submitted 40, done 33, failed 7, pending 0" ]
	# The next run retries them (round 0 submits nothing: all is journaled).
	run --separate-stderr ia_run "$IN" "$dir"
	[ "$status" -eq 0 ]
	[ "$stderr" = "ia-submit: 33 already done and 7 already submitted in $dir/submitted.jsonl, $dir/results.jsonl, not submitted again" ]
	[ "$(nlines)" -eq 40 ]
	answers_ok "$IN"
	run ia-run --status "$dir"
	[ "$output" = "submitted 40, done 40, failed 0, pending 0" ]
	# Generations: the prompts, and one for each failure retried (7 + 2).
	[ "$(stats .generations.Failed)" -eq 9 ]
	[ "$(gens)" -eq $((40 + 9)) ]
	[ "$(posts)" -eq 49 ]
}

@test "the default rounds in one run: generations are the prompts and the failures retried; what still fails stands" {
	# Seed 4: 9 of the first 40 fail; of their retries 2; of those 1.
	mock_start --seed 4 --fail-rate 0.3 --complete-after 0.1,0.2
	reqs 40 > "$IN"
	local dir=$BATS_TEST_TMPDIR/job
	run --separate-stderr ia_run "$IN" "$dir"
	[ "$status" -eq 1 ]
	[ "$(nlines)" -eq 40 ]
	[ "$(printf '%s\n' "$output" | tail -n 1 | jq -r .error.stage)" = generation ]
	[ "$(errs | wc -l)" -eq 1 ]
	check_once "$IN" <(printf '%s\n' "$output")
	run ia-run --status "$dir"
	[ "$output" = "submitted 40, done 39, failed 1, pending 0" ]
	[ "$(stats .generations.Failed)" -eq 12 ]
	[ "$(gens)" -eq $((40 + 9 + 2)) ]
}

@test "more prompts appended: a run again submits only the new ones and prints every answer" {
	mock_start --complete-after 0.1,0.2
	reqs 40 > "$BATS_TEST_TMPDIR/all"
	head -n 30 "$BATS_TEST_TMPDIR/all" > "$IN"
	local dir=$BATS_TEST_TMPDIR/job
	run --separate-stderr ia_run "$IN" "$dir"
	[ "$status" -eq 0 ]
	[ "$(posts)" -eq 30 ]
	tail -n 10 "$BATS_TEST_TMPDIR/all" >> "$IN"
	run --separate-stderr ia_run "$IN" "$dir"
	[ "$status" -eq 0 ]
	[ "$stderr" = "ia-submit: 30 already done in $dir/submitted.jsonl, $dir/results.jsonl, not submitted again" ]
	[ "$(nlines)" -eq 40 ]
	answers_ok "$IN"
	[ "$(posts)" -eq 40 ]
	[ "$(gens)" -eq 40 ]
}

@test "a finished job run again sends no request at all and prints the same answers" {
	mock_start --complete-after 0.1,0.2
	reqs 30 > "$IN"
	local dir=$BATS_TEST_TMPDIR/job
	run --separate-stderr ia_run "$IN" "$dir"
	[ "$status" -eq 0 ]
	local first=$output total
	total=$(stats .requests.total)
	run --separate-stderr ia_run "$IN" "$dir"
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output")" = "$(sort <<<"$first")" ]
	[ "$(nlines)" -eq 30 ]
	[ "$(stats .requests.total)" -eq "$total" ]
	[ "$(gens)" -eq 30 ]
}

# --- --status -----------------------------------------------------------------------------

@test "--status of a finished job and of one with failures: the counts, no request sent, no key needed" {
	mock_start --seed 1 --fail-rate 0.3 --complete-after 0.1,0.2
	reqs 40 > "$IN"
	local dir=$BATS_TEST_TMPDIR/job total
	run --separate-stderr ia_run --rounds 0 "$IN" "$dir"
	[ "$status" -eq 1 ]
	total=$(stats .requests.total)
	run --separate-stderr env -u INFERENCE_API_KEY ia-run --status "$dir"
	[ "$output" = "submitted 40, done 33, failed 7, pending 0" ]
	[ -z "$stderr" ]
	[ "$(stats .requests.total)" -eq "$total" ]
	run --separate-stderr ia_run "$IN" "$dir"
	[ "$status" -eq 0 ]
	total=$(stats .requests.total)
	run --separate-stderr env -u INFERENCE_API_KEY ia-run --status "$dir"
	[ "$status" -eq 0 ]
	[ "$output" = "submitted 40, done 40, failed 0, pending 0" ]
	[ -z "$stderr" ]
	[ "$(stats .requests.total)" -eq "$total" ]
}

@test "--status of a job killed mid-way: what is pending, no request sent, no key needed" {
	mock_start --complete-after 0.1,0.2
	reqs 20 > "$IN"
	local dir=$BATS_TEST_TMPDIR/job pid total
	# A first part done, then the rest submitted and killed (kill -9 of the
	# whole job) before any of it finishes.
	head -n 5 "$IN" > "$BATS_TEST_TMPDIR/first"
	ia_run "$BATS_TEST_TMPDIR/first" "$dir" > /dev/null
	mock_stop
	mock_start --complete-after 30
	setsid ia-run "${RUN_OPTS[@]}" "$IN" "$dir" > "$OUT" 2>&1 &
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	wait_lines "$dir/submitted.jsonl" 20 10
	kill -KILL -- "-$pid"
	wait "$pid" || true
	total=$(stats .requests.total)
	run --separate-stderr env -u INFERENCE_API_KEY ia-run --status "$dir"
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "submitted 20, done 5, failed 0, pending 15" ]
	[ -z "$stderr" ]
	[ "$(stats .requests.total)" -eq "$total" ]
}

@test "--status of a job that runs: its counts, not the lock; the job is unaffected" {
	mock_start --complete-after 1.5,2
	reqs 20 > "$IN"
	local dir=$BATS_TEST_TMPDIR/job pid rc=0
	ia_run "$IN" "$dir" > "$OUT" 2> "$BATS_TEST_TMPDIR/err" &
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	wait_lines "$dir/submitted.jsonl" 20 10
	run --separate-stderr ia-run --status "$dir"
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "submitted 20, done 0, failed 0, pending 20" ]
	[ -z "$stderr" ]
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ]
	output=$(cat "$OUT")
	answers_ok "$IN"
}

@test "--status reads only: a line torn by a kill is not counted, and nothing in DIR is written" {
	mkdir "$BATS_TEST_TMPDIR/job"
	local dir=$BATS_TEST_TMPDIR/job
	printf '%s\n' '{"custom_id":"a","id":"ga"}' '{"custom_id":"b","id":"gb"}' > "$dir/submitted.jsonl"
	printf '{"custom_id":"c","id":' >> "$dir/submitted.jsonl"
	printf '{"custom_id":"a","state":"Succ' > "$dir/results.jsonl"
	local before
	before=$(ls -l --time-style=full-iso "$dir"; md5sum "$dir"/*)
	run --separate-stderr ia-run --status "$dir"
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "submitted 2, done 0, failed 0, pending 2" ]
	[ -z "$stderr" ]
	[ "$(ls -l --time-style=full-iso "$dir"; md5sum "$dir"/*)" = "$before" ]
	# An empty job directory: nothing yet, and nothing made in it.
	mkdir "$BATS_TEST_TMPDIR/new"
	run --separate-stderr ia-run --status "$BATS_TEST_TMPDIR/new"
	[ "$status" -eq 0 ]
	[ "$output" = "submitted 0, done 0, failed 0, pending 0" ]
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/new")" ]
	# No directory at all.
	run --separate-stderr ia-run --status "$BATS_TEST_TMPDIR/none"
	[ "$status" -eq 2 ]
	[ "$stderr" = "ia-run: $BATS_TEST_TMPDIR/none: not a job directory" ]
}

# --- interrupted jobs ---------------------------------------------------------------------

@test "lines torn by a kill: set aside in DIR/torn.jsonl with a message; the files end whole; the answers are right" {
	mock_start --complete-after 0.1,0.2
	reqs 20 > "$IN"
	local dir=$BATS_TEST_TMPDIR/job last cut
	run --separate-stderr ia_run "$IN" "$dir"
	[ "$status" -eq 0 ]
	# The last result cut in the middle, as a kill would; an acknowledgement
	# that was being written.
	last=$(tail -n 1 "$dir/results.jsonl")
	cut=${last:0:40}
	truncate -s "-$((${#last} - 40 + 1))" "$dir/results.jsonl"
	[ "$(tail -c 40 "$dir/results.jsonl")" = "$cut" ]
	printf '{"custom_id":"zz","id":"gen-' >> "$dir/submitted.jsonl"
	run --separate-stderr ia_run "$IN" "$dir"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(head -n 2 <<<"$stderr")" = "ia-run: $dir/submitted.jsonl: set aside a line cut short (28 bytes) in $dir/torn.jsonl
ia-run: $dir/results.jsonl: set aside a line cut short (40 bytes) in $dir/torn.jsonl" ]
	[ "$(cat "$dir/torn.jsonl")" = "{\"custom_id\":\"zz\",\"id\":\"gen-
$cut" ]
	ends_in_newline "$dir/submitted.jsonl"
	ends_in_newline "$dir/results.jsonl"
	[ "$(nlines)" -eq 20 ]
	answers_ok "$IN"
	# The cut result was followed again, not submitted again.
	[ "$(posts)" -eq 20 ]
	[ "$(gens)" -eq 20 ]
	[ "$(file_lines "$dir/results.jsonl")" -eq 20 ]
}

@test "the lock: a second ia-run on a job that runs: exit 2, it says so; the first is unaffected" {
	mock_start --complete-after 1,1.5
	reqs 20 > "$IN"
	local dir=$BATS_TEST_TMPDIR/job pid rc=0
	ia_run "$IN" "$dir" > "$OUT" 2> "$BATS_TEST_TMPDIR/err" &
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	wait_lines "$dir/submitted.jsonl" 20 10
	run --separate-stderr ia_run "$IN" "$dir"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "$stderr" = "ia-run: $dir is in use by another ia-run" ]
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ]
	output=$(cat "$OUT")
	[ "$(nlines)" -eq 20 ]
	answers_ok "$IN"
	[ "$(posts)" -eq 20 ]
	[ "$(gens)" -eq 20 ]
}

@test "SIGINT to the whole job, as Ctrl-C: exit 130; a run again answers each prompt once, no generation beyond them" {
	mock_start --complete-after 1,2
	reqs 40 > "$IN"
	local dir=$BATS_TEST_TMPDIR/job pid rc=0
	setsid "${SIGDFL[@]}" ia-run "${RUN_OPTS[@]}" "$IN" "$dir" > "$OUT" 2> "$BATS_TEST_TMPDIR/err" &
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	# Every POST journaled, so that nothing is in flight: the count of
	# generations below is exact.
	wait_lines "$dir/submitted.jsonl" 40 10
	sleep 0.3
	kill -INT -- "-$pid"
	wait "$pid" || rc=$?
	cat "$BATS_TEST_TMPDIR/err"
	[ "$rc" -eq 130 ]
	[ ! -s "$OUT" ]
	[[ "$(cat "$BATS_TEST_TMPDIR/err")" == "ia-poll: stopped by a signal: "*" still pending, written to $dir/pending.jsonl" ]]
	run ia-run --status "$dir"
	[[ "$output" =~ ^submitted\ 40,\ done\ [0-9]+,\ failed\ 0,\ pending\ [1-9][0-9]*$ ]]
	run --separate-stderr ia_run "$IN" "$dir"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 40 ]
	answers_ok "$IN"
	[ "$(posts)" -eq 40 ]
	[ "$(gens)" -eq 40 ]
}

@test "SIGTERM, SIGHUP, SIGINT to ia-run alone (kill PID): its stages stop at once; a run again finishes the job" {
	# The generations take 4 s: a run that waited for its stage to end
	# would not be gone within the second allowed.
	mock_start --complete-after 4
	reqs 30 > "$IN"
	local dir=$BATS_TEST_TMPDIR/job pid sig code rc
	for sig in TERM:143 HUP:129 INT:130; do
		code=${sig#*:} sig=${sig%:*}
		"${SIGDFL[@]}" ia-run "${RUN_OPTS[@]}" "$IN" "$dir" > "$OUT" 2> "$BATS_TEST_TMPDIR/err" &
		pid=$!
		BG_PIDS="$BG_PIDS $pid"
		wait_lines "$dir/submitted.jsonl" 30 10
		wait_child "$pid" ia-poll 10
		sleep 0.2
		kill "-$sig" "$pid"
		wait_gone "$pid" 1
		rc=0
		wait "$pid" || rc=$?
		cat "$BATS_TEST_TMPDIR/err"
		[ "$rc" -eq "$code" ]
		[ ! -s "$OUT" ]
		[[ "$(tail -n 1 "$BATS_TEST_TMPDIR/err")" == "ia-poll: stopped by a signal: "*" still pending, written to $dir/pending.jsonl" ]]
		# No stage is left running: none holds the lock.
		flock -n "$dir/lock" true
	done
	run --separate-stderr ia_run "$IN" "$dir"
	[ "$status" -eq 0 ]
	answers_ok "$IN"
	[ "$(posts)" -eq 30 ]
	[ "$(gens)" -eq 30 ]
}

@test "a refused key: exit 2, one request sent, the job left as it was; the right key then finishes it" {
	mock_start --key other-key-0123456789 --complete-after 0.1,0.2
	reqs 30 > "$IN"
	local dir=$BATS_TEST_TMPDIR/job
	run --separate-stderr ia_run "$IN" "$dir"
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "$(tail -n 1 <<<"$stderr")" = "ia-run: a stage failed (exit 2); $dir is intact: run again when it is mended" ]
	[[ "$stderr" == *"ia-submit: the server refused the API key (HTTP 401"* ]]
	export INFERENCE_API_KEY=other-key-0123456789
	[ "$(stats .requests.total)" -eq 1 ]
	[ ! -s "$dir/submitted.jsonl" ]
	[ ! -s "$dir/results.jsonl" ]
	[ "$(gens)" -eq 0 ]
	run --separate-stderr ia_run "$IN" "$dir"
	[ "$status" -eq 0 ]
	answers_ok "$IN"
	[ "$(gens)" -eq 30 ]
}

# --- options ------------------------------------------------------------------------------

@test "-g: the job in groups of up to 50, to the end" {
	mock_start --complete-after 0.1,0.3 --group-delay 0.1
	reqs 120 > "$IN"
	local dir=$BATS_TEST_TMPDIR/job
	run --separate-stderr ia_run -g "$IN" "$dir"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 120 ]
	answers_ok "$IN"
	[ "$(jq -c '.custom_ids | length' "$dir/submitted.jsonl" | sort -n | tr '\n' ' ')" = "20 50 50 " ]
	[ "$(stats .groups)" -eq 3 ]
	[ "$(stats '.requests["POST /v1/async/group/chat/completions"]')" -eq 3 ]
	[ "$(posts)" -eq 0 ]
	[ "$(gens)" -eq 120 ]
	run ia-run --status "$dir"
	[ "$output" = "submitted 120, done 120, failed 0, pending 0" ]
}

@test "-t -m --system: a text file of prompts, each answered once, with that model and system message" {
	mock_start --complete-after 0.1,0.2
	seq -f 'question t%g' 25 > "$IN"
	local dir=$BATS_TEST_TMPDIR/job
	run --separate-stderr ia_run -t -m text-model --system 'Be brief.' "$IN" "$dir"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 25 ]
	[ "$(jq -r .content <<<"$output" | sort)" = "$(sed 's/^/Answer to: /' "$IN" | sort)" ]
	[ "$(jq -r .custom_id <<<"$output" | sort -u | wc -l)" -eq 25 ]
	[ "$(jq -c '[.request.model, .request.messages[0]]' "$dir/results.jsonl" | sort -u)" = \
	    '["text-model",{"role":"system","content":"Be brief."}]' ]
	# The same options again: the same custom_ids, nothing sent again.
	run --separate-stderr ia_run -t -m text-model --system 'Be brief.' "$IN" "$dir"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 25 ]
	[ "$(gens)" -eq 25 ]
}

@test "-t: a failure is retried as the request it was, not as a prompt made of that request" {
	# Seed 1: 7 of the first 40 generations fail, 2 of the 7 retried.
	mock_start --seed 1 --fail-rate 0.3 --complete-after 0.1,0.2
	seq -f 'question t%g' 40 > "$IN"
	local dir=$BATS_TEST_TMPDIR/job
	run --separate-stderr ia_run -t -m text-model "$IN" "$dir"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 40 ]
	[ "$(jq -r .content <<<"$output" | sort)" = "$(sed 's/^/Answer to: /' "$IN" | sort)" ]
	[ "$(jq -r .custom_id <<<"$output" | sort -u | wc -l)" -eq 40 ]
	[ "$(gens)" -eq $((40 + 7 + 2)) ]
	run ia-run --status "$dir"
	[ "$output" = "submitted 40, done 40, failed 0, pending 0" ]
}

@test "-e: a failure is retried as the request the filter made, not through the filter again" {
	mock_start --seed 1 --fail-rate 0.3 --complete-after 0.1,0.2
	jq -nc 'range(1; 41) | {id: "e\(.)", q: "question e\(.)"}' > "$IN"
	local dir=$BATS_TEST_TMPDIR/job
	run --separate-stderr ia_run \
	    -e '{model: "m", messages: [{role: "user", content: .q}], metadata: {custom_id: .id}}' \
	    "$IN" "$dir"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 40 ]
	[ "$(jq -r '[.custom_id, .content] | @tsv' <<<"$output" | sort)" = \
	    "$(jq -r '[.id, "Answer to: " + .q] | @tsv' "$IN" | sort)" ]
	[ "$(gens)" -eq $((40 + 7 + 2)) ]
}

# created_at FILE [FIELD]: the createdAt (or FIELD) of each generation in
# FILE, in seconds of the day, sorted.
created_at() {
	jq -r --arg f "${2:-createdAt}" '.[$f] | capture("T(?<h>[0-9]+):(?<m>[0-9]+):(?<s>[0-9.]+)Z")
	    | (.h | tonumber) * 3600 + (.m | tonumber) * 60 + (.s | tonumber)' "$1" | sort -n
}

# min_gap: the least difference between consecutive numbers on stdin.
min_gap() {
	awk 'NR > 1 { d = $1 - p; if (m == "" || d < m) m = d } { p = $1 } END { printf "%.3f\n", m }'
}

@test "-j is passed on: with -j 1 the submissions go one at a time" {
	mock_start --latency 100 --complete-after 0.1
	reqs 6 > "$IN"
	run --separate-stderr ia_run -j 1 "$IN" "$BATS_TEST_TMPDIR/one"
	[ "$status" -eq 0 ]
	answers_ok "$IN"
	# One at a time: each generation made at least a latency after the last.
	local gap
	gap=$(created_at "$BATS_TEST_TMPDIR/one/results.jsonl" | min_gap)
	echo "-j 1: $gap"
	ge "$gap" 0.095
	# By default (16) all but the first go together.
	run --separate-stderr ia_run "$IN" "$BATS_TEST_TMPDIR/all"
	[ "$status" -eq 0 ]
	gap=$(created_at "$BATS_TEST_TMPDIR/all/results.jsonl" | min_gap)
	echo "default: $gap"
	lt "$gap" 0.05
}

@test "--rate is passed to the submitter: 8 prompts at --rate 10 made at least 50 ms apart (half the spacing)" {
	mock_start --complete-after 0.1
	reqs 8 > "$IN"
	run --separate-stderr ia_run --rate 10 "$IN" "$BATS_TEST_TMPDIR/paced"
	[ "$status" -eq 0 ]
	answers_ok "$IN"
	gap=$(created_at "$BATS_TEST_TMPDIR/paced/results.jsonl" | min_gap)
	echo "least gap: $gap"
	awk -v g="$gap" 'BEGIN { exit !(g >= 0.05) }'
	run --separate-stderr ia_run --rate 0 "$IN" "$BATS_TEST_TMPDIR/bad"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--rate: 0:"* ]]
}

# --- examples/Makefile --------------------------------------------------------------------

# mk [make arguments]: make with examples/Makefile in $BATS_TEST_TMPDIR/mk, where
# the prompts are, with the short timings of RUN_OPTS.
mk() {
	(cd "$BATS_TEST_TMPDIR/mk" && make --no-print-directory -f "$IA_TOP/examples/Makefile" \
	    IA_FLAGS="${IA_FLAGS-${RUN_OPTS[*]}}" "$@")
}

@test "Makefile: make makes prompts.answers with every answer; make again does nothing and sends nothing" {
	mock_start --complete-after 0.1,0.2
	mkdir "$BATS_TEST_TMPDIR/mk"
	reqs 30 > "$BATS_TEST_TMPDIR/mk/prompts.jsonl"
	run --separate-stderr mk
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	file_answers_ok "$BATS_TEST_TMPDIR/mk/prompts.jsonl" "$BATS_TEST_TMPDIR/mk/prompts.answers"
	[ ! -e "$BATS_TEST_TMPDIR/mk/prompts.answers.tmp" ]
	[ -d "$BATS_TEST_TMPDIR/mk/prompts.job" ]
	local total
	total=$(stats .requests.total)
	run --separate-stderr mk
	[ "$status" -eq 0 ]
	[ "$output" = "make: Nothing to be done for 'all'." ]
	run --separate-stderr mk prompts.answers
	[ "$status" -eq 0 ]
	[ "$output" = "make: 'prompts.answers' is up to date." ]
	[ "$(stats .requests.total)" -eq "$total" ]
	[ "$(gens)" -eq 30 ]
}

@test "Makefile: prompts appended: make again submits only the new ones, and the answers are all there" {
	mock_start --complete-after 0.1,0.2
	mkdir "$BATS_TEST_TMPDIR/mk"
	reqs 30 > "$IN"
	head -n 20 "$IN" > "$BATS_TEST_TMPDIR/mk/prompts.jsonl"
	run mk
	[ "$status" -eq 0 ]
	sleep 0.05
	tail -n 10 "$IN" >> "$BATS_TEST_TMPDIR/mk/prompts.jsonl"
	run mk
	[ "$status" -eq 0 ]
	file_answers_ok "$IN" "$BATS_TEST_TMPDIR/mk/prompts.answers"
	[ "$(posts)" -eq 30 ]
	[ "$(gens)" -eq 30 ]
}

@test "Makefile under Ctrl-C mid-job: no target half made; make again loses no result and submits nothing again" {
	mock_start --complete-after 1.5,4
	mkdir "$BATS_TEST_TMPDIR/mk"
	reqs 40 > "$BATS_TEST_TMPDIR/mk/prompts.jsonl"
	# SIGINT to the whole process group, as Ctrl-C would: timeout(1)
	# sends it to make and to its own group.
	run "${SIGDFL[@]}" timeout -s INT 2 make --no-print-directory -C "$BATS_TEST_TMPDIR/mk" \
	    -f "$IA_TOP/examples/Makefile" IA_FLAGS="${RUN_OPTS[*]}"
	echo "$output"
	[ "$status" -eq 124 ]
	[ ! -e "$BATS_TEST_TMPDIR/mk/prompts.answers" ]
	local dir=$BATS_TEST_TMPDIR/mk/prompts.job
	run ia-run --status "$dir"
	echo "$output"
	[[ "$output" =~ ^submitted\ 40,\ done\ [0-9]+,\ failed\ 0,\ pending\ [1-9][0-9]*$ ]]
	# All 40 POSTs were journaled before the INT (none was in flight, with
	# no latency, 2 s in), so what follows is exact: not one of them is
	# submitted again.  (Had some been in flight, up to -j of them could
	# have been made without their acknowledgement reaching the journal.)
	[ "$(file_lines "$dir/submitted.jsonl")" -eq 40 ]
	[ "$(gens)" -eq 40 ]
	run mk
	[ "$status" -eq 0 ]
	file_answers_ok "$BATS_TEST_TMPDIR/mk/prompts.jsonl" "$BATS_TEST_TMPDIR/mk/prompts.answers"
	[ ! -e "$BATS_TEST_TMPDIR/mk/prompts.answers.tmp" ]
	[ "$(posts)" -eq 40 ]
	[ "$(gens)" -eq 40 ]
}

@test "Makefile: make -j2 a.answers b.answers runs two jobs side by side, each complete and right" {
	mock_start --complete-after 0.3,0.6
	mkdir "$BATS_TEST_TMPDIR/mk"
	reqs 30 a > "$BATS_TEST_TMPDIR/mk/a.jsonl"
	reqs 30 b > "$BATS_TEST_TMPDIR/mk/b.jsonl"
	run mk -j2 a.answers b.answers
	echo "$output"
	[ "$status" -eq 0 ]
	file_answers_ok "$BATS_TEST_TMPDIR/mk/a.jsonl" "$BATS_TEST_TMPDIR/mk/a.answers"
	file_answers_ok "$BATS_TEST_TMPDIR/mk/b.jsonl" "$BATS_TEST_TMPDIR/mk/b.answers"
	[ "$(gens)" -eq 60 ]
	# Side by side: each job's first generation was made before the other's
	# last one finished.
	local a=$BATS_TEST_TMPDIR/mk/a.job/results.jsonl b=$BATS_TEST_TMPDIR/mk/b.job/results.jsonl
	lt "$(created_at "$a" | head -n 1)" "$(created_at "$b" finishedAt | tail -n 1)"
	lt "$(created_at "$b" | head -n 1)" "$(created_at "$a" finishedAt | tail -n 1)"
}

@test "Makefile: failures that stand fail make, and leave no target; make again retries them" {
	mock_start --fail-rate 1 --complete-after 0.1
	mkdir "$BATS_TEST_TMPDIR/mk"
	reqs 5 > "$BATS_TEST_TMPDIR/mk/prompts.jsonl"
	IA_FLAGS="${RUN_OPTS[*]} --rounds 0" run --separate-stderr mk
	echo "$stderr"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"make: *** ["*"examples/Makefile:"*": prompts.answers] Error 1" ]]
	[ ! -e "$BATS_TEST_TMPDIR/mk/prompts.answers" ]
	[ "$(gens)" -eq 5 ]
	# The default rounds retry them twice; they fail again.
	run --separate-stderr mk
	[ "$status" -eq 2 ]
	[ ! -e "$BATS_TEST_TMPDIR/mk/prompts.answers" ]
	[ "$(gens)" -eq 15 ]
	run ia-run --status "$BATS_TEST_TMPDIR/mk/prompts.job"
	[ "$output" = "submitted 5, done 0, failed 5, pending 0" ]
}

@test "Makefile: make status prints the status line of each job, and sends nothing" {
	# Seed 1: 7 of the first 40 generations fail.
	mock_start --seed 1 --fail-rate 0.3 --complete-after 0.1,0.2
	mkdir "$BATS_TEST_TMPDIR/mk"
	run mk status
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	reqs 40 a > "$BATS_TEST_TMPDIR/mk/a.jsonl"
	reqs 10 b > "$BATS_TEST_TMPDIR/mk/b.jsonl"
	IA_FLAGS="${RUN_OPTS[*]} --rounds 0" run mk a.answers
	[ "$status" -eq 2 ]
	run mk b.answers
	[ "$status" -eq 0 ]
	local total
	total=$(stats .requests.total)
	run --separate-stderr mk status
	[ "$status" -eq 0 ]
	[ "$output" = "a.job: submitted 40, done 33, failed 7, pending 0
b.job: submitted 10, done 10, failed 0, pending 0" ]
	[ "$(stats .requests.total)" -eq "$total" ]
}
