#!/usr/bin/env bats
# ia-collect's output: whole records held and written in batches (not one
# write a record), out as soon as the input pauses, whole lines left by a
# kill at any moment.
load helper
bats_require_minimum_version 1.5.0

setup() {
	default_setup
	T=$BATS_TEST_TMPDIR
}

# gens FIRST LAST: Success generations FIRST to LAST, as ia-poll prints
# them, each answer "Answer N" and 700 bytes more.
gens() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		for (i = 0; i < 700; i++) pad = pad "x"
		for (i = a; i <= b; i++)
		printf "{\"custom_id\":\"p-%d\",\"id\":\"gen-%d\",\"state\":\"Success\"," \
		    "\"request\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\"," \
		    "\"content\":\"q %d\"}],\"metadata\":{\"custom_id\":\"p-%d\"}}," \
		    "\"response\":{\"choices\":[{\"index\":0,\"finish_reason\":\"stop\"," \
		    "\"message\":{\"role\":\"assistant\",\"content\":\"Answer %d %s\"}}]," \
		    "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":100," \
		    "\"total_tokens\":103}}}\n", i, i, i, i, i, pad }'
}

# wait_lines N FILE: wait (5 s at most) until FILE has N lines.
wait_lines() {
	for _ in $(seq 100); do
		[ "$(wc -l <"$2")" -ge "$1" ] && return 0
		sleep 0.05
	done
	echo "$2: $(wc -l <"$2") lines, not $1" >&2
	return 1
}

# whole_lines FILE [-r]: FILE ends with a newline, and its every line is a
# whole answer: as ndjson, or with -r the content alone.
whole_lines() {
	[ -s "$1" ]
	[ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ]
	if [ "${2:-}" = -r ]; then
		awk '!/^Answer [0-9]+ x+$/ || length($0) - index($0, "x") != 699 {
			print "line " NR ": " substr($0, 1, 60); bad = 1 } END { exit bad }' "$1"
	else
		jq -e -s 'all(.[]; (.content | test("^Answer [0-9]+ x{700}$")) and
		    .finish_reason == "stop" and .usage.total_tokens == 103)' "$1" >/dev/null
	fi
}

@test "collect output: an answer is out as soon as the input pauses, with the input still open" {
	mkfifo "$T/fifo"
	ia-collect -q -r <"$T/fifo" >"$T/out" &
	pid=$!
	exec 7>"$T/fifo"
	gens 1 1 >&7
	wait_lines 1 "$T/out"
	gens 2 3 >&7
	wait_lines 3 "$T/out"
	[ "$(cut -c 1-9 "$T/out" | tr '\n' ' ')" = "Answer 1  Answer 2  Answer 3  " ]
	exec 7>&-
	wait "$pid"
}

@test "collect output: 20,000 answers in batches, each record whole, the same as one by one" {
	gens 1 20000 >"$IN"
	ia-collect -q "$IN" >"$T/file"
	ia-collect -q <"$IN" | cat >"$T/pipe"
	[ "$(wc -l <"$T/file")" -eq 20000 ]
	cmp "$T/file" "$T/pipe"
	whole_lines "$T/file"
	# One by one: each as jq makes it from the generation.
	jq -c '{custom_id, content: .response.choices[0].message.content,
	    finish_reason: .response.choices[0].finish_reason,
	    usage: .response.usage}' "$IN" | cmp - "$T/file"
}

# kill_mid SIGNAL [-r]: stop ia-collect with SIGNAL while it writes the
# answers of a long stream into a file; what it wrote is whole lines.  The
# stream is bounded, should the signal miss; SIGINT, which a shell's
# background job ignores, is restored for it.
kill_mid() {
	local pid
	gens 1 200000 | env --default-signal=INT ia-collect -q ${2:+"$2"} \
	    >"$T/out.$1" &
	pid=$!
	wait_lines 2000 "$T/out.$1"
	kill -"$1" "$pid"
	run wait "$pid"
	[ "$status" -gt 128 ]
	whole_lines "$T/out.$1" ${2:+"$2"}
	rm -f "$T/out.$1"
}

@test "collect output: a kill (TERM, INT, HUP) while writing leaves whole lines" {
	kill_mid TERM
	kill_mid INT -r
	kill_mid HUP -r
}

@test "collect output: killed while a slow reader holds it up, it still leaves whole lines" {
	local pipe
	{ gens 1 200000 | ia-collect -q -r & echo $! >"$T/pid"; wait; } |
	    { sleep 1; cat; } >"$T/out" &
	pipe=$!
	for _ in $(seq 100); do [ -s "$T/pid" ] && break; sleep 0.05; done
	sleep 0.5
	kill -TERM "$(cat "$T/pid")"
	# This pipeline only: a bare wait would wait for bats's own timer too.
	wait "$pipe"
	whole_lines "$T/out" -r
}
