#!/bin/sh
# Memory of ia-collect: N distinct Success results streamed through it, and
# through jq -r, the everyday way to take the answers out, side by side.
# Target: at most 24 MiB at 1,000,000 results.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
TARGET=24	# MiB
PAD=200		# bytes of answer beyond "Answer N "

bench_begin collect-memory "peak RSS of ia-collect over N distinct results" \
    "peak RSS <= $TARGET MiB at 1M" \
    "N distinct Success generations as ia-poll prints them (about 700 bytes each, a $PAD-byte answer), made by awk into a pipe, through \`ia-collect -q\` (default format); peak RSS from GNU time's %M. \`jq -r '.response.choices[0].message.content'\` on the same stream for comparison (it keeps nothing from one record to the next). Bytes per result: the peak less the 1k run's, over the results added."

base=
for n in $(bench_sizes 1000 10000 100000 1000000); do
	t0=$(now)
	out=$(results "$n" "$PAD" |
	    /usr/bin/time -f %M -o "$BTMP/rss" bin/ia-collect -q | wc -l)
	t=$(since "$t0")
	rss=$(peak_rss "$BTMP/rss")
	results "$n" "$PAD" | /usr/bin/time -f %M -o "$BTMP/rss" \
	    jq -r '.response.choices[0].message.content' >/dev/null
	rss_jq=$(peak_rss "$BTMP/rss")
	if [ "$out" -ne "$n" ]; then
		bench_error "$n" "ia-collect: $out answers for $n results"
		continue
	fi
	measured="$(fmt %.2f "$t") s with awk making the input, $(us "$n" "$t") us/result; jq -r $(mib "$rss_jq") MiB"
	if [ -z "$base" ]; then
		base=$rss base_n=$n
	else
		measured="$measured; $(fmt %d "($rss - $base) * 1024 / ($n - $base_n)") bytes per result"
	fi
	bench_result "$n" "$measured" "peak RSS" "$(mib "$rss")" le "$TARGET" " MiB"
done
bench_end
