#!/bin/sh
# make demo: start ia-mock on a free port, run the main job against it, stop it.
#
#   ia-group < examples/prompts.jsonl | ia-poll | ia-collect -s
#
# with the results kept in a file, so that what failed can be retried.
set -eu
cd "$(dirname "$0")/.."
PATH="$PWD/bin:$PATH"
tmp=$(mktemp -d)
mock=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	[ -n "$mock" ] && kill "$mock" 2>/dev/null && wait "$mock" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ia-mock -p 0 --port-file "$tmp/port" --complete-after 1,4 --fail-rate 0.12 \
    --error-rate 0.05 --seed 4 &
mock=$!
i=0
while [ ! -s "$tmp/port" ]; do
	i=$((i + 1))
	[ "$i" -gt 100 ] && { echo "demo: ia-mock did not start" >&2; exit 2; }
	sleep 0.05
done
INFERENCE_BASE_URL="http://127.0.0.1:$(cat "$tmp/port")"
INFERENCE_API_KEY=demo-key
export INFERENCE_BASE_URL INFERENCE_API_KEY
echo "demo: ia-mock on $INFERENCE_BASE_URL (5% of requests fail with 5xx," \
    "12% of generations fail)" >&2

# The main job, then the retry loop: what failed is resubmitted until every
# prompt has an answer (or three rounds have gone by).
echo "demo: ia-group < examples/prompts.jsonl | ia-poll > results" >&2
rc=0
ia-group < examples/prompts.jsonl | ia-poll --interval 0.5 > "$tmp/results" || rc=$?
[ "$rc" -ne 2 ] || exit 2
round=1
while ! ia-collect -q < "$tmp/results" > /dev/null; do
	[ "$round" -le 3 ] || break
	echo "demo: round $round: ia-collect --failed < results | ia-submit |" \
	    "ia-poll >> results" >&2
	rc=0
	# Safe: ia-collect --failed reads to the end before it prints a line,
	# so nothing is appended to results while it is being read.
	# shellcheck disable=SC2094
	ia-collect -q --failed < "$tmp/results" | ia-submit -q |
	    ia-poll -q --interval 0.5 >> "$tmp/results" || rc=$?
	[ "$rc" -ne 2 ] || exit 2
	round=$((round + 1))
done
echo "demo: ia-collect -s < results" >&2
rc=0
ia-collect -s < "$tmp/results" || rc=$?
# Only exit 2 is an error: a prompt may still fail after three rounds.
[ "$rc" -ne 2 ]
