#!/bin/sh
# make demo: start ia-mock on a free port, run the main job against it, stop it.
#
#   ia-group < examples/prompts.jsonl | ia-poll | ia-collect -s
#
# Until every tool of that pipeline is built, the same job is done with
# curl(1) and jq(1) against the same routes, so the demo always runs.
set -eu
cd "$(dirname "$0")/.."
PATH="$PWD/bin:$PATH"
tmp=$(mktemp -d)
mock=
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
	ia-group < examples/prompts.jsonl | ia-poll | ia-collect -s
	exit $?
fi

echo "demo: ia-group, ia-poll and ia-collect are not built yet;" \
    "doing their job with curl and jq" >&2
api() {
	# api PATH [BODY]: retry 5xx and 429 the way the tools will
	n=0
	while :; do
		code=$(curl -sS -o "$tmp/body" -w '%{http_code}' \
		    -H "Authorization: Bearer $INFERENCE_API_KEY" \
		    -H 'Content-Type: application/json' \
		    ${2+--data-binary "$2"} "$INFERENCE_BASE_URL$1") || code=000
		case $code in
		2??) cat "$tmp/body"; return 0 ;;
		404) [ -n "${2+x}" ] && break ;;
		000|408|429|5??) ;;
		*) break ;;
		esac
		n=$((n + 1))
		[ "$n" -ge 60 ] && break
		sleep 0.5
	done
	echo "demo: $1: HTTP $code: $(cat "$tmp/body")" >&2
	return 1
}
group=$(api /v1/async/group/chat/completions \
    "$(jq -sc '{requests: .}' examples/prompts.jsonl)" | jq -r .groupId)
echo "demo: submitted $(wc -l < examples/prompts.jsonl) requests as group $group" >&2
while :; do
	api "/v1/async/group/$group/generations" > "$tmp/gens"
	jq -e '.generations | all(.state == "Success" or .state == "Failed")' \
	    "$tmp/gens" >/dev/null && break
	sleep 1
done
jq -c '.generations[] | {custom_id: .request.metadata.custom_id, state,
    content: .response.choices[0].message.content, usage: .response.usage}' \
    "$tmp/gens" | sort
jq -r '.generations | "demo: \(map(select(.state == "Success")) | length) succeeded, " +
    "\(map(select(.state == "Failed")) | length) failed, " +
    "\(map(.response.usage.total_tokens // 0) | add) tokens"' "$tmp/gens" >&2
