#!/usr/bin/env bats
# Paid work is never lost nor paid twice: the journal, signals, crashes and
# resumes, against ia-mock.  The guarantees these prove are in ia(7),
# GUARANTEES, and tests/README.md names the test for each.

load helper
bats_require_minimum_version 1.5.0

# trials TARGET BOUND N [ia-run options]: N crash trials (seeds 1..N), four
# at a time; every one must print "ok".
trials() {
	local target=$1 bound=$2 n=$3
	shift 3
	run bash -c 'seq "$1" | BOUND=$2 xargs -P 4 -I{} "$0" {} "$3" "${@:4}"' \
	    "$IA_TOP/tests/crash-trial.bash" "$n" "$bound" "$target" "$@"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ok ' <<<"$output")" -eq "$n" ]
}

# "${SIGDFL[@]}" CMD &: CMD with SIGINT and SIGQUIT as a terminal gives them;
# a shell without job control starts a background job with both ignored,
# and a tool keeps a signal ignored (as nohup(1) asks).
SIGDFL=(env --default-signal=INT --default-signal=QUIT)

# --- the journal --------------------------------------------------------------------------

@test "--journal: each acknowledgement is in the journal, whole, before it is on stdout" {
	mock_start --latency 5
	reqs 200 > "$IN"
	run --separate-stderr ia-submit -j 8 --journal "$BATS_TEST_TMPDIR/j" < "$IN"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 200 ]
	diff <(printf '%s\n' "$output" | sort) <(sort "$BATS_TEST_TMPDIR/j")
	# A second run appends; a group journal holds group records.
	reqs 60 g | ia-group --journal "$BATS_TEST_TMPDIR/j" > "$OUT"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/j")" -eq 202 ]
	[ "$(tail -n 2 "$BATS_TEST_TMPDIR/j" | jq -s -c 'map(.custom_ids | length)')" = "[50,10]" ]
	diff "$OUT" <(tail -n 2 "$BATS_TEST_TMPDIR/j")
}

@test "--journal: kill -9 leaves every acknowledgement printed in the journal, and no partial line" {
	mock_start --latency 20
	reqs 400 > "$IN"
	local j=$BATS_TEST_TMPDIR/j i
	for i in 1 2 3 4 5; do
		rm -f "$j"
		ia-submit -j 16 --journal "$j" < "$IN" > "$OUT" &
		sleep "0.$((i * 7))"
		kill -KILL $! 2>/dev/null || true
		wait $! || true
		# stdout holds whole lines only, each of them in the journal.
		[ ! -s "$OUT" ] || [ "$(tail -c 1 "$OUT" | od -An -tx1 | tr -d ' ')" = 0a ]
		[ -z "$(comm -23 <(sort "$OUT") <(sort "$j"))" ]
	done
}

@test "--journal: a line cut short by a kill is cut off, and said, so the next record stays whole" {
	mock_start
	printf '{"custom_id":"c0","id":"gen-0"}\n{"custom_id":"old","id":"gen-x"' > "$BATS_TEST_TMPDIR/j"
	reqs 2 > "$IN"
	run --separate-stderr ia-submit --journal "$BATS_TEST_TMPDIR/j" < "$IN"
	[ "$status" -eq 0 ]
	[ "$stderr" = "ia-submit: $BATS_TEST_TMPDIR/j: cut off a last line left short by a kill (31 bytes)" ]
	[ "$(jq -s -c 'map(.custom_id)' "$BATS_TEST_TMPDIR/j")" = '["c0","c1","c2"]' ]
	# A journal that ends whole is left as it is, and nothing is said.
	run --separate-stderr ia-submit --journal "$BATS_TEST_TMPDIR/j" < /dev/null
	[ -z "$stderr" ]
	[ "$(wc -l < "$BATS_TEST_TMPDIR/j")" -eq 3 ]
}

@test "--journal that cannot be opened is exit 2 before anything is sent" {
	mock_start
	reqs 3 > "$IN"
	run --separate-stderr ia-submit --journal /nonexistent/dir/j < "$IN"
	[ "$status" -eq 2 ]
	[[ "$stderr" == "ia-submit: /nonexistent/dir/j: No such file or directory" ]]
	[ "$(stats .requests.total)" -eq 0 ]
}

@test "--skip-done with a journal: what was submitted is not submitted again, and it says so" {
	mock_start
	reqs 30 > "$IN"
	head -n 20 "$IN" | ia-submit --journal "$BATS_TEST_TMPDIR/j" > /dev/null
	head -n 5 "$IN" | ia-submit | ia-poll --interval 0.1 > "$BATS_TEST_TMPDIR/res"
	run --separate-stderr ia-submit --skip-done "$BATS_TEST_TMPDIR/j" \
	    --skip-done "$BATS_TEST_TMPDIR/res" --journal "$BATS_TEST_TMPDIR/j" < "$IN"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r .custom_id | sort -V | tr '\n' ' ')" = "$(seq -f 'c%g' 21 30 | tr '\n' ' ')" ]
	[ "$stderr" = "ia-submit: 5 already done and 15 already submitted in $BATS_TEST_TMPDIR/j, $BATS_TEST_TMPDIR/res, not submitted again" ]
	[ "$(stats .generations.total)" -eq 35 ]
	# Nothing skipped: nothing said.
	run --separate-stderr ia-submit --dry-run --skip-done /dev/null < "$IN"
	[ -z "$stderr" ]
}

# --- signals ------------------------------------------------------------------------------

# sig_trial SIGNAL: ia-poll stopped by SIGNAL while generations run; its
# --pending file holds exactly what did not come out, and following that
# collects the rest with no new generation.
sig_trial() {
	local sig=$1 code=$2 p=$BATS_TEST_TMPDIR/pending pid
	mock_start --seed 3 --complete-after 0.3,3
	reqs 300 | ia-submit -j 32 > "$IN"
	"${SIGDFL[@]}" ia-poll --interval 0.1 --max-interval 0.2 --pending "$p" < "$IN" \
	    > "$OUT" 2> "$BATS_TEST_TMPDIR/err" &
	pid=$!
	sleep 1.2
	kill "-$sig" "$pid"
	local rc=0
	wait "$pid" || rc=$?
	cat "$BATS_TEST_TMPDIR/err"
	[ "$rc" -eq "$code" ]
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = "ia-poll: stopped by a signal: $(wc -l < "$p") still pending, written to $p" ]
	[ "$(wc -l < "$OUT")" -gt 0 ]
	[ "$(wc -l < "$p")" -gt 0 ]
	# Out and pending are the 300, each once.
	[ "$(cat "$OUT" "$p" | jq -r .custom_id | sort | uniq | wc -l)" -eq 300 ]
	[ "$(cat "$OUT" "$p" | wc -l)" -eq 300 ]
	[ "$(jq -r 'select(.state != null) | .custom_id' "$p")" = "" ]
	ia-poll --interval 0.1 --max-interval 0.2 < "$p" >> "$OUT"
	[ "$(jq -r .custom_id "$OUT" | sort -u | wc -l)" -eq 300 ]
	[ "$(wc -l < "$OUT")" -eq 300 ]
	[ "$(stats .generations.total)" -eq 300 ]
	[ "$(stats '.requests["GET /v1/generation/{id}"]')" -gt 0 ]
}

@test "SIGINT: ia-poll writes exactly what is unfinished to --pending; resuming makes no new generation" {
	sig_trial INT 130
}

@test "SIGTERM: the same, and ia-poll ends by the signal" {
	sig_trial TERM 143
}

@test "SIGHUP: the same" {
	sig_trial HUP 129
}

@test "a signal without --pending: stderr says how much is left and how to collect it" {
	mock_start --complete-after 5,6
	reqs 20 | ia-submit > "$IN"
	"${SIGDFL[@]}" ia-poll < "$IN" > "$OUT" 2> "$BATS_TEST_TMPDIR/err" &
	local pid=$! rc=0
	sleep 0.5
	kill -INT "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 130 ]
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = "ia-poll: stopped by a signal: 20 ids and groups still pending were not followed to the end; their generations go on: give ia-poll the same input again (or --pending FILE) to collect them" ]
}

@test "groups: a stopped ia-poll keeps each group with the custom_ids not printed yet" {
	mock_start --seed 2 --complete-after 0.2,3
	reqs 100 | ia-group > "$IN"
	"${SIGDFL[@]}" ia-poll --interval 0.1 --max-interval 0.2 --pending "$BATS_TEST_TMPDIR/p" \
	    < "$IN" > "$OUT" 2>/dev/null &
	local pid=$! rc=0
	sleep 1.5
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 143 ]
	[ "$(jq -r '.custom_ids[]' "$BATS_TEST_TMPDIR/p" | wc -l)" -eq $((100 - $(wc -l < "$OUT"))) ]
	ia-poll --interval 0.1 < "$BATS_TEST_TMPDIR/p" >> "$OUT"
	[ "$(jq -r .custom_id "$OUT" | sort -u | wc -l)" -eq 100 ]
	[ "$(wc -l < "$OUT")" -eq 100 ]
	[ "$(stats .generations.total)" -eq 100 ]
}

@test "ia-submit stopped by SIGINT: what was acknowledged is journaled and printed, and it ends by the signal" {
	mock_start --latency 50
	reqs 200 > "$IN"
	"${SIGDFL[@]}" ia-submit -j 4 --journal "$BATS_TEST_TMPDIR/j" < "$IN" > "$OUT" &
	local pid=$! rc=0
	sleep 0.5
	kill -INT "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 130 ]
	[ "$(wc -l < "$OUT")" -gt 0 ]
	diff "$OUT" "$BATS_TEST_TMPDIR/j"
}

# --- crashes and resumes ------------------------------------------------------------------

@test "kill -9 of ia-submit, 20 trials: a resume gives every prompt one answer, at most -j extra generations" {
	trials ia-submit 16 20
}

@test "kill -9 of ia-group, 20 trials: the same, at most -j groups extra" {
	trials ia-group 100 20 -g -j 2
}

@test "kill -9 of ia-poll, 20 trials: the same" {
	trials ia-poll 16 20
}

@test "kill -9 of a whole ia-run job, 20 trials each way: the same" {
	trials run 16 20
	trials run 100 20 -g -j 2
}

# --- lost answers -------------------------------------------------------------------------

@test "--lose-rate: an answer lost after the work costs one generation more, never an answer twice" {
	mock_start --seed 5 --lose-rate 0.1
	reqs 200 > "$IN"
	run --separate-stderr ia-submit --journal "$BATS_TEST_TMPDIR/j" < "$IN"
	[ "$status" -eq 0 ]
	[ "$(nlines)" -eq 200 ]
	local lost
	lost=$(stats .faults.lose)
	[ "$lost" -gt 0 ]
	[ "$(stats .generations.total)" -eq $((200 + lost)) ]
	printf '%s\n' "$output" | ia-poll --interval 0.1 > "$OUT"
	[ "$(jq -r .custom_id "$OUT" | sort -u | wc -l)" -eq 200 ]
	[ "$(wc -l < "$OUT")" -eq 200 ]
}
