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
              [--deadline duration] [--rate rate] prompts dir
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
  --rate rate          at most rate submissions a second (100, 600/m)
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
in_opts=() model_opts=() net_opts=() poll_opts=() rate_opts=()
while [ $# -gt 0 ]; do
	case $1 in
	-g) group=true ;;
	-t) text=true; in_opts+=(-t) ;;
	-q|-v) net_opts+=("$1") ;;
	-e|-j|-m|--system|--rounds|--interval|--max-interval|--deadline|--rate)
		[ $# -ge 2 ] || usage_error "$1 needs a value"
		case $1 in
		-e) filter=true; in_opts+=(-e "$2") ;;
		-m) model_opts+=(-m "$2") ;;
		--system) in_opts+=(--system "$2") ;;
		-j) net_opts+=(-j "$2") ;;
		--rate) rate_opts+=(--rate "$2") ;;
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
	[ -d "$dir" ] || die "$dir: not a job directory"
	# Read only, and without the lock, so that it also tells where a job
	# that runs stands: only the whole lines of each file, since a last line
	# cut short by a kill, or still being written, is no record.
	whole() {
		local size
		[ -e "$1" ] || return 0
		size=$(wc -c <"$1") || return
		head -c "$size" "$1" | head -n "$(head -c "$size" "$1" | wc -l)"
	}
	exec ia-collect --status <(whole "$dir/submitted.jsonl") <(whole "$dir/results.jsonl")
else
	[ $# -eq 2 ] || usage_error "a prompts file and a job directory, please"
	prompts=$1 dir=$2
	[ -r "$prompts" ] || die "$prompts: cannot read it"
	mkdir -p "$dir" || exit 2
fi
[ -d "$dir" ] || die "$dir: not a job directory"
sub=$dir/submitted.jsonl res=$dir/results.jsonl

# One ia-run a job at a time: two would each submit what the other has not
# journaled yet.
exec 9>>"$dir/lock" || exit 2
flock -n 9 || die "$dir is in use by another ia-run"

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

repair "$sub"
repair "$res"
touch "$sub" "$res" || exit 2

if $group; then
	submit=(ia-group "${net_opts[@]}" "${rate_opts[@]}" "${model_opts[@]}")
else
	submit=(ia-submit "${net_opts[@]}" "${rate_opts[@]}" "${model_opts[@]}")
fi
# --pending: on a signal ia-poll saves what it followed there, not on
# stderr; the journal already holds it all.
poll=(ia-poll "${net_opts[@]}" "${poll_opts[@]}" --pending "$dir/pending.jsonl")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ia-run.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
mkfifo "$tmp/poll" || exit 2

# Each tool runs in the background, a child of ia-run, which waits for it
# with wait: a signal interrupts wait at once, where a pipeline in the
# foreground would hold the trap back until the whole stage ended.  So a
# signal to ia-run alone (kill PID) stops the job as one to its process
# group (Ctrl-C) does.  The trap passes SIGTERM on to the tools, since a
# background job starts with SIGINT ignored, and ends by the signal it got.
stop() {
	local pids
	pids=$(jobs -p)
	# shellcheck disable=SC2086 # the pids, one a word
	[ -z "$pids" ] || kill -TERM $pids 2>/dev/null
	wait
	exit "$1"
}
trap 'stop 130' INT
trap 'stop 143' TERM
trap 'stop 129' HUP

# poll_start: ia-poll in the background, following what comes down the
# fifo $tmp/poll (fd 8) and appending what it prints to results.jsonl.
poll_start() {
	"${poll[@]}" <"$tmp/poll" >>"$res" &
	poll_pid=$!
	exec 8>"$tmp/poll"
}

# feed CMD...: CMD in the background, its output to ia-poll; its status.
feed() {
	"$@" <&0 >&8 8>&- &
	wait "$!"
}

# poll_end: end ia-poll's input; its status, once it has followed it all.
poll_end() {
	exec 8>&-
	wait "$poll_pid"
}

# stage STATUS...: the status of each tool of a stage; a status of 2
# (usage, system error, a refused key) stops the job.
stage() {
	local rc
	for rc in "$@"; do
		[ "$rc" -le 1 ] && continue
		[ "$rc" -gt 128 ] && exit "$rc"
		die "a stage failed (exit $rc); $dir is intact: run again when it is mended"
	done
}

# Round 0: follow what was submitted and not finished, and submit what was
# never submitted; everything ends in results.jsonl.  Appending to files
# this stage reads is safe: ia-collect prints only once it has read all
# of them, and ia-submit reads --skip-done whole before it sends anything,
# so ia-poll has nothing to append before they are read.
poll_start
feed ia-collect --pending "$sub" "$res"
collect_rc=$?
feed "${submit[@]}" "${in_opts[@]}" --journal "$sub" --skip-done "$sub" --skip-done "$res" "$prompts"
submit_rc=$?
poll_end
# ia-poll's status first: a tool upstream of a dead ia-poll dies by SIGPIPE.
stage "$?" "$collect_rc" "$submit_rc"

# Retry rounds: what failed, as its request, once more.  Those are requests
# made already: -t, -e and --system, which make requests of the prompts, do
# not apply to them (a prompt made of a request would be another request).
retry_input=()
$text || $filter || retry_input=(--input "$prompts")
round=0
while [ "$round" -lt "$rounds" ]; do
	round=$((round + 1))
	ia-collect -q --failed "${retry_input[@]}" "$sub" "$res" >"$tmp/retry"
	[ $? -le 1 ] || die "ia-collect --failed failed; $dir is intact"
	[ -s "$tmp/retry" ] || break
	poll_start
	feed "${submit[@]}" --journal "$sub" "$tmp/retry"
	submit_rc=$?
	poll_end
	stage "$?" "$submit_rc"
done

ia-collect "$sub" "$res" &
wait "$!"
