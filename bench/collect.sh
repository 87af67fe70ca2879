#!/bin/sh
# ia-collect streaming: records per second and peak memory over 200,000
# Success generations of about 1 KB each (some 200 MB), as ia-poll prints
# them.  Targets: at least 20,000 records/s on one core, and memory that does
# not grow with the answers: under 200 bytes of peak RSS per record (what it
# keeps is one custom_id per record, to print each once), far below the
# input's 1,000 bytes per record.
set -eu
cd "$(dirname "$0")/.."
N=${N:-200000}
RATE=20000	# records per second, at least
PER=200		# bytes of peak RSS per record, at most
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

pad=$(awk 'BEGIN { for (i = 0; i < 700; i++) printf "x" }')
awk -v n="$N" -v pad="$pad" 'BEGIN { for (i = 1; i <= n; i++)
	printf "{\"custom_id\":\"prompt-%07d\",\"id\":\"Ab3dE6gH9jKmN%08d\",\"state\":\"Success\",\"stateMessage\":\"Completed\",\"request\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"question %d\"}],\"metadata\":{\"custom_id\":\"prompt-%07d\"}},\"response\":{\"id\":\"chatcmpl-%d\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"role\":\"assistant\",\"content\":\"Answer %d %s\"}}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":100,\"total_tokens\":103}},\"dispatchedAt\":\"2026-11-24T10:00:00.000Z\",\"finishedAt\":\"2026-11-24T10:00:02.500Z\"}\n", i, i, i, i, i, i, pad }' \
    > "$tmp/results"
bytes=$(wc -c < "$tmp/results")
start=$(date +%s.%N)
/usr/bin/env time -f '%M' -o "$tmp/rss" bin/ia-collect -q < "$tmp/results" > "$tmp/out"
end=$(date +%s.%N)
lines=$(wc -l < "$tmp/out")
[ "$lines" -eq "$N" ] || { echo "FAIL: $lines answers for $N records"; exit 1; }
rss=$(cat "$tmp/rss")
rate=$(echo "$N / ($end - $start)" | bc)
per=$(( rss * 1024 / N ))
echo "ia-collect: $N records ($((bytes / 1048576)) MiB) in $(echo "$end - $start" | bc) s:" \
    "$rate records/s; peak RSS $rss KiB, $per bytes per record"
rc=0
if [ "$rate" -ge "$RATE" ]; then
	echo "PASS: ia-collect rate: $rate records/s (target $RATE)"
else
	echo "FAIL: ia-collect rate: $rate records/s (target $RATE)"
	rc=1
fi
if [ "$per" -le "$PER" ]; then
	echo "PASS: ia-collect memory: $per bytes per record (target $PER)"
else
	echo "FAIL: ia-collect memory: $per bytes per record (target $PER)"
	rc=1
fi
exit "$rc"
