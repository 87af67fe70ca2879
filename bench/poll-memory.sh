#!/bin/sh
# Memory per pending id in ia-poll: 100,000 ids followed at once, none due
# yet (--interval 1h), peak RSS read from /proc while it waits.
# Target: a few hundred bytes per pending id (issue: ia-poll).
set -eu
cd "$(dirname "$0")/.."
N=${N:-100000}
TARGET=500	# bytes per pending id
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ia-submit's output shape, with ids like the API's (21 characters).
awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++)
	printf "{\"custom_id\":\"prompt-%07d\",\"id\":\"Ab3dE6gH9jKmN%08d\"}\n", i, i }' \
    > "$tmp/ids"
mkfifo "$tmp/in"
# Nothing is polled (the first poll is an hour away), so no server is needed.
INFERENCE_API_KEY=bench INFERENCE_BASE_URL=http://127.0.0.1:9 \
    bin/ia-poll -q --interval 1h < "$tmp/in" > /dev/null &
pid=$!
exec 3> "$tmp/in"
base=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
cat "$tmp/ids" >&3
sleep 2
peak=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
exec 3>&-
per=$(( (peak - base) * 1024 / N ))
echo "ia-poll: $N pending ids: RSS $base KiB before, peak $peak KiB; $per bytes per id"
if [ "$per" -le "$TARGET" ]; then
	echo "PASS: ia-poll memory per pending id: $per bytes (target $TARGET)"
else
	echo "FAIL: ia-poll memory per pending id: $per bytes (target $TARGET)"
	exit 1
fi
