#!/bin/sh
# Submission rate: ia-submit -j 64 against wrk -c 64 POSTing the same
# requests to the same route of ia-mock (latency 0), each on a fresh mock,
# side by side in one run; xargs -P 64 curl too, where it is quick enough.
# Target: ia-submit reaches at least 0.8x wrk's rate.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
TARGET=0.8
CURL_MAX=10000	# xargs curl starts a process per request: not beyond this

bench_begin submit-rate "ia-submit -j 64 vs wrk -c 64, POSTs to the same route" \
    "rate ratio >= ${TARGET}x" \
    "N chat requests (about 110 bytes each) POSTed to /v1/async/chat/completions of a fresh ia-mock (latency 0, default threads) by \`ia-submit -q -j 64\` and by \`wrk -c 64 -t 1 -s bench/post.lua\` (the same lines, stopped after N answers); both timed from the outside, start to exit. \`xargs -P 64 curl\` (a process per request) up to $CURL_MAX. At 1k and 10k each of ia-submit and wrk runs 7 and 3 times, in turns, and the median counts. Figure: ia-submit's rate over wrk's. All three run on the 2 cores the mock runs on."

url_path=/v1/async/chat/completions
# One run of ia-submit on a fresh mock: its time in t_sub, or an error.
run_sub() {
	mock_start --latency 0
	t0=$(now)
	bin/ia-submit -q -j 64 <"$BTMP/req" >"$BTMP/acks"
	t_sub=$(since "$t0")
	acks=$(grep -c '"id"' "$BTMP/acks" || true)
	gens=$(mock_stats .generations.total)
	mock_stop
	if [ "$acks" -ne "$n" ] || [ "$gens" -ne "$n" ]; then
		bench_error "$n" "ia-submit: $acks acknowledgements, $gens generations for $n requests"
		return 1
	fi
}

# One run of wrk on a fresh mock: its time in t_wrk, or an error.
run_wrk() {
	mock_start --latency 0
	t0=$(now)
	wrk_post "$n" "$BTMP/req" "$MOCK_URL$url_path" -c 64 -t 1 >"$BTMP/wrk"
	t_wrk=$(since "$t0")
	bad=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$BTMP/wrk")
	mock_stop
	if [ -n "$bad" ]; then
		bench_error "$n" "wrk: $bad answers not 2xx"
		return 1
	fi
}

for n in $(bench_sizes 1000 10000 100000); do
	requests "$n" "$BTMP/req"
	# A run of 1k is 30-70 ms, where one scheduling hiccup weighs as
	# much as the requests: the median of runs taken in turns.
	case $n in 1000) reps=7 ;; 10000) reps=3 ;; *) reps=1 ;; esac
	subs='' wrks='' i=0 ok=1
	while [ "$i" -lt "$reps" ]; do
		i=$((i + 1))
		if ! run_sub || ! run_wrk; then
			ok=0
			break
		fi
		subs="$subs $t_sub" wrks="$wrks $t_wrk"
	done
	[ "$ok" -eq 1 ] || continue
	# shellcheck disable=SC2086
	t_sub=$(median $subs) t_wrk=$(median $wrks)

	r_sub=$(rate "$n" "$t_sub")
	r_wrk=$(rate "$n" "$t_wrk")
	measured="ia-submit $r_sub/s ($(us "$n" "$t_sub") us/request); wrk $r_wrk/s ($(us "$n" "$t_wrk") us/request)"
	[ "$reps" -eq 1 ] || measured="$measured; each the median of $reps runs, taken in turns"

	if [ "$n" -le "$CURL_MAX" ]; then
		mock_start --latency 0
		t0=$(now)
		seq "$n" | xargs -P 64 -I '{}' curl -s -o /dev/null -H "$AUTH" \
		    -H 'Content-Type: application/json' \
		    -d '{"model":"bench-model","messages":[{"role":"user","content":"question {}"}],"metadata":{"custom_id":"c{}"}}' \
		    "$MOCK_URL$url_path"
		t_curl=$(since "$t0")
		gens=$(mock_stats .generations.total)
		mock_stop
		measured="$measured; xargs -P 64 curl $(rate "$gens" "$t_curl")/s ($(us "$n" "$t_curl") us/request)"
	fi
	bench_result "$n" "$measured" "ia-submit / wrk" "$(fmt %.2f "$r_sub / $r_wrk")" ge "$TARGET" x
done
bench_end
