#!/bin/sh
# ia-collect -r against jq -r '.response.choices[0].message.content' over
# the same file of N Success results, side by side; the outputs must match.
# Targets: at most 0.8x jq's time; and, as before, at least 20,000
# records/s.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
TARGET=0.8
RATE=20000	# records a second, at least
PAD=700

bench_begin collect-rate "ia-collect -r vs jq -r '.response.choices[0].message.content'" \
    "time ratio <= ${TARGET}x; >= $RATE records/s" \
    "N distinct Success generations as ia-poll prints them (about 1.2 KB each, a $PAD-byte answer) in a file, read by \`ia-collect -q -r FILE\` and by \`jq -r '.response.choices[0].message.content' FILE\`, output to a file; each timed from the outside; the two outputs must be the same. The issue sets the ratio's target for 200k to 1M lines; smaller sizes are shown for the cost per record."

for n in $(bench_sizes 1000 10000 100000 200000 1000000); do
	results "$n" "$PAD" >"$BTMP/results"
	bytes=$(wc -c <"$BTMP/results")
	t0=$(now)
	bin/ia-collect -q -r "$BTMP/results" >"$BTMP/out.ia"
	t_ia=$(since "$t0")
	t0=$(now)
	jq -r '.response.choices[0].message.content' "$BTMP/results" >"$BTMP/out.jq"
	t_jq=$(since "$t0")
	if ! cmp -s "$BTMP/out.ia" "$BTMP/out.jq"; then
		bench_error "$n" "ia-collect -r and jq -r print different answers"
		continue
	fi
	rm -f "$BTMP/results" "$BTMP/out.ia" "$BTMP/out.jq"
	r_ia=$(rate "$n" "$t_ia")
	measured="$(mib "$((bytes / 1024))") MiB; ia-collect $(fmt %.3f "$t_ia") s, $(us "$n" "$t_ia") us/record; jq $(fmt %.3f "$t_jq") s, $(us "$n" "$t_jq") us/record"
	bench_result "$n" "$measured" "ia-collect / jq" "$(fmt %.2f "$t_ia / $t_jq")" le "$TARGET" x
	bench_result "$n" "ia-collect -r" "records/s" "$r_ia" ge "$RATE"
done
bench_end
