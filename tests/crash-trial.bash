#!/usr/bin/env bash
# crash-trial.bash SEED TARGET [ia-run options]: one crash trial.  A job of
# 500 prompts runs under ia-run against a mock of its own; at a moment drawn
# from SEED, TARGET is killed with SIGKILL: ia-submit, ia-group or ia-poll
# alone, or the whole ia-run job (every process of its session, as a crash
# would: each stage of ia-run is a process group of its own).
# Then the job is resumed as documented (ia-run PROMPTS DIR again) and
# checked: every prompt has exactly one answer, and the right one; the
# generations the mock made exceed the prompts by at most what was in
# flight at the kill (BOUND); no file in DIR ends in a partial line.
# Prints one line, "ok ..." or "FAIL ...", and exits 0 or 1.
set -u
seed=$1 target=$2
shift 2
: "${BOUND:?the most generations allowed past the prompts}"
dir=$(mktemp -d "${TMPDIR:-/tmp}/trial.XXXXXX") || exit 2
trap 'kill "$mock" 2>/dev/null; rm -rf "$dir"' EXIT
fail() {
	echo "FAIL seed $seed $target: $*"
	exit 1
}

ia-mock -p 0 --port-file "$dir/port" --seed "$seed" --latency 10 \
    --complete-after 0.2,1.2 2>"$dir/mock.err" &
mock=$!
for _ in $(seq 200); do [ -s "$dir/port" ] && break; sleep 0.025; done
[ -s "$dir/port" ] || fail "the mock did not start"
INFERENCE_BASE_URL=http://127.0.0.1:$(cat "$dir/port")
export INFERENCE_BASE_URL
for i in $(seq 500); do
	printf '{"model":"m","messages":[{"role":"user","content":"q%d"}],"metadata":{"custom_id":"c%d"}}\n' "$i" "$i"
done >"$dir/prompts.jsonl"

RANDOM=$seed
delay=$(printf '0.%03d' $((100 + RANDOM % 900)))
setsid ia-run -q --interval 0.1 --max-interval 0.3 "$@" "$dir/prompts.jsonl" \
    "$dir/job" >"$dir/first.out" 2>"$dir/first.err" &
run=$!
sleep "$delay"
sid=$(ps -o sid= -p "$run" | tr -d ' ')
case $target in
run) [ -n "$sid" ] && pkill -KILL -s "$sid" ;;
*) [ -n "$sid" ] && pkill -KILL -s "$sid" -x "$target" ;;
esac
# What is left of the job ends by itself (a stage killed alone) or is gone.
for _ in $(seq 600); do kill -0 "$run" 2>/dev/null || break; sleep 0.05; done
kill -0 "$run" 2>/dev/null && fail "the first run did not end after the kill"
[ -n "$sid" ] && pkill -KILL -s "$sid" 2>/dev/null
# A killed tool may still be exiting, and holding the job's lock, for a
# moment after ia-run is gone; a resume then (rightly) says the job is in
# use.  Wait for the lock as a user would.
[ ! -e "$dir/job/lock" ] || flock -w 10 "$dir/job/lock" true ||
    fail "the job's lock is still held 10 s after the kill"

ia-run -q --interval 0.1 --max-interval 0.3 "$@" "$dir/prompts.jsonl" "$dir/job" \
    >"$dir/answers.jsonl" 2>"$dir/resume.err" || fail "the resume exited $?: $(cat "$dir/resume.err")"
n=$(wc -l <"$dir/answers.jsonl")
[ "$n" -eq 500 ] || fail "$n answers, not 500"
bad=$(jq -r 'select(.content != ("Answer to: q" + (.custom_id | ltrimstr("c")))) | .custom_id' \
    "$dir/answers.jsonl" | head -3)
[ -z "$bad" ] || fail "wrong answers for $bad"
[ "$(jq -r .custom_id "$dir/answers.jsonl" | sort -u | wc -l)" -eq 500 ] || fail "a custom_id twice"
gens=$(curl -sS -H "Authorization: Bearer $INFERENCE_API_KEY" "$INFERENCE_BASE_URL/mock/stats" |
    jq .generations.total)
[ "$gens" -le $((500 + BOUND)) ] || fail "$gens generations made for 500 prompts (at most $((500 + BOUND)))"
for f in "$dir"/job/*.jsonl; do
	[ ! -s "$f" ] || [ "$(tail -c 1 "$f" | od -An -tx1 | tr -d ' ')" = 0a ] ||
	    fail "$f ends in a partial line"
done
echo "ok seed $seed $target: killed at ${delay}s, $gens generations"
