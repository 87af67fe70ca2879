#!/bin/sh
# Memory of ia-poll: N ids followed at once, none due yet (--interval 1h), so
# all are pending; peak RSS (VmHWM) once it has read them all.
# Target: at most 128 MiB at 1,000,000 pending ids.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
TARGET=128	# MiB

bench_begin poll-memory "peak RSS of ia-poll with N pending ids" \
    "peak RSS <= $TARGET MiB at 1M" \
    "N records as ia-submit prints them, \`{\"custom_id\": \"prompt-0000001\", \"id\": <21 characters>}\`, from a file into \`ia-poll -q --interval 1h\`, so that every id is pending and none is polled (no server is needed); once /proc/PID/fdinfo/0 shows the whole file read and VmRSS stops growing, VmHWM is its peak RSS. Bytes per id: the peak less the 1k run's, over the ids added."

base=
for n in $(bench_sizes 1000 10000 100000 1000000); do
	awk -v n="$n" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"custom_id\":\"prompt-%07d\",\"id\":\"Ab3dE6gH9jKmN%08d\"}\n", i, i }' \
	    >"$BTMP/ids"
	size=$(wc -c <"$BTMP/ids")
	t0=$(now)
	INFERENCE_BASE_URL=http://127.0.0.1:9 bin/ia-poll -q --interval 1h \
	    <"$BTMP/ids" >/dev/null 2>"$BTMP/poll.stderr" &
	BG_PID=$!
	# Read all of it, and done with the last lines: VmRSS still twice running.
	last=-1 pos=0 i=0
	while [ "$i" -lt 1200 ]; do
		pos=$(awk '/^pos:/ { print $2 }' "/proc/$BG_PID/fdinfo/0" 2>/dev/null) || break
		rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$BG_PID/status")
		[ "$pos" -ge "$size" ] && [ "$rss" = "$last" ] && break
		last=$rss
		i=$((i + 1))
		sleep 0.1
	done
	t=$(since "$t0")
	peak=$(awk '/^VmHWM/ { print $2 }' "/proc/$BG_PID/status" 2>/dev/null)
	kill "$BG_PID" 2>/dev/null
	wait "$BG_PID" 2>/dev/null
	BG_PID=
	if [ -z "$peak" ] || [ "${pos:-0}" -lt "$size" ]; then
		bench_error "$n" "ia-poll read ${pos:-?} of $size bytes, or exited"
		continue
	fi
	measured="read in about $(fmt %.1f "$t") s"
	if [ -z "$base" ]; then
		base=$peak base_n=$n
	else
		measured="$measured; $(fmt %d "($peak - $base) * 1024 / ($n - $base_n)") bytes per id"
	fi
	bench_result "$n" "$measured" "peak RSS" "$(mib "$peak")" le "$TARGET" " MiB"
done
bench_end
