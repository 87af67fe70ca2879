#!/bin/sh
# Capacity of ia-mock: GET /v1/generation/{id} under wrk -c 64 -t 2, the
# ceiling of every row that measures a client against it.
# Target: at least 20,000 requests/s on a 2-core machine.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
TARGET=20000
if [ "$BENCH_SCALE" = small ]; then DURATION=3s; else DURATION=10s; fi

bench_begin mock-generation "ia-mock: GET /v1/generation/{id} under wrk -c 64 -t 2" \
    "rate >= $TARGET requests/s" \
    "ia-mock with its default threads, 1,000 finished generations made as 20 groups of 50 (examples/prompts.jsonl), then \`wrk -c 64 -t 2 -d $DURATION -s bench/generation.lua\` cycling through their ids; each answer is about 800 bytes of JSON. A duration, not a size: the figure is a capacity."

mock_start --complete-after 0.1 --group-delay 0
for g in $(seq 20); do
	jq -sc --arg g "$g" '{requests: [range(2) as $r | .[] |
	    .metadata.custom_id += "-\($g)-\($r)"]}' examples/prompts.jsonl |
	    curl -sS -H "$AUTH" --data-binary @- "$MOCK_URL/v1/async/group/chat/completions" |
	    jq -r .groupId >>"$BTMP/groups"
done
sleep 0.3
while read -r g; do
	curl -sS -H "$AUTH" "$MOCK_URL/v1/async/group/$g/generations" | jq -r '.generations[].id'
done <"$BTMP/groups" >"$BTMP/ids"
IDS_FILE="$BTMP/ids" wrk -c 64 -t 2 -d "$DURATION" -H "$AUTH" -s bench/generation.lua \
    "$MOCK_URL" >"$BTMP/wrk"
mock_stop
rps=$(sed -n 's/^Requests\/sec: *\([0-9]*\).*/\1/p' "$BTMP/wrk")
lat=$(awk '$1 == "Latency" { print $2 }' "$BTMP/wrk")
errors=$(grep -c 'Non-2xx\|Socket errors' "$BTMP/wrk" || true)
n=$(wc -l <"$BTMP/ids")
if [ -z "$rps" ] || [ "$errors" -ne 0 ]; then
	bench_error "$n" "wrk: no rate, or $errors error lines"
else
	bench_result "$n" "$n generations; wrk average latency $lat; $(us "$rps" 1) us/request" \
	    "requests/s" "$rps" ge "$TARGET"
fi
bench_end
