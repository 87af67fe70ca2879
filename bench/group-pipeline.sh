#!/bin/sh
# ia-group | ia-poll | ia-collect over N prompts whose generations finish
# 2 to 4 s after submission (ia-mock --complete-after 2,4): how long after
# the last generation finished the pipeline exits, and how many HTTP
# requests it cost per prompt.
# Targets: at most 1.0 s; at most 0.1 requests per prompt.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
TARGET_S=1.0
TARGET_REQ=0.1
JQ_MS='def ms: (sub("\\.[0-9]{3}Z$"; "Z") | fromdateiso8601) * 1000
    + (capture("\\.(?<f>[0-9]{3})Z$").f | tonumber);'

bench_begin group-pipeline "ia-group | ia-poll | ia-collect, generations done 2-4 s after submission" \
    "exit <= $TARGET_S s after the last finishedAt; <= $TARGET_REQ requests/prompt" \
    "N chat requests through \`ia-group -q | ia-poll -q | tee | ia-collect -q\` (default flags: groups of 50) against a fresh \`ia-mock --complete-after 2,4\` (default --group-delay 0.5); the exit is timed from the outside and set against the latest finishedAt in ia-poll's output; the HTTP requests are the mock's /mock/stats total, over N. The alternative is the ideal: exit as the last generation finishes, and one request per group for the submission and one for its answers."

for n in $(bench_sizes 1000 10000 100000); do
	requests "$n" "$BTMP/req"
	mock_start --complete-after 2,4
	t0=$(now)
	bin/ia-group -q <"$BTMP/req" | bin/ia-poll -q | tee "$BTMP/polled" |
	    bin/ia-collect -q >"$BTMP/out"
	t_end=$(now)
	t=$(since "$t0")
	reqs=$(mock_stats .requests.total)
	mock_stop
	got=$(wc -l <"$BTMP/out")
	if [ "$got" -ne "$n" ]; then
		bench_error "$n" "$got answers for $n prompts"
		continue
	fi
	last=$(jq -n "$JQ_MS"' [inputs | .finishedAt | ms] | max / 1000' "$BTMP/polled")
	gap=$(fmt %.3f "$t_end - $last")
	measured="wall $(fmt %.2f "$t") s; $reqs requests"
	bench_result "$n" "$measured" "exit after the last finishedAt" "$gap" le "$TARGET_S" " s"
	bench_result "$n" "$(fmt %.0f "$n / 50") groups" "requests per prompt" \
	    "$(fmt %.4f "$reqs / $n")" le "$TARGET_REQ"
done
bench_end
