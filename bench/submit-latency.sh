#!/bin/sh
# Submissions at 50 ms a request: ia-submit -j 64 against ia-mock
# --latency 50, wall time over the ideal N * 50 ms / 64, and wrk -c 64 on
# the same mock as what a client with no overhead reaches.
# Target: at most 1.05 of the ideal.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
TARGET=1.05
L=50		# ms of latency
J=64
WRK_MAX=10000	# wrk as a reference, not beyond this (it takes as long)

bench_begin submit-latency "N POSTs at 50 ms latency, ia-submit -j 64: wall / ideal" \
    "wall / (N * L / j) <= $TARGET" \
    "N chat requests through \`ia-submit -q -j $J\` to a fresh \`ia-mock --latency $L\` (every answer delayed $L ms, no thread held); wall time from the outside over the ideal N x $L ms / $J. \`wrk -c $J -t 1\` against the same kind of mock, up to $WRK_MAX, shows what the mock's timer allows."

for n in $(bench_sizes 1000 10000 100000); do
	requests "$n" "$BTMP/req"
	ideal=$(calc "$n * $L / 1000 / $J")
	mock_start --latency "$L"
	t0=$(now)
	bin/ia-submit -q -j "$J" <"$BTMP/req" >"$BTMP/acks"
	t=$(since "$t0")
	acks=$(grep -c '"id"' "$BTMP/acks" || true)
	mock_stop
	if [ "$acks" -ne "$n" ]; then
		bench_error "$n" "ia-submit: $acks acknowledgements for $n requests"
		continue
	fi
	measured="ia-submit $(fmt %.2f "$t") s, ideal $(fmt %.2f "$ideal") s ($(us "$n" "$t") us/request)"
	if [ "$n" -le "$WRK_MAX" ]; then
		mock_start --latency "$L"
		t0=$(now)
		wrk_post "$n" "$BTMP/req" "$MOCK_URL/v1/async/chat/completions" \
		    -c "$J" -t 1 --timeout 10s >"$BTMP/wrk"
		tw=$(since "$t0")
		mock_stop
		measured="$measured; wrk $(fmt %.2f "$tw") s = $(fmt %.3f "$tw / $ideal") of the ideal"
	fi
	bench_result "$n" "$measured" "wall / ideal" "$(fmt %.3f "$t / $ideal")" le "$TARGET"
done
bench_end
