#!/bin/sh
# Memory of ia-submit: peak RSS over N requests, sent to ia-mock (latency 0,
# default -j) and with --dry-run, which sends nothing.
# Target: at most 32 MiB at 1,000,000 requests, each way.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
TARGET=32	# MiB

bench_begin submit-memory "peak RSS of ia-submit over N requests (and --dry-run)" \
    "peak RSS <= $TARGET MiB at 1M" \
    "N chat requests (about 110 bytes each, read from a file) through \`ia-submit -q\` (default -j) to a fresh ia-mock (latency 0), and through \`ia-submit -q --dry-run\`; peak RSS from GNU time's %M. The time per request shows that the cost stays flat."

for n in $(bench_sizes 1000 10000 100000 1000000); do
	requests "$n" "$BTMP/req"
	mock_start --max-generations "$((n + 1))"
	t0=$(now)
	/usr/bin/time -f %M -o "$BTMP/rss" bin/ia-submit -q <"$BTMP/req" >"$BTMP/acks"
	t=$(since "$t0")
	rss=$(peak_rss "$BTMP/rss")
	acks=$(grep -c '"id"' "$BTMP/acks" || true)
	mock_stop
	rm -f "$BTMP/acks"
	t0=$(now)
	/usr/bin/time -f %M -o "$BTMP/rss" bin/ia-submit -q --dry-run <"$BTMP/req" >/dev/null
	td=$(since "$t0")
	rss_dry=$(peak_rss "$BTMP/rss")
	if [ "$acks" -ne "$n" ]; then
		bench_error "$n" "ia-submit: $acks acknowledgements for $n requests"
		continue
	fi
	bench_result "$n" "$(fmt %.2f "$t") s, $(us "$n" "$t") us/request" \
	    "peak RSS" "$(mib "$rss")" le "$TARGET" " MiB"
	bench_result "$n" "--dry-run: $(fmt %.2f "$td") s, $(us "$n" "$td") us/request" \
	    "peak RSS, --dry-run" "$(mib "$rss_dry")" le "$TARGET" " MiB"
done
bench_end
