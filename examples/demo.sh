#!/bin/sh
# make demo: start ia-mock on a free port, run the main job against it, stop it.
#
#   ia-group < examples/prompts.jsonl | ia-poll | ia-collect -s
#
# Until every tool of that pipeline is built, the demo runs the tools that
# are, so it always runs.
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

ia-mock -p 0 --port-file "$tmp/port" --complete-after 1,4 --fail-rate 0.04 \
    --error-rate 0.05 --seed 2026 &
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
    "4% of generations fail)" >&2

if [ -x bin/ia-group ] && [ -x bin/ia-poll ] && [ -x bin/ia-collect ]; then
	echo "demo: ia-group < examples/prompts.jsonl | ia-poll | ia-collect -s" >&2
	rc=0
	ia-group < examples/prompts.jsonl | ia-poll | ia-collect -s || rc=$?
	# The mock fails some generations on purpose: only exit 2 is an error.
	[ "$rc" -ne 2 ]
	exit
fi

# Until ia-group and ia-collect are built: single requests, and jq in
# ia-collect's place.
echo "demo: ia-submit < examples/prompts.jsonl | ia-poll | jq (ia-group and" \
    "ia-collect are not built yet)" >&2
rc=0
ia-submit < examples/prompts.jsonl | ia-poll --interval 0.5 > "$tmp/results" || rc=$?
jq -c '{custom_id, state, content: .response.choices[0].message.content,
    usage: .response.usage, error: (.error // (if .state == "Failed"
    then .stateMessage else null end))} | with_entries(select(.value != null))' \
    "$tmp/results"
jq -rs '"demo: \(length) records: \(map(select(.state == "Success")) | length)" +
    " succeeded, \(map(select(.state != "Success")) | length) failed, " +
    "\(map(.response.usage.total_tokens // 0) | add) tokens"' "$tmp/results" >&2
exit "$rc"
