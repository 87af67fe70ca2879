#!/bin/sh
# Capacity of ia-mock: GET /v1/generation/{id} under wrk -c 64 -t 2.
# Target: at least 20,000 requests/s on a 2-core machine (bench/RESULTS.md).
set -eu
cd "$(dirname "$0")/.."
TARGET=20000
DURATION=${DURATION:-10s}
tmp=$(mktemp -d)
mock=
cleanup() {
	[ -n "$mock" ] && kill "$mock" 2>/dev/null && wait "$mock" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

bin/ia-mock -p 0 --port-file "$tmp/port" --complete-after 0.1 --group-delay 0 &
mock=$!
while [ ! -s "$tmp/port" ]; do sleep 0.05; done
url="http://127.0.0.1:$(cat "$tmp/port")"
auth="Authorization: Bearer bench"

# 1,000 finished generations, made as 20 groups of 50 like examples/prompts.jsonl.
for g in $(seq 20); do
	jq -sc --arg g "$g" '{requests: [range(2) as $r | .[] |
	    .metadata.custom_id += "-\($g)-\($r)"]}' examples/prompts.jsonl |
	    curl -sS -H "$auth" --data-binary @- "$url/v1/async/group/chat/completions" |
	    jq -r .groupId >> "$tmp/groups"
done
sleep 0.3
while read -r g; do
	curl -sS -H "$auth" "$url/v1/async/group/$g/generations" | jq -r '.generations[].id'
done < "$tmp/groups" > "$tmp/ids"
echo "ia-mock: $(wc -l < "$tmp/ids") generations, $(wc -c < "$tmp/ids") bytes of ids;" \
    "one answer is $(curl -sS -H "$auth" "$url/v1/generation/$(head -n 1 "$tmp/ids")" |
    wc -c) bytes"

IDS_FILE="$tmp/ids" wrk -c 64 -t 2 -d "$DURATION" -H "$auth" -s bench/generation.lua \
    "$url" | tee "$tmp/wrk"
rps=$(sed -n 's/^Requests\/sec: *\([0-9]*\).*/\1/p' "$tmp/wrk")
errors=$(grep -c 'Non-2xx\|Socket errors' "$tmp/wrk" || true)
if [ "${rps:-0}" -ge "$TARGET" ] && [ "$errors" -eq 0 ]; then
	echo "PASS: GET /v1/generation/{id}: $rps requests/s (target $TARGET)"
else
	echo "FAIL: GET /v1/generation/{id}: ${rps:-?} requests/s (target $TARGET), $errors error lines"
	exit 1
fi
