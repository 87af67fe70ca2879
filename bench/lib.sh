# shellcheck shell=sh
# What the rows of make bench share; each bench/ROW.sh sources it.
#
# A row calls bench_begin with its name, title, target and how it measures;
# then, per size, bench_result for each figure it judges against a target
# (PASS or FAIL, and by how much) and bench_info for the figures it only
# shows; then bench_end.  Under bench/run the rows write into
# $BENCH_RESULTS, from which bench/run makes bench/RESULTS.md; a row run
# alone only prints.
#
# BENCH_SCALE=small runs each row at its first size only (1k), for a try.

cd "$(dirname "$0")/.." || exit 2
BENCH_SCALE=${BENCH_SCALE:-full}
case $BENCH_SCALE in
full|small) ;;
*)	echo "BENCH_SCALE=$BENCH_SCALE: must be full or small" >&2; exit 2 ;;
esac
INFERENCE_API_KEY=bench
export INFERENCE_API_KEY
AUTH="Authorization: Bearer bench"
MOCK_PID=
MOCK_PIDS=
BG_PID=
BTMP=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX") || exit 2

bench_cleanup() {
	for _p in $BG_PID $MOCK_PIDS; do
		kill "$_p" 2>/dev/null && wait "$_p" 2>/dev/null
	done
	rm -rf "$BTMP"
}
trap bench_cleanup EXIT
trap 'exit 1' INT TERM HUP

# bench_begin ROW TITLE TARGET HOW: start row ROW (its script is bench/ROW.sh).
bench_begin() {
	BENCH_ROW=$1
	BENCH_FAILED=0
	if [ -n "${BENCH_RESULTS:-}" ]; then
		printf '%s\n' "$2" >"$BENCH_RESULTS/$1.title"
		printf '%s\n' "$3" >"$BENCH_RESULTS/$1.target"
		printf '%s\n' "$4" >"$BENCH_RESULTS/$1.how"
		: >"$BENCH_RESULTS/$1.tsv"
	fi
	echo "== $1: $2 (target: $3)"
}

# bench_sizes N...: the sizes to run: all of them, or with BENCH_SCALE=small
# the first only.
bench_sizes() {
	if [ "$BENCH_SCALE" = small ]; then
		echo "$1"
	else
		echo "$@"
	fi
}

# hsize N: N as 600, 1k, 10k, 1M.
hsize() {
	awk -v n="$1" 'BEGIN {
		if (n >= 1000000 && n % 1000000 == 0) printf "%dM", n / 1000000
		else if (n >= 1000 && n % 1000 == 0) printf "%dk", n / 1000
		else printf "%d", n }'
}

# calc EXPR: EXPR (awk arithmetic on numbers) printed with up to 6 digits.
calc() {
	awk "BEGIN { printf \"%.6g\", $1 }"
}

# fmt FORMAT EXPR: EXPR printed with the printf FORMAT.
fmt() {
	awk "BEGIN { printf \"$1\", $2 }"
}

# median X...: the middle one of the numbers (of an even count, the mean
# of the two in the middle).
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) exit 1
		printf "%.6f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# now: seconds since the epoch, with nanoseconds.  since T: seconds from T.
now() {
	date +%s.%N
}
since() {
	awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.6f", a - b }'
}

# rate N SECONDS: N / SECONDS, whole.  us N SECONDS: microseconds per one.
rate() {
	awk -v n="$1" -v t="$2" 'BEGIN { printf "%d", (t > 0 ? n / t : 0) }'
}
us() {
	awk -v n="$1" -v t="$2" 'BEGIN { printf "%.1f", (n > 0 ? t * 1e6 / n : 0) }'
}

# mib KIB: kibibytes as mebibytes, one decimal.
mib() {
	awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

# mock_start [ia-mock options]: a fresh ia-mock on a free port (--port-file);
# sets MOCK_PID and MOCK_URL and points the tools at it.
mock_start() {
	rm -f "$BTMP/port"
	bin/ia-mock -p 0 --port-file "$BTMP/port" "$@" 2>>"$BTMP/mock.stderr" &
	MOCK_PID=$!
	MOCK_PIDS="$MOCK_PIDS $MOCK_PID"
	_i=0
	while [ ! -s "$BTMP/port" ]; do
		_i=$((_i + 1))
		if [ "$_i" -gt 200 ] || ! kill -0 "$MOCK_PID" 2>/dev/null; then
			echo "ia-mock $* did not start:" >&2
			cat "$BTMP/mock.stderr" >&2
			exit 2
		fi
		sleep 0.05
	done
	MOCK_URL="http://127.0.0.1:$(cat "$BTMP/port")"
	INFERENCE_BASE_URL=$MOCK_URL
	export INFERENCE_BASE_URL
}

# mock_stop: stop the mock of mock_start.
mock_stop() {
	[ -n "$MOCK_PID" ] || return 0
	kill "$MOCK_PID" 2>/dev/null
	wait "$MOCK_PID" 2>/dev/null
	MOCK_PIDS=$(echo "$MOCK_PIDS" | sed "s/ $MOCK_PID\$//; s/ $MOCK_PID / /")
	MOCK_PID=
}

# mock_stats [JQ]: the mock's /mock/stats, through a jq filter.
mock_stats() {
	curl -sS --max-time 10 -H "$AUTH" "$MOCK_URL/mock/stats" | jq -r "${1:-.}"
}

# requests N FILE: N chat requests, one a line, custom_id c1 to cN.
requests() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"model\":\"bench-model\",\"messages\":[{\"role\":\"user\"," \
		    "\"content\":\"question %d\"}],\"metadata\":{\"custom_id\":\"c%d\"}}\n",
		    i, i }' >"$2"
}

# results N PAD: N distinct Success generations as ia-poll prints them, each
# with an answer of PAD bytes and more, on stdout.
results() {
	awk -v n="$1" -v m="$2" 'BEGIN {
		for (i = 0; i < m; i++) pad = pad "x"
		for (i = 1; i <= n; i++)
		printf "{\"custom_id\":\"prompt-%07d\",\"id\":\"Ab3dE6gH9jKmN%08d\"," \
		    "\"state\":\"Success\",\"stateMessage\":\"Completed\",\"request\":" \
		    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":" \
		    "\"question %d\"}],\"metadata\":{\"custom_id\":\"prompt-%07d\"}}," \
		    "\"response\":{\"id\":\"chatcmpl-%d\",\"object\":\"chat.completion\"," \
		    "\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":" \
		    "{\"role\":\"assistant\",\"content\":\"Answer %d %s\"}}],\"usage\":" \
		    "{\"prompt_tokens\":3,\"completion_tokens\":100,\"total_tokens\":103}}," \
		    "\"dispatchedAt\":\"2026-11-24T10:00:00.000Z\"," \
		    "\"finishedAt\":\"2026-11-24T10:00:02.500Z\"}\n", i, i, i, i, i, i, pad }'
}

# peak_rss FILE: the peak RSS in KiB that /usr/bin/time -f %M -o FILE wrote
# (its last line: GNU time puts a note of a signal or status before it).
peak_rss() {
	tail -n 1 "$1"
}

# wrk_post N BODIES URL [wrk options]: POST the N lines of BODIES to URL with
# wrk (bench/post.lua), stopping after N answers; prints wrk's report.
wrk_post() {
	_n=$1 _b=$2 _u=$3
	shift 3
	WRK_N=$_n BODIES_FILE=$_b wrk -d 3600s -s bench/post.lua -H "$AUTH" \
	    -H 'Content-Type: application/json' "$@" "$_u"
}

# bench_row_line SIZE MEASURED FIGURE VALUE TARGET RESULT: one line of the
# row's table, written and printed.
bench_row_line() {
	if [ -n "${BENCH_RESULTS:-}" ]; then
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_RESULTS/$BENCH_ROW.tsv"
	fi
	printf '  %s: %s: %s = %s (target %s): %s\n' "$1" "$2" "$3" "$4" "$5" "$6"
}

# bench_result SIZE MEASURED FIGURE VALUE ge|le TARGET [UNIT]: judge VALUE
# against TARGET (at least, at most); a miss says by how much.
bench_result() {
	_res=$(awk -v v="$4" -v op="$5" -v t="$6" -v u="${7:-}" 'BEGIN {
		if (op == "ge" ? v + 0 >= t + 0 : v + 0 <= t + 0) { print "PASS"; exit }
		d = op == "ge" ? t - v : v - t
		printf "FAIL: %s by %.3g%s (%.0f%% %s the target)",
		    (op == "ge" ? "short" : "over"), d, u, (t != 0 ? 100 * d / t : 0),
		    (op == "ge" ? "below" : "above") }')
	case $_res in FAIL*) BENCH_FAILED=1 ;; esac
	if [ "$5" = ge ]; then _op=">="; else _op="<="; fi
	bench_row_line "$(hsize "$1")" "$2" "$3" "$4${7:-}" "$_op $6${7:-}" "$_res"
}

# bench_info SIZE MEASURED FIGURE VALUE: a figure shown with no target.
bench_info() {
	bench_row_line "$(hsize "$1")" "$2" "$3" "$4" "-" "-"
}

# bench_error SIZE WHAT: a size that could not be measured; the row fails.
bench_error() {
	BENCH_FAILED=1
	bench_row_line "$(hsize "$1")" "$2" "-" "-" "-" "ERROR: $2"
}

# bench_end: the row's exit status: 1 when a figure missed its target.
bench_end() {
	exit "$BENCH_FAILED"
}
