#!/usr/bin/env bats
# The progress line as a person sees it: pipelines run in a tmux pane
# against ia-mock with slow completions, the pane read every 0.25 s
# (tmux capture-pane).  Each snapshot shows exactly one well-formed line
# for the whole pipeline, its counts never go back, and it is gone once the
# pipeline ends or is stopped by Ctrl-C.  With stderr on a file or a pipe,
# no control character at all.

load helper

# The line of a pipeline, and of ia-poll alone: counts with commas, a
# total after "/" once known, then the rate and an ETA when they are.
NUM='[0-9][0-9,]*'
TAIL="( \| [0-9][0-9.,]*/s(, ETA [0-9]+:[0-9]{2}(:[0-9]{2})?)?)?"
POLL_RE="done $NUM, failed $NUM, waiting $NUM"
SUB_RE="submitted $NUM(/$NUM)?(, failed $NUM)?"
PIPE_RE="^$SUB_RE \| $POLL_RE$TAIL\$"
ALONE_RE="^$POLL_RE$TAIL\$"
# ia-run: its ia-poll starts before its ia-submit.
RUN_RE="^($SUB_RE \| )?$POLL_RE$TAIL\$"

setup() {
	default_setup
	TMUX_DIR=
	# The stages' files go here, so a test sees that they are removed.
	export XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
	mkdir -m 700 "$XDG_RUNTIME_DIR"
}

teardown() {
	[ -z "$TMUX_DIR" ] || tmx kill-server 2>/dev/null || true
	[ -z "$TMUX_DIR" ] || rm -rf "$TMUX_DIR"
	default_teardown TERM
}

# need_tmux: fail, saying why, where tmux is missing (make deps installs
# it); else a private tmux server (its socket under a short path, as
# sockets need).
need_tmux() {
	command -v tmux >/dev/null 2>&1 ||
	    { echo "tmux is not installed (Debian package tmux; make deps)" >&2; return 1; }
	TMUX_DIR=$(mktemp -d /tmp/ia-tmux.XXXXXX)
}

tmx() {
	tmux -S "$TMUX_DIR/sock" -f /dev/null "$@"
}

# pane SCRIPT: run the bash SCRIPT (its text) in a 200x20 tmux pane, with
# the tools and the mock in its environment; it writes its status to
# $BATS_TEST_TMPDIR/status, then waits there, so that the pane stays.
pane() {
	cat >"$BATS_TEST_TMPDIR/pane.sh" <<-EOF
	export PATH='$PATH' INFERENCE_BASE_URL='$INFERENCE_BASE_URL'
	export INFERENCE_API_KEY='$INFERENCE_API_KEY' XDG_RUNTIME_DIR='$XDG_RUNTIME_DIR'
	cd '$BATS_TEST_TMPDIR' || exit 2
	trap 'echo INT >>trapped' INT
	$1
	echo \$? >status.tmp && mv status.tmp status
	exec sleep 120
	EOF
	tmx new-session -d -x 200 -y 20 -s t "bash $BATS_TEST_TMPDIR/pane.sh"
}

# snap: the pane's lines that are not blank.
snap() {
	tmx capture-pane -p -t t | grep -v '^[[:space:]]*$' || true
}

# count NAME LINE: the number after NAME in LINE (its first), without
# commas; 0 when there is none.
count() {
	local re="(^| )$1 ([0-9][0-9,]*)"
	if [[ $2 =~ $re ]]; then
		echo "${BASH_REMATCH[2]//,/}"
	else
		echo 0
	fi
}

# watch RE [END_RE]: snapshots every 0.25 s until the pane's script is
# done (or a line matches END_RE: what follows the pipeline, such as
# ia-collect's summary).  Each shows nothing yet, or exactly one line,
# matching RE, whose counts (submitted, done, failed) never go back; at
# least 3 show it.  The last line seen is in $LAST.
watch() {
	local re=$1 end=${2:-} s n shots=0 name now
	local -A was=([submitted]=0 [done]=0 [failed]=0)
	LAST=
	for _ in $(seq 240); do
		[ -f "$BATS_TEST_TMPDIR/status" ] && break
		s=$(snap)
		if [ -n "$end" ] && grep -Eq "$end" <<<"$s"; then
			break
		fi
		sleep 0.25
		[ -z "$s" ] && continue
		n=$(wc -l <<<"$s")
		if [ "$n" -ne 1 ] || ! [[ $s =~ $re ]]; then
			printf 'not one progress line (%s lines):\n%s\n' "$n" "$s" >&2
			return 1
		fi
		for name in submitted "done" failed; do
			now=$(count "$name" "$s")
			if [ "$now" -lt "${was[$name]}" ]; then
				printf '%s went back from %s: %s\n' "$name" "${was[$name]}" "$s" >&2
				return 1
			fi
			was[$name]=$now
		done
		LAST=$s
		shots=$((shots + 1))
	done
	if [ "$shots" -lt 3 ]; then
		echo "the line was seen in $shots snapshots only" >&2
		return 1
	fi
}

# wait_status SECONDS: wait for the pane's script to end; its status.
wait_status() {
	for _ in $(seq $(($1 * 10))); do
		[ -f "$BATS_TEST_TMPDIR/status" ] && { cat "$BATS_TEST_TMPDIR/status"; return 0; }
		sleep 0.1
	done
	echo "the pane's script did not end in $1 s:" >&2
	snap >&2
	return 1
}

# no_line: the pane shows no progress line, nor any part of one.
no_line() {
	local s
	sleep 0.3
	s=$(snap)
	if grep -Eq 'submitted [0-9]|waiting [0-9]|/s, ETA' <<<"$s"; then
		printf 'a progress line is left:\n%s\n' "$s" >&2
		return 1
	fi
}

# no_stages: every stage's file is gone, and the group's directory too.
no_stages() {
	local left
	left=$(find "$XDG_RUNTIME_DIR" -mindepth 2 | head -n 5)
	if [ -n "$left" ]; then
		printf 'stages left behind:\n%s\n' "$left" >&2
		return 1
	fi
}

# ctl FILE: the control characters in FILE but newline and tab, as od shows them.
ctl() {
	LC_ALL=C tr -d '\n\t\040-\176\200-\377' <"$1" | od -An -c | head -n 5
}

@test "ia-submit | ia-poll | ia-collect on a terminal: one line for the pipeline, counts never back, cleared at the end" {
	need_tmux
	mock_start --complete-after 1,3 --latency 20
	reqs 300 >"$IN"
	pane "ia-submit -j 4 <in | ia-poll ${POLL_OPTS[*]} | ia-collect >answers 2>collect.err"
	watch "$PIPE_RE"
	[ "$(wait_status 60)" = 0 ]
	no_line
	# No control character spliced into what stays: the pane is empty.
	[ -z "$(snap)" ]
	[ "$(file_lines "$BATS_TEST_TMPDIR/answers")" -eq 300 ]
	no_stages
}

@test "the line names the total once the input has ended, and an ETA then" {
	need_tmux
	mock_start --complete-after 3,5
	reqs 200 >"$IN"
	pane "ia-submit -j 8 <in | ia-poll ${POLL_OPTS[*]} | ia-collect >answers 2>collect.err"
	watch "$PIPE_RE"
	[ "$(wait_status 60)" = 0 ]
	# The submitter ends long before the last answer: its stage stays.
	[[ $LAST == "submitted 200/200 | done "*", ETA "* ]] || {
		echo "last line: $LAST" >&2
		false
	}
	no_line
}

@test "ia-poll alone: a line of its own stage, cleared at the end" {
	need_tmux
	mock_start --complete-after 2,4
	reqs 200 | ia-submit -q >"$BATS_TEST_TMPDIR/ids"
	pane "ia-poll ${POLL_OPTS[*]} <ids >results"
	watch "$ALONE_RE"
	[ "$(wait_status 60)" = 0 ]
	[[ $LAST == *", ETA "* ]] || { echo "last line: $LAST" >&2; false; }
	no_line
	[ -z "$(snap)" ]
	no_stages
}

@test "ia-run on a terminal: one line for the whole job, cleared before the summary" {
	need_tmux
	mock_start --complete-after 1,3 --latency 20
	reqs 300 >"$IN"
	pane "ia-run -j 4 --interval 0.1 --max-interval 0.5 in job >answers"
	watch "$RUN_RE" '^ia-collect: '
	[ "$(wait_status 60)" = 0 ]
	no_line
	# What stays is ia-collect's summary, from its first column.
	[[ $(snap | head -n 1) == "ia-collect: 300 answers"* ]]
	no_stages
}

@test "Ctrl-C: every tool stops, the line is cleared, the stages' files removed" {
	need_tmux
	mock_start --complete-after 30
	reqs 200 >"$IN"
	pane "ia-submit -j 4 <in | ia-poll ${POLL_OPTS[*]} | ia-collect >answers 2>collect.err"
	for _ in $(seq 100); do
		[[ $(snap) =~ $PIPE_RE ]] && break
		sleep 0.1
	done
	[[ $(snap) =~ $PIPE_RE ]] || { snap >&2; false; }
	tmx send-keys -t t C-c
	[ "$(wait_status 20)" -gt 128 ]
	[ -s "$BATS_TEST_TMPDIR/trapped" ]
	no_line
	# What stays is whole messages of the tools, from their first column.
	if snap | grep -Ev '^ia-(submit|poll): '; then
		false
	fi
	no_stages
}

@test "records written to the terminal (ia-collect -r): no line, none spliced into them" {
	need_tmux
	mock_start --complete-after 1,3 --latency 20
	reqs 300 >"$IN"
	pane "ia-submit -j 4 <in | ia-poll ${POLL_OPTS[*]} | ia-collect -r 2>collect.err"
	local s seen=0
	for _ in $(seq 240); do
		[ -f "$BATS_TEST_TMPDIR/status" ] && break
		s=$(snap)
		if grep -Ev '^Answer to: question c[0-9]+$' <<<"$s" | grep -q .; then
			printf 'not only answers:\n%s\n' "$s" >&2
			false
		fi
		[ -n "$s" ] && seen=$((seen + 1))
		sleep 0.25
	done
	[ "$(wait_status 60)" = 0 ]
	[ "$seen" -ge 3 ]
	no_stages
}

@test "-q: no line from any tool of the pipeline" {
	need_tmux
	mock_start --complete-after 1,2
	reqs 100 >"$IN"
	pane "ia-submit -q <in | ia-poll -q ${POLL_OPTS[*]} | ia-collect >answers 2>collect.err"
	for _ in $(seq 200); do
		[ -f "$BATS_TEST_TMPDIR/status" ] && break
		[ -z "$(snap)" ] || { snap >&2; false; }
		sleep 0.1
	done
	[ "$(wait_status 30)" = 0 ]
	[ -z "$(snap)" ]
	[ ! -e "$XDG_RUNTIME_DIR/ia-progress-$(id -u)" ] ||
	    [ -z "$(ls -A "$XDG_RUNTIME_DIR/ia-progress-$(id -u)")" ]
}

@test "stderr on a file or a pipe: no control character, ever" {
	mock_start --complete-after 1,2 --latency 10
	reqs 200 >"$IN"
	ia-submit -j 4 <"$IN" 2>"$BATS_TEST_TMPDIR/submit.err" |
	    poll 2>"$BATS_TEST_TMPDIR/poll.err" |
	    ia-collect -s >"$OUT" 2>"$BATS_TEST_TMPDIR/collect.err"
	{ ia-submit -j 4 <"$IN" | poll | ia-collect >"$OUT.2"; } 2>&1 |
	    cat >"$BATS_TEST_TMPDIR/piped.err"
	[ "$(file_lines "$OUT")" -eq 200 ] && [ "$(file_lines "$OUT.2")" -eq 200 ]
	for f in submit poll collect piped; do
		[ -z "$(ctl "$BATS_TEST_TMPDIR/$f.err")" ] || {
			echo "$f.err:"; ctl "$BATS_TEST_TMPDIR/$f.err"; false
		}
	done
	# The summary (-s) is there: stderr was written to, only never drawn on.
	grep -q '^ia-collect: 200 answers' "$BATS_TEST_TMPDIR/collect.err"
	no_stages
}
