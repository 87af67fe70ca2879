#!/usr/bin/env bash
# ia-run: one resumable command for a whole job, a thin driver over the
# filters.  DIR keeps the job: submitted.jsonl, the journal of what was
# submitted (ia-submit or ia-group --journal), and results.jsonl, what
# ia-poll printed.  Run it again after an interrupt, a kill -9 or with more
# prompts, and it goes on where it stopped: it follows what was submitted
# and not finished, submits only what was never submitted, retries what
# failed for --rounds rounds, and prints the answers (ia-collect).
set -u
prog=ia-run
version=@VERSION@

synopsis() {
	cat <<'TXT'
usage: ia-run [-ghqtVv] [-e filter] [-j n] [-m model] [--rounds n]
              [--system text] [--interval duration] [--max-interval duration]
              [--deadline duration] prompts dir
       ia-run --status dir
TXT
}

help() {
	synopsis
	cat <<'TXT'

  -g                   submit in groups of up to 50 (ia-group), not one by one
  -e filter            a jq program that makes each request (ia-submit -e)
  -j n                 HTTP requests in flight in each stage (default 16)
  -m model             the model of requests that name none
  -t                   each line of prompts is a prompt, not a request
  --system text        with -t, a system message before each prompt
  --rounds n           rounds of retries of what failed (default 2)
  --interval duration  ia-poll's first wait (default 1s)
  --max-interval duration
                       ia-poll's longest wait (default 30s)
  --deadline duration  ia-poll's deadline (default 72h)
  --status             print the job's counts; read only, send nothing
  -q                   no progress line
  -v                   log each HTTP exchange on stderr, key redacted
  -h                   the synopsis
  --help               this text
  -V, --version        the version
TXT
}

die() {
	echo "$prog: $*" >&2
	exit 2
}

usage_error() {
	echo "$prog: $*" >&2
	synopsis >&2
	exit 2
}

group=false status_only=false rounds=2 text=false filter=false
in_opts=() model_opts=() net_opts=() poll_opts=()
while [ $# -gt 0 ]; do
	case $1 in
	-g) group=true ;;
	-t) text=true; in_opts+=(-t) ;;
	-q|-v) net_opts+=("$1") ;;
	-e|-j|-m|--system|--rounds|--interval|--max-interval|--deadline)
		[ $# -ge 2 ] || usage_error "$1 needs a value"
		case $1 in
		-e) filter=true; in_opts+=(-e "$2") ;;
		-m) model_opts+=(-m "$2") ;;
		--system) in_opts+=(--system "$2") ;;
		-j) net_opts+=(-j "$2") ;;
		--rounds)
			case $2 in
			''|*[!0-9]*) usage_error "--rounds: $2: not a whole number" ;;
			esac
			rounds=$2 ;;
		--interval|--max-interval|--deadline) poll_opts+=("$1" "$2") ;;
		esac
		shift ;;
	--status) status_only=true ;;
	-h) synopsis; exit 0 ;;
	--help) help; exit 0 ;;
	-V|--version) echo "$prog $version"; exit 0 ;;
	--) shift; break ;;
	# Bundled short options, as getopt takes them: -gq is -g -q, and -j4,
	# -qj4 are -j 4, -q -j 4.
	-[ghqtVv]?*) set -- "${1:0:2}" "-${1:2}" "${@:2}"; continue ;;
	-[ejm]?*) set -- "${1:0:2}" "${1:2}" "${@:2}"; continue ;;
	-?*) usage_error "unknown option $1" ;;
	*) break ;;
	esac
	shift
done

if $status_only; then
	[ $# -eq 1 ] || usage_error "--status takes one job directory"
	dir=$1
else
	[ $# -eq 2 ] || usage_error "a prompts file and a job directory, please"
	prompts=$1 dir=$2
	[ -r "$prompts" ] || die "$prompts: cannot read it"
	mkdir -p "$dir" || exit 2
fi
[ -d "$dir" ] || die "$dir: not a job directory"
sub=$dir/submitted.jsonl res=$dir/results.jsonl

# repair FILE: a line cut short by a kill is moved to DIR/torn.jsonl, so
# that no tool meets it; the file then ends with a whole line.
repair() {
	local f=$1 size tail
	[ -s "$f" ] || return 0
	[ "$(tail -c 1 "$f" | od -An -tx1 | tr -d ' ')" = 0a ] && return 0
	size=$(wc -c <"$f")
	tail=$(tail -n 1 "$f" | wc -c)
	{ tail -n 1 "$f"; echo; } >>"$dir/torn.jsonl" || exit 2
	truncate -s $((size - tail)) "$f" || exit 2
	echo "$prog: $f: set aside a line cut short ($tail bytes) in $dir/torn.jsonl" >&2
}

# --status reads, and only reads: no lock (a running job may be looked
# at), nothing created, and only the whole lines of each file, since a last
# line cut short by a kill, or still being written, is no record.
if $status_only; then
	whole() {
		local size
		[ -e "$1" ] || return 0
		size=$(wc -c <"$1") || return
		head -c "$size" "$1" | head -n "$(head -c "$size" "$1" | wc -l)"
	}
	exec ia-collect --status <(whole "$sub") <(whole "$res")
fi

# One ia-run a job at a time: two would each submit what the other has not
# journaled yet.
exec 9>>"$dir/lock" || exit 2
flock -n 9 || die "$dir is in use by another ia-run"
repair "$sub"
repair "$res"
touch "$sub" "$res" || exit 2

# The retries send requests made already: -t, -e and --system, which make
# requests of the prompts, are for round 0 only (a prompt made of a request
# would be another request); -m fills in a missing model in both.
if $group; then
	submit=(ia-group "${net_opts[@]}" "${model_opts[@]}")
else
	submit=(ia-submit "${net_opts[@]}" "${model_opts[@]}")
fi
# --pending: on a signal ia-poll saves what it followed there, not on
# stderr; the journal already holds it all.
poll=(ia-poll "${net_opts[@]}" "${poll_opts[@]}" --pending "$dir/pending.jsonl")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ia-run.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# Each stage runs as a job of its own (a process group: set -m only while
# it starts, so that the shell says nothing of it), waited for, so that a
# signal to ia-run alone (kill, a service manager) stops it at once too:
# ia-run passes the signal on to the whole stage and ends by it.  A
# terminal's Ctrl-C reaches ia-run, which passes it on the same way.
stage_pgid=
forward() {
	local sig=$1 code=$2
	[ -n "$stage_pgid" ] && kill -s "$sig" -- "-$stage_pgid" 2>/dev/null
	wait
	exit "$code"
}
trap 'forward INT 130' INT
trap 'forward TERM 143' TERM
trap 'forward HUP 129' HUP

# run_stage FUNCTION: run it as a job and wait; its tools' statuses are in
# $tmp/NAME files, ia-poll's is returned.
run_stage() {
	local pid rc
	set -m
	"$@" &
	pid=$!
	set +m
	stage_pgid=$(ps -o pgid= -p "$pid" | tr -d ' ')
	wait "$pid"
	rc=$?
	stage_pgid=
	return "$rc"
}

# check POLL_RC NAME...: a status of 2 (usage, a system error, a refused
# key) or a death stops the job, the job left intact; ia-poll's first,
# since a tool upstream of a dead ia-poll dies by SIGPIPE.
check() {
	local rc=$1 name
	shift
	if [ "$rc" -gt 1 ]; then
		[ "$rc" -gt 128 ] && die "ia-poll was killed (exit $rc); $dir is intact: run again"
		die "ia-poll failed (exit $rc); $dir is intact: run again when it is mended"
	fi
	for name in "$@"; do
		rc=$(cat "$tmp/$name" 2>/dev/null || echo 2)
		[ "$rc" -le 1 ] && continue
		[ "$rc" -gt 128 ] && die "$name was killed (exit $rc); $dir is intact: run again"
		die "$name failed (exit $rc); $dir is intact: run again when it is mended"
	done
}

# Round 0: follow what was submitted and not finished, and submit what was
# never submitted; everything ends in results.jsonl.  Appending to files
# this pipeline reads is safe: ia-collect has read all of them before it
# prints, ia-submit reads --skip-done whole before it sends anything, and
# what ia-poll appends meanwhile is in the journal too.
# shellcheck disable=SC2094
first_round() {
	{
		ia-collect -q --pending -- "$sub" "$res"
		echo $? >"$tmp/ia-collect"
		"${submit[@]}" "${in_opts[@]}" --journal "$sub" --skip-done "$sub" \
		    --skip-done "$res" -- "$prompts"
		echo $? >"$tmp/${submit[0]}"
	} | "${poll[@]}" >>"$res"
}
run_stage first_round
check $? ia-collect "${submit[0]}"

# Retry rounds: what failed, as its request, once more.  DIR/retry.jsonl
# is what a round sends, so that messages name a file that stays.
retry_input=()
$text || $filter || retry_input=(--input "$prompts")
retry() {
	{
		"${submit[@]}" --journal "$sub" -- "$dir/retry.jsonl"
		echo $? >"$tmp/${submit[0]}"
	} | "${poll[@]}" >>"$res"
}
round=0
while [ "$round" -lt "$rounds" ]; do
	round=$((round + 1))
	ia-collect -q --failed "${retry_input[@]}" -- "$sub" "$res" >"$dir/retry.jsonl"
	[ $? -le 1 ] || die "ia-collect --failed failed; $dir is intact"
	[ -s "$dir/retry.jsonl" ] || break
	run_stage retry
	check $? "${submit[0]}"
done
rm -f "$dir/retry.jsonl"

ia-collect -- "$sub" "$res"
