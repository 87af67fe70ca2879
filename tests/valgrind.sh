#!/bin/sh
# make sanitize, after the ASan run: the tools as built (make all
# CFLAGS="-O1 -g") under valgrind memcheck, one pipeline of each path
# against ia-mock on a free loopback port:
#	ia-submit | ia-poll | ia-collect
#	ia-group | ia-poll | ia-collect
#	ia-submit | ia-poll | ia-collect again, with failures, 5xx and 429s
# Every tool, ia-mock too, runs under valgrind: a memory error or a
# definitely lost block makes valgrind exit 99 and fails the check.
# Possibly lost and still reachable blocks (libcurl's, libjq's, OpenSSL's,
# libmicrohttpd's) do not count.  Each pipeline is a check, and each mock
# (stopped by SIGTERM, it must exit 0); the last line is
# "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 2
command -v valgrind >/dev/null 2>&1 || { echo "valgrind: not installed" >&2; exit 2; }
tmp=$(mktemp -d) || exit 2
mock_pid=
trap '[ -z "$mock_pid" ] || kill -KILL "$mock_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 2' INT TERM

# vg LOG PROGRAM [ARG...]: PROGRAM under memcheck, what it finds in LOG;
# killed after 300 s.  It execs, so that a signal to it reaches PROGRAM.
vg() {
	log=$1
	shift
	exec timeout 300 valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
	    --errors-for-leak-kinds=definite --log-file="$log" "$@"
}

INFERENCE_API_KEY=valgrind-key-0123456789
export INFERENCE_API_KEY
passed=0 failed=0

# verdict NAME PROBLEMS LOG...: one check, ok when PROBLEMS is empty; else
# the logs valgrind wrote are shown.
verdict() {
	name=$1 problems=$2
	shift 2
	if [ -z "$problems" ]; then
		echo "ok - valgrind: $name"
		passed=$((passed + 1))
		return
	fi
	echo "not ok - valgrind: $name:$problems"
	for log in "$@"; do
		[ -s "$log" ] && { echo "--- $log"; cat "$log"; }
	done
	failed=$((failed + 1))
}

# mock_start [ia-mock options]: a mock on a free port, under valgrind.
mock_start() {
	rm -f "$tmp/port" "$tmp/mock.vg"
	(vg "$tmp/mock.vg" bin/ia-mock -p 0 --port-file "$tmp/port" "$@" \
	    >"$tmp/mock.out" 2>"$tmp/mock.err") &
	mock_pid=$!
	mock_args="$*"
	i=0
	while [ ! -s "$tmp/port" ] && [ $i -lt 400 ]; do
		kill -0 "$mock_pid" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	if [ ! -s "$tmp/port" ]; then
		echo "ia-mock did not start:" >&2
		cat "$tmp/mock.err" "$tmp/mock.vg" >&2
		exit 2
	fi
	INFERENCE_BASE_URL="http://127.0.0.1:$(cat "$tmp/port")"
	export INFERENCE_BASE_URL
}

# mock_stop: SIGTERM; the mock must exit 0, valgrind silent, within 30 s.
mock_stop() {
	kill -TERM "$mock_pid" 2>/dev/null
	i=0
	while kill -0 "$mock_pid" 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -KILL "$mock_pid" 2>/dev/null
	rc=0
	wait "$mock_pid" || rc=$?
	mock_pid=
	problems=
	[ "$rc" -eq 0 ] || problems=" exited $rc;"
	[ -s "$tmp/mock.vg" ] && problems="$problems valgrind said something;"
	verdict "ia-mock $mock_args" "$problems" "$tmp/mock.vg"
}

# requests N: N chat requests and one text completion, custom_ids r1... .
requests() {
	i=1
	while [ "$i" -le "$1" ]; do
		printf '{"model":"m","messages":[{"role":"user","content":"question %d"}],"metadata":{"custom_id":"r%d"}}\n' "$i" "$i"
		i=$((i + 1))
	done
	printf '{"model":"m","prompt":"a text completion","metadata":{"custom_id":"t1"}}\n'
}

# pipeline NAME OK-STATUSES RECORDS FIRST...: FIRST (ia-submit or ia-group,
# with its options) | ia-poll | ia-collect, each under valgrind, on
# $tmp/in.  Every exit status must be in OK-STATUSES (a list: "0", "0 1"),
# and ia-collect must write RECORDS records, one per request.
pipeline() {
	name=$1 ok=$2 want=$3 first=$4
	shift 4
	rm -f "$tmp"/vg.* "$tmp"/rc.*
	{ (vg "$tmp/vg.1" "bin/$first" "$@" <"$tmp/in"); echo $? >"$tmp/rc.1"; } |
	    { (vg "$tmp/vg.2" bin/ia-poll --interval 0.1 --max-interval 0.5)
	    echo $? >"$tmp/rc.2"; } |
	    { (vg "$tmp/vg.3" bin/ia-collect -s --summary-json "$tmp/summary.json" \
	    >"$tmp/out" 2>"$tmp/collect.err"); echo $? >"$tmp/rc.3"; }
	problems=
	for n in 1 2 3; do
		rc=$(cat "$tmp/rc.$n")
		case " $ok " in
		*" $rc "*) ;;
		*) problems="$problems tool $n exited $rc;" ;;
		esac
		[ -s "$tmp/vg.$n" ] && problems="$problems valgrind said something;"
	done
	got=$(wc -l <"$tmp/out" | tr -d ' ')
	[ "$got" -eq "$want" ] || problems="$problems $got records, not $want;"
	[ -z "$problems" ] || cat "$tmp/collect.err"
	verdict "$name" "$problems" "$tmp/vg.1" "$tmp/vg.2" "$tmp/vg.3"
}

requests 6 >"$tmp/in"
mock_start --complete-after 0.2,0.6 --group-delay 0.2
pipeline "ia-submit | ia-poll | ia-collect" "0" 7 ia-submit -j 4
pipeline "ia-group | ia-poll | ia-collect" "0" 7 ia-group -n 3
mock_stop
mock_start --complete-after 0.2,0.6 --seed 7 --fail-rate 0.3 --error-rate 0.2 \
    --429-rate 0.1
pipeline "ia-submit | ia-poll | ia-collect, with faults" "0 1" 7 ia-submit -j 4
mock_stop
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
